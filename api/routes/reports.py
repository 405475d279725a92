"""The reports as HTML (or PDF with `format=pdf`), the same documents `registry report` writes."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Request, Response, Router, get
from litestar.datastructures import State
from litestar.params import FromPath, QueryParameter

from api.docs import READ_ERRORS
from api.routes.params import AsOf
from registry.errors import NotFound
from registry.nations import nation_code
from reports import documents
from reports.frames import Frames, load_frames

ReportFormat = Annotated[
    str | None,
    QueryParameter(name="format", description="html (default) or pdf", pattern="^(html|pdf)$"),
]


def _answer(html: str, format: str | None, name: str) -> Response[bytes]:
    if format == "pdf":
        from reports.pdf import html_to_pdf

        return Response(
            html_to_pdf(html),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
        )
    return Response(html.encode(), media_type="text/html")  # Litestar adds the charset


def _frames(state: State) -> Frames:
    return load_frames(state.engine)


@get("/programmes/{slug:str}", sync_to_thread=False, responses=READ_ERRORS,
     summary="A programme's membership report")  # fmt: skip
def programme(
    request: Request[Any, Any, Any],
    slug: FromPath[str],
    as_of: AsOf = None,
    format: ReportFormat = None,
) -> Response[bytes]:
    """Identity, members, timeline, contracts with totals, fleet, sources with confidence."""
    frames = _frames(request.app.state)
    html = documents.programme_report(frames, slug, documents.stamp(frames, as_of or date.today()))
    return _answer(html, format, slug)


@get("/nations/{code:str}", sync_to_thread=False, responses=READ_ERRORS,
     summary="A nation's programme participation report")  # fmt: skip
def nation(
    request: Request[Any, Any, Any],
    code: FromPath[str],
    as_of: AsOf = None,
    format: ReportFormat = None,
) -> Response[bytes]:
    """`code` as alpha-3, alpha-2 or English name."""
    alpha3 = nation_code(code)
    if alpha3 is None:
        raise NotFound("code", f"unknown nation {code!r}")
    frames = _frames(request.app.state)
    html = documents.nation_report(frames, alpha3, documents.stamp(frames, as_of or date.today()))
    return _answer(html, format, alpha3)


@get("/membership", sync_to_thread=False, responses=READ_ERRORS,
     summary="Alliance membership matrix (landscape)")  # fmt: skip
def membership(
    request: Request[Any, Any, Any], as_of: AsOf = None, format: ReportFormat = None
) -> Response[bytes]:
    """Nations by programmes on `as_of`, with counts per row and column."""
    frames = _frames(request.app.state)
    html = documents.membership_report(frames, documents.stamp(frames, as_of or date.today()))
    return _answer(html, format, "membership")


@get("/contracts", sync_to_thread=False, responses=READ_ERRORS, summary="Contracts summary")
def contracts(
    request: Request[Any, Any, Any], as_of: AsOf = None, format: ReportFormat = None
) -> Response[bytes]:
    """By contractor, awarding agency, year and currency."""
    frames = _frames(request.app.state)
    html = documents.contracts_report(frames, documents.stamp(frames, as_of or date.today()))
    return _answer(html, format, "contracts")


router = Router(
    "/reports", route_handlers=[programme, nation, membership, contracts], tags=["reports"]
)
