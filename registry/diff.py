"""What changed in a programme between two dates (valid time) or two moments (record time).

Between two dates: the nations that joined or left in between, every term that changed in
between (field, before, after, the day it took effect), the fleet on each date and the contracts
signed and amended in between. Between two moments: the same, for what the registry learnt in
between — spells recorded, leaves recorded, values corrected or changed (compared on every day a
term starts, as known at each moment), fleet events, contracts and amendments recorded.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col

from registry.amendments import ContractAmendment, amended_between
from registry.contracts import Contract
from registry.dates import PartialDate
from registry.fleet import FleetEvent, FleetSize, fleet_timeline, sizes_on, timeline
from registry.history import Known, holds
from registry.nations import Nation
from registry.participation import Participation, Spell, Term, spell_terms, whole
from registry.programmes import Programme, get_programme
from registry.search import contracts_page

FIELDS = {"role": "role", "instrument": "instrument", "cost_share_bp": "cost_share",
          "note": "note"}  # fmt: skip
"""Term values by the name clients know them by."""


@dataclass(frozen=True)
class FieldChange:
    nation: str
    field: str
    before: Any
    after: Any
    effective: PartialDate


@dataclass(frozen=True)
class Diff:
    joined: list[tuple[Spell, Nation]]
    left: list[tuple[Spell, Nation]]
    changed: list[FieldChange]
    fleet_before: list[FleetSize]
    fleet_after: list[FleetSize]
    contracts: list[Any]
    """Rows as `registry.search.contracts_page` gives them."""
    amended: list[tuple[Contract, ContractAmendment]]
    """Contracts amended in between: effective then (dates) or recorded then (moments)."""
    voided: list[Any] = dataclasses.field(default_factory=list)
    """Contracts voided in between (moments only: a void fixes the record, not the world), rows
    as `contracts` has them, as they were before."""


def _where(programme: Programme) -> list[Any]:
    return [col(Participation.programme_id) == programme.id]


def between_dates(session: Session, slug: str, start: date, end: date, known: Known = None) -> Diff:
    """What changed in the world after `start` up to and including `end`, as known at `known`."""
    programme = get_programme(session, slug)
    joined, left, changed = [], [], []
    for spell, nation, terms in spell_terms(session, _where(programme), known):
        came, went, fields = spell_changes(nation.code, terms, start, end)
        if came:
            shown = whole(spell, terms, terms[0])
            if terms[-1].end is None or terms[-1].end > end:  # nothing later than `end` shows
                shown = _open(shown)
            joined.append((shown, nation))
        if went:
            left.append((whole(spell, terms), nation))
        changed += fields
    points = timeline(_events(session, programme, known))
    return Diff(
        joined, left, changed, sizes_on(points, start), sizes_on(points, end),
        [] if end <= start else  # nothing between; and no day after the calendar's last
        contracts_page(session, programme=slug, signed_from=start + timedelta(days=1),
                       signed_to=end, recorded_by=known, limit=None).items,
        amended_between(session, programme, col(ContractAmendment.effective) > start,
                        col(ContractAmendment.effective) <= end, known=known),
    )  # fmt: skip


def between_moments(
    session: Session, slug: str, start: Known, end: Known, on: date | None = None
) -> Diff:
    """What the registry learnt after change set `start` up to `end` (None: now); the fleet is
    counted on `on` (default today) as known at each."""
    programme = get_programme(session, slug)
    on = on or date.today()
    before = {s.id: (s, n, t) for s, n, t in spell_terms(session, _where(programme), start)}
    joined, left, changed = [], [], []
    for spell, nation, terms in spell_terms(session, _where(programme), end):
        if spell.id not in before:
            joined.append((whole(spell, terms), nation))
            continue
        old = before[spell.id][2]
        if terms[-1].valid_to is not None and terms[-1].valid_to != old[-1].valid_to:
            left.append((whole(spell, terms), nation))
        elif terms[-1].valid_to is None and old[-1].valid_to is not None:  # a leave taken back
            was = old[-1].valid_to
            changed.append(FieldChange(nation.code, "left", was.isoformat(), None, was))
        changed += _corrections(nation.code, old, terms)
    return Diff(
        joined, left, changed,
        sizes_on(timeline(_events(session, programme, start)), on),
        sizes_on(timeline(_events(session, programme, end)), on),
        contracts_page(session, programme=slug, recorded_after=start, recorded_by=end,
                       limit=None).items,
        amended_between(session, programme, col(ContractAmendment.recorded_in) > (start or 0),
                        known=end),
        _voided(session, slug, start, end),
    )  # fmt: skip


def _voided(session: Session, slug: str, start: Known, end: Known) -> list[Any]:
    """The programme's contracts held at `start` and voided by `end`."""
    before = contracts_page(session, programme=slug, recorded_by=start or 0, limit=None).items
    return [
        row for row in before if row[0].voided_in is not None
        and row[0].voided_in > (start or 0) and (end is None or row[0].voided_in <= end)
    ]  # fmt: skip


def spell_changes(
    nation: str, terms: list[Term], start: date, end: date
) -> tuple[bool, bool, list[FieldChange]]:
    """Whether the spell began and whether it ended after `start` up to and including `end`,
    and the values that changed in between (each with the day it took effect)."""
    first, last = terms[0], terms[-1]
    changed = [
        change
        for before, after in itertools.pairwise(terms)
        if before.end == after.valid_from.start and start < after.valid_from.start <= end
        for change in _differences(nation, before, after, after.valid_from)
    ]
    began = start < first.valid_from.start <= end
    ended = last.end is not None and start < last.end <= end
    return began, ended, changed


def _open(spell: Spell) -> Spell:
    return replace(spell, left=None, left_precision=None)


def _differences(
    nation: str, before: Term, after: Term, effective: PartialDate
) -> list[FieldChange]:
    old, new = before.values(), after.values()
    return [
        FieldChange(nation, FIELDS[name], old[name], new[name], effective)
        for name in FIELDS
        if old[name] != new[name]
    ]


def _in_force(terms: list[Term], day: date) -> Term | None:
    return next((t for t in terms if holds(t.valid_from.start, t.end, day)), None)


def _corrections(nation: str, old: list[Term], new: list[Term]) -> list[FieldChange]:
    """The values that differ between two versions of a spell's terms, on each day a term of
    either starts, reported where a difference begins."""
    starts = sorted({t.valid_from for t in [*old, *new]}, key=lambda d: d.start)
    found: list[FieldChange] = []
    previous: dict[str, tuple[Any, Any]] = {}
    for start in starts:
        was, now = _in_force(old, start.start), _in_force(new, start.start)
        current: dict[str, tuple[Any, Any]] = {}
        for name, field in FIELDS.items():
            pair = (was.values()[name] if was else None, now.values()[name] if now else None)
            if pair[0] != pair[1]:
                current[field] = pair
                if previous.get(field) != pair:
                    found.append(FieldChange(nation, field, pair[0], pair[1], start))
        previous = current
    return found


def _events(session: Session, programme: Programme, known: Known) -> list[FleetEvent]:
    return [point.event for point in fleet_timeline(session, programme, known)]
