"""Organisations: agencies (NSPA, OCCAR), contractors, governing bodies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Field, Session, SQLModel, select

from registry.audit import begin_write, record_change, snapshot
from registry.checks import Checks
from registry.choices import Action, OrganisationKind
from registry.errors import Conflict, NotFound
from registry.nations import check_nation


class Organisation(SQLModel, table=True):
    __tablename__ = "organisation"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=20)
    """An OrganisationKind: `agency`, `contractor` or `governing_body`."""
    country: str | None = Field(default=None, max_length=3, foreign_key="nation.code")
    version: int = 1


def get_organisation(session: Session, slug: str, *, field: str = "slug") -> Organisation:
    organisation = find_organisation(session, slug)
    if organisation is None:
        raise NotFound(field, f"no organisation {slug!r}")
    return organisation


def find_organisation(session: Session, slug: Any) -> Organisation | None:
    if not isinstance(slug, str):
        return None
    return session.exec(select(Organisation).where(Organisation.slug == slug)).first()


def check_organisation(
    session: Session,
    checks: Checks,
    slug: Any,
    field: str,
    find: Callable[[Session, Any], Organisation | None] = find_organisation,
) -> Organisation | None:
    """The organisation for an optional slug; a field error when a slug names none. (A bulk
    import passes a `find` that remembers what it read.)"""
    if slug is None or slug == "":
        return None
    organisation = find(session, slug)
    if organisation is None:
        checks.fail(field, f"no organisation {slug!r}")
    return organisation


def create_organisation(
    session: Session,
    *,
    slug: str,
    name: str,
    kind: str,
    country: str | None = None,
    actor: str,
) -> Organisation:
    """Add an agency, contractor or governing body."""
    begin_write(session)
    checks = Checks()
    slug_ = checks.slug(slug)
    name_ = checks.text(name, "name")
    kind_ = checks.choice(OrganisationKind, kind, "kind")
    nation = check_nation(session, checks, country, "country") if country else None
    checks.done()
    if find_organisation(session, slug_) is not None:
        raise Conflict("slug", f"an organisation {slug_!r} exists already")
    organisation = Organisation(
        slug=slug_, name=name_, kind=kind_.value, country=nation.code if nation else None
    )
    session.add(organisation)
    session.flush()
    record_change(
        session, actor=actor, action=Action.CREATE, entity="organisation", key=slug_,
        before=None, after=snapshot(organisation),
    )  # fmt: skip
    return organisation


def list_organisations(session: Session, *, kind: str | None = None) -> list[Organisation]:
    query = select(Organisation).order_by(Organisation.name)
    if kind:
        query = query.where(Organisation.kind == kind)
    return list(session.exec(query))
