"""A synthetic registry at scale, for benchmarks: bulk Core inserts that still obey the rules.

The registry's write functions check one record at a time and audit each; at 100,000 contracts
that takes minutes. This module writes the same shapes directly, in batches, and keeps the rules
by construction instead: one open spell per nation and programme, rejoining after leaving, cost
shares that never reach above 100 %, fleets that never go below zero, references unique per
programme. Only the nations go through `registry` (and are audited); the rest has no Change rows.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Table, func, select

from registry.choices import (
    Category,
    ContractKind,
    FleetEventKind,
    Instrument,
    NationKind,
    OrganisationKind,
    ProgrammeStatus,
    Role,
)
from registry.database import unit_of_work
from registry.dates import PartialDate, Precision
from registry.participation import FULL_SHARE_BP
from registry.programme_terms import SINCE
from registry.programme_versions import DESCRIBED
from registry.schema import metadata
from seed.load import load_nations

BATCH = 5_000
AGENCIES = 6
CONTRACTORS = 50
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2025, 12, 31)
SPAN_DAYS = (LAST_DAY - FIRST_DAY).days
CURRENCIES = (("EUR", 80), ("USD", 10), ("GBP", 6), ("NOK", 4))
PRECISIONS = (("day", 80), ("month", 15), ("year", 5))
ASSET_TYPES = ("A330 MRTT", "C-17 Globemaster III", "RQ-4D Phoenix", "NH90", "CV90", "Patriot")
STATUSES = (
    (ProgrammeStatus.ACTIVE.value, 80), (ProgrammeStatus.PLANNED.value, 10),
    (ProgrammeStatus.CLOSED.value, 10),
)  # fmt: skip
ROLES = ((Role.PARTICIPANT.value, 80), (Role.LEAD.value, 8), (Role.OBSERVER.value, 12))
Row = dict[str, Any]
K = TypeVar("K")


def build_synthetic(
    engine: Engine,
    *,
    programmes: int = 1000,
    participations: int = 20000,
    contracts: int = 100000,
    fleet_events: int = 10000,
    seed: int = 1,
) -> dict[str, int]:
    """Fill a migrated, empty database with a synthetic registry; returns rows written per table."""
    rng = random.Random(seed)
    with unit_of_work(engine) as session:
        load_nations(session, actor="synthetic")
    with engine.begin() as connection:
        if connection.execute(select(func.count()).select_from(_table("programme"))).scalar():
            raise ValueError("build_synthetic needs an empty registry: programmes exist already")
        nations = connection.execute(select(_table("nation").c.code, _table("nation").c.kind))
        codes = {str(code): str(kind) for code, kind in nations}
        agencies, contractors = _organisations(connection, rng, sorted(codes))
        stored = connection.execute(
            _table("change_set").insert().values(recorded_at=datetime.now(UTC), actor="synthetic")
        ).inserted_primary_key
        number = int(stored[0]) if stored else 0
        ids = _programmes(connection, rng, programmes, agencies, number)
        fleets = {pid: asset for n, pid in enumerate(ids, 1) if (asset := _asset_type(n))}
        _spells(connection, list(_participations(rng, ids, codes, participations)), number)
        _insert(connection, "contract", _contracts(rng, ids, agencies, contractors, contracts))
        events = _fleet_events(rng, fleets, fleet_events)
        _insert(connection, "fleet_event", ({**e, "recorded_in": number} for e in events))
    return {
        "nation": len(codes), "organisation": len(agencies) + len(contractors),
        "programme": programmes, "participation": participations, "contract": contracts,
        "fleet_event": fleet_events if fleets else 0,
    }  # fmt: skip


def _table(name: str) -> Table:
    return metadata.tables[name]


def _insert(connection: Connection, table: str, rows: Iterable[Row]) -> None:
    """executemany in batches, so memory stays flat and each statement stays a sane size."""
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            connection.execute(_table(table).insert(), batch)
            batch = []
    if batch:
        connection.execute(_table(table).insert(), batch)


def _ids(connection: Connection, table: str) -> list[int]:
    """Ids the database assigned (so PostgreSQL's sequences stay right for later inserts)."""
    return list(
        connection.execute(select(_table(table).c.id).order_by(_table(table).c.id)).scalars()
    )


def _spells(connection: Connection, spells: list[tuple[Row, Row]], number: int) -> None:
    """Each spell's row, then its one term, recorded in change set `number`."""
    _insert(connection, "participation", (spell for spell, _ in spells))
    spell_ids = _ids(connection, "participation")
    _insert(
        connection, "membership_term",
        ({**term, "participation_id": id_, "recorded_in": number}
         for id_, (_, term) in zip(spell_ids, spells, strict=True)),
    )  # fmt: skip


def _weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _partial(rng: random.Random, day: date, floor: date) -> tuple[date, str]:
    """`day` at a random precision, stored as the start of its period but never before `floor`."""
    precision = _weighted(rng, PRECISIONS)
    start = {"day": day, "month": day.replace(day=1), "year": day.replace(month=1, day=1)}
    if start[precision] < floor:
        return day, "day"
    return start[precision], precision


def _period_end(start: date, precision: str) -> date:
    """The last day of the period that starts on `start`."""
    if precision == "year":
        return date(start.year, 12, 31)
    if precision == "month":
        return (start + timedelta(days=31)).replace(day=1) - timedelta(days=1)
    return start


def _day(rng: random.Random) -> date:
    return FIRST_DAY + timedelta(days=rng.randrange(SPAN_DAYS))


def _asset_type(n: int) -> str | None:
    """Every fourth programme is a fleet of one asset type."""
    return ASSET_TYPES[n // 4 % len(ASSET_TYPES)] if n % 4 == 1 else None


def _spread(rng: random.Random, total: int, buckets: list[K]) -> dict[K, int]:
    """Deal `total` items to random buckets: how many each bucket got."""
    counts = dict.fromkeys(buckets, 0)
    for _ in range(total if buckets else 0):
        counts[rng.choice(buckets)] += 1
    return counts


def _organisations(
    connection: Connection, rng: random.Random, codes: list[str]
) -> tuple[list[int], list[int]]:
    agencies = [
        {"slug": f"agency-{n:02d}", "name": f"Synthetic Procurement Agency {n:02d}",
         "kind": OrganisationKind.AGENCY.value, "country": rng.choice(codes), "version": 1}
        for n in range(1, AGENCIES + 1)
    ]  # fmt: skip
    contractors = [
        {"slug": f"contractor-{n:02d}", "name": f"Synthetic Defence Industries {n:02d}",
         "kind": OrganisationKind.CONTRACTOR.value, "country": rng.choice(codes), "version": 1}
        for n in range(1, CONTRACTORS + 1)
    ]  # fmt: skip
    _insert(connection, "organisation", agencies + contractors)
    ids = _ids(connection, "organisation")
    return ids[:AGENCIES], ids[AGENCIES:]


def _programmes(
    connection: Connection, rng: random.Random, count: int, agencies: list[int], number: int
) -> list[int]:
    """Programmes `prog-0001`... with their facts, their description's first version and each
    one's status and managing organisation held from the start (recorded in change set
    `number`); returns ids in slug order."""
    others = [c for c in Category if c != Category.MULTINATIONAL_FLEET]
    rows, standings = [], []
    for n in range(1, count + 1):
        asset = _asset_type(n)
        launched, precision = _partial(rng, _day(rng), FIRST_DAY)
        rows.append({
            "slug": f"prog-{n:04d}", "name": f"Synthetic programme {n:04d}",
            "acronym": f"SP{n:04d}",
            "category": Category.MULTINATIONAL_FLEET.value if asset else rng.choice(others).value,
            "launched": launched, "launched_precision": precision,
            "description": f"Synthetic programme number {n} for scale tests.",
            "capability_area": rng.choice(("air", "land", "maritime", "space", "cyber")),
            "asset_type": asset, "version": 1,
        })  # fmt: skip
        standings.append({
            "valid_from": SINCE.start, "valid_from_precision": SINCE.precision.value,
            "status": _weighted(rng, STATUSES), "managing_organisation_id": rng.choice(agencies),
            "recorded_in": number,
        })  # fmt: skip
    _insert(connection, "programme", rows)
    ids = _ids(connection, "programme")
    _insert(
        connection, "programme_term",
        ({**standing, "programme_id": id_} for id_, standing in zip(ids, standings, strict=True)),
    )  # fmt: skip
    _insert(
        connection, "programme_version",
        ({**{name: row[name] for name in DESCRIBED}, "programme_id": id_, "recorded_in": number}
         for id_, row in zip(ids, rows, strict=True)),
    )  # fmt: skip
    return ids


def _participations(
    rng: random.Random, programmes: list[int], nations: dict[str, str], total: int
) -> Iterator[tuple[Row, Row]]:
    """Spells per (programme, nation) in date order; only a nation's last spell may be open."""
    codes = sorted(nations)
    for programme, count in _spread(rng, total, programmes).items():
        spells = _spread(rng, count, codes)
        # Shares of all spells together stay within 100 %, so no date ever sees more.
        shared = rng.random() < 0.5
        weights = [rng.random() for _ in range(count)]
        scale = rng.randint(FULL_SHARE_BP // 2, FULL_SHARE_BP) / (sum(weights) or 1)
        share = iter(int(scale * w) if shared else None for w in weights)
        for code, n in spells.items():
            floor = FIRST_DAY
            days = sorted(_day(rng) for _ in range(2 * n))
            for i in range(n):
                joined, joined_precision = _partial(rng, days[2 * i], floor)
                is_open = i == n - 1 and rng.random() < 0.7
                left, left_precision = (
                    (None, None) if is_open else _partial(rng, days[2 * i + 1], joined)
                )
                floor = left or joined
                yield {"programme_id": programme, "nation_code": code, "version": 1}, {
                    "role": _role(rng, nations[code]),
                    "instrument": rng.choice(list(Instrument)).value,
                    "valid_from": joined, "valid_from_precision": joined_precision,
                    "valid_to": left, "valid_to_precision": left_precision,
                    "cost_share_bp": next(share), "note": None,
                }  # fmt: skip


def _role(rng: random.Random, kind: str) -> str:
    if kind == NationKind.PARTNER:
        return Role.PARTNER.value
    return _weighted(rng, ROLES)


def _contracts(
    rng: random.Random,
    programmes: list[int],
    agencies: list[int],
    contractors: list[int],
    total: int,
) -> Iterator[Row]:
    kinds = tuple((k.value, w) for k, w in zip(ContractKind, (40, 20, 30, 10), strict=True))
    for programme, count in _spread(rng, total, programmes).items():
        for n in range(1, count + 1):
            kind = _weighted(rng, kinds)
            signed, precision = _partial(rng, _day(rng), FIRST_DAY)
            published = rng.random() < 0.95
            currency = _weighted(rng, CURRENCIES) if published else None
            # Log-uniform from 10,000 to 10 billion units, in minor units (cents).
            value = int(10 ** rng.uniform(4, 10)) * 100 if published else None
            buys = kind == ContractKind.ACQUISITION and rng.random() < 0.5
            yield {
                "programme_id": programme, "contractor_id": rng.choice(contractors),
                "awarding_organisation_id": rng.choice(agencies),
                "reference": f"C-{programme:05d}-{n:05d}",
                "title": f"Synthetic {kind} contract {n}",
                "kind": kind, "signed": signed, "signed_precision": precision,
                "signed_until": PartialDate(signed, Precision(precision)).end,
                "value_minor": value, "currency": currency,
                "quantity": rng.randint(1, 50) if buys else None, "item": "unit" if buys else None,
                "note": None, "version": 1,
            }  # fmt: skip


def _fleet_events(rng: random.Random, fleets: dict[int, str], total: int) -> Iterator[Row]:
    """Events in time order; each kind is drawn only while it keeps every total non-negative.

    A partial date counts from the end of its period (`registry.fleet`), so both the stored
    start and the period's end only ever move forward. Events that tie are read orders first,
    then deliveries, then retirements: that order only ever raises the totals in between.
    """
    for programme, count in _spread(rng, total, list(fleets)).items():
        ordered = delivered = retired = 0
        start_floor = end_floor = FIRST_DAY
        asset = fleets[programme]
        for drawn in sorted(_day(rng) for _ in range(count)):
            kinds = [FleetEventKind.ORDERED] * 2
            if ordered > delivered:
                kinds += [FleetEventKind.DELIVERED] * 5
            if delivered > retired:
                kinds += [FleetEventKind.RETIRED]
            kind = rng.choice(kinds)
            if kind == FleetEventKind.ORDERED:
                units = rng.randint(1, 12)
                ordered += units
            elif kind == FleetEventKind.DELIVERED:
                units = rng.randint(1, ordered - delivered)
                delivered += units
            else:
                units = rng.randint(1, min(3, delivered - retired))
                retired += units
            when, precision = _partial(rng, max(drawn, end_floor), start_floor)
            start_floor, end_floor = when, _period_end(when, precision)
            yield {
                "programme_id": programme, "event_date": when, "event_date_precision": precision,
                "asset_type": asset, "kind": kind.value, "count": units,
                "contract_id": None, "note": None, "version": 1,
            }  # fmt: skip
