"""The programme detail's read model gives the same answers as the rule module's queries."""

from datetime import date

import pytest

from registry.amendments import contract_totals
from registry.errors import NotFound
from registry.fleet import fleet_on
from registry.participation import members_on
from registry.search import programmes_page
from registry.views import programme_view
from seed.synthetic import build_synthetic

DATES = [
    date(2014, 11, 1),
    date(2019, 12, 31),
    date(2024, 3, 1),
    date(2025, 6, 24),
    date(2030, 1, 1),
]


def assert_same(session, slug, on):
    view = programme_view(session, slug, on)
    members = members_on(session, slug, on)
    assert [m.code for m in view.members] == [n.code for _, n in members]
    assert [(m.joined, m.left, m.cost_share_bp, m.role) for m in view.members] == [
        (p.joined_on, p.left_on, p.cost_share_bp, p.role) for p, _ in members
    ]
    assert view.totals == contract_totals(session, slug, on)
    assert view.fleet == fleet_on(session, slug, on)


@pytest.mark.parametrize("on", DATES)
def test_the_view_matches_the_queries_on_the_first_data_set(session, seeded, on):
    for programme, agency, status in programmes_page(session, as_of=on, limit=None).items:
        assert_same(session, programme.slug, on)
        view = programme_view(session, programme.slug, on)
        assert (view.managing_organisation, view.status) == (agency, status)
    assert programme_view(session, "mmf", on).managing_organisation == "nspa"


def test_the_view_matches_the_queries_on_synthetic_data(engine, session):
    build_synthetic(engine, programmes=12, participations=150, contracts=200, fleet_events=120)
    for programme, *_ in programmes_page(session, limit=None).items:
        for on in DATES:
            assert_same(session, programme.slug, on)


def test_an_unknown_programme_is_not_found(session):
    with pytest.raises(NotFound) as info:
        programme_view(session, "nope", date(2025, 1, 1))
    assert info.value.fields == ["slug"]
