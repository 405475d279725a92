"""Bulk import from CSV or Excel: all rows or none, with a dry run, in a worker thread.

The import runs off the event loop, one at a time per application, in a transaction of its own
(`unit_of_work` on the app's engine): it never takes the request's session, since a thread
holding a pooled connection while the loop waits on it deadlocks the server. An import still
running when the server is told to stop (SIGTERM, SIGINT) ends at its next row and writes nothing.
"""

from __future__ import annotations

import signal
import threading
from functools import partial
from types import FrameType
from typing import Annotated, Any

import anyio
from litestar import Litestar, Request, Response, Router, post
from litestar.openapi.spec import Operation
from litestar.params import FromPath, QueryParameter, RawBody
from msgspec import Struct
from sqlmodel import Session

from api.deps import BEARER, EDITOR, actor
from api.docs import BINARY, UNAVAILABLE
from api.routes.change_requests import PROPOSING, location, request_out
from registry import imports
from registry.change_requests import get_request
from registry.choices import UserRole

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportedRow(Struct):
    row: int
    action: str
    entity: str
    key: str


class ImportOut(Struct):
    kind: str
    dry_run: bool
    rows: list[ImportedRow]


DryRun = Annotated[bool, QueryParameter(description="Check every row and write nothing.")]
Propose = Annotated[
    bool,
    QueryParameter(
        description="Propose the file as one change request (at most 500 rows) instead of "
        "importing it; so it goes anyway where a programme needs review and you are no admin."
    ),
]


class ImportOperation(Operation):
    """The body is the file itself (CSV text or an XLSX), `kind` one of the importer's kinds."""

    def to_schema(self) -> dict[str, Any]:
        result = super().to_schema()
        result["requestBody"] = {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}, XLSX: {"schema": BINARY}},
        }
        for parameter in result["parameters"]:
            if parameter["name"] == "kind":
                parameter["schema"]["enum"] = list(imports.KINDS)
        return result


def stop_imports(app: Litestar) -> None:
    """Make any running import stop at its next row and roll back."""
    app.state.import_stop.set()


def _stop_imports_on_signals(app: Litestar) -> None:
    """SIGTERM or SIGINT stop running imports at once: the server waits for requests in progress
    before it shuts the application down, so a shutdown hook would wait for the whole import.
    Chained to the server's own handlers, once per application, on the first import."""
    if "import_signals" in app.state or threading.current_thread() is not threading.main_thread():
        return  # signals reach only the main thread (the test client runs the app elsewhere)
    app.state.import_signals = True
    for number in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(number)

        def handler(sig: int, frame: FrameType | None, previous: Any = previous) -> None:
            stop_imports(app)
            if callable(previous):
                previous(sig, frame)

        signal.signal(number, handler)


@post(
    "/api/import/{kind:str}",
    opt=EDITOR,
    security=BEARER,
    status_code=200,
    summary="Import participations, contracts or fleet events from CSV or XLSX",
    tags=["import"],
    responses=PROPOSING | UNAVAILABLE,
    operation_class=ImportOperation,
)
async def import_file(
    request: Request[Any, Any, Any],
    kind: FromPath[str],
    body: RawBody,
    dry_run: DryRun = False,
    propose: Propose = False,
) -> ImportOut:
    """`kind`: participations, contracts or fleet-events; the file (CSV or XLSX) is the body.

    Columns: participations programme, nation, joined [role, instrument, cost_share, note, left];
    contracts programme, title, kind [reference, signed, amount, currency, contractor,
    awarding_organisation, quantity, item, note]; fleet-events programme, date, kind, count
    [asset_type, contract (reference), note]. Any bad row refuses the whole file (422) and the
    problem's `errors` name every bad row and field. Limits: 100,000 rows, 10,000 characters a
    cell, 50 MB unpacked for an XLSX (413). 503 when the server stops during the import (nothing
    written). With `propose`, or where a row's programme needs review and the caller is no admin,
    the file becomes one submitted change request (202 with its `Location`), every row checked
    first as by a dry run."""
    state = request.app.state
    _stop_imports_on_signals(request.app)
    work = partial(
        imports.import_or_propose, state.engine, kind, bytes(body), actor=actor(request),
        may_skip_review=request.state.user.role == UserRole.ADMIN, propose_anyway=propose,
        dry_run=dry_run, stop=state.import_stop,
    )  # fmt: skip
    # to_thread copies the context, so the audit rows carry this request's id.
    result = await anyio.to_thread.run_sync(work, limiter=state.import_limiter)
    if isinstance(result, int):
        with Session(state.engine) as session:
            body_ = request_out(session, get_request(session, result))
        return Response(body_, status_code=202, headers=location(result))  # type: ignore[return-value]
    return ImportOut(
        result.kind,
        result.dry_run,
        [ImportedRow(r.row, r.action, r.entity, r.key) for r in result.rows],
    )


router = Router("/", route_handlers=[import_file])
