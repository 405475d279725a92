"""Bulk import of participations, contracts and fleet events from CSV or Excel (polars).

All or nothing: every row goes through the same rule functions as a single write, each in a
savepoint so that the rows after a bad one are still checked; any bad row refuses the whole
file and names every bad row and field. A dry run checks everything and writes nothing.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlmodel import Session

from registry.contracts import add_contract, find_contract
from registry.errors import FieldError, InvalidValue, NotFound, RegistryError
from registry.fleet import record_fleet_event
from registry.participation import join_programme, leave_programme
from registry.programmes import get_programme

XLSX_MAGIC = b"PK\x03\x04"


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


Row = dict[str, str | None]


def _participation(session: Session, row: Row, actor: str) -> list[tuple[str, str, str]]:
    fields = {k: v for k, v in row.items() if k != "left" and v is not None}
    spell = join_programme(session, actor=actor, **fields)
    key = f"{row['programme']}/{spell.nation_code}"
    done = [("create", "participation", key)]
    if row.get("left"):
        leave_programme(
            session, programme=str(row["programme"]), nation=spell.nation_code,
            left=str(row["left"]), actor=actor,
        )  # fmt: skip
        done.append(("update", "participation", key))
    return done


def _contract(session: Session, row: Row, actor: str) -> list[tuple[str, str, str]]:
    fields = {k: v for k, v in row.items() if v is not None}
    contract = add_contract(session, actor=actor, **fields)
    return [("create", "contract", f"{row['programme']}/{contract.reference or contract.id}")]


def _fleet_event(session: Session, row: Row, actor: str) -> list[tuple[str, str, str]]:
    fields: dict[str, Any] = {k: v for k, v in row.items() if v is not None}
    if "contract" in fields:
        programme = get_programme(session, str(row["programme"]), field="programme")
        contract = find_contract(session, programme, fields["contract"])
        if contract is None:
            raise InvalidValue(
                "contract", f"no contract {fields['contract']!r} in {programme.slug}"
            )
        fields["contract"] = contract.id
    event = record_fleet_event(session, actor=actor, **fields)
    return [("create", "fleet_event", f"{row['programme']}/{event.id}")]


Handler = Callable[[Session, Row, str], list[tuple[str, str, str]]]
KINDS: dict[str, tuple[Handler, tuple[str, ...], tuple[str, ...]]] = {
    "participations": (
        _participation,
        ("programme", "nation", "joined"),
        ("role", "instrument", "cost_share", "note", "left"),
    ),
    "contracts": (
        _contract,
        ("programme", "title", "kind"),
        (
            "reference",
            "signed",
            "amount",
            "currency",
            "contractor",
            "awarding_organisation",
            "quantity",
            "item",
            "note",
        ),
    ),
    "fleet-events": (
        _fleet_event,
        ("programme", "date", "kind", "count"),
        ("asset_type", "contract", "note"),
    ),
}


def read_table(data: bytes, *, filename: str | None = None) -> list[Row]:
    """Rows of a CSV (UTF-8) or XLSX file as text, column names in lower case, blanks as None."""
    is_xlsx = data.startswith(XLSX_MAGIC) or (filename or "").lower().endswith(".xlsx")
    try:
        if is_xlsx:
            frame = pl.read_excel(io.BytesIO(data), infer_schema_length=0)
        else:
            frame = pl.read_csv(io.BytesIO(data), infer_schema=False, encoding="utf8-lossy")
    except Exception as error:  # polars raises several kinds for a file it cannot read
        raise InvalidValue(
            "file", f"not a readable {'XLSX' if is_xlsx else 'CSV'} file: {error}"
        ) from None
    frame = frame.rename({name: name.strip().lower() for name in frame.columns})
    rows = []
    for record in frame.iter_rows(named=True):
        rows.append(
            {k: (str(v).strip() or None) if v is not None else None for k, v in record.items()}
        )
    return rows


def import_rows(
    session: Session,
    kind: str,
    rows: list[Row],
    *,
    actor: str,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Apply every row through the registry's rules, or none of them."""
    if kind not in KINDS:
        raise NotFound("kind", f"{kind!r} is not one of: {', '.join(KINDS)}")
    handler, required, optional = KINDS[kind]
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
    outcomes: list[RowOutcome] = []
    errors: list[FieldError] = []
    everything = session.begin_nested()
    for number, row in enumerate(rows, start=1):
        one = session.begin_nested()
        try:
            for action, entity, key in handler(session, row, actor):
                outcomes.append(RowOutcome(number, action, entity, key))
            one.commit()
        except RegistryError as error:
            one.rollback()
            errors += [FieldError(e.field, e.message, row=number) for e in error.errors]
        if progress is not None:
            progress(1)
    if errors or dry_run:
        everything.rollback()
    else:
        everything.commit()
    if errors:
        raise InvalidValue(errors)
    return ImportResult(kind, dry_run, outcomes)
