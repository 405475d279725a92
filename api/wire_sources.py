"""What goes over the wire for sources and citations: request and response shapes, and the
conversions from registry rows (in the style of api/wire.py)."""

from __future__ import annotations

from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType

from api.wire import Description, IsoDate, Note, OptionalIsoDate, Title, _trimmed, _values
from registry.checks import MAX_INT, SLUG
from registry.choices import Confidence
from registry.sources import RESERVED_KEYS, Citation, Cited, Source

ConfidenceChoice = Annotated[str, Meta(extra_json_schema={"enum": _values(Confidence)})]
CitedChoice = Annotated[
    str, Meta(description="The kind of record", extra_json_schema={"enum": _values(Cited)})
]
Publisher = Annotated[str, _trimmed(200, required=False)]
Excerpt = Description  # at most 4000 characters
Quote = Annotated[
    str,
    _trimmed(1000, required=False),
    Meta(description="The words of the source's excerpt that support the fact, verbatim"),
]
General = Annotated[
    bool,
    Meta(description="A general compilation (public reporting gathered without one publisher "
                     "or date), not one publication: it supports a fact at most at medium "
                     "confidence"),
]  # fmt: skip
SourceKey = Annotated[
    str,
    Meta(
        examples=["nato-summit-2025"],
        extra_json_schema={"pattern": SLUG.pattern, "maxLength": 80,
                           "not": {"enum": list(RESERVED_KEYS)}},
    ),
]  # fmt: skip
Url = Annotated[
    str,
    Meta(
        description="An http:// or https:// address of at most 500 characters; empty for none",
        examples=["https://www.nato.int/cps/en/natohq/news_236705.htm"],
        extra_json_schema={
            "pattern": r"^\s*(https://([^\x00]{0,491}[^\s\x00])?"
            r"|http://([^\x00]{0,492}[^\s\x00])?)?\s*$"
        },
    ),
]
RecordId = Annotated[
    int, Meta(description="The cited record's id", extra_json_schema={"minimum": 1,
                                                                      "maximum": MAX_INT})
]  # fmt: skip


# --- responses -----------------------------------------------------------------------------


class SourceOut(Struct):
    key: str
    title: str
    publisher: str | None
    url: str | None
    published: IsoDate | None
    excerpt: str | None
    general: bool
    version: int
    citations: int
    """How many records cite it."""


class CitationOut(Struct):
    id: int
    source: str
    entity: str
    entity_id: int
    record: str
    """The cited record as people name it (a programme's name, a nation in a programme...)."""
    confidence: str
    note: str | None
    quote: str | None


class SourceDetail(Struct):
    key: str
    title: str
    publisher: str | None
    url: str | None
    published: IsoDate | None
    excerpt: str | None
    general: bool
    version: int
    cited_by: list[CitationOut]


# --- requests ------------------------------------------------------------------------------


class SourceIn(Struct, forbid_unknown_fields=True):
    key: SourceKey
    title: Title
    publisher: Publisher | None = None
    url: Url | None = None
    published: OptionalIsoDate | None = None
    excerpt: Excerpt | None = None
    general: General = False


class SourcePatch(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """The fields given replace the source's; null or empty clears an optional one. The key
    stays: it is the source's stable handle."""

    title: Title | UnsetType = UNSET
    publisher: Publisher | UnsetType | None = UNSET
    url: Url | UnsetType | None = UNSET
    published: OptionalIsoDate | UnsetType | None = UNSET
    excerpt: Excerpt | UnsetType | None = UNSET
    general: General | UnsetType = UNSET


class CitationIn(Struct, forbid_unknown_fields=True):
    source: Annotated[str, Meta(description="the source's key", examples=["nato-summit-2025"])]
    entity: CitedChoice
    entity_id: RecordId
    confidence: ConfidenceChoice
    note: Note | None = None
    quote: Quote | None = None


class CitationPatch(Struct, forbid_unknown_fields=True, omit_defaults=True):
    confidence: ConfidenceChoice | UnsetType = UNSET
    note: Note | UnsetType | None = UNSET
    quote: Quote | UnsetType | None = UNSET


# --- conversions ---------------------------------------------------------------------------


def _published(source: Source) -> str | None:
    published = source.published_on
    return published.isoformat() if published else None


def source_out(source: Source, citations: int) -> SourceOut:
    return SourceOut(
        key=source.key, title=source.title, publisher=source.publisher, url=source.url,
        published=_published(source), excerpt=source.excerpt, general=source.general,
        version=source.version, citations=citations,
    )  # fmt: skip


def citation_out(citation: Citation, source: Source, record: str) -> CitationOut:
    return CitationOut(
        id=citation.id or 0, source=source.key, entity=citation.entity,
        entity_id=citation.entity_id, record=record, confidence=citation.confidence,
        note=citation.note, quote=citation.quote,
    )  # fmt: skip


def source_detail(source: Source, cited_by: list[tuple[Citation, str]]) -> SourceDetail:
    return SourceDetail(
        key=source.key, title=source.title, publisher=source.publisher, url=source.url,
        published=_published(source), excerpt=source.excerpt, general=source.general,
        version=source.version,
        cited_by=[citation_out(citation, source, record) for citation, record in cited_by],
    )  # fmt: skip
