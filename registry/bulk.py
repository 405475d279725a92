"""Many writes of one kind at once, for imports.

Each row is checked by the functions a single write uses (`joining`, `rejoin_problem`,
`share_problem`, `contract_columns`, `fleet_event_columns`, `below_zero`), against what the
registry holds (read once per programme, after the write lock) and the rows accepted before it.
Then every accepted row is written in a few statements, with its audit row, in one change set.
Time grows linearly with the rows.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from datetime import date
from typing import Any, Protocol

from sqlalchemy import insert, select
from sqlmodel import Session, col

from registry.audit import Entry, change_set, json_ready, record_changes
from registry.checks import MAX_INT
from registry.choices import Action
from registry.contracts import (
    Contract,
    contract_columns,
    contract_key,
    reference_taken,
)
from registry.database import pk
from registry.errors import FieldError, InvalidValue
from registry.fleet import (
    Counted,
    FleetEvent,
    below_zero,
    below_zero_error,
    counted,
    counted_events,
    fleet_event_columns,
)
from registry.organisations import Organisation, find_organisation
from registry.participation import (
    Joining,
    MembershipTerm,
    NewSpell,
    Participation,
    joined_history,
    joining,
    overlapping,
    rejoin_problem,
    share_problem,
    spell_key,
    term_columns,
)
from registry.programmes import Programme, lock_programme

Row = dict[str, str | None]
Outcome = tuple[str, str, str]
"""(action, entity, key) of one written row."""


class Batch(Protocol):
    def check(self, number: int, row: Row) -> None:
        """Accept the row (numbered from 1) or raise the rule's `RegistryError`."""

    def finish(self) -> list[FieldError]:
        """Refusals that only all the rows together show (each naming its row)."""

    def write(self) -> list[tuple[int, Outcome]]:
        """Write every accepted row; what each row numbered became."""


def _fields(row: Row) -> dict[str, Any]:
    return {name: value for name, value in row.items() if value is not None and name != "programme"}


def _inserted(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the rows in a few statements; their new ids, in the rows' order."""
    statement = insert(model).returning(model.id, sort_by_parameter_order=True)
    return [int(id_) for id_ in session.scalars(statement, rows)]


class _Programmes:
    """The programmes a batch writes to, each read once (the first read takes the write lock)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.found: dict[str, Programme] = {}

    def __call__(self, row: Row) -> Programme:
        slug = str(row["programme"])
        if slug not in self.found:
            self.found[slug] = lock_programme(self.session, slug, field="programme")
        return self.found[slug]


class _Shares:
    """Cost shares (first day, end, bp) kept by end, so that the few that can overlap a new
    term are found without reading them all."""

    def __init__(self) -> None:
        self.open: list[tuple[date, date | None, int]] = []
        self.ended: list[tuple[date, date, int]] = []
        """(end, first day, bp), by end."""

    def add(self, start: date, end: date | None, bp: int) -> None:
        if end is None:
            self.open.append((start, None, bp))
        else:
            insort(self.ended, (end, start, bp))

    def ending_after(self, day: date) -> list[tuple[date, date | None, int]]:
        """The shares that still hold after `day` begins (end later, or none)."""
        first = bisect_right(self.ended, (day, date.max, MAX_INT))
        return [*((s, e, bp) for e, s, bp in self.ended[first:]), *self.open]


class Joins:
    """Participations: each row a spell, joined (and left, when given)."""

    def __init__(self, session: Session, actor: str) -> None:
        self.session, self.actor = session, actor
        self.programme = _Programmes(session)
        self.spells: dict[int, dict[str, list[tuple[date, date | None]]]] = {}
        self.shares: dict[int, _Shares] = {}
        self.accepted: list[tuple[int, Programme, Joining]] = []

    def _held(
        self, programme: Programme
    ) -> tuple[dict[str, list[tuple[date, date | None]]], _Shares]:
        """Each nation's spells (first day, end) and every cost share (first day, end, bp) the
        programme holds now."""
        key = int(programme.id or 0)
        if key not in self.spells:
            rows = self.session.execute(
                select(
                    col(Participation.id), col(Participation.nation_code),
                    col(MembershipTerm.valid_from), col(MembershipTerm.valid_to),
                    col(MembershipTerm.cost_share_bp),
                )
                .join(Participation, col(Participation.id) == col(MembershipTerm.participation_id))
                .where(
                    col(Participation.programme_id) == programme.id,
                    col(MembershipTerm.superseded_in).is_(None),
                )
                .order_by(col(MembershipTerm.participation_id), col(MembershipTerm.valid_from))
            ).all()  # fmt: skip
            reach: dict[int, tuple[str, date, date | None]] = {}
            shares = _Shares()
            for spell, code, start, end, share in rows:
                first = reach[spell][1] if spell in reach else start
                reach[spell] = (code, first, end)  # the last term gives the spell's end
                if share is not None:
                    shares.add(start, end, int(share))
            spells: dict[str, list[tuple[date, date | None]]] = {}
            for code, first, end in reach.values():
                spells.setdefault(code, []).append((first, end))
            self.spells[key], self.shares[key] = spells, shares
        return self.spells[key], self.shares[key]

    def check(self, number: int, row: Row) -> None:
        programme = self.programme(row)
        join = joining(self.session, **_fields(row))
        spells, shares = self._held(programme)
        earlier = spells.setdefault(join.nation.code, [])
        rejoin_problem(programme, join, earlier)
        term = join.term
        share_problem(overlapping(shares.ending_after(term.valid_from.start), [term]), [term])
        earlier.append((term.valid_from.start, term.end))
        if term.cost_share_bp is not None:
            shares.add(term.valid_from.start, term.end, term.cost_share_bp)
        self.accepted.append((number, programme, join))

    def finish(self) -> list[FieldError]:
        return []

    def write(self) -> list[tuple[int, Outcome]]:
        if not self.accepted:
            return []
        number = change_set(self.session, self.actor)
        ids = _inserted(
            self.session,
            Participation,
            [{"programme_id": p.id, "nation_code": j.nation.code, "version": 1}
             for _, p, j in self.accepted],
        )  # fmt: skip
        self.session.execute(
            insert(MembershipTerm),
            [
                term_columns(id_, j.term, number)
                for id_, (_, _, j) in zip(ids, self.accepted, strict=True)
            ],
        )
        outcomes, entries = [], []
        for id_, (row, programme, join) in zip(ids, self.accepted, strict=True):
            spell = NewSpell(id_, pk(programme), join.nation.code)
            key = spell_key(programme, join.nation.code)
            entries.append(
                Entry(Action.CREATE, "participation", id_, key, None, joined_history(spell, join))
            )
            outcomes.append((row, ("create", "participation", key)))
        record_changes(self.session, self.actor, entries)
        return outcomes


class Contracts:
    """Contracts: each row one, its reference unique in its programme (in the file too)."""

    def __init__(self, session: Session, actor: str) -> None:
        self.session, self.actor = session, actor
        self.programme = _Programmes(session)
        self.organisations: dict[Any, Organisation | None] = {}
        self.references: dict[int, set[str]] = {}
        self.accepted: list[tuple[int, Programme, dict[str, Any]]] = []

    def _organisation(self, session: Session, slug: Any) -> Organisation | None:
        if slug not in self.organisations:
            self.organisations[slug] = find_organisation(session, slug)
        return self.organisations[slug]

    def _references(self, programme: Programme) -> set[str]:
        key = int(programme.id or 0)
        if key not in self.references:
            self.references[key] = set(
                self.session.scalars(
                    select(col(Contract.reference)).where(
                        col(Contract.programme_id) == programme.id,
                        col(Contract.reference).is_not(None),
                    )
                )
            )
        return self.references[key]

    def check(self, number: int, row: Row) -> None:
        programme = self.programme(row)
        columns = contract_columns(self.session, programme, **_fields(row), find=self._organisation)
        reference = columns["reference"]
        if reference:
            taken = self._references(programme)
            if reference in taken:
                raise reference_taken(programme, reference)
            taken.add(reference)
        self.accepted.append((number, programme, columns))

    def finish(self) -> list[FieldError]:
        return []

    def write(self) -> list[tuple[int, Outcome]]:
        if not self.accepted:
            return []
        ids = _inserted(self.session, Contract, [columns for _, _, columns in self.accepted])
        outcomes, entries = [], []
        for id_, (row, programme, columns) in zip(ids, self.accepted, strict=True):
            stored = {"id": id_, **columns}
            key = contract_key(programme, stored)
            entries.append(Entry(Action.CREATE, "contract", id_, key, None, json_ready(stored)))
            outcomes.append((row, ("create", "contract", key)))
        record_changes(self.session, self.actor, entries)
        return outcomes


class FleetEvents:
    """Fleet events: each row one; no total may go below zero, with every row counted at once
    (in time order, whatever the order of the rows)."""

    def __init__(self, session: Session, actor: str) -> None:
        self.session, self.actor = session, actor
        self.programme = _Programmes(session)
        self.contracts: dict[int, dict[str, int]] = {}
        self.loaded: list[Contract] = []
        """Held, so that the rule's own look-up by id finds them in the session."""
        self.fleets: dict[tuple[int, str], list[Counted]] = {}
        self.rows: dict[int, int] = {}
        """Row number by the id() of each new event as the totals count it."""
        self.accepted: list[tuple[int, Programme, dict[str, Any]]] = []

    def _contract(self, programme: Programme, reference: str) -> int:
        """A contract of the programme by reference (a file names contracts so)."""
        key = int(programme.id or 0)
        if key not in self.contracts:  # loaded whole, so the rule's own lookup finds them read
            found = self.session.scalars(
                select(Contract).where(col(Contract.programme_id) == programme.id)
            ).all()
            self.loaded += found
            self.contracts[key] = {c.reference: int(c.id or 0) for c in found if c.reference}
        if reference not in self.contracts[key]:
            raise InvalidValue("contract", f"no contract {reference!r} in {programme.slug}")
        return self.contracts[key][reference]

    def check(self, number: int, row: Row) -> None:
        programme = self.programme(row)
        fields = _fields(row)
        if "contract" in fields:
            fields["contract"] = self._contract(programme, fields["contract"])
        columns = fleet_event_columns(self.session, programme, **fields)
        group = (int(programme.id or 0), columns["asset_type"])
        if group not in self.fleets:
            self.fleets[group] = counted_events(self.session, programme, group[1])
        event = counted(columns)
        self.fleets[group].append(event)
        self.rows[id(event)] = number
        self.accepted.append((number, programme, columns))

    def finish(self) -> list[FieldError]:
        errors = []
        for events in self.fleets.values():
            problem = below_zero(events)
            if problem is None:
                continue
            culprit = problem[0]
            if id(culprit) not in self.rows:  # a stored event: blame the last new one before it
                before = [e for e in events if id(e) in self.rows and e.counts_from
                          <= culprit.counts_from]  # fmt: skip
                culprit = max(before, key=lambda e: e.counts_from, default=culprit)
            error = below_zero_error(problem[1]).errors[0]
            errors.append(FieldError(error.field, error.message, row=self.rows.get(id(culprit))))
        return sorted(errors, key=lambda e: e.row or 0)

    def write(self) -> list[tuple[int, Outcome]]:
        if not self.accepted:
            return []
        number = change_set(self.session, self.actor)
        rows = [{**columns, "recorded_in": number} for _, _, columns in self.accepted]
        ids = _inserted(self.session, FleetEvent, rows)
        outcomes, entries = [], []
        for id_, (row, programme, _), columns in zip(ids, self.accepted, rows, strict=True):
            key = f"{programme.slug}/{id_}"
            snapshot = json_ready({"id": id_, **columns})
            entries.append(Entry(Action.CREATE, "fleet_event", id_, key, None, snapshot))
            outcomes.append((row, ("create", "fleet_event", key)))
        record_changes(self.session, self.actor, entries)
        return outcomes
