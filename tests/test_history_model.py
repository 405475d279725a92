"""Random sequences of membership commands and contract amendments against a small model of
the two time axes.

The model holds, per nation, spells over a grid of ten yearly cells (every command date is a
cell's first day), each cell with the role and share then held; and one contract, signed on the
first cell, with the value each amendment sets from its cell on. It keeps a copy of the whole
state after each write. The registry must accept and refuse the same commands, and answer
"members on D" and "the contract's value on D", as known after write k, as the model does, for
dates on and between the cells.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import Session, select

from registry.amendments import amend_contract, amended
from registry.audit import ChangeSet
from registry.contracts import Contract, add_contract
from registry.database import pk, unit_of_work
from registry.errors import RegistryError
from registry.participation import join_programme, members_on, update_participation
from tests.factories import ACTOR, make_programme

CELLS = 10
NATIONS = ("NLD", "BEL", "DNK")
ROLES = ("lead", "participant", "observer")
SHARES = (None, 3000, 6000)  # basis points: two 60 % shares at once break the 100 % rule
SIGNED_VALUE = 100_000  # minor units; amendments set 200,000, 300,000 or 400,000
TODAY = CELLS + 100  # where a change without a date holds from: beyond every cell asked about
_counter = itertools.count()


def day(cell: int) -> date:
    return date(2001 + cell, 1, 1)


@dataclass
class ModelSpell:
    start: int
    end: int | None = None
    cells: dict[int, tuple[str, int | None]] = field(default_factory=dict)

    def covers(self, cell: int) -> bool:
        return self.start <= cell and (self.end is None or cell < self.end)


@dataclass
class Model:
    spells: dict[str, list[ModelSpell]] = field(default_factory=dict)
    amendments: dict[int, int] = field(default_factory=dict)
    """The contract's value from each cell an amendment holds from (the later recorded wins)."""

    def value(self, on: date) -> int:
        cell = min(CELLS - 1, on.year - 2001)
        starts = [start for start in self.amendments if start <= cell]
        return self.amendments[max(starts)] if starts else SIGNED_VALUE

    def open(self, nation: str) -> ModelSpell | None:
        held = self.spells.get(nation, [])
        return held[-1] if held and held[-1].end is None else None

    def shares_ok(self) -> bool:
        for cell in range(CELLS):
            total = sum(
                (s.cells[cell][1] or 0)
                for held in self.spells.values()
                for s in held
                if s.covers(cell)
            )
            if total > 10_000:
                return False
        return True

    def members(self, on: date) -> set[tuple[str, str, int | None, date]]:
        cell = min(CELLS - 1, on.year - 2001) if on >= day(0) else -1
        return {
            (nation, *s.cells[cell], day(s.start))
            for nation, held in self.spells.items()
            for s in held
            if cell >= 0 and s.covers(cell)
        }


def _apply_model(model: Model, command: tuple[Any, ...]) -> bool:
    """Apply to the model; False when the registry must refuse it (the model is then unchanged
    by the caller, who works on a copy)."""
    kind, nation = command[0], command[1]
    if kind == "amend":
        _, _, start, value, correction = command
        model.amendments[start if start is not None else 0 if correction else TODAY] = value
        return True
    held = model.spells.setdefault(nation, [])
    spell = model.open(nation)
    if kind == "join":
        _, _, start, role, share = command
        if spell is not None or (held and held[-1].end is not None and start < held[-1].end):
            return False
        cells = dict.fromkeys(range(start, CELLS), (role, share))
        held.append(ModelSpell(start, None, cells))
        return model.shares_ok()
    if kind == "leave":
        end = command[2]
        if spell is None or end < spell.start:
            return False
        changes = [c for c in range(spell.start + 1, CELLS) if spell.cells[c] != spell.cells[c - 1]]
        if any(c >= end for c in changes):
            return False
        spell.end = end
        return True
    _, _, what, value, start = command  # change / correct
    correction = kind == "correct"
    target = spell if spell is not None else (held[-1] if held and correction else None)
    if target is None:
        return False
    begin = target.start if start is None else start
    if begin < target.start or (target.end is not None and begin >= target.end):
        return False
    for c in range(begin, CELLS):
        role, share = target.cells[c]
        target.cells[c] = (value, share) if what == "role" else (role, value)
    return model.shares_ok()


def _apply_registry(session: Session, slug: str, command: tuple[Any, ...]) -> None:
    kind, nation = command[0], command[1]
    if kind == "amend":
        _, _, start, value, correction = command
        contract = session.exec(select(Contract).where(Contract.title == slug)).one()
        amend_contract(session, contract_id=pk(contract), amount=str(value / 100), currency="EUR",
                       effective=None if start is None else day(start), correction=correction,
                       actor=ACTOR)  # fmt: skip
    elif kind == "join":
        share = command[4]
        join_programme(session, programme=slug, nation=nation, joined=day(command[2]),
                       role=command[3], cost_share=None if share is None else str(share / 100),
                       actor=ACTOR)  # fmt: skip
    elif kind == "leave":
        update_participation(session, programme=slug, nation=nation,
                             changes={"left": day(command[2])}, actor=ACTOR)  # fmt: skip
    else:
        _, _, what, value, start = command
        changes = {"role": value} if what == "role" else {
            "cost_share": None if value is None else str(value / 100)
        }  # fmt: skip
        update_participation(
            session, programme=slug, nation=nation, changes=changes, actor=ACTOR,
            effective=None if start is None else day(start), correction=kind == "correct",
        )  # fmt: skip


cells = st.integers(0, CELLS - 1)
nations = st.sampled_from(NATIONS)


def edits(kind: str, start: st.SearchStrategy[int | None]) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.one_of(
        st.tuples(st.just(kind), nations, st.just("role"), st.sampled_from(ROLES), start),
        st.tuples(st.just(kind), nations, st.just("share"), st.sampled_from(SHARES), start),
    )


commands = st.one_of(
    st.tuples(st.just("join"), nations, cells, st.sampled_from(ROLES), st.sampled_from(SHARES)),
    st.tuples(st.just("leave"), nations, cells),
    # A change without a date holds from today, beyond the model's cells: changes get one.
    edits("change", cells),
    edits("correct", st.one_of(st.none(), cells)),
    # The contract's value from a cell (a change without a date: from today; a correction
    # without one: from the signing).
    st.tuples(st.just("amend"), st.just("-"), st.one_of(st.none(), cells),
              st.sampled_from((200_000, 300_000, 400_000)), st.booleans()),
)  # fmt: skip


def _last_change_set(engine: Any) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.max(ChangeSet.id))).scalar_one() or 0)


QUERY_DAYS = [day(0) - timedelta(days=1)] + [
    day(c) + timedelta(days=offset) for c in range(CELLS) for offset in (0, 200)
]


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sequence=st.lists(commands, min_size=1, max_size=8))
def test_the_registry_answers_as_the_model_on_both_axes(engine, nations, sequence):
    with unit_of_work(engine) as session:
        slug = f"model-{next(_counter)}"
        make_programme(session, slug=slug)
        add_contract(session, programme=slug, title=slug, kind="acquisition", signed=day(0),
                     amount=str(SIGNED_VALUE / 100), currency="EUR", actor=ACTOR)  # fmt: skip
    model = Model()
    known: list[tuple[int, Model]] = [(_last_change_set(engine), copy.deepcopy(model))]
    for command in sequence:
        trial = copy.deepcopy(model)
        accepted = _apply_model(trial, command)
        try:
            with unit_of_work(engine) as session:
                _apply_registry(session, slug, command)
            done = True
        except RegistryError:
            done = False
        assert done == accepted, command
        if not accepted:
            continue
        number = _last_change_set(engine)
        if number != known[-1][0]:  # a write that changed nothing makes no change set
            model = trial
            known.append((number, copy.deepcopy(model)))
        else:
            assert _same_answers(trial, model), command
    with Session(engine) as session:
        contract = session.exec(select(Contract).where(Contract.title == slug)).one()
        for number, state in known:
            for on in QUERY_DAYS[1:]:  # the contract was signed on the first cell
                value = select(amended("value_minor", on, number)).where(Contract.id == contract.id)
                assert session.execute(value).scalar_one() == state.value(on), (number, on)
            for on in QUERY_DAYS:
                found = {
                    (n.code, s.role, s.cost_share_bp, s.joined)
                    for s, n in members_on(session, slug, on, number)
                }
                assert found == state.members(on), (number, on)
                assert all(s.left is None for s, _ in members_on(session, slug, on, number))


def _same_answers(one: Model, other: Model) -> bool:
    return all(
        one.members(on) == other.members(on) and one.value(on) == other.value(on)
        for on in QUERY_DAYS[1:]
    ) and one.members(QUERY_DAYS[0]) == other.members(QUERY_DAYS[0])
