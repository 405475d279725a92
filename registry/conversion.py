"""Money converted at the rate of its date, with where the rate came from.

A conversion uses the rate of the fact's date: the ECB's rate of that day or, when there is none
(a weekend, a holiday), of the latest day before it, but not one older than `STALE_DAYS` (a
currency no longer quoted). It is exact decimal arithmetic through the euro, rounded half-even to
the target currency's minor unit, and every converted figure carries its original amount, the
rate, the rate's date and its source. A currency without a rate is refused, naming the field.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import select as columns
from sqlmodel import Session, col, select

from registry.errors import InvalidValue
from registry.money import currency_code, exponent
from registry.rates import ECB, STALE_DAYS, ExchangeRate, RateSource


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
        text = row.get("signed")
        signed = PartialDate.parse(text, spans=True).start if text else fallback
        done = rates.convert(to_minor(row["amount"], row["currency"]), row["currency"], target,
                             signed)  # fmt: skip
        row.update(converted_amount=format_minor(done.minor, target), converted_currency=target,
                   rate=f"{done.rate.quantize(Decimal('1e-10')).normalize():f}",
                   rate_date=done.rate_date.isoformat(), rate_source=done.source)  # fmt: skip
