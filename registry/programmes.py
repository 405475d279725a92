"""Programmes: create, update, find, list."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import Index, delete
from sqlmodel import Field, Session, col, select

from registry.audit import begin_write, change_set, record_change, snapshot
from registry.checks import Checks, check_version
from registry.choices import Action, Category, ProgrammeStatus
from registry.database import pk
from registry.dates import PartialDate
from registry.errors import Conflict, FieldError, InvalidValue, NotFound
from registry.history import holds
from registry.organisations import check_organisation
from registry.periods import end_of, from_date
from registry.programme_terms import SINCE, ProgrammeTerm, Standing, held, store_terms
from registry.programme_versions import (
    ProgrammeDescription,
    ProgrammeVersion,
    described,
    record_version,
)


class Programme(ProgrammeDescription, table=True):
    """A programme's identity and what the registry holds of its description now (its versions
    over record time: `registry.programme_versions`); its status and managing organisation over
    time are its `ProgrammeTerm`s (`registry.programme_terms`)."""

    __tablename__ = "programme"
    __table_args__ = (Index("ix_programme_category", "category"),)

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True)
    """The URL id, e.g. `mmf`."""
    version: int = 1
    review: str = Field(default="optional", max_length=8)
    """A ReviewSetting: `required` turns an editor's writes into change requests."""

    @property
    def launched_on(self) -> PartialDate | None:
        return PartialDate.stored(self.launched, self.launched_precision)


EDITABLE = (
    "slug", "name", "acronym", "category", "status", "managing_organisation", "launched",
    "description", "capability_area", "asset_type",
)  # fmt: skip
REQUIRED = ("slug", "name", "category")
_TEXT_LIMITS = {"acronym": 40, "capability_area": 200, "asset_type": 100}


def _columns(session: Session, values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check the given programme fields: the programme's own columns, and the values its dated
    terms hold (status, managing organisation)."""
    checks = Checks()
    unknown = sorted(set(values) - set(EDITABLE))
    for field in unknown:
        checks.fail(field, "is not a programme field that can be set")
    columns: dict[str, Any] = {}
    held: dict[str, Any] = {}
    for field, value in values.items():
        if field == "slug":
            columns["slug"] = checks.slug(value)
        elif field == "name":
            columns["name"] = checks.text(value, "name")
        elif field == "category":
            columns["category"] = checks.choice(Category, value, "category").value
        elif field == "status":
            held["status"] = checks.choice(ProgrammeStatus, value, "status").value
        elif field == "managing_organisation":
            agency = check_organisation(session, checks, value, field)
            held["managing_organisation_id"] = agency.id if agency else None
        elif field == "launched":
            launched = checks.optional_date(value, "launched")
            columns["launched"] = launched.start if launched else None
            columns["launched_precision"] = launched.precision.value if launched else None
        elif field in _TEXT_LIMITS:
            columns[field] = checks.optional_text(value, field, max_length=_TEXT_LIMITS[field])
        elif field == "description":
            columns[field] = checks.optional_text(value, field, max_length=4000)
    checks.done()
    return columns, held


def _snapshot(programme: Programme, terms: list[Standing], **extra: Any) -> dict[str, Any]:
    """The audit snapshot: the programme's columns, the terms in force today, every term."""
    today = next((t for t in terms if holds(t.valid_from.start, end_of(t), date.today())), None)
    now = (today or terms[-1]).values() if terms else {}
    return {**snapshot(programme), **now, "terms": [t.snapshot() for t in terms], **extra}


def lock_programme(session: Session, slug: str, *, field: str = "slug") -> Programme:
    """Take the write lock (`begin_write`), then read the programme afresh."""
    begin_write(session)
    programme = session.exec(
        select(Programme).where(Programme.slug == slug).execution_options(populate_existing=True)
    ).first()
    if programme is None:
        raise NotFound(field, f"no programme {slug!r}")
    return programme


def resolve_programme(session: Session, programme: str | Programme) -> Programme:
    """Callers that hold the row already pass it and save a query."""
    return programme if isinstance(programme, Programme) else get_programme(session, programme)


def get_programme(session: Session, slug: str, *, field: str = "slug") -> Programme:
    programme = session.exec(select(Programme).where(Programme.slug == slug)).first()
    if programme is None:
        raise NotFound(field, f"no programme {slug!r}")
    return programme


def _ensure_slug_free(session: Session, slug: str) -> None:
    if session.exec(select(Programme.id).where(Programme.slug == slug)).first() is not None:
        raise Conflict("slug", f"a programme {slug!r} exists already")


def create_programme(session: Session, *, actor: str, **fields: Any) -> Programme:
    """Create a programme from its fields (slug, name and category required); its status (default
    active) and managing organisation hold from before any recorded fact."""
    begin_write(session)
    missing = [name for name in REQUIRED if fields.get(name) in (None, "")]
    if missing:
        raise InvalidValue([_required(name) for name in missing])
    columns, held_ = _columns(session, {"status": ProgrammeStatus.ACTIVE.value, **fields})
    _ensure_slug_free(session, columns["slug"])
    number = change_set(session, actor)
    programme = Programme(**columns)
    session.add(programme)
    session.flush()
    first = Standing(SINCE, None, held_["status"], held_.get("managing_organisation_id"))
    store_terms(session, pk(programme), [first], number)
    record_version(session, pk(programme), described(programme), number)
    record_change(
        session, actor=actor, action=Action.CREATE, entity="programme", key=programme.slug,
        before=None, after=_snapshot(programme, [first]),
    )  # fmt: skip
    return programme


def update_programme(
    session: Session,
    slug: str,
    *,
    changes: Mapping[str, Any],
    actor: str,
    expected_version: int | None = None,
    effective: PartialDate | date | str | None = None,
    correction: bool = False,
) -> Programme:
    """Change some fields of a programme; refuses when it changed since `expected_version`.

    Status and managing organisation change from `effective` (default today) and earlier dates
    keep theirs; with `correction` they are fixed from `effective` or over the whole history.
    The other fields are corrections of what was recorded: a new version of the description,
    the one replaced still read `as_known_on` before (`registry.programme_versions`)."""
    programme = lock_programme(session, slug)
    columns, values = _columns(session, changes)
    checks = Checks()
    effective_ = checks.optional_date(effective, "effective")
    checks.done()
    for required in REQUIRED:
        if required in columns and not columns[required]:
            raise InvalidValue(_required(required))
    check_version(programme.version, expected_version)
    if columns.get("slug", slug) != slug:
        _ensure_slug_free(session, columns["slug"])
    terms = held(session, pk(programme))
    new = terms
    if values:
        start = effective_ or (SINCE if correction else PartialDate(date.today()))
        new = from_date(terms, start, values)
    before = _snapshot(programme, terms)
    was = described(programme)
    for name, value in columns.items():
        setattr(programme, name, value)
    if snapshot(programme) == {k: before[k] for k in snapshot(programme)} and new == terms:
        return programme
    number = change_set(session, actor)
    if new != terms:
        store_terms(session, pk(programme), new, number)
    if described(programme) != was:
        record_version(session, pk(programme), described(programme), number)
    programme.version += 1
    session.flush()
    marks = {"correction": correction, "effective": effective_.isoformat() if effective_ else None}
    record_change(
        session, actor=actor, action=Action.CORRECT if correction else Action.UPDATE,
        entity="programme", key=slug, before=before, after=_snapshot(programme, new, **marks),
    )  # fmt: skip
    return programme


def _required(field: str) -> FieldError:
    return FieldError(field, "is required")


def delete_programme(
    session: Session, slug: str, *, actor: str, expected_version: int | None = None
) -> None:
    """Delete a programme entered by mistake; one with any history is refused (409)."""
    # Imported here: these modules import this one.
    from registry.contracts import Contract
    from registry.fleet import FleetEvent
    from registry.instruments import Instrument
    from registry.participation import Participation
    from registry.sources import Citation

    programme = lock_programme(session, slug)
    check_version(programme.version, expected_version)
    for table, what in ((Participation, "members"), (Contract, "contracts"),
                        (FleetEvent, "fleet events"), (Instrument, "instruments")):  # fmt: skip
        used = session.execute(
            select(table.id).where(table.programme_id == programme.id).limit(1)
        ).first()
        if used is not None:
            raise Conflict("slug", f"{slug} has {what}; close it instead (status)")
    before = _snapshot(programme, held(session, pk(programme)))
    for held_rows in (ProgrammeTerm, ProgrammeVersion):
        session.execute(delete(held_rows).where(col(held_rows.programme_id) == programme.id))
    session.execute(
        delete(Citation).where(
            col(Citation.entity) == "programme", col(Citation.entity_id) == programme.id
        )
    )
    session.delete(programme)
    session.flush()
    record_change(
        session, actor=actor, action=Action.DELETE, entity="programme", key=slug,
        before=before, after=None,
    )  # fmt: skip
