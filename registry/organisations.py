"""Organisations: agencies (NSPA, OCCAR), contractors, governing bodies."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlmodel import Field, Session, SQLModel, select

from registry.audit import begin_write, record_change, snapshot
from registry.checks import Checks, check_version
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


FIELDS = ("name", "kind", "country")
"""What an edit may change: the slug is the organisation's address (links, imports, the audit
trail's keys) and stays as created."""


def _columns(session: Session, values: Mapping[str, Any]) -> dict[str, Any]:
    """Check the given organisation fields, every broken one at once: the columns they set.
    One set of checks for a new organisation and an edit."""
    checks = Checks()
    for field in sorted(set(values) - {"slug", *FIELDS}):
        checks.fail(field, "is not an organisation field that can be set")
    columns: dict[str, Any] = {}
    if "slug" in values:
        columns["slug"] = checks.slug(values["slug"])
    if "name" in values:
        columns["name"] = checks.text(values["name"], "name")
    if "kind" in values:
        columns["kind"] = checks.choice(OrganisationKind, values["kind"], "kind").value
    if "country" in values:
        country = values["country"]
        nation = check_nation(session, checks, country, "country") if country else None
        columns["country"] = nation.code if nation else None
    checks.done()
    return columns


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
    columns = _columns(session, {"slug": slug, "name": name, "kind": kind, "country": country})
    if find_organisation(session, columns["slug"]) is not None:
        raise Conflict("slug", f"an organisation {columns['slug']!r} exists already")
    organisation = Organisation(**columns)
    session.add(organisation)
    session.flush()
    record_change(
        session, actor=actor, action=Action.CREATE, entity="organisation", key=organisation.slug,
        before=None, after=snapshot(organisation),
    )  # fmt: skip
    return organisation


def update_organisation(
    session: Session, *, slug: str, actor: str, expected_version: int | None = None, **changes: Any
) -> Organisation:
    """Change an organisation's name, kind or country (only those given); refuses when it
    changed since `expected_version`. Saving the values it holds records nothing."""
    begin_write(session)
    organisation = session.exec(
        select(Organisation)
        .where(Organisation.slug == slug)
        .execution_options(populate_existing=True)  # read afresh under the write lock
    ).first()
    if organisation is None:
        raise NotFound("slug", f"no organisation {slug!r}")
    columns = _columns(session, changes)
    check_version(organisation.version, expected_version)
    before = snapshot(organisation)
    if all(getattr(organisation, name) == value for name, value in columns.items()):
        return organisation
    for name, value in columns.items():
        setattr(organisation, name, value)
    organisation.version += 1
    session.flush()
    record_change(
        session, actor=actor, action=Action.UPDATE, entity="organisation", key=slug,
        before=before, after=snapshot(organisation),
    )  # fmt: skip
    return organisation


def list_organisations(session: Session, *, kind: str | None = None) -> list[Organisation]:
    query = select(Organisation).order_by(Organisation.name)
    if kind:
        query = query.where(Organisation.kind == kind)
    return list(session.exec(query))
