"""Sources and citations: the public texts records cite, and how sure they make us."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, Router, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlmodel import Session

from api import wire, wire_sources
from api.cache import answer, serve_cached
from api.deps import BEARER, EDITOR, actor, etag, expected_version
from api.docs import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, documented
from api.exports import Format, wanted
from api.routes.catalogue import _page_or_file
from api.routes.params import FormatParam, Limit, Offset
from registry.checks import MAX_INT
from registry.errors import InvalidValue, NotFound, RegistryError
from registry.source_check import SourceCheck, check_sources
from registry.sources import (
    Cited,
    Source,
    add_source,
    cite,
    citing,
    find_source,
    get_citation,
    get_source,
    list_citations,
    list_sources,
    record_name,
    remove_citation,
    update_citation,
    update_source,
)

RecordIdParam = Annotated[
    int | None, QueryParameter(ge=1, le=MAX_INT, description="The cited record's id.")
]


@get(
    "/api/sources",
    sync_to_thread=False,
    summary="Sources: the public texts records cite",
    responses=LIST_ERRORS,
    operation_class=documented(files=True),
)
def sources(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    limit: Limit = 50,
    offset: Offset = 0,
    format: FormatParam = None,
) -> wire.Page[wire_sources.SourceOut]:
    """By key, each with the number of records citing it."""
    items = [wire_sources.source_out(s, n) for s, n in list_sources(session)]
    columns = wire_sources.SourceOut.__struct_fields__
    return _page_or_file(request, items, columns, "sources", format, limit, offset)  # type: ignore[no-any-return]


@get("/api/sources/check", sync_to_thread=False, summary="What supports each fact, checked",
     before_request=serve_cached, responses=READ_ERRORS)  # fmt: skip
def sources_check(
    request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> SourceCheck:
    """The records the registry holds that cite no source (`uncited`: programmes, members,
    contracts and instruments not voided, fleet events not corrected or voided, organisations,
    nations), the citations quoting words their source's excerpt does not hold
    (`unsupported`), and the high citations of general compilations (`overclaimed`): what
    `registry sources check` prints. Kept until the next write, like every read."""
    return answer(request, lambda: (check_sources(session), {}))  # type: ignore[return-value,arg-type]


def _detail(session: Session, source: Source) -> Response[wire_sources.SourceDetail]:
    body = wire_sources.source_detail(source, citing(session, source))
    return Response(body, headers=etag(source.version))


@get("/api/sources/{key:str}", sync_to_thread=False, summary="A source and what cites it",
     responses=READ_ERRORS)  # fmt: skip
def source(
    session: NamedDependency[Session], key: FromPath[str]
) -> Response[wire_sources.SourceDetail]:
    """With every record citing it, its confidence and note; the ETag is its version."""
    return _detail(session, get_source(session, key))


@post("/api/sources", sync_to_thread=False, opt=EDITOR, security=BEARER,
      summary="Register a source", responses=WRITE_ERRORS,
      operation_class=documented(body=wire_sources.SourceIn))  # fmt: skip
def create_source(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    data: JSONBody[wire_sources.SourceIn],
) -> Response[wire_sources.SourceDetail]:
    """`published` is a date at its known precision (2025, 2025-06 or 2025-06-25); 409 on `key`
    when a source has that key already."""
    made = add_source(session, actor=actor(request), **wire.plain(data))
    response = _detail(session, made)
    response.status_code = 201
    return response


@patch("/api/sources/{key:str}", sync_to_thread=False, opt=EDITOR, security=BEARER,
       summary="Edit a source", responses=WRITE_ERRORS,
       operation_class=documented(body=wire_sources.SourcePatch))  # fmt: skip
def edit_source(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    key: FromPath[str],
    data: JSONBody[wire_sources.SourcePatch],
) -> Response[wire_sources.SourceDetail]:
    """The fields given replace the source's (null or empty clears an optional one). Send
    `If-Match` with the ETag you read: 412 when the source changed since."""
    changed = update_source(
        session, key=key, actor=actor(request), expected_version=expected_version(request),
        **wire.given(data),
    )  # fmt: skip
    return _detail(session, changed)


@get(
    "/api/citations",
    sync_to_thread=False,
    summary="Citations: which record cites which source",
    responses=LIST_ERRORS,
    operation_class=documented(files=True),
)
def citations(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    entity: FromQuery[Cited | None] = None,
    entity_id: RecordIdParam = None,
    limit: Limit = 50,
    offset: Offset = 0,
    format: FormatParam = None,
) -> wire.Page[wire_sources.CitationOut]:
    """Filter by the kind of record (`entity`) and its id (`entity_id`): the sources one record
    cites. By kind, record and source key."""
    rows = list_citations(session, entity=entity, entity_id=entity_id)
    shown = rows[offset : offset + limit] if wanted(request, format) is Format.JSON else rows
    items = [
        wire_sources.citation_out(c, s, record_name(session, c.entity, c.entity_id))
        for c, s in shown
    ]
    columns = wire_sources.CitationOut.__struct_fields__
    return _page_or_file(  # type: ignore[no-any-return]
        request, items, columns, "citations", format, limit, offset, total=len(rows)
    )


def _citation(session: Session, citation_id: int) -> wire_sources.CitationOut:
    citation, cited = get_citation(session, citation_id)
    record = record_name(session, citation.entity, citation.entity_id)
    return wire_sources.citation_out(citation, cited, record)


@post("/api/citations", sync_to_thread=False, opt=EDITOR, security=BEARER,
      summary="Cite a source for a record", responses=WRITE_ERRORS,
      operation_class=documented(body=wire_sources.CitationIn))  # fmt: skip
def create_citation(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    data: JSONBody[wire_sources.CitationIn],
) -> Response[wire_sources.CitationOut]:
    """404 on `source` or `entity_id` when the registry holds no such source or record; 409 on
    `source` when the record cites it already."""
    try:
        made = cite(session, actor=actor(request), **wire.plain(data))
    except InvalidValue as error:
        raise _not_held(session, error, data.source) from None
    return Response(_citation(session, made.id or 0), status_code=201)


def _not_held(session: Session, error: InvalidValue, source: str) -> RegistryError:
    """A source the registry does not hold answers 404, as a record it does not hold does
    (`entity_id`): which keys exist is data, which no document of the body can state."""
    if error.fields == ["source"] and find_source(session, source) is None:
        return NotFound(error.errors)
    return error


@patch("/api/citations/{citation_id:int}", sync_to_thread=False, opt=EDITOR, security=BEARER,
       summary="Change a citation's confidence or note", responses=WRITE_ERRORS,
       operation_class=documented(body=wire_sources.CitationPatch))  # fmt: skip
def edit_citation(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    citation_id: FromPath[int],
    data: JSONBody[wire_sources.CitationPatch],
) -> wire_sources.CitationOut:
    """The fields given replace the citation's; a null or empty note clears it."""
    update_citation(session, citation_id=citation_id, actor=actor(request), **wire.given(data))
    return _citation(session, citation_id)


@delete("/api/citations/{citation_id:int}", sync_to_thread=False, opt=EDITOR, security=BEARER,
        summary="Remove a citation", responses=WRITE_ERRORS)  # fmt: skip
def uncite(
    request: Request[Any, Any, Any], session: NamedDependency[Session], citation_id: FromPath[int]
) -> None:
    """A citation links a record to a source; taking it away leaves both, and the change log
    keeps what it said."""
    remove_citation(session, citation_id=citation_id, actor=actor(request))


router = Router(
    "/",
    route_handlers=[
        sources, sources_check, source, create_source, edit_source,
        citations, create_citation, edit_citation, uncite,
    ],
    tags=["sources"],
)  # fmt: skip
