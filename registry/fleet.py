"""Fleet events (ordered, delivered, retired) and the fleet size they add up to on any date.

An event known only to the month or year counts from the end of that period, when it had
certainly happened: "delivered in 2024" is not yet in service on 2024-03-01.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import Index, update
from sqlalchemy import select as sa_select
from sqlmodel import Field, Session, SQLModel, col, select

from registry.audit import change_set, record_change, snapshot
from registry.checks import MAX_INT, Checks, check_version
from registry.choices import Action, FleetEventKind
from registry.contracts import Contract
from registry.database import pk
from registry.dates import PartialDate, Precision
from registry.errors import InvalidValue, NotFound
from registry.history import Known, recorded_by
from registry.programmes import Programme, lock_programme, resolve_programme

_KIND_ORDER = {FleetEventKind.ORDERED: 0, FleetEventKind.DELIVERED: 1, FleetEventKind.RETIRED: 2}


class FleetEvent(SQLModel, table=True):
    __tablename__ = "fleet_event"
    __table_args__ = (Index("ix_fleet_event_programme_date", "programme_id", "event_date"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id")
    event_date: date
    """When it happened (first day of the period when known only to the month or year)."""
    event_date_precision: str = Field(default="day", max_length=5)
    asset_type: str = Field(max_length=100)
    kind: str = Field(max_length=10)
    count: int
    contract_id: int | None = Field(default=None, foreign_key="contract.id")
    note: str | None = Field(default=None, max_length=2000)
    version: int = 1
    """1 when first recorded; a correction's row carries the version after the one it replaced."""
    recorded_in: int = Field(foreign_key="change_set.id")
    """The change set that recorded it (0: known at every moment, a row built without one)."""
    superseded_in: int | None = Field(default=None, foreign_key="change_set.id")
    """The change set that corrected or voided it; null while the registry holds it."""
    corrects: int | None = Field(default=None, foreign_key="fleet_event.id")
    """The event this one replaced, for a correction."""

    @property
    def date_on(self) -> PartialDate:
        return PartialDate(self.event_date, Precision(self.event_date_precision))

    @property
    def counts_from(self) -> date:
        """The day the event counts in totals: the end of its period."""
        return self.date_on.end


class Countable(Protocol):
    """What the totals need of an event: a stored FleetEvent or a lighter row of one."""

    @property
    def id(self) -> int | None: ...
    @property
    def counts_from(self) -> date: ...
    @property
    def kind(self) -> str: ...
    @property
    def count(self) -> int: ...
    @property
    def asset_type(self) -> str: ...


E = TypeVar("E", bound=Countable)


@dataclass(frozen=True)
class FleetPoint(Generic[E]):
    """The fleet right after one event."""

    event: E
    ordered: int
    in_service: int
    on_order: int


@dataclass(frozen=True)
class FleetSize:
    asset_type: str
    ordered: int
    in_service: int
    on_order: int


def _in_time(event: Countable) -> tuple[date, int, int]:
    return event.counts_from, _KIND_ORDER[FleetEventKind(event.kind)], event.id or 0


def running_totals(events: Iterable[E]) -> list[FleetPoint[E]]:
    """Fold events (any order) into running totals, in time; on one day orders come first."""
    ordered = delivered = retired = 0
    points = []
    for event in sorted(events, key=_in_time):
        if event.kind == FleetEventKind.ORDERED:
            ordered += event.count
        elif event.kind == FleetEventKind.DELIVERED:
            delivered += event.count
        else:
            retired += event.count
        points.append(FleetPoint(event, ordered, delivered - retired, ordered - delivered))
    return points


@dataclass(frozen=True)
class Counted:
    """An event as the totals read it: the few columns they need, without loading the row (the
    check of each new event reads the programme's whole fleet, so this keeps it cheap)."""

    id: int | None
    date_on: PartialDate
    kind: str
    count: int
    asset_type: str

    @property
    def counts_from(self) -> date:
        return self.date_on.end


def counted_events(session: Session, programme: Programme, asset_type: str) -> list[Counted]:
    rows = session.execute(
        sa_select(
            col(FleetEvent.id),
            col(FleetEvent.event_date),
            col(FleetEvent.event_date_precision),
            col(FleetEvent.kind),
            col(FleetEvent.count),
            col(FleetEvent.asset_type),
        ).where(
            col(FleetEvent.programme_id) == programme.id,
            col(FleetEvent.asset_type) == asset_type,
            col(FleetEvent.superseded_in).is_(None),
        )
    )
    return [
        Counted(id_, PartialDate(day, Precision(precision)), kind, count, asset)
        for id_, day, precision, kind, count, asset in rows
    ]


def _events(
    session: Session, programme: Programme, asset_type: str | None = None, known: Known = None
) -> list[FleetEvent]:
    query = select(FleetEvent).where(
        FleetEvent.programme_id == programme.id, recorded_by(FleetEvent, known)
    )
    if asset_type is not None:
        query = query.where(FleetEvent.asset_type == asset_type)
    return list(session.exec(query.order_by(col(FleetEvent.event_date), col(FleetEvent.id))))


def fleet_event_columns(
    session: Session,
    programme: Programme,
    *,
    date: PartialDate | date | str,
    kind: str,
    count: Any,
    asset_type: str | None = None,
    contract: int | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Check a fleet event's fields, each refusal naming its field; the columns of its row."""
    checks = Checks()
    kind_ = checks.choice(FleetEventKind, kind, "kind")
    when = checks.date(date, "date")
    count_ = checks.positive_int(count, "count")
    asset = checks.optional_text(asset_type, "asset_type", max_length=100) or programme.asset_type
    if not asset:
        checks.fail("asset_type", "is required: the programme has no asset type")
    if contract is not None:
        known = isinstance(contract, int) and 1 <= contract <= MAX_INT
        linked = session.get(Contract, contract) if known else None
        if linked is None or linked.programme_id != programme.id:
            checks.fail("contract", f"no contract {contract} in {programme.slug}")
    note_ = checks.optional_text(note, "note")
    checks.done()
    return {
        "programme_id": pk(programme),
        "event_date": when.start,
        "event_date_precision": when.precision.value,
        "asset_type": asset,
        "kind": kind_.value,
        "count": count_,
        "contract_id": contract,
        "note": note_,
        "version": 1,
    }


def counted(columns: dict[str, Any], id_: int | None = None) -> Counted:
    """An event's columns as the totals read them."""
    when = PartialDate(columns["event_date"], Precision(columns["event_date_precision"]))
    return Counted(id_, when, columns["kind"], columns["count"], columns["asset_type"])


def below_zero(events: Iterable[Counted]) -> tuple[Counted, str] | None:
    """The first event after which a total of one asset type goes below zero, and why."""
    for point in running_totals(events):
        when = point.event.date_on
        if point.in_service < 0:
            return point.event, f"more {point.event.asset_type} retired than delivered by {when}"
        if point.on_order < 0:
            return point.event, f"more {point.event.asset_type} delivered than ordered by {when}"
    return None


def below_zero_error(problem: str) -> InvalidValue:
    return InvalidValue("count", f"the fleet would go below zero: {problem}")


def record_fleet_event(
    session: Session, *, programme: str, actor: str, **fields: Any
) -> FleetEvent:
    """Record units (aircraft...) ordered, delivered or retired; no total may go below zero.
    The fields are `fleet_event_columns`'s."""
    programme_ = lock_programme(session, programme, field="programme")
    columns = fleet_event_columns(session, programme_, **fields)
    new = counted(columns)
    problem = below_zero([*counted_events(session, programme_, new.asset_type), new])
    if problem:
        raise below_zero_error(problem[1])
    event = FleetEvent(**columns, recorded_in=change_set(session, actor))
    session.add(event)
    session.flush()
    record_change(
        session, actor=actor, action=Action.CREATE, entity="fleet_event",
        key=f"{programme_.slug}/{event.id}", before=None, after=snapshot(event),
    )  # fmt: skip
    return event


EDITABLE = ("date", "kind", "count", "asset_type", "contract", "note")
"""The fields of a fleet event a correction may change."""


def _held_event(session: Session, programme: Programme, event_id: Any) -> FleetEvent:
    """The event the registry holds now, by id; 404 on `id` otherwise (a corrected or voided
    event's row is kept but no longer held: its correction has an id of its own)."""
    known = isinstance(event_id, int) and 1 <= event_id <= MAX_INT
    event = session.get(FleetEvent, event_id, populate_existing=True) if known else None
    if event is None or event.programme_id != programme.id or event.superseded_in is not None:
        raise NotFound("id", f"no fleet event {event_id} held in {programme.slug}")
    return event


def _reason(reason: Any) -> str:
    checks = Checks()
    text = checks.text(reason, "reason", max_length=2000)
    checks.done()
    return text


def _fleet_check(session: Session, programme: Programme, without: FleetEvent,
                 added: Counted | None) -> None:  # fmt: skip
    """No total below zero once `without` is gone and `added` (if any) is counted."""
    groups = {without.asset_type} | ({added.asset_type} if added else set())
    for asset in sorted(groups):
        events = [e for e in counted_events(session, programme, asset) if e.id != without.id]
        problem = below_zero([*events, *([added] if added and added.asset_type == asset else [])])
        if problem:
            raise below_zero_error(problem[1])


def correct_fleet_event(
    session: Session,
    *,
    programme: str,
    event_id: int,
    changes: Mapping[str, Any],
    reason: Any,
    actor: str,
    expected_version: int | None = None,
) -> FleetEvent:
    """Correct what was recorded of an event: a new row replaces it (`corrects` names it), and
    the old one stays readable `as_known_on` before; no total may go below zero."""
    programme_ = lock_programme(session, programme, field="programme")
    old = _held_event(session, programme_, event_id)
    check_version(old.version, expected_version)
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidValue(unknown[0], "is not a fleet event field that can be corrected")
    reason_ = _reason(reason)
    fields = {"date": old.date_on, "kind": old.kind, "count": old.count,
              "asset_type": old.asset_type, "contract": old.contract_id, "note": old.note,
              **changes}  # fmt: skip
    columns = fleet_event_columns(session, programme_, **fields)
    if all(getattr(old, name) == value for name, value in columns.items() if name != "version"):
        return old
    new = counted(columns)
    _fleet_check(session, programme_, old, new)
    number = change_set(session, actor)
    before = snapshot(old)
    _close(session, old, number)
    columns["version"] = old.version + 1
    event = FleetEvent(**columns, recorded_in=number, corrects=old.id)
    session.add(event)
    session.flush()
    from registry.sources import carry_citations  # it imports this module

    carry_citations(session, entity="fleet_event", old_id=pk(old), new_id=pk(event), actor=actor)
    record_change(
        session, actor=actor, action=Action.CORRECT, entity="fleet_event", entity_id=pk(event),
        key=f"{programme_.slug}/{event.id}", before=before,
        after={**snapshot(event), "reason": reason_},
    )  # fmt: skip
    return event


def void_fleet_event(
    session: Session,
    *,
    programme: str,
    event_id: int,
    reason: Any,
    actor: str,
    expected_version: int | None = None,
) -> None:
    """Void an event recorded by mistake: it no longer counts, and stays readable `as_known_on`
    before; refused when a total would then go below zero."""
    programme_ = lock_programme(session, programme, field="programme")
    old = _held_event(session, programme_, event_id)
    check_version(old.version, expected_version)
    reason_ = _reason(reason)
    _fleet_check(session, programme_, old, None)
    number = change_set(session, actor)
    before = snapshot(old)
    _close(session, old, number)
    record_change(
        session, actor=actor, action=Action.VOID, entity="fleet_event", entity_id=pk(old),
        key=f"{programme_.slug}/{old.id}", before=before, after={"reason": reason_},
    )  # fmt: skip


def _close(session: Session, event: FleetEvent, number: int) -> None:
    session.execute(
        update(FleetEvent)
        .where(col(FleetEvent.id) == event.id)
        .values(superseded_in=number)
        .execution_options(synchronize_session=False)
    )


def timeline(events: Iterable[E]) -> list[FleetPoint[E]]:
    """Events with running totals, each asset type counted apart, all in time order."""
    by_asset: dict[str, list[E]] = {}
    for event in events:
        by_asset.setdefault(event.asset_type, []).append(event)
    points = [point for group in by_asset.values() for point in running_totals(group)]
    return sorted(points, key=lambda point: _in_time(point.event))


def fleet_timeline(
    session: Session, programme: str | Programme, known: Known = None
) -> list[FleetPoint[FleetEvent]]:
    """Every event of the programme's fleet (recorded by `known` when given) with the running
    totals after it."""
    return timeline(_events(session, resolve_programme(session, programme), known=known))


def sizes_on(points: Iterable[FleetPoint[E]], on: date) -> list[FleetSize]:
    """Ordered, in service and on order on a date, per asset type, from running totals."""
    latest: dict[str, FleetPoint[E]] = {}
    for point in points:
        if point.event.counts_from <= on:
            latest[point.event.asset_type] = point
    return [
        FleetSize(asset, point.ordered, point.in_service, point.on_order)
        for asset, point in sorted(latest.items())
    ]


def fleet_on(session: Session, programme: str | Programme, on: date) -> list[FleetSize]:
    """Ordered, in service and on order on a date, per asset type."""
    return sizes_on(fleet_timeline(session, programme), on)
