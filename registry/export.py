"""Registry data as CSV, Parquet or XLSX files in the importer's own columns, so an export can be
read back by `registry import` (a round trip keeps every value).

CSV and Parquet hold text, as the importer reads it. An XLSX holds what a spreadsheet can add up
(`CELLS`): amounts and cost shares as decimal numbers (the currency in its own column), counts
and quantities as whole numbers, a date known to the day as a date; a date known only to the
month or year stays text ("2025-06"), never a made-up first day. Text is stored as text, never
as a formula. The header row is bold and frozen."""

from __future__ import annotations

import io
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter  # type: ignore[import-untyped]
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from registry.amendments import as_amended, values_on
from registry.contracts import Contract, held, signed_by
from registry.dates import PartialDate, Precision
from registry.fleet import FleetEvent
from registry.formulas import defuse_formulas
from registry.history import Known, recorded_by
from registry.imports import KINDS
from registry.organisations import Organisation
from registry.participation import spell_on, spell_terms, whole
from registry.programmes import Programme

Row = dict[str, str | None]


class FileFormat(StrEnum):
    CSV = "csv"
    PARQUET = "parquet"
    XLSX = "xlsx"


def percent_text(bp: int | None) -> str | None:
    """Basis points as the percentage the importer and forms read: 1250 → "12.5"."""
    return None if bp is None else f"{Decimal(bp) / 100:f}"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, PartialDate) else str(value)


def _participations(session: Session, known: Known, on: date | None) -> list[Row]:
    """Every spell as the registry held it at `known`, each with the terms it held last; on
    `on`, the spells begun by then with the terms then in force (`spell_on`)."""
    slugs = {row[0]: row[1] for row in session.execute(select(Programme.id, Programme.slug)).all()}
    read = (
        (whole(spell, terms) for spell, _, terms in spell_terms(session, [], known))
        if on is None
        else (spell_on(spell, terms, on) for spell, _, terms in spell_terms(session, [], known))
    )
    rows = [(slugs[spell.programme_id], spell) for spell in read if spell is not None]
    rows.sort(key=lambda pair: (pair[0], pair[1].nation_code, pair[1].joined, pair[1].id))
    return [
        {
            "programme": slug,
            "nation": p.nation_code,
            "joined": _text(p.joined_on),
            "role": p.role,
            "instrument": p.instrument,
            "cost_share": percent_text(p.cost_share_bp),
            "note": p.note,
            "left": _text(p.left_on),
        }
        for slug, p in rows
    ]


def _contracts(session: Session, known: Known, on: date | None) -> list[Row]:
    """Every contract the registry held at `known`, as signed (amendments are not imported);
    on `on`, the contracts signed by then with the title, value and quantity then in force."""
    contractor, awarding = aliased(Organisation), aliased(Organisation)
    read: list[Any] = [Contract, Programme.slug, contractor.slug, awarding.slug]
    if on is not None:
        read += values_on(session, on, known).values()
    query = (
        sa_select(*read)
        .join(Programme, col(Contract.programme_id) == Programme.id)
        .outerjoin(contractor, col(Contract.contractor_id) == contractor.id)
        .outerjoin(awarding, col(Contract.awarding_organisation_id) == awarding.id)
        .order_by(col(Programme.slug), col(Contract.signed), col(Contract.id))
    )
    query = query.where(*held(known))
    if on is not None:
        query = query.where(signed_by(on))
    found = [
        (row[0] if on is None else as_amended(row[0], row[4:]), *row[1:4])
        for row in session.execute(query).all()
    ]
    return [
        {
            "programme": slug,
            "title": c.title,
            "kind": c.kind,
            "reference": c.reference,
            "signed": _text(c.signed_on),
            "amount": c.amount,
            "currency": c.currency,
            "contractor": by,
            "awarding_organisation": awarded,
            "quantity": _text(c.quantity),
            "item": c.item,
            "note": c.note,
        }
        for c, slug, by, awarded in found
    ]


def _fleet_events(session: Session, known: Known, on: date | None) -> list[Row]:
    """The fleet events the registry held at `known`; on `on`, those that count by then."""
    query = (
        select(FleetEvent, Programme.slug, Contract.reference)
        .join(Programme, col(FleetEvent.programme_id) == Programme.id)
        .outerjoin(Contract, col(FleetEvent.contract_id) == Contract.id)
        .where(recorded_by(FleetEvent, known))
        .order_by(col(Programme.slug), col(FleetEvent.event_date), col(FleetEvent.id))
    )
    return [
        {
            "programme": slug,
            "date": _text(e.date_on),
            "kind": e.kind,
            "count": str(e.count),
            "asset_type": e.asset_type,
            "contract": reference,
            "note": e.note,
        }
        for e, slug, reference in session.exec(query)
        if on is None or e.counts_from <= on
    ]


READERS: dict[str, Callable[[Session, Known, date | None], list[Row]]] = {
    "participations": _participations,
    "contracts": _contracts,
    "fleet-events": _fleet_events,
}


def columns(kind: str) -> list[str]:
    """The file's columns: the importer's required ones, then its optional ones."""
    _, required, optional = KINDS[kind]
    return [*required, *optional]


def contract_references(session: Session, ids: Iterable[int]) -> dict[int, str | None]:
    """Contracts' references by id: how a fleet event's `contract` column names its contract."""
    wanted = set(ids)
    if not wanted:
        return {}
    query = select(Contract.id, Contract.reference).where(col(Contract.id).in_(wanted))
    return {id_: reference for id_, reference in session.exec(query) if id_ is not None}


def export_rows(
    session: Session, kind: str, known: Known = None, on: date | None = None
) -> list[Row]:
    """Every record of a kind the registry held at `known` (default now), as the importer's
    rows, in a stable order; with `on`, the records as they stood on that day."""
    return READERS[kind](session, known, on)


def write_table(rows: list[Row], names: list[str], format: FileFormat, *, sheet: str) -> bytes:
    """Rows as a file: CSV and Parquet all text, XLSX typed by column (`CELLS`); blanks stay
    empty."""
    if format is FileFormat.XLSX:
        cells = ([cell_value(name, row.get(name)) for name in names] for row in rows)
        return xlsx_bytes(names, cells, sheet=sheet)
    table = pl.DataFrame(
        {name: [row.get(name) for row in rows] for name in names},
        schema=dict.fromkeys(names, pl.String),
    )
    return file_bytes(table, format, sheet=sheet)


def file_bytes(table: pl.DataFrame, format: FileFormat, *, sheet: str) -> bytes:
    """A frame as the bytes of a CSV, Parquet or XLSX file (the sheet named `sheet`). CSV cells
    that would start a formula are escaped; XLSX cells are stored as text, never as formulas."""
    buffer = io.BytesIO()
    if format is FileFormat.CSV:
        defuse_formulas(table).write_csv(buffer)
    elif format is FileFormat.PARQUET:
        table.write_parquet(buffer)
    else:
        return xlsx_bytes(table.columns, table.iter_rows(), sheet=sheet)
    return buffer.getvalue()


class Cell(StrEnum):
    """What an XLSX cell of a column holds, when the value comes as text."""

    DECIMAL = "decimal"
    """A decimal number, shown with as many decimals as the text has ("1500000000.50")."""
    WHOLE = "whole"
    DAY = "day"
    """A date when the text is a full day ("2025-06-24"); a month or a year stays text."""


CELLS: dict[str, Cell] = {
    "amount": Cell.DECIMAL,
    "converted_amount": Cell.DECIMAL,
    "rate": Cell.DECIMAL,
    "rate_date": Cell.DAY,
    "cost_share": Cell.DECIMAL,
    "count": Cell.WHOLE,
    "quantity": Cell.WHOLE,
    "joined": Cell.DAY,
    "left": Cell.DAY,
    "signed": Cell.DAY,
    "date": Cell.DAY,
    "launched": Cell.DAY,
}
"""Columns whose text an XLSX writes as numbers or dates, by name; every other text stays text
(a reference such as "007" must not become the number 7)."""


def cell_value(name: str, value: Any) -> Any:
    """A value as an XLSX cell of column `name` holds it: text turned into a number or a date
    as `CELLS` says (text that does not read so stays text), anything else as it is."""
    if not isinstance(value, str):
        return value
    kind = CELLS.get(name)
    try:
        if kind is Cell.DECIMAL:
            number = Decimal(value)
            return number if number.is_finite() else value
        if kind is Cell.WHOLE:
            return int(value)
        if kind is Cell.DAY and PartialDate.parse(value).precision is Precision.DAY:
            return date.fromisoformat(value)
    except (ArithmeticError, ValueError):
        pass
    return value


def xlsx_bytes(names: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet: str) -> bytes:
    """A workbook of one sheet: a bold, frozen header row of `names`, then `rows`. Text is
    written as text (never a formula), numbers as numbers (a `Decimal` with its own number of
    decimals), dates as dates; None as an empty cell."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    page = book.add_worksheet(sheet[:31])
    header = book.add_format({"bold": True, "bottom": 1})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    places: dict[int, Any] = {}
    widths = [len(name) for name in names]
    for column, name in enumerate(names):
        page.write_string(0, column, name, header)
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, bool):
                page.write_boolean(number, column, value)
            elif isinstance(value, Decimal):
                decimals = max(0, -int(value.as_tuple().exponent))
                if decimals not in places:
                    shown = "#,##0" + ("." + "0" * decimals if decimals else "")
                    places[decimals] = book.add_format({"num_format": shown})
                page.write_number(number, column, float(value), places[decimals])
            elif isinstance(value, int | float):
                page.write_number(number, column, value)
            elif isinstance(value, date):
                page.write_datetime(number, column, value, day)
            else:
                page.write_string(number, column, str(value))
            widths[column] = max(widths[column], len(str(value)) + 2)
    for column, width in enumerate(widths):
        page.set_column(column, column, min(width, 60) + 1)
    page.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


@contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """A new temporary path beside `target` to write a file or folder at. When the block ends it
    is renamed to `target` (replacing a file of that name); when the block fails in any way
    (Ctrl-C included) it is removed. Nobody ever sees a half-written `target`."""
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.partial")
    try:
        yield partial
        partial.replace(target)
    except BaseException:
        if partial.is_dir():
            shutil.rmtree(partial, ignore_errors=True)
        else:
            partial.unlink(missing_ok=True)
        raise


def write_file(target: Path, data: bytes) -> None:
    """Write `data` to `target` whole, or leave no file (see `replacing`)."""
    with replacing(target) as partial, partial.open("xb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())  # on disk before the rename makes it visible
