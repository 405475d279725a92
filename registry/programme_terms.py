"""A programme's status and managing organisation over time, on both axes.

Each `programme_term` row holds them over [valid_from, valid_to), recorded in one change set and
closed by a later one when replaced (`registry.history`). A programme's first term starts at
`SINCE` (before any fact the registry holds), so every date has a status. A change holds from
its effective date; a correction fixes the record from a date or over the whole history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Index, text
from sqlmodel import Field, Session, SQLModel, col, select

from registry.dates import PartialDate, Precision
from registry.history import Known, in_force, recorded_by
from registry.periods import held_rows, store

SINCE = PartialDate(date(1, 1, 1), Precision.YEAR)
"""Where a programme's first term starts: the beginning of the calendar, so every date has one."""
FIELDS = ("status", "managing_organisation")
"""The programme fields held in dated terms."""


class ProgrammeTerm(SQLModel, table=True):
    __tablename__ = "programme_term"
    __table_args__ = (
        Index("ix_programme_term_programme", "programme_id", "superseded_in", "valid_from"),
        # A guard under the rules: a programme holds at most one open-ended term at a time.
        Index(
            "uq_programme_term_open",
            "programme_id",
            unique=True,
            sqlite_where=text("valid_to IS NULL AND superseded_in IS NULL"),
            postgresql_where=text("valid_to IS NULL AND superseded_in IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id")
    valid_from: date
    valid_from_precision: str = Field(default="day", max_length=5)
    valid_to: date | None = None
    valid_to_precision: str | None = Field(default=None, max_length=5)
    status: str = Field(max_length=10)
    managing_organisation_id: int | None = Field(
        default=None, foreign_key="organisation.id", index=True
    )
    recorded_in: int = Field(foreign_key="change_set.id", index=True)
    superseded_in: int | None = Field(default=None, foreign_key="change_set.id")


@dataclass(frozen=True)
class Standing:
    """A programme's status and managing organisation over a period, before it is stored."""

    valid_from: PartialDate
    valid_to: PartialDate | None
    status: str
    managing_organisation_id: int | None

    @classmethod
    def of(cls, row: ProgrammeTerm) -> Standing:
        return cls(
            PartialDate(row.valid_from, Precision(row.valid_from_precision)),
            PartialDate.stored(row.valid_to, row.valid_to_precision),
            row.status, row.managing_organisation_id,
        )  # fmt: skip

    def values(self) -> dict[str, Any]:
        return {"status": self.status, "managing_organisation_id": self.managing_organisation_id}

    def snapshot(self) -> dict[str, Any]:
        return {
            "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
            **self.values(),
        }


def store_terms(
    session: Session, programme_id: int, new: list[Standing], number: int
) -> list[ProgrammeTerm]:
    """Write `new` as the programme's terms in change set `number`, keeping what is unchanged."""

    def row(term: Standing) -> ProgrammeTerm:
        return ProgrammeTerm(
            programme_id=programme_id,
            valid_from=term.valid_from.start,
            valid_from_precision=term.valid_from.precision.value,
            valid_to=term.valid_to.start if term.valid_to else None,
            valid_to_precision=term.valid_to.precision.value if term.valid_to else None,
            status=term.status, managing_organisation_id=term.managing_organisation_id,
            recorded_in=number,
        )  # fmt: skip

    old = held_rows(session, ProgrammeTerm, ProgrammeTerm.programme_id, programme_id)
    store(session, ProgrammeTerm, old, new, number, read=Standing.of, row=row)
    return old


def standing_on(on: date | Any, known: Known | Any = None) -> Any:
    """The criterion for the term in force on `on` as known at `known` (to join on)."""
    return in_force(ProgrammeTerm, on, known)


def held(session: Session, programme_id: int, known: Known = None) -> list[Standing]:
    """Every term of the programme as known at `known`, oldest first."""
    rows = session.exec(
        select(ProgrammeTerm)
        .where(col(ProgrammeTerm.programme_id) == programme_id, recorded_by(ProgrammeTerm, known))
        .order_by(col(ProgrammeTerm.valid_from))
    )
    return [Standing.of(row) for row in rows]
