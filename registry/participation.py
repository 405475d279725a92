"""Participation: nations join programmes, change their terms from a date, correct, leave.

A spell (`participation`) is one stay of a nation in a programme; rejoining is a new spell. What
the nation held during it lives in dated terms (`membership_term`): role, instrument, cost share
and note over [valid_from, valid_to), recorded in a change set and closed by a later one when
replaced (`registry.history`). The spell's joined date is its first term's start, its left date
its last term's end. Nothing is updated in place: a change from a date splits the term in force
then; a correction replaces the terms it covers; both keep the rows they replace, so a read
`as_known_on` before them answers as the registry did.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Protocol

from sqlalchemy import BindParameter, ColumnElement, Index, and_, bindparam, func, text
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Field, Session, SQLModel, col, select

from registry.audit import change_set, record_change
from registry.checks import Checks, check_version
from registry.choices import Action, Instrument, Role
from registry.database import pk
from registry.dates import PartialDate, Precision
from registry.errors import Conflict, InvalidValue, NotFound
from registry.history import Known, holds, in_force, recorded_by
from registry.nations import Nation, check_nation
from registry.periods import from_date, held_rows, store
from registry.programme_versions import as_known
from registry.programmes import Programme, lock_programme, resolve_programme

FULL_SHARE_BP = 10_000  # 100 % in basis points
TERMS = ("role", "instrument", "cost_share", "note")
"""The fields a membership holds in dated terms."""
UPDATABLE = (*TERMS, "left")


class Participation(SQLModel, table=True):
    """One spell of a nation in a programme; its dates and terms are its `MembershipTerm`s."""

    __tablename__ = "participation"
    __table_args__ = (Index("ix_participation_programme_nation", "programme_id", "nation_code"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id")
    nation_code: str = Field(max_length=3, foreign_key="nation.code", index=True)
    version: int = 1
    """Raised by every write to the spell: `If-Match` compares it."""


class MembershipTerm(SQLModel, table=True):
    """What a nation held in a spell over [valid_from, valid_to), as recorded in one change set."""

    __tablename__ = "membership_term"
    __table_args__ = (
        Index("ix_membership_term_spell", "participation_id", "superseded_in", "valid_from"),
        # A guard under the rules: a spell holds at most one open-ended term at a time.
        Index(
            "uq_membership_term_open",
            "participation_id",
            unique=True,
            sqlite_where=text("valid_to IS NULL AND superseded_in IS NULL"),
            postgresql_where=text("valid_to IS NULL AND superseded_in IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    participation_id: int = Field(foreign_key="participation.id")
    valid_from: date
    valid_from_precision: str = Field(default="day", max_length=5)
    valid_to: date | None = None
    """The first day it no longer holds; null while it does."""
    valid_to_precision: str | None = Field(default=None, max_length=5)
    role: str = Field(max_length=12)
    instrument: str | None = Field(default=None, max_length=20)
    """What the nation signed: letter_of_intent, mou, accession or agreement."""
    cost_share_bp: int | None = None
    """Cost share in basis points (1 bp = 0.01 %); None when not known."""
    note: str | None = Field(default=None, max_length=2000)
    recorded_in: int = Field(foreign_key="change_set.id", index=True)
    superseded_in: int | None = Field(default=None, foreign_key="change_set.id")


@dataclass(frozen=True)
class Term:
    """A term's period and values, before it is stored."""

    valid_from: PartialDate
    valid_to: PartialDate | None
    role: str
    instrument: str | None
    cost_share_bp: int | None
    note: str | None

    @classmethod
    def of(cls, row: MembershipTerm) -> Term:
        return cls(
            PartialDate(row.valid_from, Precision(row.valid_from_precision)),
            PartialDate.stored(row.valid_to, row.valid_to_precision),
            row.role, row.instrument, row.cost_share_bp, row.note,
        )  # fmt: skip

    @property
    def end(self) -> date | None:
        return self.valid_to.start if self.valid_to else None

    def values(self) -> dict[str, Any]:
        return {"role": self.role, "instrument": self.instrument,
                "cost_share_bp": self.cost_share_bp, "note": self.note}  # fmt: skip

    def snapshot(self) -> dict[str, Any]:
        return {
            "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
            **self.values(),
        }


@dataclass(frozen=True)
class Spell:
    """A spell as read on a date: the terms then in force, its joined date and, for a spell
    that had ended by then (or when the whole spell is asked for), its left date."""

    id: int
    programme_id: int
    nation_code: str
    role: str
    instrument: str | None
    joined: date
    joined_precision: str
    left: date | None
    left_precision: str | None
    cost_share_bp: int | None
    note: str | None
    version: int

    @property
    def joined_on(self) -> PartialDate:
        return PartialDate(self.joined, Precision(self.joined_precision))

    @property
    def left_on(self) -> PartialDate | None:
        return PartialDate.stored(self.left, self.left_precision)

    def snapshot(self) -> dict[str, Any]:
        return {
            "id": self.id, "programme_id": self.programme_id, "nation_code": self.nation_code,
            "role": self.role, "instrument": self.instrument,
            "joined": self.joined_on.isoformat(),
            "left": self.left_on.isoformat() if self.left_on else None,
            "cost_share_bp": self.cost_share_bp, "note": self.note, "version": self.version,
        }  # fmt: skip


class SpellRow(Protocol):
    """What a spell's row gives a read model: a stored `Participation`, or the ids of one just
    written in bulk."""

    @property
    def id(self) -> int | None: ...
    @property
    def programme_id(self) -> int: ...
    @property
    def nation_code(self) -> str: ...
    @property
    def version(self) -> int: ...


@dataclass(frozen=True)
class NewSpell:
    id: int
    programme_id: int
    nation_code: str
    version: int = 1


def _spell(participation: SpellRow, shown: Term, first: Term, last: Term | None) -> Spell:
    """`shown` gives the values, `first` the joined date, `last` (when given) the left date."""
    left = last.valid_to if last is not None else None
    return Spell(
        pk(participation), participation.programme_id, participation.nation_code,
        shown.role, shown.instrument, first.valid_from.start, first.valid_from.precision.value,
        left.start if left else None, left.precision.value if left else None,
        shown.cost_share_bp, shown.note, participation.version,
    )  # fmt: skip


def spell_key(programme: Programme, nation_code: str) -> str:
    return f"{programme.slug}/{nation_code}"


# --- reading -------------------------------------------------------------------------------


def _terms_by_spell(
    session: Session, where: Iterable[ColumnElement[bool]], known: Known
) -> dict[int, list[Term]]:
    """Every term the registry held at `known` of the spells matching `where`, oldest first."""
    rows = session.exec(
        select(MembershipTerm)
        .join(Participation, col(Participation.id) == col(MembershipTerm.participation_id))
        .where(*where, recorded_by(MembershipTerm, known))
        .order_by(col(MembershipTerm.participation_id), col(MembershipTerm.valid_from))
    )
    terms: dict[int, list[Term]] = {}
    for row in rows:
        terms.setdefault(row.participation_id, []).append(Term.of(row))
    return terms


@dataclass(frozen=True)
class MemberRow:
    """A member on a date: the spell with the terms then in force, and its nation's name."""

    spell: Spell
    nation_name: str


_SCOPES = {"programme": Participation.programme_id, "nation": Participation.nation_code}
_MEMBER_STATEMENTS: dict[tuple[str, bool], Any] = {}


def _member_statement(scope: str, with_known: bool) -> Any:
    """The members statement for a programme or a nation, built once per shape with bound
    parameters (`scope`, `on`, `known`): building it costs twenty times running it."""
    key = (scope, with_known)
    if key in _MEMBER_STATEMENTS:
        return _MEMBER_STATEMENTS[key]
    known: BindParameter[Any] | None = bindparam("known") if with_known else None
    t, first, earliest = (aliased(MembershipTerm, name=n) for n in ("t", "first", "earliest"))
    joined = (
        sa_select(func.min(earliest.valid_from))
        .where(
            col(earliest.participation_id) == col(Participation.id),
            recorded_by(earliest, known),
        )
        .correlate(Participation)
        .scalar_subquery()
    )
    statement = (
        sa_select(
            col(Participation.id), col(Participation.programme_id),
            col(Participation.nation_code), col(Participation.version), col(Nation.name),
            col(t.role), col(t.instrument), col(t.cost_share_bp), col(t.note),
            col(first.valid_from), col(first.valid_from_precision),
        )
        .select_from(t)
        .join(Participation, col(Participation.id) == col(t.participation_id))
        .join(Nation, col(Nation.code) == col(Participation.nation_code))
        .join(
            first,
            and_(
                col(first.participation_id) == col(Participation.id),
                recorded_by(first, known),
                col(first.valid_from) == joined,
            ),
        )
        .where(col(_SCOPES[scope]) == bindparam("scope"), in_force(t, bindparam("on"), known))
        .order_by(col(Nation.name), col(Participation.id))
    )  # fmt: skip
    _MEMBER_STATEMENTS[key] = statement
    return statement


def member_rows(
    session: Session, scope: str, value: int | str, on: date, known: Known = None
) -> Sequence[Any]:
    """The spells of a programme (`scope` "programme", its id) or of a nation ("nation", its
    code) in force on `on` as known at `known`, with the terms then in force, by nation name:
    plain rows of (id, programme_id, nation_code, version, nation name, role, instrument,
    cost_share_bp, note, joined, joined precision). Their left date lies after `on`, so it is
    not read: an answer as of a date tells nothing later. A prebuilt Core statement on the
    session's connection: the busiest read there is."""
    values: dict[str, Any] = {"scope": value, "on": on}
    if known is not None:
        values["known"] = known
    return session.connection().execute(_member_statement(scope, known is not None), values).all()


def members_where(
    session: Session, scope: str, value: int | str, on: date, known: Known = None
) -> list[MemberRow]:
    """`member_rows` as spells with their nation's name."""
    return [
        MemberRow(
            Spell(id_, programme, code, role, instrument, start, precision, None, None, share,
                  note, version),
            name,
        )
        for (id_, programme, code, version, name, role, instrument, share, note, start,
             precision) in member_rows(session, scope, value, on, known)
    ]  # fmt: skip


def members_on(
    session: Session, programme: str | int | Programme, on: date, known: Known = None
) -> list[tuple[Spell, Nation]]:
    """The programme's members on a date, as known at `known`, by nation name."""
    id_ = programme if isinstance(programme, int) else pk(resolve_programme(session, programme))
    found = members_where(session, "programme", id_, on, known)
    nations = {
        n.code: n for n in _rows(session, Nation, Nation.code, {m.spell.nation_code for m in found})
    }
    return [(m.spell, nations[m.spell.nation_code]) for m in found]


def nation_programmes_on(
    session: Session, nation: str, on: date, known: Known = None
) -> list[tuple[Programme, Spell]]:
    """The programmes a nation takes part in on a date, as known at `known`, by name."""
    checks = Checks()
    nation_ = check_nation(session, checks, nation, "code")
    checks.done()
    assert nation_ is not None
    found = members_where(session, "nation", nation_.code, on, known)
    rows = _rows(session, Programme, Programme.id, {m.spell.programme_id for m in found})
    programmes = {p.id: p for p in as_known(session, rows, known)}
    pairs = [(programmes[m.spell.programme_id], m.spell) for m in found]
    return sorted(pairs, key=lambda pair: (pair[0].name, pair[0].id))


def _rows(session: Session, table: Any, key: Any, values: set[Any]) -> list[Any]:
    return list(session.exec(select(table).where(col(key).in_(values)))) if values else []


def spell_terms(
    session: Session, where: list[ColumnElement[bool]], known: Known = None
) -> list[tuple[Participation, Nation, list[Term]]]:
    """Spells matching `where` with every term the registry held at `known`, oldest first."""
    terms = _terms_by_spell(session, where, known)
    if not terms:
        return []
    rows = session.exec(
        select(Participation, Nation)
        .join(Nation, col(Nation.code) == col(Participation.nation_code))
        .where(col(Participation.id).in_(list(terms)), *where)
    ).all()
    found = [(spell, nation, terms[pk(spell)]) for spell, nation in rows]
    return sorted(found, key=lambda row: (row[2][0].valid_from.start, row[1].name, row[0].id))


def spells(
    session: Session, where: list[ColumnElement[bool]], known: Known = None
) -> list[tuple[Spell, Nation]]:
    """Whole spells matching `where` as known at `known`: joined and left dates, and the terms
    held last; oldest first."""
    return [
        (whole(spell, terms), nation) for spell, nation, terms in spell_terms(session, where, known)
    ]


def participation_history(
    session: Session, programme: str | Programme, known: Known = None
) -> list[tuple[Spell, Nation]]:
    """Every spell of every nation in the programme, past and present, oldest first."""
    programme_ = resolve_programme(session, programme)
    return spells(session, [col(Participation.programme_id) == programme_.id], known)


def current_participation(session: Session, programme: str, nation: str) -> tuple[Spell, Nation]:
    """The nation's spell in the programme that has not ended (it may end on a later day); 404
    on `nation` when it is not a member."""
    programme_ = resolve_programme(session, programme)
    checks = Checks()
    nation_ = check_nation(session, checks, nation)
    checks.done()
    assert nation_ is not None
    today = date.today()
    for spell, found in reversed(spells(session, _of(programme_, nation_.code))):
        if spell.left is None or spell.left > today:  # a member now, or until a later day
            return spell, found
    raise NotFound("nation", f"{nation_.code} is not a current member of {programme_.slug}")


def _of(programme: Programme, nation_code: str) -> list[ColumnElement[bool]]:
    return [
        col(Participation.programme_id) == programme.id,
        col(Participation.nation_code) == nation_code,
    ]


# --- the cost-share rule -------------------------------------------------------------------


def peak_share(spells_: list[tuple[date, date | None, int]]) -> tuple[int, date | None]:
    """The highest total of cost shares (bp) held at once, and the first day it is reached.

    A share holds from its first day until the day before its end.
    """
    changes = []
    for start, end, share in spells_:
        changes.append((start, 1, share))
        if end is not None:
            changes.append((end, 0, -share))  # on one day, ends go before starts
    peak, peak_day, running = 0, None, 0
    for day, _, delta in sorted(changes):
        running += delta
        if running > peak:
            peak, peak_day = running, day
    return peak, peak_day


def _reach(terms: list[Term]) -> tuple[date, date | None] | None:
    """From the first day of the terms with a share to the end of the last (None: open)."""
    shared = [t for t in terms if t.cost_share_bp is not None]
    if not shared:
        return None
    ends = [t.end for t in shared]
    end = None if None in ends else max(e for e in ends if e is not None)
    return min(t.valid_from.start for t in shared), end


def overlapping(
    spans: Iterable[tuple[date, date | None, int]], terms: list[Term]
) -> list[tuple[date, date | None, int]]:
    """The cost-share spans (start, end, bp) among `spans` that overlap the shared `terms`:
    only those can add to their total."""
    reach = _reach(terms)
    if reach is None:
        return []
    start, end = reach
    return [
        (s, e, bp) for s, e, bp in spans if (end is None or s < end) and (e is None or e > start)
    ]


def share_problem(others: list[tuple[date, date | None, int]], terms: list[Term]) -> None:
    """Refuse terms that, with the other spells' shares `others` (start, end, bp), would take
    the members' cost shares above 100 % on any date."""
    shared = [(t.valid_from.start, t.end, int(t.cost_share_bp)) for t in terms
              if t.cost_share_bp is not None]  # fmt: skip
    if not shared:
        return
    peak, day = peak_share([*others, *shared])
    if peak > FULL_SHARE_BP:
        raise InvalidValue(
            "cost_share",
            f"members' cost shares would reach {peak / 100:.2f} % on {day}, above 100 %",
        )


def _check_shares(
    session: Session, programme: Programme, spell_id: int | None, terms: list[Term]
) -> None:
    """`share_problem` against every other spell's terms as the registry holds them now."""
    reach = _reach(terms)
    if reach is None:
        return
    start, end = reach
    others = session.execute(
        select(
            col(MembershipTerm.valid_from),
            col(MembershipTerm.valid_to),
            col(MembershipTerm.cost_share_bp),
        )
        .join(Participation, col(Participation.id) == col(MembershipTerm.participation_id))
        .where(
            col(Participation.programme_id) == programme.id,
            col(Participation.id) != (spell_id or 0),
            col(MembershipTerm.superseded_in).is_(None),
            col(MembershipTerm.cost_share_bp).is_not(None),
            # Only terms that overlap the new ones can add to their total.
            *([col(MembershipTerm.valid_from) < end] if end is not None else []),
            (col(MembershipTerm.valid_to).is_(None)) | (col(MembershipTerm.valid_to) > start),
        )
    ).all()
    share_problem([(s, e, int(bp)) for s, e, bp in others], terms)


# --- writing -------------------------------------------------------------------------------


def _nation_spells(
    session: Session, programme: Programme, nation_code: str
) -> list[tuple[Participation, list[Term]]]:
    """The nation's spells in the programme as held now, oldest first."""
    terms = _terms_by_spell(session, _of(programme, nation_code), None)
    found = session.exec(
        select(Participation)
        .where(col(Participation.id).in_(list(terms)))
        .execution_options(populate_existing=True)
    ).all()
    return sorted(((s, terms[pk(s)]) for s in found), key=lambda pair: pair[1][0].valid_from)


def term_columns(spell_id: int, term: Term, number: int) -> dict[str, Any]:
    """A term as the columns of its row, recorded in change set `number`."""
    return {
        "participation_id": spell_id,
        "valid_from": term.valid_from.start,
        "valid_from_precision": term.valid_from.precision.value,
        "valid_to": term.end,
        "valid_to_precision": term.valid_to.precision.value if term.valid_to else None,
        **term.values(),
        "recorded_in": number,
    }


def _store(
    session: Session, spell: Participation, old: list[MembershipTerm], new: list[Term], number: int
) -> None:
    """Close the stored terms that `new` does not keep as they are, and add the rest of `new`."""

    def row(term: Term) -> MembershipTerm:
        return MembershipTerm(**term_columns(pk(spell), term, number))

    store(session, MembershipTerm, old, new, number, read=Term.of, row=row)


def whole(spell: SpellRow, terms: list[Term], shown: Term | None = None) -> Spell:
    """The spell from its first to its last term, with the values of `shown` (default: the
    last term)."""
    return _spell(spell, shown or terms[-1], terms[0], terms[-1])


def spell_on(spell: SpellRow, terms: list[Term], on: date) -> Spell | None:
    """The spell as read on `on`: None when it had not begun; while it runs, the terms then in
    force and no left date (an answer as of a date tells nothing later); once it has ended, its
    last terms and its left date."""
    if terms[0].valid_from.start > on:
        return None
    for term in terms:
        if holds(term.valid_from.start, term.end, on):
            return _spell(spell, term, terms[0], None)
    return whole(spell, terms)


def _history(spell: SpellRow, terms: list[Term], **extra: Any) -> dict[str, Any]:
    """The audit snapshot: the spell as a whole and every term it holds."""
    return {**whole(spell, terms).snapshot(), "terms": [t.snapshot() for t in terms], **extra}


@dataclass(frozen=True)
class Joining:
    """A join with its fields checked: the nation and the spell's first (or only) term."""

    nation: Nation
    term: Term


def joining(
    session: Session,
    *,
    nation: str,
    joined: PartialDate | date | str,
    role: str = Role.PARTICIPANT,
    instrument: str | None = None,
    cost_share: Any = None,
    note: str | None = None,
    left: PartialDate | date | str | None = None,
) -> Joining:
    """Check a join's fields, each refusal naming its field."""
    checks = Checks()
    nation_ = check_nation(session, checks, nation)
    role_ = checks.choice(Role, role, "role")
    instrument_ = checks.optional_choice(Instrument, instrument, "instrument")
    joined_ = checks.date(joined, "joined")
    share_bp = checks.percent_bp(cost_share, "cost_share")
    note_ = checks.optional_text(note, "note")
    left_ = checks.optional_date(left, "left")
    checks.done()
    assert nation_ is not None
    if left_ is not None and left_.start < joined_.start:
        raise InvalidValue("left", f"{left_} is before the nation joined ({joined_})")
    term = Term(joined_, left_, role_.value, instrument_.value if instrument_ else None, share_bp,
                note_)  # fmt: skip
    return Joining(nation_, term)


def rejoin_problem(
    programme: Programme, join: Joining, earlier: Iterable[tuple[date, date | None]]
) -> None:
    """Refuse a join while the nation's earlier spell (first day, end) is open, or before it
    ended."""
    ends = [end for _, end in earlier]
    code = join.nation.code
    if None in ends:
        raise Conflict("nation", f"{code} is already a member of {programme.slug}")
    last_left = max((end for end in ends if end is not None), default=None)
    if last_left is not None and join.term.valid_from.start < last_left:
        raise InvalidValue(
            "joined", f"{code} left {programme.slug} on {last_left}; it cannot rejoin earlier"
        )


def joined_history(spell: SpellRow, join: Joining) -> dict[str, Any]:
    """The audit snapshot of a new spell."""
    return _history(spell, [join.term])


def join_programme(session: Session, *, programme: str, actor: str, **fields: Any) -> Spell:
    """A nation joins a programme (a new spell; earlier spells stay as they were); with `left`,
    the spell is recorded whole, joined and left (a past membership, one write). The fields
    are `joining`'s."""
    programme_ = lock_programme(session, programme, field="programme")
    join = joining(session, **fields)
    earlier = _nation_spells(session, programme_, join.nation.code)
    rejoin_problem(programme_, join, [(t[0].valid_from.start, t[-1].end) for _, t in earlier])
    _check_shares(session, programme_, None, [join.term])
    number = change_set(session, actor)
    spell = Participation(programme_id=pk(programme_), nation_code=join.nation.code)
    session.add(spell)
    session.flush()
    _store(session, spell, [], [join.term], number)
    record_change(
        session, actor=actor, action=Action.CREATE, entity="participation", entity_id=pk(spell),
        key=spell_key(programme_, join.nation.code), before=None, after=joined_history(spell, join),
    )  # fmt: skip
    return whole(spell, [join.term])


def _term_values(checks: Checks, changes: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "role" in changes:
        values["role"] = checks.choice(Role, changes["role"], "role").value
    if "instrument" in changes:
        instrument = checks.optional_choice(Instrument, changes["instrument"], "instrument")
        values["instrument"] = instrument.value if instrument else None
    if "cost_share" in changes:
        values["cost_share_bp"] = checks.percent_bp(changes["cost_share"], "cost_share")
    if "note" in changes:
        values["note"] = checks.optional_text(changes["note"], "note")
    return values


def _ended(terms: list[Term], left: PartialDate | None, field: str = "left") -> list[Term]:
    """The spell ending on `left` (or open again, for None): the last term takes the end."""
    if left is not None:
        if left.start < terms[0].valid_from.start:
            raise InvalidValue(field, f"{left} is before the nation joined ({terms[0].valid_from})")
        later = [t for t in terms[1:] if t.valid_from.start >= left.start]
        if later:
            raise InvalidValue(
                field,
                f"{left} is before the membership changed on {later[0].valid_from}; "
                "correct that change first",
            )
        kept = [t for t in terms if t is terms[0] or t.valid_from.start < left.start]
    else:
        kept = list(terms)
    return [*kept[:-1], replace(kept[-1], valid_to=left)]


def update_participation(
    session: Session,
    *,
    programme: str,
    nation: str,
    changes: Mapping[str, Any],
    actor: str,
    expected_version: int | None = None,
    effective: PartialDate | date | str | None = None,
    correction: bool = False,
) -> Spell:
    """Change a member's role, instrument, cost share or note from `effective` (default today),
    or record its leaving (`left`). A correction fixes what was recorded instead: from
    `effective` when given, else over the whole spell, and may also move or remove `left`; it
    applies to the open spell or, when there is none, the nation's last one."""
    programme_ = lock_programme(session, programme, field="programme")
    checks = Checks()
    nation_ = check_nation(session, checks, nation)
    for field in sorted(set(changes) - set(UPDATABLE)):
        checks.fail(field, "is not a participation field that can be changed")
    values = _term_values(checks, changes)
    effective_ = checks.optional_date(effective, "effective")
    left = checks.optional_date(changes.get("left"), "left")
    if "left" in changes and left is None and not correction:
        checks.fail("left", "give the day the nation left; to take a leave back, correct it")
    checks.done()
    assert nation_ is not None
    held = _nation_spells(session, programme_, nation_.code)
    today = date.today()  # a member now: no end, or an end still to come
    current = [pair for pair in held if pair[1][-1].end is None or pair[1][-1].end > today]
    target = current[-1:] or (held[-1:] if correction else [])
    if not target:
        raise NotFound("nation", f"{nation_.code} is not a current member of {programme_.slug}")
    spell, terms = target[0]
    check_version(spell.version, expected_version)
    new = list(terms)
    if values:
        start = effective_ or (terms[0].valid_from if correction else PartialDate(date.today()))
        if start.start < terms[0].valid_from.start:
            raise InvalidValue(
                "effective", f"{start} is before the nation joined ({terms[0].valid_from})"
            )
        end = terms[-1].end
        if end is not None and start.start >= end:
            raise InvalidValue("effective", f"{start} is not before the nation left ({end})")
        new = from_date(new, start, values)
    if left is not None or (correction and "left" in changes):
        new = _ended(new, left)
    if new == terms:
        return whole(spell, terms)
    _check_shares(session, programme_, pk(spell), new)
    number = change_set(session, actor)
    old = held_rows(session, MembershipTerm, MembershipTerm.participation_id, pk(spell))
    _store(session, spell, old, new, number)
    before = _history(spell, terms)
    spell.version += 1
    session.add(spell)
    session.flush()
    marks = {"correction": correction, "effective": effective_.isoformat() if effective_ else None}
    record_change(
        session, actor=actor, action=Action.CORRECT if correction else Action.UPDATE,
        entity="participation", entity_id=pk(spell), key=spell_key(programme_, nation_.code),
        before=before, after=_history(spell, new, **marks),
    )  # fmt: skip
    return whole(spell, new)


def leave_programme(
    session: Session,
    *,
    programme: str,
    nation: str,
    left: PartialDate | date | str,
    actor: str,
    expected_version: int | None = None,
) -> Spell:
    """Record that a nation left a programme: its open spell ends on `left`."""
    if left is None or (isinstance(left, str) and not left.strip()):
        raise InvalidValue("left", "give the date the nation left (YYYY, YYYY-MM or YYYY-MM-DD)")
    return update_participation(
        session, programme=programme, nation=nation, changes={"left": left},
        actor=actor, expected_version=expected_version,
    )  # fmt: skip
