"""What the registry recorded of a programme's description (name, acronym, category, launch,
description, capability area, asset type), on the record-time axis.

These fields are corrections: they tell what a programme is, not a change in the world, so they
have no valid time. Each write that changes them closes the programme's standing
`programme_version` in its change set and adds one holding the new values; reads `as_known_on`
an earlier moment take the version held then. The `programme` row carries the values held now
(its standing version's), so reads of the present need no join.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Index, update
from sqlmodel import Field, Session, SQLModel, col, select

from registry.history import Known, recorded_by


class ProgrammeDescription(SQLModel):
    """The programme fields that are corrected, never dated: one list for the programme and its
    versions."""

    name: str = Field(max_length=200)
    acronym: str | None = Field(default=None, max_length=40)
    category: str = Field(max_length=40)
    launched: date | None = None
    launched_precision: str | None = Field(default=None, max_length=5)
    description: str | None = Field(default=None, max_length=4000)
    capability_area: str | None = Field(default=None, max_length=200)
    asset_type: str | None = Field(default=None, max_length=100)
    """What the fleet is made of, where there is one (`A330 MRTT`)."""


DESCRIBED = tuple(ProgrammeDescription.model_fields)
"""The column names of a programme's description."""


class ProgrammeVersion(ProgrammeDescription, table=True):
    """The programme's description as recorded in change set `recorded_in`, until replaced."""

    __tablename__ = "programme_version"
    __table_args__ = (Index("ix_programme_version_programme", "programme_id", "superseded_in"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id")
    recorded_in: int = Field(foreign_key="change_set.id", index=True)
    superseded_in: int | None = Field(default=None, foreign_key="change_set.id")


def described(programme: Any) -> dict[str, Any]:
    """The description held by a programme row."""
    return {name: getattr(programme, name) for name in DESCRIBED}


def as_described(programme: Any, version: ProgrammeVersion) -> Any:
    """The programme carrying `version`'s description: an unsaved copy when it differs."""
    values = described(version)
    if described(programme) == values:
        return programme
    return type(programme)(**{**programme.model_dump(), **values})


def as_known(session: Session, programmes: list[Any], known: Known) -> list[Any]:
    """The programmes with the description the registry held at `known` (as they are when
    `known` is None)."""
    if known is None or not programmes:
        return programmes
    held = session.exec(
        select(ProgrammeVersion).where(
            col(ProgrammeVersion.programme_id).in_([p.id for p in programmes]),
            version_known(known),
        )
    )
    versions = {version.programme_id: version for version in held}
    return [as_described(p, versions[p.id]) if p.id in versions else p for p in programmes]


def record_version(
    session: Session, programme_id: int, values: dict[str, Any], number: int
) -> None:
    """Replace the programme's standing version by one holding `values`, in change set `number`."""
    session.execute(
        update(ProgrammeVersion)
        .where(
            col(ProgrammeVersion.programme_id) == programme_id,
            col(ProgrammeVersion.superseded_in).is_(None),
        )
        .values(superseded_in=number)
    )
    session.add(ProgrammeVersion(programme_id=programme_id, recorded_in=number, **values))


def version_known(known: Known | Any) -> Any:
    """The criterion for the version held at `known` (to join on)."""
    return recorded_by(ProgrammeVersion, known)
