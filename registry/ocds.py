"""The registry's contracts in the Open Contracting Data Standard 1.1.5: release and record
packages.

One contracting process (`ocid`) per contract. Every change set that touched the contract (its
recording, each amendment or correction) is one release: the contract as that change set left it.
The first is tagged `contract`; a later one `contractAmendment`, or `contractUpdate` when it only
corrects what was recorded (the codelist keeps amendments for legal changes). A contract with no
audit row (bulk-built data, which `registry.history` counts as always known) has one release, at
the registry's first change set. Voided contracts are left out: the registry holds them as never
signed. Parties and cost shares are read as the registry holds them now: a release restates the
contract's own history, not the organisations' or the memberships'.

What the standard asks and the registry does not know is left out rather than filled: no contract
period or status, no award date, no tender. Dates known to the month or year are given as the
first moment of their period (OCDS dates are date-times). `initiationType` is required and its
closed codelist has one code, `tender`.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import msgspec
import polars as pl
from sqlmodel import Session, col, select

from registry.amendments import AMENDED, ContractAmendment, amended_frame
from registry.audit import Change, ChangeSet
from registry.contracts import Contract, held
from registry.database import pk
from registry.dates import PartialDate, Precision
from registry.errors import NotFound
from registry.export import percent_text
from registry.history import holds, recorded_by
from registry.money import format_minor
from registry.nations import Nation
from registry.ocds_merge import compile_releases
from registry.organisations import Organisation
from registry.participation import (
    FULL_SHARE_BP,
    Participation,
    Spell,
    Term,
    spell_on,
    spell_terms,
)
from registry.programme_terms import ProgrammeTerm
from registry.programmes import Programme, get_programme

Json = dict[str, Any]

OCID_PREFIX = "ocds-registry-contract-"
"""Not a registered OCDS prefix (the Open Contracting Partnership issues those, `ocds-` and six
characters): a publisher of this registry's data asks for one and puts it here."""
VERSION = "1.1"
PUBLISHER: Json = {"name": "Programme registry"}
BUDGET_BREAKDOWN = (
    "https://raw.githubusercontent.com/open-contracting-extensions/"
    "ocds_budget_breakdown_extension/master/extension.json"
)
"""The budget breakdown extension's extension.json as its publisher names it: declared, never
fetched (its schema and codelist are in tests/ocds/extensions for the tests)."""
EXTENSIONS = [BUDGET_BREAKDOWN]

_encoder = msgspec.json.Encoder(decimal_format="number")


def encode(package: Json) -> bytes:
    """A package as JSON: amounts (Decimals) as numbers with the currency's decimal places."""
    return _encoder.encode(package)


def ocid(contract_id: int) -> str:
    return f"{OCID_PREFIX}{contract_id}"


def release_id(contract_id: int, change_set: int) -> str:
    return f"{ocid(contract_id)}-{change_set}"


def date_time(value: date | datetime) -> str:
    """An OCDS date-time in UTC; a date is its first moment."""
    if not isinstance(value, datetime):
        return f"{value.isoformat()}T00:00:00Z"
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def money(minor: int, currency: str) -> Json:
    """{amount, currency}: the amount a Decimal with exactly the currency's ISO 4217 places."""
    return {"amount": Decimal(format_minor(minor, currency)), "currency": currency}


def share_of(minor: int, bp: int, currency: str) -> Json:
    """`bp` basis points of an amount, rounded half-even to the currency's minor unit."""
    part = (Decimal(minor) * bp / FULL_SHARE_BP).quantize(Decimal(1), ROUND_HALF_EVEN)
    return money(int(part), currency)


@dataclass(frozen=True)
class Step:
    """A change set that touched a contract: one release."""

    number: int
    recorded_at: datetime


@dataclass
class Facts:
    """What the releases are built from, read once for every contract in the export."""

    contracts: list[tuple[Contract, Programme]]
    steps: dict[int, list[Step]]
    amendments: dict[int, list[ContractAmendment]]
    organisations: dict[int, Organisation]
    spells: dict[int, list[tuple[Participation, Nation, list[Term]]]]
    managers: dict[int, list[ProgrammeTerm]]
    on: date


def _read(session: Session, programme: str | None, on: date) -> Facts:
    where: list[Any] = list(held(None))
    if programme is not None:
        found = get_programme(session, programme, field="programme")
        where.append(col(Contract.programme_id) == found.id)
    pairs = list(
        session.exec(
            select(Contract, Programme)
            .join(Programme, col(Programme.id) == col(Contract.programme_id))
            .where(*where)
            .order_by(col(Contract.id))
        )
    )
    if not pairs:
        scope = f"programme {programme!r}" if programme else "the registry"
        raise NotFound("programme", f"{scope} holds no contracts to publish")
    ids = select(col(Contract.id)).where(*where)
    amendments: dict[int, list[ContractAmendment]] = defaultdict(list)
    for amendment in session.exec(
        select(ContractAmendment)
        .where(col(ContractAmendment.contract_id).in_(ids))
        .order_by(col(ContractAmendment.effective), col(ContractAmendment.id))
    ):
        amendments[amendment.contract_id].append(amendment)
    programme_ids = {p.id for _, p in pairs}
    spells: dict[int, list[tuple[Participation, Nation, list[Term]]]] = defaultdict(list)
    for spell, nation, terms in spell_terms(
        session, [col(Participation.programme_id).in_(programme_ids)]
    ):
        spells[spell.programme_id].append((spell, nation, terms))
    managers: dict[int, list[ProgrammeTerm]] = defaultdict(list)
    for term in session.exec(
        select(ProgrammeTerm).where(
            col(ProgrammeTerm.programme_id).in_(programme_ids), recorded_by(ProgrammeTerm, None)
        )
    ):
        managers[term.programme_id].append(term)
    named = {c.contractor_id for c, _ in pairs} | {c.awarding_organisation_id for c, _ in pairs}
    named |= {t.managing_organisation_id for terms in managers.values() for t in terms}
    organisations = {
        o.id or 0: o
        for o in session.exec(select(Organisation).where(col(Organisation.id).in_(named - {None})))
    }
    steps = _steps(session, [pk(c) for c, _ in pairs], ids)
    return Facts(pairs, steps, amendments, organisations, spells, managers, on)


def _steps(session: Session, contracts: list[int], ids: Any) -> dict[int, list[Step]]:
    """Each contract's change sets, oldest first: those of its audit rows; for a contract with
    no audit row of its recording, the registry's first change set before them."""
    steps: dict[int, list[Step]] = defaultdict(list)
    created: set[int] = set()
    touched = session.exec(
        select(Change.entity_id, Change.action, ChangeSet.id, ChangeSet.recorded_at)
        .join(ChangeSet, col(ChangeSet.id) == col(Change.change_set_id))
        .where(col(Change.entity) == "contract", col(Change.entity_id).in_(ids))
        .distinct()
    )
    for contract_id, action, number, recorded_at in touched:
        assert contract_id is not None
        assert number is not None
        if action == "create":
            created.add(contract_id)
        if all(step.number != number for step in steps[contract_id]):
            steps[contract_id].append(Step(number, recorded_at))
    first = session.exec(select(ChangeSet).order_by(col(ChangeSet.id)).limit(1)).first()
    for contract_id in contracts:
        known = steps[contract_id]
        unrecorded = contract_id not in created and first is not None
        if unrecorded and first and all(step.number != first.id for step in known):
            known.append(Step(pk(first), first.recorded_at))
        known.sort(key=lambda step: step.number)
    return steps


_CONTRACT_SCHEMA = {"id": pl.Int64, "title": pl.String, "value_minor": pl.Int64,
                    "currency": pl.String, "quantity": pl.Int64}  # fmt: skip
_AMENDMENT_SCHEMA = {"id": pl.Int64, "contract_id": pl.Int64, "effective": pl.Date,
                     **{name: _CONTRACT_SCHEMA[name] for name in AMENDED}}  # fmt: skip


def _held_at(amendments: Iterable[ContractAmendment], number: int) -> list[ContractAmendment]:
    """The amendments the registry held once change set `number` was recorded (`recorded_by`
    over rows already read)."""
    return [
        a for a in amendments
        if a.recorded_in <= number and (a.superseded_in is None or a.superseded_in > number)
    ]  # fmt: skip


def _values(contract: Contract, amendments: list[ContractAmendment], on: date) -> dict[str, Any]:
    """The contract's title, value and quantity on `on` given these amendments: the registry's
    one rule (`amended_frame`, the frames' reading of `amended`)."""
    if not amendments:
        return contract.model_dump(include=set(AMENDED))
    contracts = pl.DataFrame([contract.model_dump(include=set(_CONTRACT_SCHEMA))],
                             schema=_CONTRACT_SCHEMA)  # fmt: skip
    rows = [a.model_dump(include=set(_AMENDMENT_SCHEMA)) for a in amendments]
    frame = pl.DataFrame(rows, schema=_AMENDMENT_SCHEMA)
    read: dict[str, Any] = amended_frame(contracts, frame, on).row(0, named=True)
    return read


def _amendment(contract_id: int, amendment: ContractAmendment, previous: dict[int, str]) -> Json:
    effective = PartialDate(amendment.effective, Precision(amendment.effective_precision))
    sets = []
    if amendment.title is not None:
        sets.append(f'title "{amendment.title}"')
    if amendment.value_minor is not None and amendment.currency is not None:
        sets.append(f"value {format_minor(amendment.value_minor, amendment.currency)} "
                    f"{amendment.currency}")  # fmt: skip
    if amendment.quantity is not None:
        sets.append(f"quantity {amendment.quantity}")
    entry: Json = {
        "id": str(amendment.id),
        "date": date_time(amendment.effective),
        "description": f"From {effective.isoformat()}: {', '.join(sets)}.",
        "releaseID": release_id(contract_id, amendment.recorded_in),
    }
    if amendment.note:
        entry["rationale"] = amendment.note
    if amendment.recorded_in in previous:
        entry["amendsReleaseID"] = previous[amendment.recorded_in]
    return entry


class Parties:
    """A release's parties, each once with every role it holds, in the order first named."""

    def __init__(self) -> None:
        self.by_id: dict[str, Json] = {}

    def add(self, id_: str, name: str, role: str) -> Json:
        party = self.by_id.setdefault(id_, {"id": id_, "name": name, "roles": []})
        if role not in party["roles"]:
            party["roles"].append(role)
        return {"id": id_, "name": name}

    def organisation(self, organisation: Organisation, role: str) -> Json:
        return self.add(f"organisation-{organisation.slug}", organisation.name, role)

    def listed(self) -> list[Json]:
        return list(self.by_id.values())


def _buyer(data: Facts, contract: Contract, day: date) -> Organisation | None:
    """The awarding organisation; when none is recorded, the programme's managing one then."""
    if contract.awarding_organisation_id is not None:
        return data.organisations.get(contract.awarding_organisation_id)
    for term in data.managers[contract.programme_id]:
        if term.managing_organisation_id is not None and holds(term.valid_from, term.valid_to, day):
            return data.organisations.get(term.managing_organisation_id)
    return None


def _members(data: Facts, programme_id: int, day: date) -> list[tuple[Spell, Nation]]:
    """The programme's members on `day` (the spells then begun and not yet ended)."""
    found = []
    for participation, nation, terms in data.spells[programme_id]:
        spell = spell_on(participation, terms, day)
        if spell is not None and (spell.left is None or spell.left > day):
            found.append((spell, nation))
    return sorted(found, key=lambda pair: pair[1].name)


def _release(data: Facts, contract: Contract, programme: Programme, index: int) -> Json:
    contract_id, step = contract.id or 0, data.steps[contract.id or 0][index]
    amendments = _held_at(data.amendments[contract_id], step.number)
    values = _values(contract, amendments, data.on)
    day = contract.signed or data.on
    parties = Parties()
    buyer = _buyer(data, contract, day)
    buyer_reference = None if buyer is None else parties.organisation(buyer, "buyer")
    if buyer is not None:
        parties.organisation(buyer, "procuringEntity")
    award: Json = {"id": str(contract_id)}
    contractor = data.organisations.get(contract.contractor_id or 0)
    if contractor is not None:
        award["suppliers"] = [parties.organisation(contractor, "supplier")]
    budget = _budget(data, parties, contract, programme, values, day)
    return {
        "ocid": ocid(contract_id),
        "id": release_id(contract_id, step.number),
        "date": date_time(step.recorded_at),
        "tag": [_tag(index, amendments, step.number)],
        "initiationType": "tender",
        "parties": parties.listed(),
        **({} if buyer_reference is None else {"buyer": buyer_reference}),
        "planning": {"budget": budget},
        "awards": [award],
        "contracts": [_contract(contract, values, amendments, data.steps[contract_id])],
    }


def _tag(index: int, amendments: list[ContractAmendment], number: int) -> str:
    if index == 0:
        return "contract"
    amending = any(a.recorded_in == number and not a.correction for a in amendments)
    return "contractAmendment" if amending else "contractUpdate"


def _budget(
    data: Facts, parties: Parties, contract: Contract, programme: Programme,
    values: dict[str, Any], day: date,
) -> Json:  # fmt: skip
    """The programme as the budget's project; each member's cost share (where known) of the
    contract's value in the budget breakdown extension."""
    budget: Json = {"project": programme.name, "projectID": programme.slug}
    breakdown = []
    for spell, nation in _members(data, programme.id or 0, day):
        reference = parties.add(f"nation-{nation.code}", nation.name, "funder")
        if spell.cost_share_bp is None:
            continue
        parties.add(reference["id"], nation.name, "sourceParty")
        entry: Json = {
            "id": nation.code,
            "description": f"Cost share of {nation.name} in {programme.name}: "
            f"{percent_text(spell.cost_share_bp)} %",
            "sourceParty": reference,
        }
        if values["value_minor"] is not None and values["currency"] is not None:
            entry["amount"] = share_of(values["value_minor"], spell.cost_share_bp,
                                       values["currency"])  # fmt: skip
        breakdown.append(entry)
    if breakdown:
        signed = contract.signed_on
        when = f"when it was signed ({signed.isoformat()})" if signed else f"on {day.isoformat()}"
        budget["description"] = (
            f"The contract's value by the cost shares of {programme.name}'s members {when}"
        )
        budget["budgetBreakdown"] = breakdown
    return budget


def _contract(
    contract: Contract, values: dict[str, Any], amendments: list[ContractAmendment],
    steps: list[Step],
) -> Json:  # fmt: skip
    contract_id = contract.id or 0
    entry: Json = {"id": str(contract_id), "awardID": str(contract_id), "title": values["title"]}
    if contract.note:
        entry["description"] = contract.note
    if values["value_minor"] is not None and values["currency"] is not None:
        entry["value"] = money(values["value_minor"], values["currency"])
    if contract.item is not None or values["quantity"] is not None:
        item: Json = {"id": "1"}
        if contract.item is not None:
            item["description"] = contract.item
        if values["quantity"] is not None:
            item["quantity"] = values["quantity"]
        entry["items"] = [item]
    if contract.signed is not None:
        # Known to the day, month or year: OCDS wants a date-time, so the period's first moment.
        entry["dateSigned"] = date_time(contract.signed)
    previous = {
        later.number: release_id(contract_id, earlier.number)
        for earlier, later in itertools.pairwise(steps)
    }
    listed = [_amendment(contract_id, a, previous) for a in amendments if not a.correction]
    if listed:
        entry["amendments"] = listed
    return entry


def _package(uri: str, published: Iterable[str]) -> Json:
    return {
        "uri": uri,
        "version": VERSION,
        "extensions": EXTENSIONS,
        # Built on demand: the date of the last change to what it holds, as the standard asks.
        "publishedDate": max(published),
        "publisher": PUBLISHER,
    }


def releases(
    session: Session, *, programme: str | None = None, on: date | None = None
) -> list[Json]:
    """Every release of the contracts the registry holds (of one programme), by contract and
    change set; values as they read on `on` (default today)."""
    data = _read(session, programme, on or date.today())
    return [
        _release(data, contract, owner, index)
        for contract, owner in data.contracts
        for index in range(len(data.steps[contract.id or 0]))
    ]


def release_package(
    session: Session, *, uri: str, programme: str | None = None, on: date | None = None
) -> Json:
    """A release package: one release per change set touching a contract (404 on `programme`
    when there is no such programme or it has no contracts)."""
    found = releases(session, programme=programme, on=on)
    return {**_package(uri, (r["date"] for r in found)), "releases": found}


def record_package(
    session: Session, *, uri: str, releases_uri: str, programme: str | None = None,
    on: date | None = None,
) -> Json:  # fmt: skip
    """A record package: one record per contract, its releases linked (`releases_uri`, the
    release package's address, with the release id as fragment) and compiled."""
    by_ocid: dict[str, list[Json]] = defaultdict(list)
    for release in releases(session, programme=programme, on=on):
        by_ocid[release["ocid"]].append(release)
    records: list[Json] = [
        {
            "ocid": ocid_,
            "releases": [
                {"url": f"{releases_uri}#{r['id']}", "date": r["date"], "tag": r["tag"]}
                for r in found
            ],
            "compiledRelease": compile_releases(found),
        }
        for ocid_, found in by_ocid.items()
    ]
    package = _package(uri, (r["compiledRelease"]["date"] for r in records))
    return {**package, "packages": [releases_uri], "records": records}
