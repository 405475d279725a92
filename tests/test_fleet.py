"""Fleet events and the sizes they add up to; no total may ever go below zero."""

from datetime import date

import pytest

from registry.contracts import add_contract
from registry.errors import InvalidValue
from registry.fleet import (
    FleetEvent,
    FleetSize,
    fleet_on,
    fleet_timeline,
    record_fleet_event,
    running_totals,
)
from tests.factories import ACTOR, make_programme


@pytest.fixture
def mmf(session, nations):
    make_programme(session)
    session.commit()


def event(session, kind, when, count=1, **fields):
    return record_fleet_event(
        session, programme="mmf", kind=kind, date=when, count=count, actor=ACTOR, **fields
    )


def test_timeline_carries_running_totals(session, mmf):
    event(session, "ordered", "2016-07", 2)
    event(session, "delivered", "2020-06-29")
    event(session, "ordered", "2017-09", 5)
    event(session, "delivered", "2020-08-10")
    event(session, "retired", "2030", 1)
    session.commit()
    timeline = [
        (p.event.date_on.isoformat(), p.event.kind, p.ordered, p.in_service, p.on_order)
        for p in fleet_timeline(session, "mmf")
    ]
    assert timeline == [
        ("2016-07", "ordered", 2, 0, 2),
        ("2017-09", "ordered", 7, 0, 7),
        ("2020-06-29", "delivered", 7, 1, 6),
        ("2020-08-10", "delivered", 7, 2, 5),
        ("2030", "retired", 7, 1, 5),
    ]


def test_fleet_on_a_date(session, mmf):
    event(session, "ordered", "2016-07", 2)
    event(session, "delivered", "2020-06-29")
    session.commit()
    assert fleet_on(session, "mmf", date(2016, 6, 30)) == []
    assert fleet_on(session, "mmf", date(2020, 6, 28)) == [FleetSize("A330 MRTT", 2, 0, 2)]
    assert fleet_on(session, "mmf", date(2020, 6, 29)) == [FleetSize("A330 MRTT", 2, 1, 1)]


def test_on_one_date_orders_count_before_deliveries_and_retirements():
    same_day = date(2020, 1, 1)
    events = [
        FleetEvent(
            id=1,
            programme_id=1,
            event_date=same_day,
            asset_type="X",
            kind="retired",
            count=1,
            recorded_in=0,
        ),
        FleetEvent(
            id=2,
            programme_id=1,
            event_date=same_day,
            asset_type="X",
            kind="delivered",
            count=1,
            recorded_in=0,
        ),
        FleetEvent(
            id=3,
            programme_id=1,
            event_date=same_day,
            asset_type="X",
            kind="ordered",
            count=1,
            recorded_in=0,
        ),
    ]
    points = running_totals(events)
    assert [(p.event.kind, p.ordered, p.in_service, p.on_order) for p in points] == [
        ("ordered", 1, 0, 1),
        ("delivered", 1, 1, 0),
        ("retired", 1, 0, 0),
    ]


def test_fleet_on_a_day_with_an_order_recorded_after_a_delivery(session, mmf):
    """Guards a fixed bug: the timeline re-sorted same-day events by id, undoing orders-first."""
    event(session, "ordered", "2019", 1)
    event(session, "delivered", "2020-01-01")
    event(session, "ordered", "2020-01-01")
    event(session, "delivered", "2020-01-01")
    assert fleet_on(session, "mmf", date(2020, 1, 1)) == [FleetSize("A330 MRTT", 2, 2, 0)]
    kinds = [p.event.kind for p in fleet_timeline(session, "mmf")]
    assert kinds == ["ordered", "ordered", "delivered", "delivered"]


def test_events_known_to_the_year_or_month_count_from_the_end_of_it(session, mmf):
    event(session, "ordered", "2020-03-15", 2)
    event(session, "delivered", "2020")  # after the order, though "2020" starts before it
    event(session, "delivered", "2021-04")
    assert fleet_on(session, "mmf", date(2020, 12, 30)) == [FleetSize("A330 MRTT", 2, 0, 2)]
    assert fleet_on(session, "mmf", date(2020, 12, 31)) == [FleetSize("A330 MRTT", 2, 1, 1)]
    assert fleet_on(session, "mmf", date(2021, 4, 29)) == [FleetSize("A330 MRTT", 2, 1, 1)]
    assert fleet_on(session, "mmf", date(2021, 4, 30)) == [FleetSize("A330 MRTT", 2, 2, 0)]


def test_event_can_link_a_contract_of_its_programme(session, mmf):
    contract = add_contract(
        session, programme="mmf", title="Order", kind="acquisition", actor=ACTOR
    )
    row = event(session, "ordered", "2016-07", 2, contract=contract.id)
    assert row.contract_id == contract.id


@pytest.mark.parametrize(
    ("setup", "bad"),
    [
        ([], ("delivered", "2020", 1)),  # delivered before anything was ordered
        ([("ordered", "2016", 2)], ("delivered", "2020", 3)),  # more delivered than ordered
        ([("ordered", "2016", 2), ("delivered", "2020", 1)], ("retired", "2021", 2)),
        # A late-recorded early event that makes the past go negative:
        ([("ordered", "2016", 1), ("delivered", "2020", 1)], ("retired", "2019", 1)),
        ([("ordered", "2016-07", 2), ("delivered", "2020", 2)], ("delivered", "2016-01-31", 1)),
    ],
)
def test_a_fleet_never_goes_below_zero(session, mmf, refused, setup, bad):
    for kind, when, count in setup:
        event(session, kind, when, count)
    session.commit()
    error = refused(InvalidValue, lambda s: event(s, *bad))
    assert error.fields == ["count"]
    assert "below zero" in error.errors[0].message


@pytest.mark.parametrize(
    ("kind", "when", "count", "fields", "field"),
    [
        ("sold", "2020", 1, {}, "kind"),
        ("ordered", "someday", 1, {}, "date"),
        ("ordered", "2020", 0, {}, "count"),
        ("ordered", "2020", -2, {}, "count"),
        ("ordered", "2020", "many", {}, "count"),
        ("ordered", "2020", 1, {"contract": 999}, "contract"),
    ],
)
def test_bad_events_are_refused(mmf, refused, kind, when, count, fields, field):
    error = refused(InvalidValue, lambda s: event(s, kind, when, count, **fields))
    assert error.fields == [field]


def test_an_asset_type_is_needed_when_the_programme_has_none(session, nations, refused):
    make_programme(session, slug="ranges", name="Ranges", category="innovation", asset_type=None)
    session.commit()
    error = refused(
        InvalidValue,
        lambda s: record_fleet_event(
            s, programme="ranges", kind="ordered", date="2025", count=1, actor=ACTOR
        ),
    )
    assert error.fields == ["asset_type"]


def test_asset_types_are_counted_apart(session, mmf):
    event(session, "ordered", "2016", 2)
    event(session, "ordered", "2017", 1, asset_type="A400M")
    event(session, "delivered", "2018", 1, asset_type="A400M")
    assert fleet_on(session, "mmf", date(2019, 1, 1)) == [
        FleetSize("A330 MRTT", 2, 0, 2),
        FleetSize("A400M", 1, 1, 0),
    ]
