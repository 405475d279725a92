"""What goes over the wire: response and request shapes, and the conversions from registry rows."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Generic, TypeVar

import msgspec
import pycountry
from msgspec import UNSET, Meta, Struct, UnsetType

from registry.amendments import ContractAmendment
from registry.audit import Change, ChangeSet
from registry.checks import MAX_INT, SLUG
from registry.choices import (
    Category,
    ContractKind,
    FleetEventKind,
    Instrument,
    ProgrammeStatus,
    Role,
)
from registry.contracts import Contract
from registry.conversion import Converted, Total
from registry.database import pk
from registry.dates import PartialDate, Precision
from registry.diff import Diff
from registry.errors import InvalidValue
from registry.fleet import FleetEvent, FleetPoint, FleetSize
from registry.instruments import Signed
from registry.money import exponent, format_minor
from registry.nations import Nation
from registry.organisations import Organisation
from registry.participation import Spell
from registry.programmes import Programme
from registry.views import Member, ProgrammeView

# What the registry's rules accept, stated for the OpenAPI document (`extra_json_schema` only
# describes; the rules in `registry` refuse anything else with a 422 naming the field, the same
# from JSON, forms and imports). Request bodies are documented from msgspec's schema of these
# structs (api/docs.py), so a constraint written here is what clients are told.
_YEAR = "(19[0-9]{2}|2[01][0-9]{2})"  # registry.checks.YEARS: 1900 to 2199
_MONTH = "(0[1-9]|1[0-2])"
_DATES = [
    {"format": "date", "pattern": f"^{_YEAR}-"},
    {"pattern": f"^{_YEAR}-{_MONTH}$"},
    {"pattern": f"^{_YEAR}$"},
]
_DATE_TEXT = "ISO 8601 date at its known precision: a day, a month or a year"


def _values(kind: type[StrEnum]) -> list[str]:
    return [member.value for member in kind]


# Choices travel as text and the registry's rules check them, so a bad one is the same 422
# naming the field from JSON, forms, imports and the seed; the document still lists them.
CategoryChoice = Annotated[str, Meta(extra_json_schema={"enum": _values(Category)})]
StatusChoice = Annotated[str, Meta(extra_json_schema={"enum": _values(ProgrammeStatus)})]
RoleChoice = Annotated[str, Meta(extra_json_schema={"enum": _values(Role)})]
InstrumentChoice = Annotated[str, Meta(extra_json_schema={"enum": _values(Instrument)})]
ContractKindChoice = Annotated[str, Meta(extra_json_schema={"enum": _values(ContractKind)})]
FleetEventKindChoice = Annotated[str, Meta(extra_json_schema={"enum": _values(FleetEventKind)})]


IsoDate = Annotated[
    str,
    Meta(
        description=_DATE_TEXT,
        examples=["2016-07-01", "2016-07", "2012"],
        extra_json_schema={"anyOf": _DATES},
    ),
]
OptionalIsoDate = Annotated[
    str,
    Meta(
        description=f"{_DATE_TEXT}; empty for none",
        examples=["2016-07"],
        extra_json_schema={"anyOf": [*_DATES, {"maxLength": 0}]},
    ),
]


class SpanIn(Struct, forbid_unknown_fields=True, rename={"earliest": "from", "latest": "to"}):
    """A date known only to fall somewhere from one date to another (both included); answers
    write it as an ISO 8601 interval, `2025-01-01/2025-06-24`."""

    earliest: IsoDate
    latest: IsoDate


def span_text(value: Any, field: str = "signed") -> Any:
    """A span as the registry's rules read it (`2025-01/2025-06-24`); anything else as it is.
    In JSON a span is an object, as the document says: an interval in a string is refused."""
    if isinstance(value, SpanIn):
        return f"{value.earliest}/{value.latest}"
    if isinstance(value, str) and "/" in value:
        raise InvalidValue(field, 'give a span as {"from": ..., "to": ...}')
    return value


Amount = Annotated[
    str, Meta(description="Decimal amount, never a float", examples=["4700000000.00"])
]
Percent = Annotated[
    str,
    Meta(
        description="Percentage above 0 and at most 100, two decimals at most; empty for none",
        examples=["20.20"],
        extra_json_schema={
            "pattern": r"^(|100(\.00?)?|[1-9][0-9]?(\.[0-9]{1,2})?|0\.(0[1-9]|[1-9][0-9]?))$"
        },
    ),
]
Count = Annotated[int, Meta(extra_json_schema={"minimum": 1, "maximum": MAX_INT})]


def _trimmed(max_length: int, *, required: bool) -> Meta:
    """Text of at most `max_length` characters once trimmed; required text must not be blank."""
    pattern = (
        rf"^\s*[^\s\x00]([^\x00]{{0,{max_length - 2}}}[^\s\x00])?\s*$"
        if required
        else rf"^\s*[^\x00]{{0,{max_length}}}\s*$"
    )
    return Meta(extra_json_schema={"pattern": pattern})


Name = Annotated[str, _trimmed(200, required=True)]
Title = Annotated[str, _trimmed(300, required=True)]
Slug = Annotated[
    str, Meta(examples=["mmf"], extra_json_schema={"pattern": SLUG.pattern, "maxLength": 80})
]
Acronym = Annotated[str, _trimmed(40, required=False)]
Reference = Annotated[str, _trimmed(100, required=False)]
AssetType = Annotated[str, _trimmed(100, required=False)]
Item = Annotated[str, _trimmed(200, required=False)]
CapabilityArea = Annotated[str, _trimmed(200, required=False)]
Description = Annotated[str, _trimmed(4000, required=False)]
Note = Annotated[str, _trimmed(2000, required=False)]
CURRENCIES = sorted(currency.alpha_3 for currency in pycountry.currencies)
"""ISO 4217, as `registry.money.currency_code` checks it."""


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


class ConvertedOut(Struct):
    """A figure converted at the rate of its date: the original, the rate, its date and source."""

    amount: str
    currency: str
    original: Money
    rate: str
    """Units of `currency` per unit of the original's currency."""
    rate_date: date
    rate_source: str


class ConvertedPart(Struct):
    contract: int
    converted: ConvertedOut


class ConvertedTotalOut(Struct):
    amount: str
    currency: str
    contracts: list[ConvertedPart]


def converted_out(done: Converted) -> ConvertedOut:
    return ConvertedOut(
        format_minor(done.minor, done.currency), done.currency,
        money(done.original_minor, done.original_currency),
        f"{done.rate.quantize(Decimal('1e-10')).normalize():f}", done.rate_date, done.source,
    )  # fmt: skip


def converted_total_out(total: Total) -> ConvertedTotalOut:
    return ConvertedTotalOut(
        format_minor(total.minor, total.currency),
        total.currency,
        [ConvertedPart(number, converted_out(done)) for number, done in total.parts],
    )


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
    contracts_without_value: int
    """Of the contracts `contract_totals` counts (signed by `as_of`), those with no published
    value: the totals leave them out."""
    fleet: FleetOut | None
    instruments: list[InstrumentOut]
    """Documents nations signed (letters of intent, MoUs...) by `as_of`, or on a date unknown."""
    converted_total: ConvertedTotalOut | None = None
    """With `convert_to`: the contracts' total in that currency, each at its signing date's rate."""


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
    converted_total: ConvertedTotalOut | None = None
    """With `convert_to`: the contracts of those programmes signed by `as_of`, in one currency."""


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
    converted: ConvertedOut | None = None
    """With `convert_to`: the value in that currency at the rate of the signing date."""


class InstrumentOut(Struct):
    """A document nations signed within a programme that is not a membership."""

    id: int
    programme: str
    kind: str
    title: str
    signed: IsoDate | None
    """The signing date at its known precision; null when unknown."""
    signatories: list[NationOut]
    """The nations that signed, by name."""
    note: str | None


class FleetEventOut(Struct):
    id: int
    """A correction's row has an id of its own; `corrects` names the row it replaced."""
    date: IsoDate
    kind: str
    count: int
    asset_type: str
    contract: int | None
    note: str | None
    ordered: int
    in_service: int
    on_order: int
    corrects: int | None = None


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
    change_set: int | None
    entity_id: int | None


class FieldChangeOut(Struct):
    nation: str
    field: str
    before: str | None
    after: str | None
    effective: IsoDate


class FleetChangeOut(Struct):
    before: FleetOut | None
    after: FleetOut | None


class AmendedOut(Struct):
    """An amendment with the contract it amends."""

    contract: int
    reference: str | None
    amendment: AmendmentOut


class DiffOut(Struct, rename={"start": "from", "end": "to"}):
    start: str
    end: str
    joined: list[ParticipationOut]
    left: list[ParticipationOut]
    changed: list[FieldChangeOut]
    fleet: FleetChangeOut
    contracts: list[ContractOut]
    amended: list[AmendedOut]
    voided: list[ContractOut]
    """Contracts voided in between (record moments only), as they were before."""


class ChangeSetOut(Struct):
    id: int
    recorded_at: datetime
    actor: str
    request_id: str | None
    comment: str | None
    changes: list[ChangeOut]


class Health(Struct):
    status: str
    database: str


# --- requests ------------------------------------------------------------------------------


class ProgrammeIn(Struct, forbid_unknown_fields=True):
    slug: Slug
    name: Name
    category: CategoryChoice
    status: StatusChoice = ProgrammeStatus.ACTIVE.value
    acronym: Acronym | None = None
    managing_organisation: Annotated[str | None, Meta(description="organisation slug")] = None
    launched: OptionalIsoDate | None = None
    description: Description | None = None
    capability_area: CapabilityArea | None = None
    asset_type: AssetType | None = None


Effective = Annotated[
    OptionalIsoDate,
    Meta(
        description="The date a change of dated fields holds from (default today; with "
        "correction: the whole history). Earlier dates keep their values."
    ),
]
Correction = Annotated[
    bool,
    Meta(
        description="Fix what was recorded instead of recording a change in the world; reads "
        "as known before it still see the old values."
    ),
]


class ProgrammePatch(Struct, forbid_unknown_fields=True, omit_defaults=True):
    slug: Slug | UnsetType = UNSET
    name: Name | UnsetType = UNSET
    category: CategoryChoice | UnsetType = UNSET
    status: StatusChoice | UnsetType = UNSET
    acronym: Acronym | UnsetType | None = UNSET
    managing_organisation: str | UnsetType | None = UNSET
    launched: OptionalIsoDate | UnsetType | None = UNSET
    description: Description | UnsetType | None = UNSET
    capability_area: CapabilityArea | UnsetType | None = UNSET
    asset_type: AssetType | UnsetType | None = UNSET
    effective: Effective | UnsetType = UNSET
    correction: Correction | UnsetType = UNSET


class MemberIn(Struct, forbid_unknown_fields=True):
    nation: Annotated[str, Meta(description="alpha-3, alpha-2 or English name", examples=["DNK"])]
    joined: IsoDate
    role: RoleChoice = Role.PARTICIPANT.value
    instrument: InstrumentChoice | None = None
    cost_share: Percent | None = None
    note: Note | None = None


class MemberPatch(Struct, forbid_unknown_fields=True, omit_defaults=True):
    role: RoleChoice | UnsetType = UNSET
    instrument: InstrumentChoice | UnsetType | None = UNSET
    cost_share: Percent | UnsetType | None = UNSET
    note: Note | UnsetType | None = UNSET
    left: Annotated[
        OptionalIsoDate | UnsetType | None,
        Meta(
            description="The day the spell ends; with correction, null or empty takes a leave back."
        ),
    ] = UNSET
    effective: Effective | UnsetType = UNSET
    correction: Correction | UnsetType = UNSET


def _amounts() -> list[dict[str, Any]]:
    """An amount has at most as many decimals as its currency's minor unit (JPY 0, EUR 2)."""
    by_places: dict[int, list[str]] = {}
    for currency in CURRENCIES:
        by_places.setdefault(exponent(currency), []).append(currency)
    return [
        {
            "properties": {
                "currency": {"enum": codes},
                "amount": {"pattern": rf"^[0-9]{{1,12}}(\.[0-9]{{1,{places}}})?$" if places
                           else "^[0-9]{1,12}$"},
            }
        }
        for places, codes in sorted(by_places.items())
    ]  # fmt: skip


class MoneyIn(Struct, forbid_unknown_fields=True):
    """An amount (decimal string, under one trillion) in an ISO 4217 currency."""

    amount: Amount
    currency: Annotated[str, Meta(examples=["EUR"])]

    json_schema_extra: ClassVar[dict[str, Any]] = {"anyOf": _amounts()}
    """Merged into the documented schema (api/docs.py): the pairs the rules accept."""


class ContractIn(Struct, forbid_unknown_fields=True):
    title: Title
    kind: ContractKindChoice
    reference: Reference | None = None
    signed: Annotated[
        OptionalIsoDate | SpanIn | None,
        Meta(
            description='A date, or `{"from", "to"}` when it is known only to fall '
            "between two dates"
        ),
    ] = None
    value: MoneyIn | None = None
    contractor: Annotated[str | None, Meta(description="organisation slug")] = None
    awarding_organisation: Annotated[str | None, Meta(description="organisation slug")] = None
    quantity: Count | None = None
    item: Item | None = None
    note: Note | None = None


class FleetEventIn(Struct, forbid_unknown_fields=True):
    date: IsoDate
    kind: FleetEventKindChoice
    count: Count
    asset_type: AssetType | None = None
    contract: Annotated[int | None, Meta(description="id of a contract of this programme")] = None
    note: Note | None = None


class AmendmentIn(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """What changes from `effective` on: at least one of title, value and quantity."""

    json_schema_extra: ClassVar[dict[str, Any]] = {
        "anyOf": [{"required": [name]} for name in ("title", "value", "quantity")]
    }
    """Merged into the documented schema (api/docs.py): what the rule asks for."""

    effective: Effective | UnsetType = UNSET
    title: Title | UnsetType = UNSET
    value: MoneyIn | UnsetType = UNSET
    quantity: Count | UnsetType = UNSET
    note: Note | UnsetType | None = UNSET
    correction: Correction | UnsetType = UNSET


class AmendmentOut(Struct):
    id: int
    effective: IsoDate
    title: str | None
    value: Money | None
    quantity: int | None
    note: str | None
    correction: bool


def amendment_out(amendment: ContractAmendment) -> AmendmentOut:
    value = amendment.value_minor
    return AmendmentOut(
        id=amendment.id or 0,
        effective=PartialDate(amendment.effective, Precision(amendment.effective_precision))
        .isoformat(),
        title=amendment.title,
        value=money(value, amendment.currency) if value is not None and amendment.currency
        else None,
        quantity=amendment.quantity,
        note=amendment.note,
        correction=amendment.correction,
    )  # fmt: skip


Reason = Annotated[
    str,
    _trimmed(2000, required=True),
    Meta(description="Why the record is corrected or voided (kept with the change)"),
]


class FleetEventPatch(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A correction of what was recorded: the fields given replace the event's, with a reason."""

    reason: Reason
    date: IsoDate | UnsetType = UNSET
    kind: FleetEventKindChoice | UnsetType = UNSET
    count: Count | UnsetType = UNSET
    asset_type: AssetType | UnsetType | None = UNSET
    contract: Annotated[int | UnsetType | None, Meta(description="id of a contract")] = UNSET
    note: Note | UnsetType | None = UNSET


class InstrumentIn(Struct, forbid_unknown_fields=True):
    kind: InstrumentChoice
    title: Title
    signatories: Annotated[
        list[Annotated[str, Meta(min_length=1, max_length=100)]],
        Meta(
            min_length=1,
            extra_json_schema={"uniqueItems": True},
            description="The nations that signed, each once: alpha-3, alpha-2 or English name",
            examples=[["DNK", "FIN", "NOR", "SWE"]],
        ),
    ]
    signed: Annotated[
        OptionalIsoDate | None, Meta(description="When it was signed; null or empty: unknown")
    ] = None
    note: Note | None = None


def plain(body: Struct) -> dict[str, Any]:
    """A request body as keyword arguments for a registry function."""
    return msgspec.structs.asdict(body)


def money(minor: int, currency: str) -> Money:
    return Money(format_minor(minor, currency), currency)


def given(patch: Struct) -> dict[str, Any]:
    """The fields a PATCH body actually carries."""
    return {k: v for k, v in msgspec.structs.asdict(patch).items() if v is not UNSET}


# --- conversions ---------------------------------------------------------------------------


def programme_detail(
    view: ProgrammeView, as_of: date, instruments: list[Signed]
) -> ProgrammeDetail:
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
        contracts_without_value=view.contracts_without_value,
        fleet=fleet_out(view.fleet, view.asset_type),
        instruments=[instrument_out(signed, view.slug) for signed in instruments],
    )


def nation_out(nation: Nation) -> NationOut:
    return NationOut(nation.code, nation.name, nation.kind, nation.nato_member_since)


def instrument_out(signed: Signed, programme: str) -> InstrumentOut:
    instrument = signed.instrument
    return InstrumentOut(
        id=pk(instrument), programme=programme, kind=instrument.kind, title=instrument.title,
        signed=iso(instrument.signed_on), signatories=[nation_out(n) for n in signed.signatories],
        note=instrument.note,
    )  # fmt: skip


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


def participation_out(participation: Spell, nation: Nation) -> ParticipationOut:
    return member_out(Member.of(participation, nation))


def programme_out(programme: Programme, agency: str | None, status: str) -> ProgrammeOut:
    return ProgrammeOut(
        slug=programme.slug,
        name=programme.name,
        acronym=programme.acronym,
        category=programme.category,
        status=status,
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
        corrects=event.corrects,
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
        request_id=change.request_id, change_set=change.change_set_id, entity_id=change.entity_id,
    )  # fmt: skip


def diff_out(diff: Diff, start: str, end: str, asset_type: str | None, programme: str) -> DiffOut:
    def value(field: str, raw: Any) -> str | None:
        return percent(raw) if field == "cost_share" else raw

    return DiffOut(
        start=start,
        end=end,
        joined=[participation_out(s, n) for s, n in diff.joined],
        left=[participation_out(s, n) for s, n in diff.left],
        changed=[
            FieldChangeOut(
                c.nation,
                c.field,
                value(c.field, c.before),
                value(c.field, c.after),
                c.effective.isoformat(),
            )
            for c in diff.changed
        ],
        fleet=FleetChangeOut(
            fleet_out(diff.fleet_before, asset_type), fleet_out(diff.fleet_after, asset_type)
        ),
        contracts=[contract_out(c, programme, by, awarded) for c, _, by, awarded in diff.contracts],
        amended=[AmendedOut(pk(c), c.reference, amendment_out(a)) for c, a in diff.amended],
        voided=[contract_out(c, programme, by, awarded) for c, _, by, awarded in diff.voided],
    )


def change_set_out(change_set: ChangeSet, changes: list[Change]) -> ChangeSetOut:
    return ChangeSetOut(
        id=change_set.id or 0, recorded_at=change_set.recorded_at, actor=change_set.actor,
        request_id=change_set.request_id, comment=change_set.comment,
        changes=[change_out(change) for change in changes],
    )  # fmt: skip
