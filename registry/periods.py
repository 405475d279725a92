"""Values held over periods [valid_from, valid_to), the one logic behind every dated term.

A term is a frozen dataclass with `valid_from`, `valid_to` (a `PartialDate`, None while it
holds) and a `values()` dict whose keys are its other fields. Terms are never changed where they
are stored: a write works out the new list of terms, `store` closes the stored rows the new list
does not keep (in record time, `superseded_in`) and adds the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any, Protocol, TypeVar

from sqlalchemy import update
from sqlmodel import Session, col, select

from registry.database import pk
from registry.dates import PartialDate


class Dated(Protocol):
    @property
    def valid_from(self) -> PartialDate: ...

    @property
    def valid_to(self) -> PartialDate | None: ...

    def values(self) -> dict[str, Any]: ...


T = TypeVar("T", bound=Dated)


def end_of(term: Dated) -> date | None:
    """The first day the term no longer holds; None while it does."""
    return term.valid_to.start if term.valid_to else None


def from_date(terms: list[T], start: PartialDate, values: dict[str, Any]) -> list[T]:
    """The terms with `values` holding from `start` on: the term in force then is split there;
    later terms take the values too."""
    result: list[T] = []
    for term in terms:
        end = end_of(term)
        if end is not None and end <= start.start:
            result.append(term)
        elif term.valid_from.start < start.start:
            result.append(replace(term, valid_to=start))  # type: ignore[type-var]
            result.append(replace(term, valid_from=start, **values))  # type: ignore[type-var]
        else:
            result.append(replace(term, **values))  # type: ignore[type-var]
    return merged(result)


def merged(terms: list[T]) -> list[T]:
    """Neighbouring terms with the same values made one, so a change to what already holds
    leaves the stored terms as they are."""
    result: list[T] = []
    for term in terms:
        previous = result[-1] if result else None
        if previous is not None and previous.values() == term.values():
            result[-1] = replace(previous, valid_to=term.valid_to)  # type: ignore[type-var]
        else:
            result.append(term)
    return result


def held_rows(session: Session, model: Any, owner: Any, owner_id: int) -> list[Any]:
    """The `model` rows of one owner (`owner` is its column, e.g. the spell id) held now (not
    superseded), oldest first, read afresh for a write."""
    return list(
        session.exec(
            select(model)
            .where(col(owner) == owner_id, col(model.superseded_in).is_(None))
            .order_by(col(model.valid_from))
            .execution_options(populate_existing=True)
        )
    )


def store(
    session: Session,
    model: Any,
    stored: list[Any],
    new: list[T],
    number: int,
    *,
    read: Callable[[Any], T],
    row: Callable[[T], Any],
) -> None:
    """Close the `stored` rows of `model` that `new` does not keep as they are (superseded in
    change set `number`) and add the rest of `new` (`row` makes one, recorded in `number`)."""
    kept = {read(existing) for existing in stored} & set(new)
    closed = [pk(existing) for existing in stored if read(existing) not in kept]
    if closed:
        session.execute(
            update(model)
            .where(col(model.id).in_(closed))
            .values(superseded_in=number)
            .execution_options(synchronize_session=False)
        )
    for term in new:
        if term not in kept:
            added = row(term)
            added.recorded_in = number
            session.add(added)
    session.flush()
