"""The synthetic scale generator writes a registry that keeps the registry's rules."""

from __future__ import annotations

import itertools
import shutil
from collections import defaultdict
from datetime import date

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from registry.amendments import contract_totals
from registry.audit import ChangeSet
from registry.contracts import Contract
from registry.database import make_engine
from registry.fleet import FleetEvent, running_totals
from registry.participation import FULL_SHARE_BP, Participation, Spell, members_on, spells
from registry.programmes import Programme
from seed.synthetic import build_synthetic
from tests.conftest import dump

SIZES = {"programmes": 20, "participations": 200, "contracts": 500, "fleet_events": 400}


@pytest.fixture
def synthetic(engine) -> dict[str, int]:
    return build_synthetic(engine, **SIZES, seed=7)


def test_counts_are_as_asked(engine, synthetic):
    with Session(engine) as session:
        for table, asked in [
            (Programme, "programmes"), (Participation, "participations"),
            (Contract, "contracts"), (FleetEvent, "fleet_events"),
        ]:  # fmt: skip
            assert session.exec(select(func.count()).select_from(table)).one() == SIZES[asked]
    assert synthetic["nation"] == 33


def test_spells_keep_the_participation_rules(engine, synthetic):
    with Session(engine) as session:
        every = [spell for spell, _ in spells(session, [])]
    by_member: dict[tuple[int, str], list[Spell]] = defaultdict(list)
    by_programme: dict[int, list[Spell]] = defaultdict(list)
    for spell in every:
        by_member[spell.programme_id, spell.nation_code].append(spell)
        by_programme[spell.programme_id].append(spell)
        assert spell.left is None or spell.joined <= spell.left
    for history in by_member.values():
        assert sum(spell.left is None for spell in history) <= 1
        for earlier, later in itertools.pairwise(history):
            assert earlier.left is not None
            assert earlier.left <= later.joined
    for members in by_programme.values():
        assert sum(s.cost_share_bp or 0 for s in members if s.left is None) <= FULL_SHARE_BP
        for day in {s.joined for s in members}:  # shares peak on a day someone joins
            held = [s for s in members if s.joined <= day and (s.left is None or s.left > day)]
            assert sum(s.cost_share_bp or 0 for s in held) <= FULL_SHARE_BP


def test_fleets_never_go_below_zero(engine, synthetic):
    with Session(engine) as session:
        events = session.exec(select(FleetEvent)).all()
    by_fleet: dict[tuple[int, str], list[FleetEvent]] = defaultdict(list)
    for event in events:
        by_fleet[event.programme_id, event.asset_type].append(event)
    assert by_fleet
    for fleet in by_fleet.values():
        assert all(p.in_service >= 0 and p.on_order >= 0 for p in running_totals(fleet))


def test_registry_queries_answer_on_it(engine, synthetic):
    on = date(2020, 1, 1)
    with Session(engine) as session:
        members = members_on(session, "prog-0001", on)
        held = [s for s, _ in spells(session, [col(Participation.programme_id) == 1])]
        totals = contract_totals(session)
        total_in_one = contract_totals(session, "prog-0002")
    active = [s for s in held if s.joined <= on and (s.left is None or s.left > on)]
    assert sorted(p.id or 0 for p, _ in members) == sorted(s.id or 0 for s in active)
    assert {currency for currency, _ in totals} <= {"EUR", "USD", "GBP", "NOK"}
    assert "EUR" in dict(totals)
    assert all(amount <= dict(totals)[currency] for currency, amount in total_in_one)


def test_contract_references_are_unique(engine, synthetic):
    with Session(engine) as session:
        references = session.exec(select(Contract.reference)).all()
    assert len(set(references)) == len(references)


def test_same_seed_builds_the_same_registry(sqlite_template, tmp_path):
    dumps = []
    for name in ("a.db", "b.db"):
        shutil.copyfile(sqlite_template, tmp_path / name)
        engine = make_engine(f"sqlite:///{tmp_path / name}")
        build_synthetic(engine, **SIZES, seed=7)
        rows = dump(engine)
        engine.dispose()
        # The nations' audit rows and the change sets carry the time they were written.
        del rows["change"], rows["change_set"]
        dumps.append(rows)
    assert dumps[0] == dumps[1]


def test_every_programme_reads_as_known_on_a_later_moment(engine, synthetic):
    """Each synthetic programme has its description's first version (reads `as_known_on` join
    it) as a programme made by the registry itself does."""
    from datetime import date

    from registry.views import programme_view

    with Session(engine) as session:
        slugs = session.exec(select(Programme.slug)).all()
        known = session.exec(select(func.max(ChangeSet.id))).one()
        views = [programme_view(session, slug, date(2024, 6, 30), known) for slug in slugs]
    assert [view.name for view in views] == [f"Synthetic programme {n:04d}" for n in range(1, 21)]
