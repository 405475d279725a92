"""Instruments: documents nations signed within a programme that are not memberships, such as
a letter of intent that preceded an enlargement, with the nations that signed them.

An instrument is recorded once (`recorded_in`, its change set) and never rewritten: one recorded
by mistake is voided (`voided_in`) and stays readable as known before. Reads honour both axes:
`known` (record time) keeps those recorded and not yet voided by then; `on` (valid time) keeps
those signed on or before that day, and those whose signing date is unknown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, or_
from sqlmodel import Field, Session, SQLModel, col, select

from registry.audit import begin_write, change_set, record_change, snapshot
from registry.checks import MAX_INT, Checks
from registry.choices import Action
from registry.choices import Instrument as InstrumentKind
from registry.database import pk
from registry.dates import PartialDate
from registry.errors import Conflict, NotFound
from registry.history import Known, dated_by
from registry.nations import Nation, check_nation
from registry.programmes import Programme, lock_programme, resolve_programme


class Instrument(SQLModel, table=True):
    """A signed document of a programme (its kind an `InstrumentKind`)."""

    __tablename__ = "instrument"

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    kind: str = Field(max_length=20)
    title: str = Field(max_length=300)
    signed: date | None = None
    """The first day of the period it was signed in; None when the date is unknown."""
    signed_precision: str | None = Field(default=None, max_length=5)
    note: str | None = Field(default=None, max_length=2000)
    recorded_in: int = Field(foreign_key="change_set.id")
    voided_in: int | None = Field(default=None, foreign_key="change_set.id")
    """The change set that voided it (recorded by mistake); None while it stands."""

    @property
    def signed_on(self) -> PartialDate | None:
        return PartialDate.stored(self.signed, self.signed_precision)


class InstrumentSignatory(SQLModel, table=True):
    """A nation that signed an instrument."""

    __tablename__ = "instrument_signatory"

    instrument_id: int = Field(foreign_key="instrument.id", primary_key=True)
    nation_code: str = Field(foreign_key="nation.code", primary_key=True, max_length=3)


@dataclass(frozen=True)
class Signed:
    """An instrument with the nations that signed it, by name."""

    instrument: Instrument
    signatories: list[Nation]


def held(known: Known | BindParameter[Any] = None) -> list[ColumnElement[bool]]:
    """The instruments the registry held at `known` (default now): recorded by then and not
    voided by then. Every read of instruments filters with this."""
    voided = col(Instrument.voided_in)
    if known is None:
        return [voided.is_(None)]
    return [col(Instrument.recorded_in) <= known, or_(voided.is_(None), voided > known)]


def signed_by(on: Any) -> ColumnElement[bool]:
    """Instruments signed on or before `on` (a partial date counts from its first day, as a
    contract's does); one whose signing date is unknown counts as always signed."""
    return dated_by(Instrument.signed, on)


def _signatories(session: Session, checks: Checks, given: Any) -> list[Nation]:
    """The nations named (codes or names), at least one, each once."""
    if isinstance(given, str) or not isinstance(given, Sequence):
        checks.fail("signatories", "give a list of the nations that signed")
        return []
    if not given:
        checks.fail("signatories", "name at least one nation that signed")
        return []
    found: dict[str, Nation] = {}
    for value in given:
        nation = check_nation(session, checks, value, "signatories")
        if nation is None:
            continue
        if nation.code in found:
            checks.fail("signatories", f"{nation.code} is named twice")
        found[nation.code] = nation
    return list(found.values())


def instrument_key(programme: Programme, title: str) -> str:
    """The readable key of an instrument's audit rows."""
    return f"{programme.slug}/{title}"[:200]


def _after(instrument: Instrument, nations: list[Nation]) -> dict[str, Any]:
    return {**snapshot(instrument), "signatories": sorted(n.code for n in nations)}


def add_instrument(
    session: Session,
    *,
    programme: str,
    kind: Any,
    title: Any,
    signed: PartialDate | date | str | None = None,
    signatories: Sequence[str],
    note: Any = None,
    actor: str,
) -> Instrument:
    """Record a document nations signed in a programme (a letter of intent, an MoU...), with
    its signatories (codes or names, at least one); `signed` may be unknown."""
    programme_ = lock_programme(session, programme, field="programme")
    checks = Checks()
    kind_ = checks.choice(InstrumentKind, kind, "kind")
    title_ = checks.text(title, "title", max_length=300)
    signed_ = checks.optional_date(signed, "signed")
    nations = _signatories(session, checks, signatories)
    note_ = checks.optional_text(note, "note")
    checks.done()
    if find_instrument(session, programme_, title_) is not None:
        raise Conflict("title", f"{programme_.slug} has an instrument {title_!r} already")
    number = change_set(session, actor)
    instrument = Instrument(
        programme_id=pk(programme_), kind=kind_.value, title=title_,
        signed=signed_.start if signed_ else None,
        signed_precision=signed_.precision.value if signed_ else None,
        note=note_, recorded_in=number,
    )  # fmt: skip
    session.add(instrument)
    session.flush()
    for nation in nations:
        session.add(InstrumentSignatory(instrument_id=pk(instrument), nation_code=nation.code))
    session.flush()
    record_change(
        session, actor=actor, action=Action.CREATE, entity="instrument", entity_id=pk(instrument),
        key=instrument_key(programme_, title_), before=None, after=_after(instrument, nations),
    )  # fmt: skip
    return instrument


def void_instrument(
    session: Session,
    *,
    instrument_id: Any,
    reason: Any,
    actor: str,
    programme: str | None = None,
) -> None:
    """Void an instrument recorded by mistake: it leaves every read from then on and stays
    readable as known before; with `programme`, only an instrument of that programme."""
    begin_write(session)
    within = isinstance(instrument_id, int) and 1 <= instrument_id <= MAX_INT
    instrument = session.get(Instrument, instrument_id, populate_existing=True) if within else None
    owner = session.get(Programme, instrument.programme_id) if instrument else None
    if (instrument is None or owner is None or instrument.voided_in is not None
            or programme not in (None, owner.slug)):  # fmt: skip
        where = f" in {programme}" if programme else ""
        raise NotFound("id", f"no instrument {instrument_id}{where}")
    programme_ = lock_programme(session, owner.slug, field="programme")
    checks = Checks()
    reason_ = checks.text(reason, "reason", max_length=2000)
    checks.done()
    before = _after(instrument, with_signatories(session, instrument).signatories)
    instrument.voided_in = change_set(session, actor)
    session.add(instrument)
    session.flush()
    record_change(
        session, actor=actor, action=Action.VOID, entity="instrument", entity_id=pk(instrument),
        key=instrument_key(programme_, instrument.title), before=before, after={"reason": reason_},
    )  # fmt: skip


def find_instrument(session: Session, programme: str | Programme, title: str) -> Instrument | None:
    """The programme's instrument with this title that the registry holds (not voided)."""
    programme_ = resolve_programme(session, programme)
    return session.exec(
        select(Instrument).where(
            col(Instrument.programme_id) == programme_.id,
            col(Instrument.title) == title,
            *held(None),
        )
    ).first()


def with_signatories(session: Session, instrument: Instrument) -> Signed:
    """The instrument with the nations that signed it."""
    return Signed(instrument, _nations_of(session, [pk(instrument)]).get(pk(instrument), []))


def instruments_of(
    session: Session, programme: str | Programme, on: date | None = None, known: Known = None
) -> list[Signed]:
    """The programme's instruments as the registry held them at `known` (default now): with
    `on`, those signed by then (or on an unknown date); by signing date, unknown dates last."""
    programme_ = resolve_programme(session, programme)
    query = (
        select(Instrument)
        .where(col(Instrument.programme_id) == programme_.id, *held(known))
        .order_by(col(Instrument.signed).asc().nulls_last(), col(Instrument.id))
    )
    if on is not None:
        query = query.where(signed_by(on))
    found = list(session.exec(query))
    nations = _nations_of(session, [pk(i) for i in found])
    return [Signed(i, nations.get(pk(i), [])) for i in found]


def _nations_of(session: Session, ids: list[int]) -> dict[int, list[Nation]]:
    """Each instrument's signatories, by name."""
    if not ids:
        return {}
    rows = session.exec(
        select(col(InstrumentSignatory.instrument_id), Nation)
        .join(Nation, col(Nation.code) == col(InstrumentSignatory.nation_code))
        .where(col(InstrumentSignatory.instrument_id).in_(ids))
        .order_by(col(Nation.name))
    )
    by_instrument: dict[int, list[Nation]] = {}
    for instrument_id, nation in rows:
        by_instrument.setdefault(instrument_id, []).append(nation)
    return by_instrument
