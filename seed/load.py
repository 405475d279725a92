"""Load the first data set through the registry's own rules. Running it again changes nothing.

On a database seeded by an earlier data set, a second run brings the records the data set
describes to what it now says: sources and their citations, programmes' fields, organisations,
nations' accession days, members' dated terms and contracts' titles are corrected (each
correction kept, as any other). Records are found by what names them (a source's key, a
programme's or organisation's slug, a member's nation and joining date, a contract's reference,
an instrument's title, a fleet event's every field), so none is added twice; a data set that
changes one of those names adds a record rather than correcting one. A record whose last
change someone else made is theirs now: the seed leaves it as it is."""

from __future__ import annotations

import tomllib
from collections import Counter
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from registry.amendments import amend_contract, amendments
from registry.audit import Change
from registry.choices import NationKind, Role
from registry.contracts import add_contract, find_contract
from registry.database import pk
from registry.dates import PartialDate
from registry.errors import InvalidValue
from registry.export import percent_text
from registry.fleet import FleetEvent, record_fleet_event
from registry.instruments import add_instrument, find_instrument
from registry.nations import Nation, add_nation, nation_code, nation_number, update_nation
from registry.organisations import create_organisation, find_organisation, update_organisation
from registry.participation import (
    Participation,
    Term,
    join_programme,
    joining,
    spell_terms,
    update_participation,
)
from registry.periods import from_date
from registry.programmes import EDITABLE, Programme, create_programme, update_programme
from registry.sources import (
    SOURCE_FIELDS,
    Citation,
    Source,
    add_source,
    cite,
    find_citation,
    find_source,
    remove_citation,
    update_citation,
    update_source,
)

DATA = Path(__file__).parent / "data"
ACTOR = "seed"


def read(name: str) -> dict[str, Any]:
    with (DATA / name).open("rb") as file:
        return tomllib.load(file)


def _nation_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every nation of nations.toml: code, kind, accession day and the citation of that day."""
    founders = data["founders"]
    accessions = data["accessions"]
    rows = [{"code": code, "kind": NationKind.ALLY, "since": founders["since"],
             "cite": founders["cite"]} for code in founders["codes"]]  # fmt: skip
    rows += [{**ally, "kind": NationKind.ALLY, "cite": accessions["cite"]}
             for ally in accessions["allies"]]  # fmt: skip
    rows += [{**partner, "kind": NationKind.PARTNER} for partner in data["partners"]]
    return rows


def load_nations(session: Session, *, actor: str = ACTOR) -> Counter[str]:
    """The 32 Allies and the partners; a nation present keeps its name and takes the accession
    day the data gives."""
    created: Counter[str] = Counter()
    owners: dict[tuple[str, str | int], str] | None = None
    for nation in _nation_rows(read("nations.toml")):
        held = session.get(Nation, nation["code"])
        if held is None:
            add_nation(
                session, code=nation["code"], kind=nation["kind"],
                nato_member_since=nation.get("since"), name=nation.get("name"), actor=actor,
            )  # fmt: skip
            created["nation"] += 1
        elif held.nato_member_since != nation.get("since"):
            owners = owners if owners is not None else last_actors(session)
            if owners.get(("nation", nation["code"])) == actor:  # not changed by someone else
                update_nation(session, code=nation["code"],
                              nato_member_since=nation.get("since"), actor=actor)  # fmt: skip
                created["corrected"] += 1
    return created


def load_first_data_set(session: Session, *, actor: str = ACTOR) -> Counter[str]:
    """Sources, nations, organisations and programmes with members, contracts and fleets.

    Returns how many records of each kind were created, and how many held records were
    corrected (`corrected`); all zero on a second run."""
    data = read("first_data_set.toml")
    created: Counter[str] = Counter()
    loader = _Loader(session, actor, created)
    for source in data["source"]:
        loader.source(source)
    created.update(load_nations(session, actor=actor))
    for nation in _nation_rows(read("nations.toml")):
        loader.cite("nation", nation_number(nation["code"]), [nation["cite"]])
    for organisation in data["organisation"]:
        loader.organisation(organisation)
    for programme in data["programme"]:
        loader.programme(programme)
    return created


class _Loader:
    def __init__(self, session: Session, actor: str, created: Counter[str]) -> None:
        self.session, self.actor, self.created = session, actor, created
        self.seed_sources: set[int] = set()
        self.last_actors: dict[tuple[str, str | int], str] | None = None

    def owned(self, entity: str, key: str | int) -> bool:
        """Whether the record (by its key, or its row id) was last changed by the seed, so the
        data set may correct it; the change log is read once, when first asked."""
        if self.last_actors is None:
            self.last_actors = last_actors(self.session)
        return self.last_actors.get((entity, key)) == self.actor

    def cite(self, entity: str, entity_id: int | None, cites: list[dict[str, Any]]) -> None:
        """The record cites exactly what the data says among the data set's sources (a
        citation someone added of another source stays)."""
        assert entity_id is not None
        wanted: set[int] = set()
        for given in cites:
            values = {"confidence": given["confidence"], "note": given.get("note"),
                      "quote": given.get("quote")}  # fmt: skip
            source = find_source(self.session, given["source"])
            held = source and find_citation(self.session, source, entity, entity_id)
            if held:
                assert source is not None
                changed = (held.confidence, held.note, held.quote) != tuple(values.values())
                if changed and self.owned("citation", f"{entity}/{entity_id}/{source.key}"):
                    update_citation(self.session, citation_id=pk(held), actor=self.actor, **values)
                    self.created["corrected"] += 1
                wanted.add(held.source_id)
                continue
            made = cite(self.session, source=given["source"], entity=entity, entity_id=entity_id,
                        actor=self.actor, **values)  # fmt: skip
            wanted.add(made.source_id)
            self.created["citation"] += 1
        stale = self.session.exec(
            select(Citation).where(
                Citation.entity == entity,
                Citation.entity_id == entity_id,
                col(Citation.source_id).in_(self.seed_sources - wanted),
            )
        ).all()
        for citation in stale:
            cited = self.session.get(Source, citation.source_id)
            assert cited is not None
            if not self.owned("citation", f"{entity}/{entity_id}/{cited.key}"):
                continue
            remove_citation(self.session, citation_id=pk(citation), actor=self.actor)
            self.created["corrected"] += 1

    def source(self, fields: dict[str, Any]) -> None:
        held = find_source(self.session, fields["key"])
        if held is None:
            held = add_source(self.session, actor=self.actor, **fields)
            self.created["source"] += 1
        elif self.owned("source", held.key):
            wanted = {name: fields.get(name) for name in SOURCE_FIELDS}
            before = held.version
            update_source(self.session, key=held.key, actor=self.actor, **wanted)
            self.created["corrected"] += held.version - before
        self.seed_sources.add(pk(held))

    def organisation(self, fields: dict[str, Any]) -> None:
        fields = dict(fields)
        cites = fields.pop("cites", [])
        organisation = find_organisation(self.session, fields["slug"])
        if organisation is None:
            organisation = create_organisation(self.session, actor=self.actor, **fields)
            self.created["organisation"] += 1
        elif self.owned("organisation", organisation.slug):
            before = organisation.version
            changes = {name: fields.get(name) for name in ("name", "kind", "country")}
            update_organisation(self.session, slug=fields["slug"], actor=self.actor, **changes)
            self.created["corrected"] += organisation.version - before
        self.cite("organisation", organisation.id, cites)

    def programme(self, fields: dict[str, Any]) -> None:
        fields = dict(fields)
        cites = fields.pop("cites", [])
        members = fields.pop("member", []) + _shorthand_members(fields)
        shares = fields.pop("cost_shares", [])
        instruments = fields.pop("instrument", [])
        contracts = fields.pop("contract", [])
        fleet = fields.pop("fleet", [])
        slug = fields["slug"]
        existing = self.session.exec(select(Programme).where(Programme.slug == slug)).first()
        if existing is None:
            existing = create_programme(self.session, actor=self.actor, **fields)
            self.created["programme"] += 1
        elif self.owned("programme", slug):  # what the data says now, over its whole history
            before = existing.version
            changes = {name: fields.get(name) for name in EDITABLE if name != "slug"}
            update_programme(self.session, slug, changes=changes, actor=self.actor,
                             correction=True)  # fmt: skip
            self.created["corrected"] += existing.version - before
        self.cite("programme", existing.id, cites)
        for member in members:
            self.member(existing, dict(member), shares)
        for instrument in instruments:
            self.instrument(existing, dict(instrument))
        for contract in contracts:
            self.contract(existing, dict(contract))
        for event in fleet:
            self.fleet_event(existing, dict(event))

    def member(self, programme: Programme, fields: dict[str, Any], shares: list[Any]) -> None:
        """A member's spell with the terms the data gives: joined with its fields, then each
        dated cost share. A spell held with other terms is corrected to them."""
        cites = fields.pop("cites", [])
        code = nation_code(fields["nation"]) or fields["nation"]
        wanted = _with_shares([joining(self.session, **fields).term], code, shares)
        held = spell_terms(self.session, [col(Participation.programme_id) == programme.id,
                                          col(Participation.nation_code) == code])  # fmt: skip
        spell = next((s for s, _, t in held if t[0].valid_from == wanted[0].valid_from), None)
        if spell is None:  # a new spell, whole: joined, and left when the data says so
            # Joined with its first term's values; its later terms are changes from their
            # dates, as they happened.
            spell_ = join_programme(self.session, programme=programme.slug, actor=self.actor,
                                    **{**fields, **_values(wanted[0])})  # fmt: skip
            self.created["participation"] += 1
            self._reach(programme, code, [], wanted, correction=False)
            self.cite("participation", spell_.id, cites)
            return
        terms = next(t for s, _, t in held if s is spell)
        if terms != wanted and self.owned("participation", pk(spell)):
            self._reach(programme, code, terms, wanted, correction=True)
        self.cite("participation", spell.id, cites)

    def _reach(
        self, programme: Programme, code: str, terms: list[Term], wanted: list[Term],
        *, correction: bool,
    ) -> None:  # fmt: skip
        """Change (or correct) the spell's terms, `terms`, into `wanted`: first the values of
        its first term over the whole spell, then each later term's values from its date."""
        steps: list[tuple[PartialDate | None, Term]] = [(None, wanted[0])] if correction else []
        steps += [(term.valid_from, term) for term in wanted[1:]]
        for effective, term in steps:
            values = _values(term)
            if effective is None and terms[0].values() == term.values():
                continue
            update_participation(
                self.session, programme=programme.slug, nation=code, changes=values,
                effective=effective, correction=correction, actor=self.actor,
            )  # fmt: skip
            self.created["corrected" if correction else "membership_change"] += 1
        if correction and wanted[-1].valid_to != terms[-1].valid_to:
            left = wanted[-1].valid_to
            update_participation(
                self.session, programme=programme.slug, nation=code, correction=True,
                changes={"left": left.isoformat() if left else None}, actor=self.actor,
            )  # fmt: skip

    def instrument(self, programme: Programme, fields: dict[str, Any]) -> None:
        cites = fields.pop("cites", [])
        row = find_instrument(self.session, programme, fields["title"])
        if row is None:
            row = add_instrument(self.session, programme=programme.slug, actor=self.actor,
                                 **fields)  # fmt: skip
            self.created["instrument"] += 1
        self.cite("instrument", row.id, cites)

    def contract(self, programme: Programme, fields: dict[str, Any]) -> None:
        cites = fields.pop("cites", [])
        if not fields.get("reference"):
            raise InvalidValue("reference", f"a seeded contract of {programme.slug} needs one")
        row = find_contract(self.session, programme, fields["reference"])
        if row is None:
            row = add_contract(self.session, programme=programme.slug, actor=self.actor, **fields)
            self.created["contract"] += 1
        elif (
            row.title != fields["title"]
            and not amendments(self.session, pk(row))
            and self.owned("contract", pk(row))
        ):  # a title the data set now gives otherwise: corrected from the signing
            amend_contract(self.session, contract_id=row.id, title=fields["title"],
                           correction=True, actor=self.actor)  # fmt: skip
            self.created["corrected"] += 1
        self.cite("contract", row.id, cites)

    def fleet_event(self, programme: Programme, fields: dict[str, Any]) -> None:
        cites = fields.pop("cites", [])
        when = PartialDate.parse(fields["date"])
        if "contract" in fields:
            contract = find_contract(self.session, programme, fields["contract"])
            if contract is None:
                raise InvalidValue(
                    "contract", f"no contract {fields['contract']!r} in {programme.slug}"
                )
            fields["contract"] = contract.id
        asset = fields.get("asset_type") or programme.asset_type
        row = self.session.exec(
            select(FleetEvent).where(
                FleetEvent.programme_id == programme.id,
                FleetEvent.kind == fields["kind"],
                FleetEvent.event_date == when.start,
                FleetEvent.event_date_precision == when.precision.value,
                FleetEvent.count == fields["count"],
                FleetEvent.asset_type == asset,
                col(FleetEvent.superseded_in).is_(None),
                col(FleetEvent.note).is_(None)
                if fields.get("note") is None
                else FleetEvent.note == fields["note"],
            )
        ).first()
        if row is None:
            row = record_fleet_event(
                self.session, programme=programme.slug, actor=self.actor, **fields
            )
            self.created["fleet_event"] += 1
        self.cite("fleet_event", row.id, cites)


def last_actors(session: Session) -> dict[tuple[str, str | int], str]:
    """Who changed each record last, by (entity, key) and by (entity, row id): one pass over
    the change log."""
    rows = session.execute(
        select(Change.entity, Change.key, Change.entity_id, Change.actor).order_by(col(Change.id))
    )
    last: dict[tuple[str, str | int], str] = {}
    for entity, key, entity_id, actor in rows:
        last[(entity, key)] = actor
        if entity_id is not None:
            last[(entity, entity_id)] = actor
    return last


def _values(term: Term) -> dict[str, Any]:
    """A term's values as a participation change names them."""
    return {
        "role": term.role,
        "instrument": term.instrument,
        "cost_share": percent_text(term.cost_share_bp),
        "note": term.note,
    }


def _with_shares(terms: list[Term], code: str, periods: list[dict[str, Any]]) -> list[Term]:
    """A spell's terms with the programme's dated cost shares: from each period's start, the
    nation's share of the hours given (its hours in the note), or no share with the period's
    `unknown` note. A period that starts before the spell, or a nation a period does not name,
    is left out."""
    for period in periods:
        start = PartialDate.parse(period["from"])
        if start.start < terms[0].valid_from.start:
            continue
        end = terms[-1].end
        if end is not None and start.start >= end:
            continue
        if "unknown" in period:
            values: dict[str, Any] = {"cost_share_bp": None, "note": period["unknown"]}
        elif code in period["hours"]:
            values = _share(code, period)
        else:
            continue
        terms = from_date(terms, start, values)
    return terms


def _share(code: str, period: dict[str, Any]) -> dict[str, Any]:
    hours: dict[str, int] = period["hours"]
    total = sum(hours.values())
    percent = (Decimal(hours[code]) * 100 / total).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
    stated = period.get("stated_total")
    doubt = f" (the same source gives {stated:,} as the total)" if stated else ""
    note = (
        f"Cost share from {period['from']}: {hours[code]:,} of the {total:,} committed flight "
        f"hours a year that a {period['from']} source gives{doubt}; low confidence."
    )
    return {"cost_share_bp": int(percent.scaleb(2)), "note": note}


def _shorthand_members(fields: dict[str, Any]) -> list[dict[str, Any]]:
    """`members = [codes]` with shared `members_joined`, `members_role`, `members_instrument`,
    `members_cite`."""
    codes = fields.pop("members", [])
    joined: str | date | None = fields.pop("members_joined", None)
    role = fields.pop("members_role", Role.PARTICIPANT.value)
    instrument = fields.pop("members_instrument", None)
    cites = fields.pop("members_cite", [])
    return [
        {"nation": code, "role": role, "joined": joined, "instrument": instrument, "cites": cites}
        for code in codes
    ]
