"""Sources and citations: any record can cite a source with a confidence, so doubt stays visible."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, select

from registry.audit import begin_write, record_change, snapshot
from registry.checks import Checks
from registry.choices import Action, Confidence
from registry.contracts import Contract
from registry.database import pk
from registry.dates import PartialDate
from registry.errors import Conflict, NotFound
from registry.fleet import FleetEvent
from registry.organisations import Organisation
from registry.participation import Participation
from registry.programmes import Programme

CITABLE: dict[str, type[SQLModel]] = {
    "programme": Programme,
    "participation": Participation,
    "contract": Contract,
    "fleet_event": FleetEvent,
    "organisation": Organisation,
}


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


def find_source(session: Session, key: str) -> Source | None:
    return session.exec(select(Source).where(Source.key == key)).first()


def add_source(
    session: Session,
    *,
    key: str,
    title: str,
    publisher: str | None = None,
    url: str | None = None,
    published: PartialDate | date | str | None = None,
    excerpt: str | None = None,
    actor: str,
) -> Source:
    """Register a public source that records can cite."""
    begin_write(session)
    checks = Checks()
    key_ = checks.slug(key, "key")
    title_ = checks.text(title, "title", max_length=300)
    publisher_ = checks.optional_text(publisher, "publisher", max_length=200)
    url_ = checks.optional_text(url, "url", max_length=500)
    if url_ and not url_.startswith(("https://", "http://")):
        checks.fail("url", "must start with https:// or http://")
    published_ = checks.optional_date(published, "published")
    excerpt_ = checks.optional_text(excerpt, "excerpt", max_length=4000)
    checks.done()
    if find_source(session, key_) is not None:
        raise Conflict("key", f"a source {key_!r} exists already")
    source = Source(
        key=key_,
        title=title_,
        publisher=publisher_,
        url=url_,
        published=published_.start if published_ else None,
        published_precision=published_.precision.value if published_ else None,
        excerpt=excerpt_,
    )
    session.add(source)
    session.flush()
    record_change(
        session, actor=actor, action=Action.CREATE, entity="source", key=key_,
        before=None, after=snapshot(source),
    )  # fmt: skip
    return source


def cite(
    session: Session,
    *,
    source: str,
    entity: str,
    entity_id: Any,
    confidence: str,
    note: str | None = None,
    actor: str,
) -> Citation:
    """Attach a source to a record with a confidence (high, medium, low)."""
    begin_write(session)
    checks = Checks()
    source_ = find_source(session, source) if isinstance(source, str) else None
    if source_ is None:
        checks.fail("source", f"no source {source!r}")
    table = CITABLE.get(entity)
    if table is None:
        checks.fail("entity", f"{entity!r} is not one of: {', '.join(CITABLE)}")
    confidence_ = checks.choice(Confidence, confidence, "confidence")
    note_ = checks.optional_text(note, "note")
    checks.done()
    assert source_ is not None
    assert table is not None
    if not isinstance(entity_id, int) or session.get(table, entity_id) is None:
        raise NotFound("entity_id", f"no {entity} {entity_id!r}")
    if find_citation(session, source_, entity, entity_id) is not None:
        raise Conflict("source", f"{entity} {entity_id} cites {source_.key} already")
    citation = Citation(
        source_id=pk(source_), entity=entity, entity_id=entity_id,
        confidence=confidence_.value, note=note_,
    )  # fmt: skip
    session.add(citation)
    session.flush()
    record_change(
        session, actor=actor, action=Action.CREATE, entity="citation",
        key=f"{entity}/{entity_id}/{source_.key}", before=None, after=snapshot(citation),
    )  # fmt: skip
    return citation


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
