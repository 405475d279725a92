"""The first data set: the facts it must hold, its citations, and idempotent loading."""

from datetime import date

import pytest
from sqlmodel import Session, select

from registry.amendments import contract_totals
from registry.audit import Change
from registry.database import unit_of_work
from registry.fleet import FleetSize, fleet_on
from registry.participation import members_on, nation_programmes_on
from registry.programmes import get_programme
from registry.schema import metadata
from registry.sources import CITABLE, Citation
from seed.load import load_first_data_set
from tests.conftest import dump


@pytest.fixture
def created(engine):
    with unit_of_work(engine) as session:
        return load_first_data_set(session)


def members(session: Session, slug: str, on: date) -> set[str]:
    return {nation.code for _, nation in members_on(session, slug, on)}


def test_mmf_membership_history(session, seeded):
    assert members(session, "mmf", date(2019, 12, 31)) == {"NLD", "LUX", "DEU", "NOR", "BEL", "CZE"}
    assert members(session, "mmf", date(2025, 7, 1)) == {
        "NLD", "LUX", "DEU", "NOR", "BEL", "CZE", "DNK", "SWE",
    }  # fmt: skip
    assert members(session, "mmf", date(2016, 1, 1)) == {"NLD", "LUX"}
    assert "FIN" not in members(session, "mmf", date(2026, 1, 1))


def test_mmf_fleet_reaches_12_ordered_with_9_in_service(session, seeded):
    assert fleet_on(session, "mmf", date(2025, 6, 23)) == [FleetSize("A330 MRTT", 10, 9, 1)]
    assert fleet_on(session, "mmf", date(2025, 6, 24)) == [FleetSize("A330 MRTT", 12, 9, 3)]
    assert fleet_on(session, "mmf", date(2020, 12, 31)) == [FleetSize("A330 MRTT", 9, 3, 6)]
    # MMF8 arrived on 19 June 2024; MMF9 only "later in 2024".
    assert fleet_on(session, "mmf", date(2024, 3, 1)) == [FleetSize("A330 MRTT", 10, 7, 3)]


def test_programmes_of_the_summit(session, seeded):
    summit = date(2025, 6, 24)
    assert members(session, "critical-raw-materials", summit) == {
        "BEL", "CAN", "DNK", "DEU", "GRC", "ITA", "NLD", "NOR", "POL", "SWE", "TUR", "GBR",
    }  # fmt: skip
    assert members(session, "innovation-ranges", summit) == {
        "EST",
        "FIN",
        "ITA",
        "LVA",
        "NLD",
        "SWE",
    }
    assert members(session, "nspo-australia", summit) == {"AUS"}
    assert members(session, "critical-raw-materials", date(2025, 6, 23)) == set()
    assert contract_totals(session, "nspa-munitions-frameworks") == [("EUR", 470_000_000_000)]
    launched = get_programme(session, "mmf").launched_on
    assert launched is not None
    assert launched.label() == "2012"


def test_a_nations_programmes_after_the_summit(session, seeded):
    programmes = {p.slug for p, _ in nation_programmes_on(session, "NLD", date(2025, 7, 1))}
    assert programmes == {"mmf", "critical-raw-materials", "innovation-ranges"}


def test_mmf_cost_shares_stay_within_100_percent(session, seeded):
    shares = [p.cost_share_bp or 0 for p, _ in members_on(session, "mmf", date(2025, 7, 1))]
    assert sum(shares) == 10_000


def test_every_seeded_record_cites_a_source(session, seeded):
    for entity, table in CITABLE.items():
        ids = {row.id for row in session.exec(select(table))}
        cited = set(session.exec(select(Citation.entity_id).where(Citation.entity == entity)))
        assert ids, f"no {entity} seeded"
        assert ids <= cited, f"{entity} rows without a source: {sorted(ids - cited)}"
    confidences = set(session.exec(select(Citation.confidence)))
    assert confidences == {"high", "medium", "low"}


def test_each_created_record_has_its_change(session, created):
    actors = list(session.exec(select(Change.actor)))
    assert len(actors) == sum(created.values())
    assert set(actors) == {"seed"}


def test_seeding_twice_changes_nothing(engine, seeded):
    before = dump(engine)
    with unit_of_work(engine) as session:
        again = load_first_data_set(session)
    assert sum(again.values()) == 0
    assert dump(engine) == before
    assert set(before) == set(metadata.tables)
