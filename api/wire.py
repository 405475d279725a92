"""What goes over the wire: response and request shapes, and the conversions from registry rows."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from registry.audit import Change
from registry.choices import (
    Category,
    ContractKind,
    FleetEventKind,
    Instrument,
    ProgrammeStatus,
    Role,
)
from registry.contracts import Contract
from registry.dates import PartialDate
from registry.fleet import FleetEvent, FleetPoint, FleetSize
from registry.money import format_minor
from registry.nations import Nation
from registry.organisations import Organisation
from registry.participation import Participation
from registry.programmes import Programme
from registry.views import Member, ProgrammeView

IsoDate = Annotated[
    str,
    Meta(
        description="ISO 8601 date at its known precision",
        examples=["2016-07-01", "2016-07", "2012"],
    ),
]
Amount = Annotated[
    str, Meta(description="Decimal amount, never a float", examples=["4700000000.00"])
]
Percent = Annotated[
    Decimal, Meta(description="Percentage, two decimals at most", examples=["20.20"])
]


def iso(value: PartialDate | None) -> str | None:
    return value.isoformat() if value else None


def percent(bp: int | None) -> str | None:
    return None if bp is None else format_minor(bp, "EUR")  # two decimals, like cents


# --- responses -----------------------------------------------------------------------------

T = TypeVar("T")


class Page(Struct, Generic[T]):
    """One page of a list; `total` counts every matching row."""

    items: list[T]
    total: int
    limit: int
    offset: int


class Money(Struct):
    amount: Amount
    currency: Annotated[str, Meta(examples=["EUR"])]


class NationOut(Struct):
    code: Annotated[str, Meta(examples=["SWE"])]
    name: str
    kind: str
    nato_member_since: date | None


class ParticipationOut(Struct):
    nation: Annotated[str, Meta(examples=["DNK"])]
    nation_name: str
    role: str
    instrument: str | None
    joined: IsoDate
    left: IsoDate | None
    cost_share: Annotated[str | None, Meta(examples=["20.20"])]
    note: str | None
    version: int


class FleetOut(Struct):
    asset_type: str
    ordered: int
    in_service: int
    on_order: int


class ProgrammeOut(Struct):
    slug: str
    name: str
    acronym: str | None
    category: str
    status: str
    managing_organisation: str | None
    launched: IsoDate | None
    asset_type: str | None
    version: int


class ProgrammeDetail(Struct):
    slug: str
    name: str
    acronym: str | None
    category: str
    status: str
    managing_organisation: str | None
    launched: IsoDate | None
    description: str | None
    capability_area: str | None
    asset_type: str | None
    version: int
    as_of: date
    members: list[ParticipationOut]
    contract_totals: list[Money]
    fleet: FleetOut | None


class NationProgramme(Struct):
    slug: str
    name: str
    role: str
    instrument: str | None
    joined: IsoDate
    left: IsoDate | None
    cost_share: str | None


class NationDetail(Struct):
    code: str
    name: str
    kind: str
    nato_member_since: date | None
    as_of: date
    programmes: list[NationProgramme]


class OrganisationOut(Struct):
    slug: str
    name: str
    kind: str
    country: str | None
    version: int


class OrganisationDetail(Struct):
    slug: str
    name: str
    kind: str
    country: str | None
    version: int
    manages: list[str]


class ContractOut(Struct):
    id: int
    programme: str
    reference: str | None
    title: str
    kind: str
    signed: IsoDate | None
    value: Money | None
    contractor: str | None
    awarding_organisation: str | None
    quantity: int | None
    item: str | None
    note: str | None
    version: int


class FleetEventOut(Struct):
    id: int
    date: IsoDate
    kind: str
    count: int
    asset_type: str
    contract: int | None
    note: str | None
    ordered: int
    in_service: int
    on_order: int


class ChangeOut(Struct):
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    key: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None


class Health(Struct):
    status: str
    database: str


# --- requests ------------------------------------------------------------------------------


class ProgrammeIn(Struct, forbid_unknown_fields=True):
    slug: Annotated[str, Meta(examples=["mmf"])]
    name: str
    category: Category
    status: ProgrammeStatus = ProgrammeStatus.ACTIVE
    acronym: str | None = None
    managing_organisation: Annotated[str | None, Meta(description="organisation slug")] = None
    launched: IsoDate | None = None
    description: str | None = None
    capability_area: str | None = None
    asset_type: str | None = None


class ProgrammePatch(Struct, forbid_unknown_fields=True, omit_defaults=True):
    slug: str | UnsetType = UNSET
    name: str | UnsetType = UNSET
    category: Category | UnsetType = UNSET
    status: ProgrammeStatus | UnsetType = UNSET
    acronym: str | UnsetType | None = UNSET
    managing_organisation: str | UnsetType | None = UNSET
    launched: IsoDate | UnsetType | None = UNSET
    description: str | UnsetType | None = UNSET
    capability_area: str | UnsetType | None = UNSET
    asset_type: str | UnsetType | None = UNSET


class MemberIn(Struct, forbid_unknown_fields=True):
    nation: Annotated[str, Meta(description="alpha-3, alpha-2 or English name", examples=["DNK"])]
    joined: IsoDate
    role: Role = Role.PARTICIPANT
    instrument: Instrument | None = None
    cost_share: Percent | None = None
    note: str | None = None


class MemberPatch(Struct, forbid_unknown_fields=True, omit_defaults=True):
    role: Role | UnsetType = UNSET
    instrument: Instrument | UnsetType | None = UNSET
    cost_share: Percent | UnsetType | None = UNSET
    note: str | UnsetType | None = UNSET
    left: IsoDate | UnsetType = UNSET


class ContractIn(Struct, forbid_unknown_fields=True):
    title: str
    kind: ContractKind
    reference: str | None = None
    signed: IsoDate | None = None
    value: Money | None = None
    contractor: str | None = None
    awarding_organisation: str | None = None
    quantity: int | None = None
    item: str | None = None
    note: str | None = None


class FleetEventIn(Struct, forbid_unknown_fields=True):
    date: IsoDate
    kind: FleetEventKind
    count: int
    asset_type: str | None = None
    contract: Annotated[int | None, Meta(description="id of a contract of this programme")] = None
    note: str | None = None


def plain(body: Struct) -> dict[str, Any]:
    """A request body as keyword arguments for a registry function."""
    return msgspec.structs.asdict(body)


def money(minor: int, currency: str) -> Money:
    return Money(format_minor(minor, currency), currency)


def given(patch: Struct) -> dict[str, Any]:
    """The fields a PATCH body actually carries."""
    return {k: v for k, v in msgspec.structs.asdict(patch).items() if v is not UNSET}


# --- conversions ---------------------------------------------------------------------------


def programme_detail(view: ProgrammeView, as_of: date) -> ProgrammeDetail:
    return ProgrammeDetail(
        slug=view.slug,
        name=view.name,
        acronym=view.acronym,
        category=view.category,
        status=view.status,
        managing_organisation=view.managing_organisation,
        launched=iso(view.launched),
        description=view.description,
        capability_area=view.capability_area,
        asset_type=view.asset_type,
        version=view.version,
        as_of=as_of,
        members=[member_out(m) for m in view.members],
        contract_totals=[money(total, currency) for currency, total in view.totals],
        fleet=fleet_out(view.fleet, view.asset_type),
    )


def nation_out(nation: Nation) -> NationOut:
    return NationOut(nation.code, nation.name, nation.kind, nation.nato_member_since)


def member_out(member: Member) -> ParticipationOut:
    return ParticipationOut(
        nation=member.code,
        nation_name=member.name,
        role=member.role,
        instrument=member.instrument,
        joined=member.joined.isoformat(),
        left=iso(member.left),
        cost_share=percent(member.cost_share_bp),
        note=member.note,
        version=member.version,
    )


def participation_out(participation: Participation, nation: Nation) -> ParticipationOut:
    return member_out(Member.of(participation, nation))


def programme_out(programme: Programme, agency: str | None) -> ProgrammeOut:
    return ProgrammeOut(
        slug=programme.slug,
        name=programme.name,
        acronym=programme.acronym,
        category=programme.category,
        status=programme.status,
        managing_organisation=agency,
        launched=iso(programme.launched_on),
        asset_type=programme.asset_type,
        version=programme.version,
    )


def fleet_out(sizes: list[FleetSize], asset_type: str | None) -> FleetOut | None:
    """The programme's own asset type when it has one, else the first recorded."""
    chosen = next((s for s in sizes if s.asset_type == asset_type), sizes[0] if sizes else None)
    if chosen is None:
        return None
    return FleetOut(chosen.asset_type, chosen.ordered, chosen.in_service, chosen.on_order)


def contract_out(
    contract: Contract, programme: str, contractor: str | None, awarding: str | None
) -> ContractOut:
    amount = contract.amount
    return ContractOut(
        id=contract.id or 0,
        programme=programme,
        reference=contract.reference,
        title=contract.title,
        kind=contract.kind,
        signed=iso(contract.signed_on),
        value=Money(amount, contract.currency or "") if amount is not None else None,
        contractor=contractor,
        awarding_organisation=awarding,
        quantity=contract.quantity,
        item=contract.item,
        note=contract.note,
        version=contract.version,
    )


def fleet_event_out(point: FleetPoint[FleetEvent]) -> FleetEventOut:
    event = point.event
    return FleetEventOut(
        id=event.id or 0,
        date=event.date_on.isoformat(),
        kind=event.kind,
        count=event.count,
        asset_type=event.asset_type,
        contract=event.contract_id,
        note=event.note,
        ordered=point.ordered,
        in_service=point.in_service,
        on_order=point.on_order,
    )


def organisation_out(organisation: Organisation) -> OrganisationOut:
    return OrganisationOut(
        organisation.slug, organisation.name, organisation.kind, organisation.country,
        organisation.version,
    )  # fmt: skip


def change_out(change: Change) -> ChangeOut:
    return ChangeOut(
        id=change.id or 0, at=change.at, actor=change.actor, action=change.action,
        entity=change.entity, key=change.key, before=change.before, after=change.after,
        request_id=change.request_id,
    )  # fmt: skip
