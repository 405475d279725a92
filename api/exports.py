"""Lists as CSV, Parquet or Excel, written by polars."""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import msgspec
import polars as pl
from litestar import Request, Response

from registry.errors import InvalidValue
from registry.export import FileFormat, file_bytes


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


def frame(items: Sequence[msgspec.Struct], columns: Sequence[str]) -> pl.DataFrame:
    """Items as a flat table: nested objects become `parent_child` columns, all values text."""
    rows = [_flat(msgspec.to_builtins(item)) for item in items]
    names = list(dict.fromkeys([*columns, *(k for row in rows for k in row)]))
    data = {name: [None if r.get(name) is None else str(r[name]) for r in rows] for name in names}
    return pl.DataFrame(data, schema=dict.fromkeys(names, pl.String))


def export(
    items: Sequence[msgspec.Struct], columns: Sequence[str], kind: Format, name: str
) -> Response[bytes]:
    """The file response for a list, with its content type and a download file name."""
    data = file_bytes(frame(items, columns), FileFormat(kind.value), sheet=name)
    return Response(
        data,
        media_type=MEDIA_TYPES[kind],
        headers={"Content-Disposition": f'attachment; filename="{name}.{kind.value}"'},
    )
