"""Bulk import of participations, contracts and fleet events from CSV (UTF-8) or XLSX.

All or nothing: every row is checked by the same rule functions as a single write, against the
registry and the rows accepted before it (`registry.bulk`), and the rows after a bad one are
still checked; any bad row refuses the whole file and names every bad row and field. A file
without a bad row is written in a few statements, in one change set. A dry run checks
everything and writes nothing. Time grows linearly with the rows.

Limits, so that any file is read in bounded memory and time (the HTTP body limit bounds only
the bytes sent, and an XLSX is a zip):

- `MAX_XLSX_BYTES` (50 MB): the uncompressed size of an XLSX, the sum of its zip members,
  checked before parsing; a larger file is refused with 413 on field `file`.
- `MAX_ROWS` (100,000): data rows in one file; more is a 422 on `file` naming the first row
  beyond the limit.
- `MAX_CELL_CHARS` (10,000): characters in one cell; longer is a 422 naming row and column.
- `MAX_COLUMNS` (100): columns in the header (no kind has more than 14); more is a 422 on `file`.
- `MAX_ERRORS` (1,000): checking stops after this many bad rows and fields.

NUL characters are refused in every cell (PostgreSQL cannot store them), with row and column.
"""

from __future__ import annotations

import csv
import io
import re
import threading
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from registry.audit import begin_write
from registry.bulk import Batch, Contracts, FleetEvents, Joins, Row
from registry.change_requests import ChangeRequest, propose, review_required
from registry.checks import fields_of
from registry.contracts import Contract, contract_columns
from registry.database import unit_of_work
from registry.errors import FieldError, InvalidValue, NotFound, RegistryError, Unavailable
from registry.fleet import fleet_event_columns
from registry.formulas import undo_formula_escape
from registry.participation import joining
from registry.programmes import Programme

XLSX_MAGIC = b"PK\x03\x04"
MAX_XLSX_BYTES = 50_000_000
MAX_ROWS = 100_000
MAX_CELL_CHARS = 10_000
MAX_COLUMNS = 100
MAX_ERRORS = 1_000


class TooLarge(RegistryError):
    """A file that would take too much memory to read."""

    status = 413
    title = "File too large"


class Stopping(Unavailable):
    """The server is shutting down: the import stopped and nothing was written."""

    title = "Server is stopping"


@dataclass(frozen=True)
class RowOutcome:
    row: int
    action: str
    entity: str
    key: str


@dataclass(frozen=True)
class ImportResult:
    kind: str
    dry_run: bool
    rows: list[RowOutcome]


BatchOf = Callable[[Session, str], Batch]


def columns_of(check: Callable[..., Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The required and optional columns of a kind: `programme`, then the fields of the
    function that checks one write of it."""
    required, optional = fields_of(check)
    return ("programme", *required), optional


KINDS: dict[str, tuple[BatchOf, tuple[str, ...], tuple[str, ...]]] = {
    # A participation row is one spell: joined, and left too when `left` is given.
    "participations": (Joins, *columns_of(joining)),
    "contracts": (Contracts, *columns_of(contract_columns)),
    # `contract` names one of the programme's contracts by its reference.
    "fleet-events": (FleetEvents, *columns_of(fleet_event_columns)),
}


Records = Iterator[Sequence[str | None]]


def read_table(data: bytes, *, filename: str | None = None) -> list[Row]:
    """Rows of a CSV (UTF-8) or XLSX file as text, column names in lower case, blanks as None."""
    is_xlsx = data.startswith(XLSX_MAGIC) or (filename or "").lower().endswith(".xlsx")
    records = _xlsx_records(data) if is_xlsx else _csv_records(data)
    header = next(records, None)
    if header is None:
        raise InvalidValue("file", "is empty: give a header row and at least one data row")
    if len(header) > MAX_COLUMNS:
        raise InvalidValue("file", f"the header has {len(header)} columns; at most {MAX_COLUMNS}")
    names = [(name or "").strip().lower() for name in header]
    problems = _header_problems(names)
    if problems:
        raise InvalidValue(problems)
    rows: list[Row] = []
    for record in records:
        cells = [(cell or "").strip() for cell in record]
        if not any(cells):
            continue  # a blank line, as spreadsheets and editors leave at the end
        number = len(rows) + 1
        if number > MAX_ROWS:
            raise InvalidValue(FieldError("file", f"has more than {MAX_ROWS} rows", row=number))
        problems += _cell_problems(names, cells, number)
        if len(problems) >= MAX_ERRORS:
            break
        rows.append({name: cells[i] if i < len(cells) and cells[i] else None
                     for i, name in enumerate(names)})  # fmt: skip
    if problems:
        raise InvalidValue(problems[:MAX_ERRORS])
    return rows


def _header_problems(names: list[str]) -> list[FieldError]:
    if any("\x00" in name or len(name) > MAX_CELL_CHARS for name in names):
        return [FieldError("file", "the header has a column name with a NUL or far too long")]
    repeated = sorted(name for name, count in Counter(names).items() if count > 1)
    problems = [FieldError(name, "appears more than once in the header") for name in repeated]
    if "" in names:
        problems.append(FieldError("file", "the header has a column without a name"))
    return problems


def _cell_problems(names: list[str], cells: list[str], row: int) -> list[FieldError]:
    if len(cells) > len(names):
        return [FieldError("file", f"has {len(cells)} cells; the header has {len(names)}", row)]
    problems = []
    for name, cell in zip(names, cells, strict=False):
        if len(cell) > MAX_CELL_CHARS:
            problems.append(FieldError(name, f"is longer than {MAX_CELL_CHARS} characters", row))
        if "\x00" in cell:  # PostgreSQL cannot store NUL and SQLite can: refuse it on both
            problems.append(FieldError(name, "contains a NUL character", row))
    return problems


def _csv_records(data: bytes) -> Records:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InvalidValue(
            "file", f"is not UTF-8 text: byte {data[error.start]:#04x} on line {line}"
        ) from None
    reader = csv.reader(io.StringIO(text))
    try:
        for record in reader:
            yield [undo_formula_escape(cell) for cell in record]
    except csv.Error as error:
        raise InvalidValue("file", f"line {reader.line_num} is not valid CSV: {error}") from None


def _xlsx_records(data: bytes) -> Records:
    workbook = _verified_xlsx(data)
    try:
        frame = pl.read_excel(
            workbook, has_header=False, infer_schema_length=0, raise_if_empty=False
        )
    except Exception as error:  # the parser raises several kinds for a file it cannot read
        raise InvalidValue("file", f"not a readable XLSX file: {error}") from None
    if frame.height > MAX_ROWS + 1:  # + 1: the header
        raise InvalidValue(FieldError("file", f"has more than {MAX_ROWS} rows", MAX_ROWS + 1))
    for record in frame.iter_rows():
        yield [None if cell is None else _xlsx_text(str(cell)) for cell in record]


MIDNIGHT = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2}) 00:00:00$")
"""How the XLSX reader gives a date cell as text: a day at midnight."""
FLOAT_NOISE = re.compile(r"^[0-9]+\.[0-9]{9}$")
"""How the XLSX reader gives some number cells as text: nine decimals of binary noise
("1234567890.119999886" for 1234567890.12)."""


def _xlsx_text(cell: str) -> str:
    """An XLSX cell's text as the registry reads it: a date cell as its day, a number cell by
    the shortest decimal that is the same number ("1234567890.12")."""
    if day := MIDNIGHT.match(cell):
        return day.group(1)
    if FLOAT_NOISE.match(cell):
        return repr(float(cell))
    return cell


def _verified_xlsx(data: bytes) -> io.BytesIO:
    """The XLSX rebuilt from members that zipfile read within their stated sizes (CRC checked),
    so the parser never inflates more than the total refused beyond `MAX_XLSX_BYTES`."""
    copy = io.BytesIO()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            size = sum(member.file_size for member in members)
            if size > MAX_XLSX_BYTES:
                raise TooLarge(
                    "file", f"unpacks to {size} bytes; the limit is {MAX_XLSX_BYTES} bytes"
                )
            with zipfile.ZipFile(copy, "w", zipfile.ZIP_STORED) as rebuilt:
                for member in members:
                    rebuilt.writestr(member.filename, archive.read(member))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError) as error:
        raise InvalidValue("file", f"not a readable XLSX file: {error}") from None
    copy.seek(0)
    return copy


def import_rows(
    session: Session,
    kind: str,
    rows: list[Row],
    *,
    actor: str,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    stop: threading.Event | None = None,
) -> ImportResult:
    """Apply every row through the registry's rules, or none of them; `stop` set stops it."""
    if kind not in KINDS:
        raise NotFound("kind", f"{kind!r} is not one of: {', '.join(KINDS)}")
    make, required, optional = KINDS[kind]
    columns = set(rows[0]) if rows else set(required)
    problems = [FieldError(c, "is a required column") for c in required if c not in columns]
    problems += [
        FieldError(c, f"is not a column of {kind}")
        for c in sorted(columns - {*required, *optional})
    ]
    if not rows:
        problems.append(FieldError("file", "has no rows"))
    if problems:
        raise InvalidValue(problems)
    everything = session.begin_nested()
    try:
        outcomes, errors = _apply(make(session, actor), required, rows, progress, stop)
    except BaseException:
        everything.rollback()
        raise
    if errors or dry_run:
        everything.rollback()
    else:
        everything.commit()
    if errors:
        raise InvalidValue(errors)
    return ImportResult(kind, dry_run, outcomes)


def _stopping() -> Stopping:
    return Stopping("file", "the server is stopping: nothing was imported; send it again")


def _apply(
    batch: Batch,
    required: tuple[str, ...],
    rows: list[Row],
    progress: Callable[[int], None] | None,
    stop: threading.Event | None,
) -> tuple[list[RowOutcome], list[FieldError]]:
    """Check every row (a bad one refuses nothing after it: the rules refuse before they
    accept), then write them all when none is bad."""
    errors: list[FieldError] = []
    for number, row in enumerate(rows, start=1):
        if stop is not None and stop.is_set():
            raise _stopping()
        if len(errors) >= MAX_ERRORS:
            errors.append(FieldError("file", f"checking stopped after {MAX_ERRORS} errors"))
            break
        blank = [FieldError(c, "is required", row=number) for c in required if row[c] is None]
        if blank:
            errors += blank
            continue
        try:
            batch.check(number, row)
        except RegistryError as error:
            errors += [FieldError(e.field, e.message, row=number) for e in error.errors]
        if progress is not None:
            progress(1)
    errors += batch.finish()
    if errors:
        return [], sorted(errors, key=lambda e: e.row or 0)
    if stop is not None and stop.is_set():
        raise _stopping()
    return [RowOutcome(number, *outcome) for number, outcome in batch.write()], []


def import_file(
    engine: Engine,
    kind: str,
    data: bytes,
    *,
    actor: str,
    filename: str | None = None,
    dry_run: bool = False,
    stop: threading.Event | None = None,
) -> ImportResult:
    """Read a file and import it in a transaction of its own (for a worker thread)."""
    rows = read_table(data, filename=filename)
    with unit_of_work(engine) as session:
        return import_rows(session, kind, rows, actor=actor, dry_run=dry_run, stop=stop)


MAX_PROPOSED = 500
"""Rows a file may have to be proposed as one change request."""
COMMAND_OF = {
    "participations": "join_programme",
    "contracts": "add_contract",
    "fleet-events": "record_fleet_event",
}


def _command(session: Session, kind: str, row: Row) -> dict[str, Any]:
    """The typed command a row's direct write is (a fleet event's contract named by id)."""
    command: dict[str, Any] = {"command": COMMAND_OF[kind]}
    command.update({name: value for name, value in row.items() if value is not None})
    reference = command.get("contract")
    if kind == "fleet-events" and reference is not None:
        found = session.exec(
            select(Contract.id)
            .join(Programme, col(Programme.id) == col(Contract.programme_id))
            .where(Programme.slug == command["programme"], Contract.reference == reference)
        ).first()
        command["contract"] = found
    return command


def needs_review(session: Session, rows: list[Row]) -> bool:
    """Whether any row writes to a programme that needs review."""
    return any(review_required(session, str(slug)) for slug in {r.get("programme") for r in rows})


def propose_rows(
    session: Session, kind: str, rows: list[Row], *, author: str, comment: str | None = None
) -> ChangeRequest:
    """A file as one submitted change request: the import's dry run checks every row first (its
    preview names every bad row and field), then each row becomes its command."""
    if len(rows) > MAX_PROPOSED:
        raise InvalidValue("file", f"has {len(rows)} rows; a change request holds at most "
                                   f"{MAX_PROPOSED}: split the file")  # fmt: skip
    import_rows(session, kind, rows, actor=author, dry_run=True)
    commands = [_command(session, kind, row) for row in rows]
    comment = comment or f"import of {len(rows)} {kind}"
    return propose(session, commands=commands, author=author, comment=comment, submit=True)


def import_or_propose(
    engine: Engine,
    kind: str,
    data: bytes,
    *,
    actor: str,
    may_skip_review: bool,
    propose_anyway: bool = False,
    dry_run: bool = False,
    stop: threading.Event | None = None,
) -> ImportResult | int:
    """Import a file, or (asked to, or where a programme needs review and the person may not
    skip it) propose it as one change request: its number."""
    rows = read_table(data)
    with unit_of_work(engine) as session:
        if not dry_run:
            begin_write(session)  # before any read (SQLite: a later lock would find it stale)
        proposing = propose_anyway or (not may_skip_review and needs_review(session, rows))
        if proposing and not dry_run:
            if kind not in KINDS:
                raise NotFound("kind", f"{kind!r} is not one of: {', '.join(KINDS)}")
            return propose_rows(session, kind, rows, author=actor).id or 0
        return import_rows(session, kind, rows, actor=actor, dry_run=dry_run, stop=stop)
