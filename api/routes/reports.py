"""The reports as HTML (or PDF with `format=pdf`), the same documents `registry report` writes."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Request, Response, Router, get
from litestar.params import FromPath, QueryParameter

from api.docs import READ_ERRORS
from api.routes.params import AsOf
from registry.errors import NotFound
from registry.nations import nation_code
from reports import documents
from reports.build import render
from reports.frames import load_frames

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


def report_response(
    request: Request[Any, Any, Any], report: str, key: str, as_of: date | None, format: str | None
) -> Response[bytes]:
    """The report read fresh from the database, as HTML or PDF."""
    frames = load_frames(request.app.state.engine)
    html = render(frames, documents.stamp(frames, as_of or date.today()), report, key)
    return _answer(html, format, key or report)


@get("/programmes/{slug:str}", sync_to_thread=False, responses=READ_ERRORS,
     summary="A programme's membership report")  # fmt: skip
def programme(
    request: Request[Any, Any, Any],
    slug: FromPath[str],
    as_of: AsOf = None,
    format: ReportFormat = None,
) -> Response[bytes]:
    """Identity, members, timeline, contracts with totals, fleet, sources with confidence."""
    return report_response(request, "programme", slug, as_of, format)


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
    return report_response(request, "nation", alpha3, as_of, format)


@get("/membership", sync_to_thread=False, responses=READ_ERRORS,
     summary="Alliance membership matrix (landscape)")  # fmt: skip
def membership(
    request: Request[Any, Any, Any], as_of: AsOf = None, format: ReportFormat = None
) -> Response[bytes]:
    """Nations by programmes on `as_of`, with counts per row and column."""
    return report_response(request, "membership", "", as_of, format)


@get("/contracts", sync_to_thread=False, responses=READ_ERRORS, summary="Contracts summary")
def contracts(
    request: Request[Any, Any, Any], as_of: AsOf = None, format: ReportFormat = None
) -> Response[bytes]:
    """By contractor, awarding agency, year and currency."""
    return report_response(request, "contracts", "", as_of, format)


router = Router(
    "/reports", route_handlers=[programme, nation, membership, contracts], tags=["reports"]
)
