"""Bulk import from CSV or Excel: all rows or none, with a dry run."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Router, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter, RawBody
from msgspec import Struct
from sqlmodel import Session

from api.deps import BEARER, EDITOR, actor
from api.docs import WRITE_ERRORS
from registry.imports import import_rows, read_table


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


@post(
    "/api/import/{kind:str}",
    sync_to_thread=False,
    opt=EDITOR,
    security=BEARER,
    status_code=200,
    summary="Import participations, contracts or fleet events from CSV or XLSX",
    tags=["import"],
    responses=WRITE_ERRORS,
)
def import_file(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    kind: FromPath[str],
    body: RawBody,
    dry_run: DryRun = False,
) -> ImportOut:
    """`kind`: participations, contracts or fleet-events; the file (CSV or XLSX) is the body.

    Columns: participations programme, nation, joined [role, instrument, cost_share, note, left];
    contracts programme, title, kind [reference, signed, amount, currency, contractor,
    awarding_organisation, quantity, item, note]; fleet-events programme, date, kind, count
    [asset_type, contract (reference), note]. Any bad row refuses the whole file (422) and the
    problem's `errors` name every bad row and field."""
    rows = read_table(bytes(body))
    result = import_rows(session, kind, rows, actor=actor(request), dry_run=dry_run)
    return ImportOut(
        result.kind,
        result.dry_run,
        [ImportedRow(r.row, r.action, r.entity, r.key) for r in result.rows],
    )


router = Router("/", route_handlers=[import_file])
