"""Load the first data set through the registry's own rules. Running it again changes nothing."""

from __future__ import annotations

import tomllib
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from registry.choices import NationKind, Role
from registry.contracts import add_contract, find_contract
from registry.dates import PartialDate
from registry.errors import InvalidValue
from registry.fleet import FleetEvent, record_fleet_event
from registry.nations import Nation, add_nation, nation_code
from registry.organisations import create_organisation, find_organisation
from registry.participation import Participation, join_programme, leave_programme, spells
from registry.programmes import Programme, create_programme
from registry.sources import add_source, cite, find_citation, find_source

DATA = Path(__file__).parent / "data"
ACTOR = "seed"


def read(name: str) -> dict[str, Any]:
    with (DATA / name).open("rb") as file:
        return tomllib.load(file)


def load_nations(session: Session, *, actor: str = ACTOR) -> Counter[str]:
    """The 32 Allies and the partners; a nation already present is left as it is."""
    data = read("nations.toml")
    created: Counter[str] = Counter()
    rows = [(n, NationKind.ALLY) for n in data["allies"]]
    rows += [(n, NationKind.PARTNER) for n in data["partners"]]
    for nation, kind in rows:
        if session.get(Nation, nation["code"]) is None:
            add_nation(
                session, code=nation["code"], kind=kind, nato_member_since=nation.get("since"),
                name=nation.get("name"), actor=actor,
            )  # fmt: skip
            created["nation"] += 1
    return created


def load_first_data_set(session: Session, *, actor: str = ACTOR) -> Counter[str]:
    """Nations, sources, organisations and programmes with members, contracts and fleets.

    Returns how many records of each kind were created (all zero on a second run).
    """
    created = load_nations(session, actor=actor)
    data = read("first_data_set.toml")
    loader = _Loader(session, actor, created)
    for source in data["source"]:
        loader.source(source)
    for organisation in data["organisation"]:
        loader.organisation(organisation)
    for programme in data["programme"]:
        loader.programme(programme)
    return created


class _Loader:
    def __init__(self, session: Session, actor: str, created: Counter[str]) -> None:
        self.session, self.actor, self.created = session, actor, created

    def cite(self, entity: str, entity_id: int | None, cites: list[list[str]]) -> None:
        assert entity_id is not None
        for key, confidence, *note in cites:
            source = find_source(self.session, key)
            if source and find_citation(self.session, source, entity, entity_id):
                continue
            cite(
                self.session, source=key, entity=entity, entity_id=entity_id,
                confidence=confidence, note=note[0] if note else None, actor=self.actor,
            )  # fmt: skip
            self.created["citation"] += 1

    def source(self, fields: dict[str, Any]) -> None:
        if find_source(self.session, fields["key"]) is None:
            add_source(self.session, actor=self.actor, **fields)
            self.created["source"] += 1

    def organisation(self, fields: dict[str, Any]) -> None:
        cites = fields.pop("cites", [])
        organisation = find_organisation(self.session, fields["slug"])
        if organisation is None:
            organisation = create_organisation(self.session, actor=self.actor, **fields)
            self.created["organisation"] += 1
        self.cite("organisation", organisation.id, cites)

    def programme(self, fields: dict[str, Any]) -> None:
        fields = dict(fields)
        cites = fields.pop("cites", [])
        members = fields.pop("member", []) + _shorthand_members(fields)
        contracts = fields.pop("contract", [])
        fleet = fields.pop("fleet", [])
        slug = fields["slug"]
        existing = self.session.exec(select(Programme).where(Programme.slug == slug)).first()
        if existing is None:
            existing = create_programme(self.session, actor=self.actor, **fields)
            self.created["programme"] += 1
        self.cite("programme", existing.id, cites)
        for member in members:
            self.member(existing, dict(member))
        for contract in contracts:
            self.contract(existing, dict(contract))
        for event in fleet:
            self.fleet_event(existing, dict(event))

    def member(self, programme: Programme, fields: dict[str, Any]) -> None:
        cites = fields.pop("cites", [])
        left = fields.pop("left", None)
        joined = PartialDate.parse(fields["joined"])
        code = nation_code(fields["nation"]) or fields["nation"]
        held = spells(self.session, [col(Participation.programme_id) == programme.id,
                                     col(Participation.nation_code) == code])  # fmt: skip
        row = next((spell for spell, _ in held if spell.joined == joined.start), None)
        if row is None:  # a new spell, whole: joined, and left when the data says so
            row = join_programme(self.session, programme=programme.slug, actor=self.actor,
                                 left=left, **fields)  # fmt: skip
            self.created["participation"] += 1
        elif left is not None and row.left is None:  # seeded before it was known to end
            leave_programme(
                self.session, programme=programme.slug, nation=row.nation_code, left=left,
                actor=self.actor,
            )  # fmt: skip
        self.cite("participation", row.id, cites)

    def contract(self, programme: Programme, fields: dict[str, Any]) -> None:
        cites = fields.pop("cites", [])
        if not fields.get("reference"):
            raise InvalidValue("reference", f"a seeded contract of {programme.slug} needs one")
        row = find_contract(self.session, programme, fields["reference"])
        if row is None:
            row = add_contract(self.session, programme=programme.slug, actor=self.actor, **fields)
            self.created["contract"] += 1
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


def _shorthand_members(fields: dict[str, Any]) -> list[dict[str, Any]]:
    """`members = [codes]` with shared `members_joined`, `members_instrument`, `members_cite`."""
    codes = fields.pop("members", [])
    joined: str | date | None = fields.pop("members_joined", None)
    instrument = fields.pop("members_instrument", None)
    cites = fields.pop("members_cite", [])
    return [
        {"nation": code, "role": Role.PARTICIPANT.value, "joined": joined,
         "instrument": instrument, "cites": cites}
        for code in codes
    ]  # fmt: skip
