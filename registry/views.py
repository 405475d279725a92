"""Read models for the busiest answer, the programme detail: Core statements built once, plain rows.

Same meaning as `members_on`, `contract_totals` and `fleet_on`, at a fraction of the ORM's cost;
tests/test_views.py holds the two to the same answers.
"""

# SQLModel types table attributes as Python values, which SQLAlchemy's typed overloads reject.
# mypy: disable-error-code="arg-type, call-overload, misc"

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import BindParameter, and_, bindparam, select
from sqlmodel import Session, col

from registry.amendments import amended_totals, split_totals
from registry.contracts import Contract, held
from registry.dates import PartialDate, Precision
from registry.errors import NotFound
from registry.fleet import FleetEvent, FleetSize, sizes_on, timeline
from registry.history import Known, recorded_by
from registry.nations import Nation
from registry.organisations import Organisation
from registry.participation import Spell, member_rows
from registry.programme_terms import ProgrammeTerm, standing_on
from registry.programme_versions import DESCRIBED, ProgrammeVersion, version_known
from registry.programmes import Programme


@dataclass(frozen=True)
class Member:
    code: str
    name: str
    role: str
    instrument: str | None
    joined: PartialDate
    left: PartialDate | None
    cost_share_bp: int | None
    note: str | None
    version: int

    @classmethod
    def of(cls, participation: Spell, nation: Nation) -> Member:
        return cls(
            nation.code, nation.name, participation.role, participation.instrument,
            participation.joined_on, participation.left_on, participation.cost_share_bp,
            participation.note, participation.version,
        )  # fmt: skip


@dataclass(frozen=True)
class EventRow:
    id: int
    counts_from: date
    kind: str
    count: int
    asset_type: str


@dataclass(frozen=True)
class ProgrammeView:
    slug: str
    name: str
    acronym: str | None
    category: str
    status: str
    managing_organisation: str | None
    launched: PartialDate | None
    description: str | None
    capability_area: str | None
    asset_type: str | None
    version: int
    members: list[Member]
    totals: list[tuple[str, int]]
    contracts_without_value: int
    """Of the contracts `totals` counts, those with no value (left out of the totals)."""
    fleet: list[FleetSize]


def _programme(known: Known) -> Any:
    """The programme row with its description as known at `known` and the status and managing
    organisation in force on `on` as known then (two shapes, each built once)."""
    shape = known is not None
    if shape not in _PROGRAMME:
        at: BindParameter[Any] | None = bindparam("known") if shape else None
        source: Any = ProgrammeVersion if shape else Programme
        query = (
            select(
                Programme.id,
                Programme.slug,
                *(getattr(source, name) for name in DESCRIBED),
                col(ProgrammeTerm.status),
                col(Organisation.slug).label("agency"),
                Programme.version,
            )
            .outerjoin(
                ProgrammeTerm,
                and_(
                    col(ProgrammeTerm.programme_id) == col(Programme.id),
                    standing_on(bindparam("on"), at),
                ),
            )
            .outerjoin(Organisation, col(ProgrammeTerm.managing_organisation_id) == Organisation.id)
            .where(col(Programme.slug) == bindparam("slug"))
        )
        if shape:
            query = query.join(
                ProgrammeVersion,
                and_(col(ProgrammeVersion.programme_id) == col(Programme.id), version_known(at)),
            )
        _PROGRAMME[shape] = query
    return _PROGRAMME[shape]


_PROGRAMME: dict[bool, Any] = {}
_TOTALS = amended_totals(
    [col(Contract.programme_id) == bindparam("id"), *held(None)], bindparam("on")
)
_EVENTS = select(
    FleetEvent.id,
    FleetEvent.event_date,
    FleetEvent.event_date_precision,
    FleetEvent.kind,
    FleetEvent.count,
    FleetEvent.asset_type,
).where(col(FleetEvent.programme_id) == bindparam("id"))
# As known at a change set: only the contracts and fleet events recorded by then.
_TOTALS_KNOWN = amended_totals(
    [
        col(Contract.programme_id) == bindparam("id"),
        *held(bindparam("known")),
    ],
    bindparam("on"),
    bindparam("known"),
)
_EVENTS_KNOWN = _EVENTS.where(recorded_by(FleetEvent, bindparam("known")))
_EVENTS = _EVENTS.where(recorded_by(FleetEvent, None))


def programme_view(session: Session, slug: str, on: date, known: Known = None) -> ProgrammeView:
    """The programme with its members, the totals of contracts signed by then and its fleet
    size, all on `on`, as the registry knew them at `known`."""
    connection = session.connection()
    values: dict[str, Any] = {"slug": slug, "on": on}
    if known is not None:
        values["known"] = known
    row = connection.execute(_programme(known), values).first()
    if row is None or row.status is None:  # none, or not recorded yet as known then
        raise NotFound("slug", f"no programme {slug!r}")
    id_ = row.id
    members = [
        Member(code, name, role, instrument, PartialDate(start, Precision(precision)), None, share,
               note, version)
        for (_, _, code, version, name, role, instrument, share, note, start, precision)
        in member_rows(session, "programme", id_, on, known)
    ]  # fmt: skip
    at = {"id": id_, "on": on, "known": known}
    totals_, events_ = (_TOTALS, _EVENTS) if known is None else (_TOTALS_KNOWN, _EVENTS_KNOWN)
    totals, unvalued = split_totals(connection.execute(totals_, at).all())
    events = [
        EventRow(event_id, PartialDate(day, Precision(precision)).end, kind, count, asset)
        for event_id, day, precision, kind, count, asset in connection.execute(events_, at)
    ]
    return ProgrammeView(
        slug=row.slug,
        name=row.name,
        acronym=row.acronym,
        category=row.category,
        status=row.status,
        managing_organisation=row.agency,
        launched=PartialDate.stored(row.launched, row.launched_precision),
        description=row.description,
        capability_area=row.capability_area,
        asset_type=row.asset_type,
        version=row.version,
        members=members,
        totals=totals,
        contracts_without_value=unvalued,
        fleet=sizes_on(timeline(events), on),
    )
