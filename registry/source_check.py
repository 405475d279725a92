"""What supports each fact, checked: records that cite no source, quotes their source's excerpt
does not hold, and high confidence drawn from a general compilation (`registry sources check`,
`GET /api/sources/check`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from registry.choices import Confidence
from registry.contracts import Contract, held
from registry.fleet import FleetEvent
from registry.instruments import Instrument
from registry.nations import Nation, nation_number
from registry.organisations import Organisation
from registry.participation import Participation
from registry.programmes import Programme
from registry.sources import CITABLE, Citation, Cited, Source, record_names


def _ids(column: Any, *where: Any) -> Callable[[Session], list[int]]:
    """The ids in `column` of the rows that meet `where`."""
    return lambda session: list(session.execute(sa_select(column).where(*where)).scalars())


def _nation_numbers(session: Session) -> list[int]:
    return [nation_number(code) for code in session.exec(select(Nation.code))]


HELD: dict[str, Callable[[Session], list[int]]] = {
    Cited.PROGRAMME: _ids(col(Programme.id)),
    Cited.PARTICIPATION: _ids(col(Participation.id)),
    Cited.CONTRACT: _ids(col(Contract.id), *held()),
    Cited.FLEET_EVENT: _ids(col(FleetEvent.id), col(FleetEvent.superseded_in).is_(None)),
    Cited.ORGANISATION: _ids(col(Organisation.id)),
    Cited.NATION: _nation_numbers,
    Cited.INSTRUMENT: _ids(col(Instrument.id), col(Instrument.voided_in).is_(None)),
}
"""The records the registry holds now, by kind of record (CITABLE's kinds, each by the id a
citation names it by): not a voided contract or instrument, nor a fleet event corrected or
voided."""


@dataclass(frozen=True)
class Problem:
    """One record a problem is about, and the citation concerned."""

    entity: str
    entity_id: int
    record: str
    """The record as people name it (`registry.sources.record_name`)."""
    why: str
    source: str | None = None
    """The cited source's key; none for a record that cites nothing."""
    citation: int | None = None
    """The citation's id; none for a record that cites nothing."""
    quote: str | None = None


@dataclass(frozen=True)
class SourceCheck:
    uncited: list[Problem]
    """Records the registry holds that cite no source."""
    unsupported: list[Problem]
    """Citations quoting words their source's excerpt does not hold (or that has no excerpt)."""
    overclaimed: list[Problem]
    """High-confidence citations of a general compilation (it supports at most medium)."""

    @property
    def clean(self) -> bool:
        return not (self.uncited or self.unsupported or self.overclaimed)

    def summary(self) -> str:
        """The three counts in a line."""
        return ", ".join([
            _counted(len(self.uncited), "record", "records") + " without a citation",
            _counted(len(self.unsupported), "unsupported quote", "unsupported quotes"),
            _counted(len(self.overclaimed), "high citation", "high citations")
            + " of general sources",
        ])  # fmt: skip

    def as_json(self) -> dict[str, Any]:
        """The problems as JSON-ready lists, as `GET /api/sources/check` answers them."""
        return asdict(self)


def _counted(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def check_sources(session: Session) -> SourceCheck:
    """Every record that cites nothing, every quote its source's excerpt does not hold, and
    every high citation of a general source: a query or two per kind of record, not per record."""
    cited: dict[str, set[int]] = defaultdict(set)
    for entity, entity_id in session.execute(
        sa_select(col(Citation.entity), col(Citation.entity_id)).distinct()
    ):
        cited[entity].add(entity_id)
    uncited = [
        (entity, entity_id, "cites no source", None, None)
        for entity in CITABLE
        for entity_id in sorted(set(HELD[entity](session)) - cited[entity])
    ]
    quoted = session.exec(
        select(Citation, Source).join(Source).where(col(Citation.quote).is_not(None))
    ).all()
    unsupported = [
        (c.entity, c.entity_id, _unsupported(s), c, s)
        for c, s in quoted
        if s.excerpt is None or not holds_quote(s.excerpt, c.quote or "")
    ]
    general_high = session.exec(
        select(Citation, Source)
        .join(Source)
        .where(col(Source.general).is_(True), Citation.confidence == Confidence.HIGH.value)
    ).all()
    overclaimed = [(c.entity, c.entity_id, OVERCLAIMED, c, s) for c, s in general_high]
    return SourceCheck(*_named(session, uncited, unsupported, overclaimed))


OVERCLAIMED = "high confidence from a general compilation (at most medium)"
Found = tuple[str, int, str, Citation | None, Source | None]


def _named(session: Session, *kinds: Sequence[Found]) -> list[list[Problem]]:
    """The problems found, each with its record named (a query per kind of record), in the
    order of CITABLE's kinds, then by record id and source key."""
    ids: dict[str, set[int]] = defaultdict(set)
    for found in kinds:
        for entity, entity_id, *_ in found:
            ids[entity].add(entity_id)
    names = {entity: record_names(session, entity, wanted) for entity, wanted in ids.items()}
    order = {entity: n for n, entity in enumerate(CITABLE)}

    def problem(found: Found) -> Problem:
        entity, entity_id, why, citation, source = found
        return Problem(
            entity=entity, entity_id=entity_id, record=names[entity][entity_id], why=why,
            source=source.key if source else None, citation=citation.id if citation else None,
            quote=citation.quote if citation else None,
        )  # fmt: skip

    def place(found: Found) -> tuple[int, str, int, str]:
        entity, entity_id, _, _, source = found
        return order.get(entity, len(order)), entity, entity_id, source.key if source else ""

    return [[problem(one) for one in sorted(found, key=place)] for found in kinds]


def _unsupported(source: Source) -> str:
    if source.excerpt is None:
        return "the source has no excerpt to hold its quote"
    return "its source's excerpt does not hold its quote"


_SINGLE = "\u2018\u2019\u201a\u201b\u2032`\u00b4"
"""Curly, low and reversed single quotes, the prime, grave and acute accents: as `'`."""
_DOUBLE = "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"
"""Curly, low and reversed double quotes, the double prime, guillemets: as `"`."""
_QUOTE_MARKS = str.maketrans(_SINGLE + _DOUBLE, "'" * len(_SINGLE) + '"' * len(_DOUBLE))


def _plain(text: str) -> str:
    """Text as compared: whitespace collapsed, case folded, curly quotes and apostrophes
    straight."""
    return " ".join(text.translate(_QUOTE_MARKS).casefold().split())


def holds_quote(excerpt: str, quote: str) -> bool:
    """Whether an excerpt holds a quote's words (whitespace, case and the kind of quote marks
    aside)."""
    return _plain(quote) in _plain(excerpt)
