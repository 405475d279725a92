"""The only module that reads the database for reports: everything arrives as polars frames."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from datetime import date
from functools import cached_property
from typing import Any

import polars as pl
from sqlalchemy import Engine, Select, and_, func, select

from registry.amendments import AMENDED, ContractAmendment, amended_frame
from registry.contracts import Contract
from registry.fleet import FleetEvent
from registry.history import Known, created_after, recorded_by
from registry.nations import Nation
from registry.organisations import Organisation
from registry.participation import MembershipTerm, Participation
from registry.programme_terms import ProgrammeTerm
from registry.programme_versions import DESCRIBED, ProgrammeVersion
from registry.programmes import Programme

_QUERIES = {
    "nations": "SELECT code, name, kind, nato_member_since FROM nation ORDER BY name",
    "citations": """
        SELECT c.entity, c.entity_id, c.confidence, c.note, s.key AS source, s.title,
               s.publisher, s.url, s.published, s.published_precision
        FROM citation c JOIN source s ON s.id = c.source_id
        ORDER BY c.entity, c.entity_id, s.key""",
}

_DATES = {
    "programmes": ["launched"], "nations": ["nato_member_since"],
    "spells": ["joined", "left", "valid_from", "valid_to"], "contracts": ["signed"],
    "amendments": ["effective"],
    "standings": ["valid_from", "valid_to"],
    "fleet_events": ["event_date"], "citations": ["published"],
}  # fmt: skip


@dataclass(frozen=True)
class Frames:
    """Everything the reports show, read once."""

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
        signed = self.contracts.filter(pl.col("signed").is_null() | (pl.col("signed") <= on))
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


def _programmes(known: Known) -> Select[Any]:
    """Every programme with its description as known at `known` (those recorded after left out)."""
    p = Programme.__table__.c  # type: ignore[attr-defined]
    if known is None:
        return select(p.id, p.slug, *(getattr(p, n) for n in DESCRIBED)).order_by(p.name, p.id)
    v = ProgrammeVersion.__table__.c  # type: ignore[attr-defined]
    return (
        select(p.id, p.slug, *(getattr(v, n) for n in DESCRIBED))
        .join(ProgrammeVersion, and_(v.programme_id == p.id, recorded_by(v, known)))
        .order_by(v.name, p.id)
    )


def _spells(known: Known) -> Select[Any]:
    """One row per membership term the registry holds (`registry.history.recorded_by`): the
    term's period (`valid_from`, `valid_to`) and values, and its spell's `id`, `joined` and
    `left` (the first term's start and the last term's end)."""
    t, s, n = MembershipTerm.__table__.c, Participation.__table__.c, Nation.__table__.c  # type: ignore[attr-defined]
    first = {"partition_by": t.participation_id, "order_by": t.valid_from}
    last = {"partition_by": t.participation_id, "order_by": t.valid_from.desc()}
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
        .where(recorded_by(MembershipTerm.__table__.c, known))  # type: ignore[attr-defined]
        .order_by(s.programme_id, t.valid_from, n.name, s.id)
    )  # fmt: skip


def _standings(known: Known) -> Select[Any]:
    """One row per programme term the registry holds: status and managing organisation over
    [valid_from, valid_to)."""
    t, o = ProgrammeTerm.__table__.c, Organisation.__table__.c  # type: ignore[attr-defined]
    return (
        select(
            t.programme_id, t.status, o.slug.label("agency"), o.name.label("agency_name"),
            t.valid_from, t.valid_to,
        )
        .outerjoin_from(ProgrammeTerm, Organisation, o.id == t.managing_organisation_id)
        .where(recorded_by(ProgrammeTerm.__table__.c, known))  # type: ignore[attr-defined]
        .order_by(t.programme_id, t.valid_from)
    )  # fmt: skip


def _contracts(known: Known) -> Select[Any]:
    """Every contract recorded by `known`, as signed (`_amendments` holds what changed since)."""
    c = Contract.__table__.c  # type: ignore[attr-defined]
    k, a = (Organisation.__table__.alias(name) for name in ("k", "a"))  # type: ignore[attr-defined]
    return (
        select(
            c.id, c.programme_id, c.reference, c.title, c.kind, c.signed, c.signed_precision,
            c.value_minor, c.currency, k.c.name.label("contractor"), a.c.name.label("agency"),
            c.quantity, c.item,
        )
        .outerjoin(k, k.c.id == c.contractor_id)
        .outerjoin(a, a.c.id == c.awarding_organisation_id)
        .where(*([] if known is None else [c.id.not_in(created_after("contract", known))]))
        .order_by(c.programme_id, c.signed, c.id)
    )  # fmt: skip


def _amendments(known: Known) -> Select[Any]:
    """The contract amendments the registry held at `known`."""
    t = ContractAmendment.__table__.c  # type: ignore[attr-defined]
    columns = [getattr(t, name) for name in AMENDED]
    return (
        select(t.id, t.contract_id, t.effective, *columns)
        .where(recorded_by(t, known))
        .order_by(t.contract_id, t.effective, t.id)
    )


def _fleet_events(known: Known) -> Select[Any]:
    """The fleet events the registry holds (corrected and voided ones are replaced)."""
    t = FleetEvent.__table__.c  # type: ignore[attr-defined]
    return (
        select(
            t.id, t.programme_id, t.event_date, t.event_date_precision.label("precision"),
            t.kind, t.count, t.asset_type,
        )
        .where(recorded_by(t, known))
        .order_by(t.programme_id, t.event_date, t.id)
    )  # fmt: skip


_BUILT = {
    "programmes": _programmes, "spells": _spells, "standings": _standings, "contracts": _contracts,
    "amendments": _amendments, "fleet_events": _fleet_events,
}  # fmt: skip


def _read(engine: Engine, name: str, known: Known) -> pl.DataFrame:
    query = _BUILT[name](known) if name in _BUILT else _QUERIES[name]
    return _typed(pl.read_database(query, connection=engine), _DATES[name])


def load_frames(engine: Engine, known: Known = None) -> Frames:
    """Read every table the reports use; the membership and programme terms and the fleet
    events as the registry held them at `known` (a change-set number; None: now)."""
    return Frames(**{name: _read(engine, name, known) for name in _DATES})
