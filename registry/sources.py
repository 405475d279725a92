"""Sources and citations: any record can cite a source with a confidence, so doubt stays visible."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import UniqueConstraint, func
from sqlalchemy import select as sa_select
from sqlmodel import Field, Session, SQLModel, col, select

from registry.audit import begin_write, record_change, snapshot
from registry.checks import MAX_INT, WHOLE, Checks, check_version
from registry.choices import Action, Confidence
from registry.contracts import Contract
from registry.database import pk
from registry.dates import PartialDate, Precision
from registry.errors import Conflict, InvalidValue, NotFound
from registry.fleet import FleetEvent
from registry.instruments import Instrument
from registry.nations import Nation, list_nations, nation_code, nation_number, nation_of_number
from registry.organisations import Organisation
from registry.participation import Participation
from registry.programmes import Programme


class Cited(StrEnum):
    """The kinds of record that cite sources."""

    PROGRAMME = "programme"
    PARTICIPATION = "participation"
    CONTRACT = "contract"
    FLEET_EVENT = "fleet_event"
    ORGANISATION = "organisation"
    NATION = "nation"
    """Named by its ISO 3166-1 numeric code (528 for NLD): a citation's `entity_id` is a number."""
    INSTRUMENT = "instrument"


CITABLE: dict[str, type[SQLModel]] = {
    Cited.PROGRAMME: Programme,
    Cited.PARTICIPATION: Participation,
    Cited.CONTRACT: Contract,
    Cited.FLEET_EVENT: FleetEvent,
    Cited.ORGANISATION: Organisation,
    Cited.NATION: Nation,
    Cited.INSTRUMENT: Instrument,
}
"""The kinds of record that cite sources, each with its table: the one list of them."""
SOURCE_FIELDS = ("title", "publisher", "url", "published", "excerpt", "general")
"""What an edit of a source may change; the key is its stable handle and stays."""
CITATION_FIELDS = ("confidence", "note", "quote")
RESERVED_KEYS = ("check", "new")
"""Keys that would name the pages beside the sources' own (`/api/sources/check`,
`/ui/sources/new`)."""


class Source(SQLModel, table=True):
    __tablename__ = "source"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=80, unique=True)
    """A short stable handle, e.g. `nato-summit-2025-capability-delivery`."""
    title: str = Field(max_length=300)
    publisher: str | None = Field(default=None, max_length=200)
    url: str | None = Field(default=None, max_length=500)
    published: date | None = None
    published_precision: str | None = Field(default=None, max_length=5)
    excerpt: str | None = Field(default=None, max_length=4000)
    general: bool = False
    """A general compilation (public reporting gathered without one publisher or date), not one
    publication: a fact that only it supports is at most `medium` confidence."""
    version: int = 1
    """Raised by each edit: the ETag a client sends back in If-Match."""

    @property
    def published_on(self) -> PartialDate | None:
        return PartialDate.stored(self.published, self.published_precision)


class Citation(SQLModel, table=True):
    """One record citing one source, with how sure that source makes us."""

    __tablename__ = "citation"
    __table_args__ = (UniqueConstraint("entity", "entity_id", "source_id"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id", index=True)
    entity: str = Field(max_length=40)
    entity_id: int
    confidence: str = Field(max_length=6)
    note: str | None = Field(default=None, max_length=2000)
    quote: str | None = Field(default=None, max_length=1000)
    """The words of the source's excerpt that support the fact, verbatim. Not checked on write
    (the excerpt may be edited later): `registry sources check` reports one it does not hold."""


def find_source(session: Session, key: Any) -> Source | None:
    if not isinstance(key, str):
        return None
    return session.exec(select(Source).where(Source.key == key)).first()


def get_source(session: Session, key: Any, *, field: str = "key") -> Source:
    source = find_source(session, key)
    if source is None:
        raise NotFound(field, f"no source {key!r}")
    return source


def list_sources(session: Session) -> list[tuple[Source, int]]:
    """Every source by key, with the number of records citing it."""
    counted = select(Citation.source_id, func.count()).group_by(col(Citation.source_id))
    counts: dict[int, int] = dict(session.exec(counted).all())
    sources = session.exec(select(Source).order_by(Source.key)).all()
    return [(source, counts.get(pk(source), 0)) for source in sources]


def _source_columns(checks: Checks, values: dict[str, Any]) -> dict[str, Any]:
    """A source's columns from the fields people give, each checked (add and edit alike)."""
    url = checks.optional_text(values.get("url"), "url", max_length=500)
    if url and not url.startswith(("https://", "http://")):
        checks.fail("url", "must start with https:// or http://")
    published = checks.optional_date(values.get("published"), "published")
    return {
        "title": checks.text(values.get("title"), "title", max_length=300),
        "publisher": checks.optional_text(values.get("publisher"), "publisher", max_length=200),
        "url": url,
        "published": published.start if published else None,
        "published_precision": published.precision.value if published else None,
        "excerpt": checks.optional_text(values.get("excerpt"), "excerpt", max_length=4000),
        "general": _flag(checks, values.get("general"), "general"),
    }


def _flag(checks: Checks, value: Any, field: str) -> bool:
    """A yes-or-no field: true or false (none is false)."""
    if value is None or isinstance(value, bool):
        return bool(value)
    checks.fail(field, f"{value!r} is not true or false")
    return False


def add_source(
    session: Session,
    *,
    key: str,
    title: str,
    publisher: str | None = None,
    url: str | None = None,
    published: PartialDate | date | str | None = None,
    excerpt: str | None = None,
    general: bool = False,
    actor: str,
) -> Source:
    """Register a public source that records can cite; `general` for a general compilation."""
    begin_write(session)
    checks = Checks()
    key_ = checks.slug(key, "key")
    if key_ in RESERVED_KEYS:
        checks.fail("key", f"{key_!r} is the name of another page; choose another")
    columns = _source_columns(checks, {"title": title, "publisher": publisher, "url": url,
                                       "published": published, "excerpt": excerpt,
                                       "general": general})  # fmt: skip
    checks.done()
    if find_source(session, key_) is not None:
        raise Conflict("key", f"a source {key_!r} exists already")
    source = Source(key=key_, **columns)
    session.add(source)
    session.flush()
    record_change(
        session, actor=actor, action=Action.CREATE, entity="source", key=key_,
        before=None, after=snapshot(source),
    )  # fmt: skip
    return source


def update_source(
    session: Session, *, key: str, actor: str, expected_version: int | None = None, **changes: Any
) -> Source:
    """Change some of a source's fields (title, publisher, url, published, excerpt, general);
    refuses when it changed since `expected_version`. An empty optional field clears it."""
    begin_write(session)
    source = get_source(session, key)
    _only(changes, SOURCE_FIELDS, "source")
    current = {name: getattr(source, name) for name in SOURCE_FIELDS}
    current["published"] = source.published_on
    checks = Checks()
    columns = _source_columns(checks, current | changes)
    checks.done()
    check_version(source.version, expected_version)
    before = snapshot(source)
    if all(getattr(source, name) == value for name, value in columns.items()):
        return source
    for name, value in columns.items():
        setattr(source, name, value)
    source.version += 1
    session.flush()
    record_change(
        session, actor=actor, action=Action.UPDATE, entity="source", key=source.key,
        before=before, after=snapshot(source),
    )  # fmt: skip
    return source


def _only(changes: dict[str, Any], allowed: tuple[str, ...], what: str) -> None:
    unknown = [name for name in changes if name not in allowed]
    if unknown:
        raise InvalidValue(unknown[0], f"is not a field of a {what} that can be changed")


def cite(
    session: Session,
    *,
    source: str,
    entity: str,
    entity_id: Any,
    confidence: str,
    note: str | None = None,
    quote: str | None = None,
    actor: str,
) -> Citation:
    """Attach a source to a record with a confidence (high, medium, low) and, optionally, the
    words of its excerpt that support the fact (`quote`). A nation is named by its ISO 3166
    numeric code, or its alpha-3 or alpha-2 code or English name."""
    begin_write(session)
    checks = Checks()
    source_ = find_source(session, source)
    if source_ is None:
        checks.fail("source", f"no source {source!r}")
    if entity not in CITABLE:
        checks.fail("entity", f"{entity!r} is not one of: {', '.join(CITABLE)}")
    record_id = _record_id(checks, entity, entity_id)
    confidence_ = checks.choice(Confidence, confidence, "confidence")
    note_ = checks.optional_text(note, "note")
    quote_ = checks.optional_text(quote, "quote", max_length=1000)
    checks.done()
    assert source_ is not None
    if not _holds(session, entity, record_id):
        raise NotFound("entity_id", f"no {entity} {entity_id!r}")
    if find_citation(session, source_, entity, record_id) is not None:
        raise Conflict("source", f"{entity} {record_id} cites {source_.key} already")
    citation = Citation(
        source_id=pk(source_), entity=str(entity), entity_id=record_id,
        confidence=confidence_.value, note=note_, quote=quote_,
    )  # fmt: skip
    session.add(citation)
    session.flush()
    record_change(
        session, actor=actor, action=Action.CREATE, entity="citation",
        key=_citation_key(citation, source_), before=None, after=snapshot(citation),
    )  # fmt: skip
    return citation


def _record_id(checks: Checks, entity: str, value: Any) -> int:
    """The cited record's id: a whole number; for a nation its ISO 3166 numeric code, which a
    code or name given instead turns into."""
    if entity == Cited.NATION and isinstance(value, str) and not WHOLE.match(value.strip()):
        code = nation_code(value)
        if code is None:
            checks.fail(
                "entity_id",
                f"unknown nation {value!r}: give its ISO 3166 numeric, alpha-3 or alpha-2 code "
                "or its English name",
            )
            return 0
        return nation_number(code)
    return checks.positive_int(value, "entity_id")


def _holds(session: Session, entity: str, record_id: int) -> bool:
    """Whether the registry holds the record (a nation by its numeric code)."""
    if entity == Cited.NATION:
        code = nation_of_number(record_id)
        return code is not None and session.get(Nation, code) is not None
    return session.get(CITABLE[entity], record_id) is not None


def carry_citations(session: Session, *, entity: str, old_id: int, new_id: int, actor: str) -> None:
    """A record replaced by its correction (a fleet event's new row) cites what the row it
    replaces cited: the sources still support it, and the old row keeps its citations."""
    for citation, source in citations_for(session, entity, old_id):
        carried = Citation(
            source_id=citation.source_id, entity=entity, entity_id=new_id,
            confidence=citation.confidence, note=citation.note, quote=citation.quote,
        )  # fmt: skip
        session.add(carried)
        session.flush()
        record_change(
            session, actor=actor, action=Action.CREATE, entity="citation",
            key=_citation_key(carried, source), before=None, after=snapshot(carried),
        )  # fmt: skip


def _citation_key(citation: Citation, source: Source) -> str:
    return f"{citation.entity}/{citation.entity_id}/{source.key}"


def get_citation(
    session: Session, citation_id: Any, *, source: str | None = None
) -> tuple[Citation, Source]:
    """A citation and the source it cites; 404 on `id` when there is none (or, with `source`,
    when it cites another source)."""
    found = None
    if isinstance(citation_id, int) and 1 <= citation_id <= MAX_INT:
        found = session.get(Citation, citation_id)
    cited = session.get(Source, found.source_id) if found is not None else None
    if found is None or cited is None or source not in (None, cited.key):
        where = f" of source {source!r}" if source is not None else ""
        raise NotFound("id", f"no citation {citation_id!r}{where}")
    return found, cited


def update_citation(
    session: Session, *, citation_id: int, actor: str, source: str | None = None, **changes: Any
) -> Citation:
    """Change how sure a citation makes us (confidence), its note or its quote; an empty note
    or quote clears it. With `source`, only a citation of that source (as a page under the
    source names it)."""
    begin_write(session)
    citation, cited = get_citation(session, citation_id, source=source)
    _only(changes, CITATION_FIELDS, "citation")
    values = {name: getattr(citation, name) for name in CITATION_FIELDS} | changes
    checks = Checks()
    confidence = checks.choice(Confidence, values["confidence"], "confidence")
    note = checks.optional_text(values["note"], "note")
    quote = checks.optional_text(values["quote"], "quote", max_length=1000)
    checks.done()
    if (citation.confidence, citation.note, citation.quote) == (confidence.value, note, quote):
        return citation
    before = snapshot(citation)
    citation.confidence, citation.note, citation.quote = confidence.value, note, quote
    session.flush()
    record_change(
        session, actor=actor, action=Action.UPDATE, entity="citation",
        key=_citation_key(citation, cited), before=before, after=snapshot(citation),
    )  # fmt: skip
    return citation


def remove_citation(
    session: Session, *, citation_id: int, actor: str, source: str | None = None
) -> None:
    """Take a citation away: it is a link between a record and a source, not a fact, so it may
    go; the audit trail keeps what it said. With `source`, only a citation of that source."""
    begin_write(session)
    citation, cited = get_citation(session, citation_id, source=source)
    before = snapshot(citation)
    session.delete(citation)
    session.flush()
    record_change(
        session, actor=actor, action=Action.DELETE, entity="citation",
        key=_citation_key(citation, cited), before=before, after=None,
    )  # fmt: skip


def find_citation(session: Session, source: Source, entity: str, entity_id: int) -> Citation | None:
    return session.exec(
        select(Citation).where(
            Citation.source_id == source.id,
            Citation.entity == entity,
            Citation.entity_id == entity_id,
        )
    ).first()


def citations_for(session: Session, entity: str, entity_id: int) -> list[tuple[Citation, Source]]:
    """The sources a record cites, with their confidence."""
    query = (
        select(Citation, Source)
        .join(Source)
        .where(Citation.entity == entity, Citation.entity_id == entity_id)
        .order_by(Source.key)
    )
    return [(citation, source) for citation, source in session.exec(query)]


def citing(session: Session, source: Source) -> list[tuple[Citation, str]]:
    """The citations of a source, by kind of record and id, each with its record named."""
    rows = session.exec(
        select(Citation)
        .where(Citation.source_id == source.id)
        .order_by(col(Citation.entity), col(Citation.entity_id))
    ).all()
    names = {
        entity: record_names(session, entity, [c.entity_id for c in rows if c.entity == entity])
        for entity in {c.entity for c in rows}
    }
    return [(citation, names[citation.entity][citation.entity_id]) for citation in rows]


def record_name(session: Session, entity: str, entity_id: int) -> str:
    """A cited record as people name it: a programme, organisation or nation by name, a member
    by its nation and programme, a contract by its title, a fleet event by its programme and
    date."""
    return record_names(session, entity, [entity_id])[entity_id]


def record_names(session: Session, entity: str, ids: Iterable[int]) -> dict[int, str]:
    """Records of one kind named as `record_name` names each, in a query per 500 of them; one
    the registry does not hold is named by its kind and id."""
    wanted = sorted(set(ids))
    found: dict[int, str] = {}
    name = _NAMES.get(entity)
    if name is not None:
        for start in range(0, len(wanted), 500):
            found |= name(session, wanted[start : start + 500])
    return {record_id: found.get(record_id, f"{entity} {record_id}") for record_id in wanted}


def _programme_names(session: Session, ids: list[int]) -> dict[int, str]:
    query = sa_select(col(Programme.id), col(Programme.name))
    return dict(session.execute(query.where(col(Programme.id).in_(ids))).all())


def _organisation_names(session: Session, ids: list[int]) -> dict[int, str]:
    query = sa_select(col(Organisation.id), col(Organisation.name))
    return dict(session.execute(query.where(col(Organisation.id).in_(ids))).all())


def _nation_names(session: Session, ids: list[int]) -> dict[int, str]:
    numbers = {code: number for number in ids if (code := nation_of_number(number))}
    query = sa_select(col(Nation.code), col(Nation.name)).where(col(Nation.code).in_(numbers))
    return {numbers[code]: name for code, name in session.execute(query)}


def _spell_names(session: Session, ids: list[int]) -> dict[int, str]:
    rows = session.execute(
        sa_select(col(Participation.id), col(Nation.name), col(Programme.name))
        .join(Nation, col(Nation.code) == Participation.nation_code)
        .join(Programme, col(Programme.id) == Participation.programme_id)
        .where(col(Participation.id).in_(ids))
    )
    return {spell_id: f"{nation} in {programme}" for spell_id, nation, programme in rows}


def _contract_names(session: Session, ids: list[int]) -> dict[int, str]:
    rows = session.execute(
        sa_select(col(Contract.id), col(Contract.title), col(Programme.name))
        .join(Programme, col(Programme.id) == Contract.programme_id)
        .where(col(Contract.id).in_(ids))
    )
    return {contract_id: f"{title} ({programme})" for contract_id, title, programme in rows}


def _event_names(session: Session, ids: list[int]) -> dict[int, str]:
    rows = session.execute(
        sa_select(col(FleetEvent.id), col(Programme.name), col(FleetEvent.kind),
                  col(FleetEvent.event_date), col(FleetEvent.event_date_precision))
        .join(Programme, col(Programme.id) == FleetEvent.programme_id)
        .where(col(FleetEvent.id).in_(ids))
    )  # fmt: skip
    return {
        event_id: f"{programme} fleet: {kind} on {PartialDate(day, Precision(precision))}"
        for event_id, programme, kind, day, precision in rows
    }


def _instrument_names(session: Session, ids: list[int]) -> dict[int, str]:
    rows = session.execute(
        sa_select(col(Instrument.id), col(Instrument.title), col(Programme.name))
        .join(Programme, col(Programme.id) == Instrument.programme_id)
        .where(col(Instrument.id).in_(ids))
    )
    return {instrument_id: f"{title} ({programme})" for instrument_id, title, programme in rows}


_NAMES: dict[str, Callable[[Session, list[int]], dict[int, str]]] = {
    Cited.PROGRAMME: _programme_names,
    Cited.ORGANISATION: _organisation_names,
    Cited.PARTICIPATION: _spell_names,
    Cited.CONTRACT: _contract_names,
    Cited.FLEET_EVENT: _event_names,
    Cited.NATION: _nation_names,
    Cited.INSTRUMENT: _instrument_names,
}
"""How the records of each kind in CITABLE are named, many at a time."""


def citable_records(session: Session, entity: str) -> list[tuple[int, str]]:
    """Programmes, organisations or nations by name, for a picker (other kinds are chosen by
    id); a nation by its ISO 3166 numeric code."""
    if entity == Cited.PROGRAMME:
        return [(pk(p), p.name) for p in session.exec(select(Programme).order_by(Programme.name))]
    if entity == Cited.ORGANISATION:
        rows = session.exec(select(Organisation).order_by(Organisation.name))
        return [(pk(o), o.name) for o in rows]
    if entity == Cited.NATION:
        return [(nation_number(n.code), n.name) for n in list_nations(session)]
    return []


def list_citations(
    session: Session, *, entity: str | None = None, entity_id: int | None = None
) -> list[tuple[Citation, Source]]:
    """Citations by kind of record, record and source; filtered by kind and record id."""
    query = select(Citation, Source).join(Source)
    if entity is not None:
        query = query.where(Citation.entity == entity)
    if entity_id is not None:
        query = query.where(Citation.entity_id == entity_id)
    query = query.order_by(col(Citation.entity), col(Citation.entity_id), col(Source.key))
    return [(citation, source) for citation, source in session.exec(query)]
