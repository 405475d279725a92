"""Participation: nations join programmes, change role or cost share, leave; history is kept."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import Index, func, text
from sqlalchemy import select as sa_select
from sqlmodel import Field, Session, SQLModel, col, or_, select

from registry.audit import record_change, snapshot
from registry.checks import Checks, check_version
from registry.choices import Action, Instrument, Role
from registry.database import pk
from registry.dates import PartialDate, Precision
from registry.errors import Conflict, InvalidValue, NotFound
from registry.nations import Nation, check_nation
from registry.programmes import Programme, lock_programme, resolve_programme

FULL_SHARE_BP = 10_000  # 100 % in basis points
UPDATABLE = ("role", "instrument", "cost_share", "note", "left")


class Participation(SQLModel, table=True):
    """One spell of a nation in a programme. Leaving sets `left`; rejoining is a new row."""

    __tablename__ = "participation"
    __table_args__ = (
        Index("ix_participation_programme_nation", "programme_id", "nation_code"),
        # At most one open spell per nation and programme, even under concurrent joins.
        Index(
            "uq_participation_active",
            "programme_id",
            "nation_code",
            unique=True,
            sqlite_where=text('"left" IS NULL'),
            postgresql_where=text('"left" IS NULL'),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id")
    nation_code: str = Field(max_length=3, foreign_key="nation.code", index=True)
    role: str = Field(max_length=12)
    instrument: str | None = Field(default=None, max_length=20)
    """What the nation signed: letter_of_intent, mou, accession or agreement."""
    joined: date
    joined_precision: str = Field(default="day", max_length=5)
    left: date | None = None
    left_precision: str | None = Field(default=None, max_length=5)
    cost_share_bp: int | None = None
    """Cost share in basis points (1 bp = 0.01 %); None when not known."""
    note: str | None = Field(default=None, max_length=2000)
    version: int = 1

    @property
    def joined_on(self) -> PartialDate:
        return PartialDate(self.joined, Precision(self.joined_precision))

    @property
    def left_on(self) -> PartialDate | None:
        return PartialDate.stored(self.left, self.left_precision)


def _key(programme: Programme, nation_code: str) -> str:
    return f"{programme.slug}/{nation_code}"


def peak_share(spells: list[tuple[date, date | None, int]]) -> tuple[int, date | None]:
    """The highest total of cost shares (bp) held at once, and the first day it is reached.

    A spell holds its share from `joined` until the day before `left`.
    """
    changes = []
    for joined, left, share in spells:
        changes.append((joined, 1, share))
        if left is not None:
            changes.append((left, 0, -share))  # on one day, leavers go before joiners
    peak, peak_day, running = 0, None, 0
    for day, _, delta in sorted(changes):
        running += delta
        if running > peak:
            peak, peak_day = running, day
    return peak, peak_day


def _check_shares(
    session: Session,
    programme: Programme,
    spell: tuple[date, date | None, int | None],
    *,
    replacing: int | None = None,
) -> None:
    """Refuse a spell that would take the members' cost shares above 100 % on any date."""
    if spell[2] is None:
        return
    rows = session.execute(
        sa_select(
            col(Participation.joined), col(Participation.left), col(Participation.cost_share_bp)
        ).where(
            col(Participation.programme_id) == programme.id,
            col(Participation.cost_share_bp).is_not(None),
            col(Participation.id) != (replacing or 0),
            # Only spells that overlap the new one can add to its total.
            *([col(Participation.joined) < spell[1]] if spell[1] is not None else []),
            or_(col(Participation.left).is_(None), col(Participation.left) > spell[0]),
        )
    ).all()
    spells = [(j, left, int(bp or 0)) for j, left, bp in rows]
    peak, day = peak_share([*spells, (spell[0], spell[1], spell[2])])
    if peak > FULL_SHARE_BP:
        raise InvalidValue(
            "cost_share",
            f"members' cost shares would reach {peak / 100:.2f} % on {day}, above 100 %",
        )


def active_participation(
    session: Session, programme: Programme, nation_code: str
) -> Participation | None:
    """The nation's open spell in the programme (no `left`), if any."""
    return session.exec(
        select(Participation)
        .where(
            Participation.programme_id == programme.id,
            Participation.nation_code == nation_code,
            col(Participation.left).is_(None),
        )
        .execution_options(populate_existing=True)
    ).first()


def join_programme(
    session: Session,
    *,
    programme: str,
    nation: str,
    joined: PartialDate | date | str,
    role: str = Role.PARTICIPANT,
    instrument: str | None = None,
    cost_share: Any = None,
    note: str | None = None,
    actor: str,
) -> Participation:
    """A nation joins a programme (a new spell; earlier spells stay as they were)."""
    programme_ = lock_programme(session, programme, field="programme")
    checks = Checks()
    nation_ = check_nation(session, checks, nation)
    role_ = checks.choice(Role, role, "role")
    instrument_ = checks.optional_choice(Instrument, instrument, "instrument")
    joined_ = checks.date(joined, "joined")
    share_bp = checks.percent_bp(cost_share, "cost_share")
    note_ = checks.optional_text(note, "note")
    checks.done()
    assert nation_ is not None
    if active_participation(session, programme_, nation_.code) is not None:
        raise Conflict("nation", f"{nation_.code} is already a member of {programme_.slug}")
    last_left = session.exec(
        select(func.max(Participation.left)).where(
            Participation.programme_id == programme_.id,
            Participation.nation_code == nation_.code,
        )
    ).one()
    if last_left is not None and joined_.start < last_left:
        raise InvalidValue(
            "joined",
            f"{nation_.code} left {programme_.slug} on {last_left}; it cannot rejoin earlier",
        )
    _check_shares(session, programme_, (joined_.start, None, share_bp))
    participation = Participation(
        programme_id=pk(programme_),
        nation_code=nation_.code,
        role=role_.value,
        instrument=instrument_.value if instrument_ else None,
        joined=joined_.start,
        joined_precision=joined_.precision.value,
        cost_share_bp=share_bp,
        note=note_,
    )
    session.add(participation)
    session.flush()
    record_change(
        session, actor=actor, action=Action.CREATE, entity="participation",
        key=_key(programme_, nation_.code), before=None, after=snapshot(participation),
    )  # fmt: skip
    return participation


def update_participation(
    session: Session,
    *,
    programme: str,
    nation: str,
    changes: Mapping[str, Any],
    actor: str,
    expected_version: int | None = None,
) -> Participation:
    """Change a member's role, instrument, cost share or note, or record its leaving (`left`)."""
    programme_ = lock_programme(session, programme, field="programme")
    checks = Checks()
    nation_ = check_nation(session, checks, nation)
    for field in sorted(set(changes) - set(UPDATABLE)):
        checks.fail(field, "is not a participation field that can be changed")
    columns: dict[str, Any] = {}
    if "role" in changes:
        columns["role"] = checks.choice(Role, changes["role"], "role").value
    if "instrument" in changes:
        instrument = checks.optional_choice(Instrument, changes["instrument"], "instrument")
        columns["instrument"] = instrument.value if instrument else None
    if "cost_share" in changes:
        columns["cost_share_bp"] = checks.percent_bp(changes["cost_share"], "cost_share")
    if "note" in changes:
        columns["note"] = checks.optional_text(changes["note"], "note")
    left = checks.optional_date(changes.get("left"), "left")
    checks.done()
    assert nation_ is not None
    participation = active_participation(session, programme_, nation_.code)
    if participation is None:
        raise NotFound("nation", f"{nation_.code} is not a current member of {programme_.slug}")
    check_version(participation.version, expected_version)
    if left is not None:
        if left.start < participation.joined:
            raise InvalidValue(
                "left", f"{left} is before the nation joined ({participation.joined_on})"
            )
        columns["left"], columns["left_precision"] = left.start, left.precision.value
    if "cost_share_bp" in columns:
        spell = (participation.joined, columns.get("left"), columns["cost_share_bp"])
        _check_shares(session, programme_, spell, replacing=participation.id)
    before = snapshot(participation)
    for name, value in columns.items():
        setattr(participation, name, value)
    if snapshot(participation) == before:
        return participation
    participation.version += 1
    session.flush()
    record_change(
        session, actor=actor, action=Action.UPDATE, entity="participation",
        key=_key(programme_, nation_.code), before=before, after=snapshot(participation),
    )  # fmt: skip
    return participation


def leave_programme(
    session: Session,
    *,
    programme: str,
    nation: str,
    left: PartialDate | date | str,
    actor: str,
    expected_version: int | None = None,
) -> Participation:
    """Record that a nation left a programme: its current spell gets a `left` date."""
    if left is None or (isinstance(left, str) and not left.strip()):
        raise InvalidValue("left", "give the date the nation left (YYYY, YYYY-MM or YYYY-MM-DD)")
    return update_participation(
        session, programme=programme, nation=nation, changes={"left": left},
        actor=actor, expected_version=expected_version,
    )  # fmt: skip


def active_on(on: date) -> Any:
    return (col(Participation.joined) <= on) & or_(
        col(Participation.left).is_(None), col(Participation.left) > on
    )


def members_on(
    session: Session, programme: str | Programme, on: date
) -> list[tuple[Participation, Nation]]:
    """The programme's members on a date, with their nations, by nation name."""
    programme_ = resolve_programme(session, programme)
    query = (
        select(Participation, Nation)
        .join(Nation)
        .where(Participation.programme_id == programme_.id, active_on(on))
        .order_by(Nation.name)
    )
    return [(participation, nation) for participation, nation in session.exec(query)]


def participation_history(
    session: Session, programme: str | Programme
) -> list[tuple[Participation, Nation]]:
    """Every spell of every nation in the programme, past and present, oldest first."""
    programme_ = resolve_programme(session, programme)
    query = (
        select(Participation, Nation)
        .join(Nation)
        .where(Participation.programme_id == programme_.id)
        .order_by(col(Participation.joined), Nation.name)
    )
    return [(participation, nation) for participation, nation in session.exec(query)]


def nation_programmes_on(
    session: Session, nation: str, on: date
) -> list[tuple[Programme, Participation]]:
    """The programmes a nation takes part in on a date."""
    checks = Checks()
    nation_ = check_nation(session, checks, nation, "code")
    checks.done()
    assert nation_ is not None
    query = (
        select(Programme, Participation)
        .join(Participation)
        .where(Participation.nation_code == nation_.code, active_on(on))
        .order_by(Programme.name)
    )
    return [(programme, participation) for programme, participation in session.exec(query)]


def current_participation(
    session: Session, programme: str, nation: str
) -> tuple[Participation, Nation]:
    """The nation's open spell in the programme; 404 on `nation` when it is not a member."""
    programme_ = resolve_programme(session, programme)
    checks = Checks()
    nation_ = check_nation(session, checks, nation)
    checks.done()
    assert nation_ is not None
    participation = active_participation(session, programme_, nation_.code)
    if participation is None:
        raise NotFound("nation", f"{nation_.code} is not a current member of {programme_.slug}")
    return participation, nation_
