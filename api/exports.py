"""Lists as CSV, Parquet or XLSX files. Participations, contracts and fleet events are written
in the importer's columns by the same writer as `registry export` (`export_records`), so a file
the API gives imports back unchanged; other lists as their JSON items, flattened (`export`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from typing import Any

import msgspec
import polars as pl
from litestar import Request, Response
from sqlmodel import Session

from registry.conversion import CONVERTED_COLUMNS, add_converted
from registry.errors import InvalidValue
from registry.export import (
    FileFormat,
    Row,
    cell_value,
    columns,
    contract_references,
    file_bytes,
    write_table,
    xlsx_bytes,
)


class Format(StrEnum):
    JSON = "json"
    CSV = "csv"
    PARQUET = "parquet"
    XLSX = "xlsx"


MEDIA_TYPES = {
    Format.CSV: "text/csv",  # Litestar adds "; charset=utf-8"
    Format.PARQUET: "application/vnd.apache.parquet",
    Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_ACCEPTED = {
    "text/csv": Format.CSV,
    "application/vnd.apache.parquet": Format.PARQUET,
    "application/x-parquet": Format.PARQUET,
    MEDIA_TYPES[Format.XLSX]: Format.XLSX,
}


def wanted(request: Request[Any, Any, Any], format: str | None) -> Format:
    """The format asked for by `format=` or, failing that, by the Accept header."""
    if format:
        try:
            return Format(format)
        except ValueError:
            raise InvalidValue(
                "format", f"{format!r} is not one of: json, csv, parquet, xlsx"
            ) from None
    accept = request.headers.get("accept", "")
    for media_type, kind in _ACCEPTED.items():
        if media_type in accept:
            return kind
    return Format.JSON


def _flat(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and key not in ("before", "after"):
            flat |= _flat(value, f"{name}_")
        elif isinstance(value, dict | list):
            flat[name] = json.dumps(value, sort_keys=True, default=str)
        else:
            flat[name] = value
    return flat


def _rows(items: Sequence[msgspec.Struct]) -> list[dict[str, Any]]:
    """Items as flat rows; dates stay dates (for XLSX), times become ISO text."""
    return [_flat(msgspec.to_builtins(item, builtin_types=(date,))) for item in items]


def _names(rows: list[dict[str, Any]], columns: Sequence[str]) -> list[str]:
    """The columns in the order given, each nested one replaced by its `parent_child` columns;
    with no rows, the columns given."""
    if not rows:
        return list(columns)
    found = list(dict.fromkeys(key for row in rows for key in row))
    parts = {c: [n for n in found if n.startswith(f"{c}_") and n not in columns] for c in columns}
    nested = {column for column, names in parts.items() if names}
    names = [name for c in columns for name in (parts[c] or [c]) if name in found]
    return list(dict.fromkeys([*names, *(n for n in found if n not in nested)]))


def frame(items: Sequence[msgspec.Struct], columns: Sequence[str]) -> pl.DataFrame:
    """Items as a flat table: nested objects become `parent_child` columns, all values text."""
    rows = _rows(items)
    names = _names(rows, columns)
    data = {name: [None if r.get(name) is None else str(r[name]) for r in rows] for name in names}
    return pl.DataFrame(data, schema=dict.fromkeys(names, pl.String))


def _file(data: bytes, kind: Format, name: str) -> Response[bytes]:
    return Response(
        data,
        media_type=MEDIA_TYPES[kind],
        headers={"Content-Disposition": f'attachment; filename="{name}.{kind.value}"'},
    )


def export(
    items: Sequence[msgspec.Struct], columns: Sequence[str], kind: Format, name: str
) -> Response[bytes]:
    """The file response for a list, with its content type and a download file name. An XLSX
    keeps numbers and dates as such (see `registry.export.xlsx_bytes`)."""
    if kind is Format.XLSX:
        rows = _rows(items)
        names = _names(rows, columns)
        cells = ([cell_value(n, row.get(n)) for n in names] for row in rows)
        return _file(xlsx_bytes(names, cells, sheet=name), kind, name)
    return _file(file_bytes(frame(items, columns), FileFormat(kind.value), sheet=name), kind, name)


RENAMED = {"value_amount": "amount", "value_currency": "currency"}
"""List fields that the importer names otherwise: a contract's `value` is its amount and
currency."""


def export_records(
    session: Session,
    records: str,
    items: Sequence[msgspec.Struct],
    kind: Format,
    name: str,
    *,
    programme: str | None = None,
    convert_to: str | None = None,
) -> Response[bytes]:
    """A list of participations, contracts or fleet events (`records`, the importer's kind) as
    a file in the importer's columns, written as `registry export` writes them; `programme` for
    items that do not name theirs. A fleet event's contract is named by its reference. Contracts
    with `convert_to` gain the converted columns (`registry.rates.CONVERTED_COLUMNS`)."""
    rows: list[Row] = []
    for item in items:
        flat = {
            RENAMED.get(key, key): value for key, value in _flat(msgspec.to_builtins(item)).items()
        }
        flat.setdefault("programme", programme)
        rows.append({key: None if value is None else str(value) for key, value in flat.items()})
    if records == "fleet-events":
        references = contract_references(
            session, (int(r["contract"]) for r in rows if r["contract"])
        )
        for row in rows:
            row["contract"] = references.get(int(row["contract"])) if row["contract"] else None
    names = columns(records)
    if convert_to and records == "contracts":
        add_converted(session, rows, convert_to, date.today())
        names = [*names, *CONVERTED_COLUMNS]
    data = write_table(rows, names, FileFormat(kind.value), sheet=name)
    return _file(data, kind, name)
