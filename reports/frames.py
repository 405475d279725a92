"""The only module that reads the database for reports: everything arrives as polars frames."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date
from functools import cached_property
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, Engine, Select, and_, false, func, or_, select

from registry.amendments import AMENDED, ContractAmendment, amended_frame
from registry.contracts import Contract, held
from registry.fleet import FleetEvent
from registry.history import Known, dated_by_frame, in_force, recorded_by
from registry.instruments import Instrument, InstrumentSignatory
from registry.instruments import held as instruments_held
from registry.nations import Nation
from registry.organisations import Organisation
from registry.participation import MembershipTerm, Participation
from registry.programme_terms import ProgrammeTerm
from registry.programme_versions import DESCRIBED, ProgrammeVersion
from registry.programmes import Programme
from registry.sources import Citation, Source

_DATES = {
    "programmes": ["launched"], "nations": ["nato_member_since"],
    "spells": ["joined", "left", "valid_from", "valid_to"], "contracts": ["signed", "signed_until"],
    "amendments": ["effective"],
    "standings": ["valid_from", "valid_to"],
    "fleet_events": ["event_date"], "citations": ["published"], "instruments": ["signed"],
}  # fmt: skip


@dataclass(frozen=True)
class Scope:
    """What a report reads: the frames it shows (the others are read empty), of the programmes
    with these ids (None: every programme) and, for a nation's report, of that nation."""

    frames: frozenset[str]
    programmes: tuple[int, ...] | None = None
    nation: str | None = None
    terms_on: date | None = None
    """Only the membership terms in force on this day, without their spells' whole extent (the
    matrix: its window over every term cost ten times the read)."""
    contract_sums: bool = False
    """Contracts only as summed: id, programme, signing date, value and currency."""
    cited: tuple[str, ...] | None = None
    """Only the citations of these kinds of record (None: of every kind in the scope)."""


REPORT_FRAMES = {
    "programme": frozenset(
        {"programmes", "spells", "standings", "contracts", "amendments", "fleet_events",
         "citations", "instruments"}
    ),
    "nation": frozenset(
        {"nations", "programmes", "spells", "contracts", "amendments", "citations"}
    ),
    "membership": frozenset({"nations", "programmes", "spells", "citations"}),
    "contracts": frozenset({"contracts", "amendments", "citations"}),
}  # fmt: skip
"""The frames each report is drawn from (`reports.documents`)."""


@dataclass(frozen=True)
class Frames:
    """Everything the reports show, read once (or what one report shows: `report_scope`)."""

    programmes: pl.DataFrame
    nations: pl.DataFrame
    spells: pl.DataFrame
    standings: pl.DataFrame
    """Programmes' status and managing organisation over time (`registry.programme_terms`)."""
    contracts: pl.DataFrame
    """As signed: `contracts_on` gives them as amended on a date."""
    amendments: pl.DataFrame
    fleet_events: pl.DataFrame
    citations: pl.DataFrame
    instruments: pl.DataFrame
    """One row per instrument and signatory (`nation_name`), those the registry held."""

    @cached_property
    def cited(self) -> dict[tuple[str, int], list[dict[str, Any]]]:
        """Citations by (entity, id), built once: reports look them up row by row."""
        index: dict[tuple[str, int], list[dict[str, Any]]] = {}
        for row in self.citations.iter_rows(named=True):
            index.setdefault((row["entity"], row["entity_id"]), []).append(row)
        return index

    def contracts_on(self, on: date, programme_id: int | None = None) -> pl.DataFrame:
        """The contracts signed by `on` (or with no date), of one programme or all, at their
        values then."""
        signed = self.contracts.filter(dated_by_frame("signed", on))
        if programme_id is not None:
            signed = signed.filter(pl.col("programme_id") == programme_id)
        return amended_frame(signed, self.amendments, on)

    def fingerprint(self) -> str:
        """A short hash of the data itself: the same data gives the same fingerprint."""
        digest = hashlib.sha256()
        for field in fields(self):
            frame: pl.DataFrame = getattr(self, field.name)
            digest.update(field.name.encode())
            digest.update(frame.write_csv().encode())
        return digest.hexdigest()[:16]


_INTEGERS = {
    "id", "programme_id", "contract_id", "entity_id", "cost_share_bp", "value_minor", "quantity",
    "count",
}  # fmt: skip


def _typed(frame: pl.DataFrame, dates: list[str]) -> pl.DataFrame:
    """The same column types whatever the database and however empty the result: SQLite hands
    dates over as text, and a column with no values at all comes back untyped."""
    casts = []
    for column, dtype in frame.schema.items():
        if column in dates and dtype != pl.Date:
            casts.append(pl.col(column).cast(pl.String).str.to_date("%Y-%m-%d", strict=True))
        elif column in _INTEGERS and dtype != pl.Int64:
            casts.append(pl.col(column).cast(pl.Int64))
        elif dtype == pl.Null:
            casts.append(pl.col(column).cast(pl.String))
    return frame.with_columns(casts) if casts else frame


def _programme_ids(column: Any, scope: Scope) -> list[ColumnElement[bool]]:
    return [] if scope.programmes is None else [column.in_(scope.programmes)]


def _nations(known: Known, scope: Scope) -> Select[Any]:
    n = Nation.__table__.c  # type: ignore[attr-defined]
    query = select(n.code, n.name, n.kind, n.nato_member_since).order_by(n.name)
    return query if scope.nation is None else query.where(n.code == scope.nation)


def _programmes(known: Known, scope: Scope) -> Select[Any]:
    """Every programme with its description as known at `known` (those recorded after left out)."""
    p = Programme.__table__.c  # type: ignore[attr-defined]
    within = _programme_ids(p.id, scope)
    if known is None:
        columns = (getattr(p, n) for n in DESCRIBED)
        return select(p.id, p.slug, *columns).where(*within).order_by(p.name, p.id)
    v = ProgrammeVersion.__table__.c  # type: ignore[attr-defined]
    return (
        select(p.id, p.slug, *(getattr(v, n) for n in DESCRIBED))
        .join(ProgrammeVersion, and_(v.programme_id == p.id, recorded_by(v, known)))
        .where(*within)
        .order_by(v.name, p.id)
    )


def _spells(known: Known, scope: Scope) -> Select[Any]:
    """One row per membership term the registry holds (`registry.history.recorded_by`): the
    term's period (`valid_from`, `valid_to`) and values, and its spell's `id`, `joined` and
    `left` (the first term's start and the last term's end)."""
    t, s, n = MembershipTerm.__table__.c, Participation.__table__.c, Nation.__table__.c  # type: ignore[attr-defined]
    if scope.terms_on is not None:
        return (
            select(
                s.id, s.programme_id, s.nation_code.label("nation"), n.name.label("nation_name"),
                t.role, t.valid_from, t.valid_to,
            )
            .join_from(MembershipTerm, Participation, s.id == t.participation_id)
            .join(Nation, n.code == s.nation_code)
            .where(in_force(t, scope.terms_on, known), *_programme_ids(s.programme_id, scope))
            .order_by(s.programme_id, n.name, s.id)
        )  # fmt: skip
    first = {"partition_by": t.participation_id, "order_by": t.valid_from}
    last = {"partition_by": t.participation_id, "order_by": t.valid_from.desc()}
    nation = [] if scope.nation is None else [s.nation_code == scope.nation]
    return (
        select(
            s.id, s.programme_id, s.nation_code.label("nation"), n.name.label("nation_name"),
            t.role, t.instrument,
            func.first_value(t.valid_from).over(**first).label("joined"),
            func.first_value(t.valid_from_precision).over(**first).label("joined_precision"),
            func.first_value(t.valid_to).over(**last).label("left"),
            func.first_value(t.valid_to_precision).over(**last).label("left_precision"),
            t.cost_share_bp, t.note, t.valid_from, t.valid_from_precision, t.valid_to,
            t.valid_to_precision,
        )
        .join_from(MembershipTerm, Participation, s.id == t.participation_id)
        .join(Nation, n.code == s.nation_code)
        .where(recorded_by(t, known), *_programme_ids(s.programme_id, scope), *nation)
        .order_by(s.programme_id, t.valid_from, n.name, s.id)
    )  # fmt: skip


def _standings(known: Known, scope: Scope) -> Select[Any]:
    """One row per programme term the registry holds: status and managing organisation over
    [valid_from, valid_to)."""
    t, o = ProgrammeTerm.__table__.c, Organisation.__table__.c  # type: ignore[attr-defined]
    return (
        select(
            t.programme_id, t.status, o.slug.label("agency"), o.name.label("agency_name"),
            t.valid_from, t.valid_to,
        )
        .outerjoin_from(ProgrammeTerm, Organisation, o.id == t.managing_organisation_id)
        .where(recorded_by(t, known), *_programme_ids(t.programme_id, scope))
        .order_by(t.programme_id, t.valid_from)
    )  # fmt: skip


def _contracts(known: Known, scope: Scope) -> Select[Any]:
    """Every contract recorded by `known`, as signed (`_amendments` holds what changed since)."""
    c = Contract.__table__.c  # type: ignore[attr-defined]
    k, a = (Organisation.__table__.alias(name) for name in ("k", "a"))  # type: ignore[attr-defined]
    recorded = held(known)
    if scope.contract_sums:
        return (
            select(c.id, c.programme_id, c.signed, c.value_minor, c.currency)
            .where(*recorded, *_programme_ids(c.programme_id, scope))
            .order_by(c.programme_id, c.signed, c.id)
        )
    return (
        select(
            c.id, c.programme_id, c.reference, c.title, c.kind, c.signed, c.signed_precision,
            c.signed_until,
            c.value_minor, c.currency, k.c.name.label("contractor"), a.c.name.label("agency"),
            c.quantity, c.item,
        )
        .outerjoin(k, k.c.id == c.contractor_id)
        .outerjoin(a, a.c.id == c.awarding_organisation_id)
        .where(*recorded, *_programme_ids(c.programme_id, scope))
        .order_by(c.programme_id, c.signed, c.id)
    )  # fmt: skip


def _contract_ids(scope: Scope) -> Select[Any]:
    c = Contract.__table__.c  # type: ignore[attr-defined]
    return select(c.id).where(*_programme_ids(c.programme_id, scope))


def _amendments(known: Known, scope: Scope) -> Select[Any]:
    """The contract amendments the registry held at `known`."""
    t = ContractAmendment.__table__.c  # type: ignore[attr-defined]
    columns = [getattr(t, name) for name in AMENDED]
    within = [] if scope.programmes is None else [t.contract_id.in_(_contract_ids(scope))]
    return (
        select(t.id, t.contract_id, t.effective, *columns)
        .where(recorded_by(t, known), *within)
        .order_by(t.contract_id, t.effective, t.id)
    )


def _fleet_events(known: Known, scope: Scope) -> Select[Any]:
    """The fleet events the registry holds (corrected and voided ones are replaced)."""
    t = FleetEvent.__table__.c  # type: ignore[attr-defined]
    return (
        select(
            t.id, t.programme_id, t.event_date, t.event_date_precision.label("precision"),
            t.kind, t.count, t.asset_type,
        )
        .where(recorded_by(t, known), *_programme_ids(t.programme_id, scope))
        .order_by(t.programme_id, t.event_date, t.id)
    )  # fmt: skip


def _citations(known: Known, scope: Scope) -> Select[Any]:
    """Each record's sources; for a nation, those of its spells; in a scope of programmes,
    those of the programmes, their spells, contracts and fleet events."""
    c, s = Citation.__table__.c, Source.__table__.c  # type: ignore[attr-defined]
    query = (
        select(
            c.entity, c.entity_id, c.confidence, c.note, s.key.label("source"), s.title,
            s.publisher, s.url, s.published, s.published_precision,
        )
        .join_from(Citation, Source, s.id == c.source_id)
        .order_by(c.entity, c.entity_id, s.key)
    )  # fmt: skip
    if scope.cited is not None:
        query = query.where(c.entity.in_(scope.cited))
    if scope.nation is not None:
        spells = Participation.__table__.c  # type: ignore[attr-defined]
        of_nation = select(spells.id).where(spells.nation_code == scope.nation)
        return query.where(c.entity == "participation", c.entity_id.in_(of_nation))
    if scope.programmes is None:
        return query
    owned = {
        "participation": Participation.__table__.c,  # type: ignore[attr-defined]
        "contract": Contract.__table__.c,  # type: ignore[attr-defined]
        "fleet_event": FleetEvent.__table__.c,  # type: ignore[attr-defined]
        "instrument": Instrument.__table__.c,  # type: ignore[attr-defined]
    }
    return query.where(
        or_(
            and_(c.entity == "programme", c.entity_id.in_(scope.programmes)),
            *(
                and_(c.entity == entity, c.entity_id.in_(
                    select(t.id).where(t.programme_id.in_(scope.programmes))
                ))
                for entity, t in owned.items()
            ),
        )
    )  # fmt: skip


def _instruments(known: Known, scope: Scope) -> Select[Any]:
    """The instruments the registry held at `known` (`registry.instruments.held`), one row per
    signatory."""
    i = Instrument.__table__.c  # type: ignore[attr-defined]
    s, n = InstrumentSignatory.__table__.c, Nation.__table__.c  # type: ignore[attr-defined]
    return (
        select(
            i.id, i.programme_id, i.kind, i.title, i.signed, i.signed_precision, i.note,
            n.name.label("nation_name"),
        )
        .join_from(Instrument, InstrumentSignatory, s.instrument_id == i.id)
        .join(Nation, n.code == s.nation_code)
        .where(*instruments_held(known), *_programme_ids(i.programme_id, scope))
        .order_by(i.programme_id, i.id, n.name)
    )  # fmt: skip


_BUILT: dict[str, Callable[[Known, Scope], Select[Any]]] = {
    "programmes": _programmes, "nations": _nations, "spells": _spells, "standings": _standings,
    "contracts": _contracts, "amendments": _amendments, "fleet_events": _fleet_events,
    "citations": _citations, "instruments": _instruments,
}  # fmt: skip
EVERYTHING = Scope(frozenset(_BUILT))


def _read(engine: Engine, name: str, known: Known, scope: Scope) -> pl.DataFrame:
    query = _BUILT[name](known, scope)
    if name not in scope.frames:
        query = query.where(false())  # its columns, no rows: no report of this scope reads it
    with engine.connect() as connection:
        result = connection.execute(query)
        names = list(result.keys())
        # The driver's own rows, column by column: SQLAlchemy's per-value conversions (SQLite's
        # dates from text) and polars' reading of row objects took 2-3 times the query itself
        # (46,476 contracts: 353 ms against 130); `_typed` converts whole columns instead.
        rows = result.cursor.fetchall() if result.cursor is not None else []
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    frame = pl.DataFrame(
        [pl.Series(n, list(values), strict=False) for n, values in zip(names, columns, strict=True)]
    )
    return _typed(frame, _DATES[name])


def report_scope(engine: Engine, report: str, key: str = "", on: date | None = None) -> Scope:
    """What one report reads: a programme's report, that programme's rows; a nation's, its
    spells and their programmes' (with their contracts' sums); the matrix, the memberships in
    force on `on`; the contracts summary, every contract."""
    if report == "membership":
        return Scope(REPORT_FRAMES[report], terms_on=on, cited=("participation",))
    if report == "contracts":
        return Scope(REPORT_FRAMES[report], cited=("contract",))
    if report == "programme":
        p = Programme.__table__.c  # type: ignore[attr-defined]
        ids = select(p.id).where(p.slug == key)
    elif report == "nation":
        s = Participation.__table__.c  # type: ignore[attr-defined]
        ids = select(s.programme_id).where(s.nation_code == key).distinct()
    else:
        return Scope(REPORT_FRAMES[report])
    with engine.connect() as connection:
        found = tuple(sorted(connection.execute(ids).scalars()))
    if report == "nation":
        return Scope(REPORT_FRAMES[report], found, key, contract_sums=True)
    return Scope(REPORT_FRAMES[report], found)


def load_frames(engine: Engine, known: Known = None, scope: Scope = EVERYTHING) -> Frames:
    """Read the tables the reports use (those of `scope`: default every one, whole); the
    membership and programme terms and the fleet events as the registry held them at `known`
    (a change-set number; None: now)."""
    return Frames(**{name: _read(engine, name, known, scope) for name in _DATES})
