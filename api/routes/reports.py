"""The reports as HTML (or PDF with `format=pdf`), the same documents `registry report` writes."""

from __future__ import annotations

import multiprocessing
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Annotated, Any

import anyio
from litestar import Request, Response, Router, get
from litestar.params import FromPath, QueryParameter
from sqlmodel import Session

from api.cache import AnswerCache
from api.docs import BINARY, CONVERTING, READ_ERRORS, UNAVAILABLE, documented
from api.routes.params import AS_OF_PATTERN, AsKnownOn, AsOf, ConvertTo, as_of_day, known_on
from registry.conversion import Rates, contract_currencies, rate_currency
from registry.errors import BadParameter, NotFound, Unavailable
from registry.history import known_at
from registry.nations import nation_code
from reports import documents
from reports.build import render
from reports.frames import load_frames, report_scope

Since = Annotated[
    str | None,
    QueryParameter(
        pattern=AS_OF_PATTERN,
        description="List what changed after this day up to as_of (a day before it).",
    ),
]
ReportFormat = Annotated[
    str | None,
    QueryParameter(name="format", description="html (default) or pdf", pattern="^(html|pdf)$"),
]


Drawn = tuple[bytes, str, dict[str, str]]
"""A finished report: body, media type, headers."""


def _drawn(html: str, format: str | None, name: str) -> Drawn:
    if format == "pdf":
        disposition = {"Content-Disposition": f'inline; filename="{name}.pdf"'}
        return in_pdf_process(html), "application/pdf", disposition
    return html.encode(), "text/html", {}  # Litestar adds the charset


_pdf_pool: ProcessPoolExecutor | None = None
PDFS_PER_PROCESS = 100
"""A drawing process is replaced after this many PDFs, so nothing it holds grows for ever."""


def _ignore_interrupts() -> None:
    """Ctrl-C reaches the whole process group: the server stops its drawing processes itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


_pdf_pool_lock = threading.Lock()


def stop_pdf_processes() -> None:
    """End this worker's drawing processes (the server's shutdown: uvicorn then re-raises the
    stopping signal, which ends the worker without Python's exit handlers, so a pool left to
    them would outlive it)."""
    global _pdf_pool
    with _pdf_pool_lock:
        pool, _pdf_pool = _pdf_pool, None
    if pool is None:
        return
    processes = list(pool._processes.values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=5)


def in_pdf_process(html: str) -> bytes:
    """`html_to_pdf` in a process of this worker's own pool. WeasyPrint holds the GIL for the
    second or more a PDF takes: drawn in a thread, it stalled every other request of the worker
    (`make bench`: programme detail's p99 went from 40 ms to 250 ms beside a client asking for
    PDFs). The pool starts with the first PDF and ends with the worker."""
    from reports.pdf import html_to_pdf

    global _pdf_pool
    for _ in range(2):
        with _pdf_pool_lock:
            if _pdf_pool is None:
                spawn = multiprocessing.get_context("spawn")  # no threads survive a fork
                _pdf_pool = ProcessPoolExecutor(
                    REPORTS_AT_ONCE, mp_context=spawn, initializer=_ignore_interrupts,
                    max_tasks_per_child=PDFS_PER_PROCESS,
                )  # fmt: skip
            pool = _pdf_pool
        try:
            return pool.submit(html_to_pdf, html).result()
        except BrokenProcessPool:  # a process of it died (killed, out of memory): a new pool
            with _pdf_pool_lock:
                if _pdf_pool is pool:
                    _pdf_pool = None
    raise Unavailable("report", "the PDF could not be drawn; try again shortly")


REPORT = documented(answers={"text/html": {"type": "string"}, "application/pdf": BINARY})
"""The answer is HTML, or PDF with `format=pdf`."""
ERRORS = READ_ERRORS | UNAVAILABLE | CONVERTING
REPORTS_AT_ONCE = 2
"""Reports drawn at the same time per worker (one per core here); more wait their turn."""
WAIT_SECONDS = 30
"""How long a report request waits for its turn before it is answered 503 with Retry-After."""


def report_limiter() -> anyio.CapacityLimiter:
    return anyio.CapacityLimiter(REPORTS_AT_ONCE)


async def report_response(
    request: Request[Any, Any, Any],
    report: str,
    key: str,
    as_of: str | None,
    format: str | None,
    as_known_on: str | None = None,
    since: str | None = None,
    convert_to: str | None = None,
) -> Response[bytes]:
    """The report as HTML or PDF: kept from an earlier request while the data is unchanged,
    else read from the database and drawn in a worker thread (a report takes from tens of
    milliseconds to seconds, and the event loop must stay free)."""
    engine, day = request.app.state.engine, as_of_day(as_of)
    moment = known_on(as_known_on)
    first = None if since is None else as_of_day(since, "since")
    if first is not None and first >= day:
        raise BadParameter("since", f"{first} is not before as_of ({day})")
    kept: AnswerCache = request.app.state.report_cache
    cache_key = (report, key, day, moment, first, format or "html", convert_to or "")
    version = kept.data_version() if kept.size > 0 else 0
    hit = kept.lookup(cache_key, version)
    if hit is not None:
        return hit

    def build() -> Drawn:
        with Session(engine) as session:
            known = known_at(session, moment)
            target = rate_currency(session, convert_to) if convert_to else None
            rates = Rates.read(session, [target, *contract_currencies(session)]) if target else None
        frames = load_frames(engine, known, report_scope(engine, report, key, day))
        stamp = documents.stamp(frames, day, as_known_on=moment, since=first,
                                convert_to=target, rates=rates)  # fmt: skip
        name = f"{key or report}-as-of-{day.isoformat()}"
        return _drawn(render(frames, stamp, report, key), format, name)

    limiter: anyio.CapacityLimiter = request.app.state.report_limiter
    try:
        limiter.acquire_nowait()
    except anyio.WouldBlock:
        try:
            with anyio.fail_after(WAIT_SECONDS):
                await limiter.acquire()
        except TimeoutError:
            raise Unavailable("report", "every report worker is busy; try again shortly") from None
    try:
        body, media_type, headers = await anyio.to_thread.run_sync(build)
    finally:
        limiter.release()
    kept.store(cache_key, version, body, headers, media_type)
    return Response(body, media_type=media_type, headers=headers)


@get("/programmes/{slug:str}", responses=ERRORS, operation_class=REPORT,
     summary="A programme's membership report")  # fmt: skip
async def programme(
    request: Request[Any, Any, Any],
    slug: FromPath[str],
    as_of: AsOf = None,
    as_known_on: AsKnownOn = None,
    since: Since = None,
    format: ReportFormat = None,
    convert_to: ConvertTo = None,
) -> Response[bytes]:
    """Identity, members, timeline, contracts with totals, fleet, sources with confidence;
    with `since`, what changed after that day up to `as_of`; with `convert_to`, the contracts'
    total in that currency too, with the rates used in a footnote."""
    return await report_response(request, "programme", slug, as_of, format, as_known_on, since,
                                 convert_to)  # fmt: skip


@get("/nations/{code:str}", responses=ERRORS, operation_class=REPORT,
     summary="A nation's programme participation report")  # fmt: skip
async def nation(
    request: Request[Any, Any, Any],
    code: FromPath[str],
    as_of: AsOf = None,
    as_known_on: AsKnownOn = None,
    format: ReportFormat = None,
    convert_to: ConvertTo = None,
) -> Response[bytes]:
    """`code` as alpha-3, alpha-2 or English name; with `convert_to`, the contracts of its
    programmes in that currency too, the rates used in a footnote."""
    alpha3 = nation_code(code)
    if alpha3 is None:
        raise NotFound("code", f"unknown nation {code!r}")
    return await report_response(request, "nation", alpha3, as_of, format, as_known_on,
                                 convert_to=convert_to)  # fmt: skip


@get("/membership", responses=ERRORS, operation_class=REPORT,
     summary="Alliance membership matrix (landscape)")  # fmt: skip
async def membership(
    request: Request[Any, Any, Any],
    as_of: AsOf = None,
    as_known_on: AsKnownOn = None,
    format: ReportFormat = None,
) -> Response[bytes]:
    """Nations by programmes on `as_of`, with counts per row and column."""
    return await report_response(request, "membership", "", as_of, format, as_known_on)


@get("/contracts", responses=ERRORS, operation_class=REPORT, summary="Contracts summary")
async def contracts(
    request: Request[Any, Any, Any],
    as_of: AsOf = None,
    format: ReportFormat = None,
    convert_to: ConvertTo = None,
) -> Response[bytes]:
    """By contractor, awarding agency, year and currency; with `convert_to`, the total in that
    currency too, each contract at the rate of its signing date, the rates in a footnote."""
    return await report_response(request, "contracts", "", as_of, format, convert_to=convert_to)


router = Router(
    "/reports", route_handlers=[programme, nation, membership, contracts], tags=["reports"]
)
