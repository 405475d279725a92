"""Partial dates and money: the value types every rule builds on (no database)."""

from datetime import date
from decimal import Decimal

import pytest

from registry.dates import PartialDate, Precision
from registry.money import currency_code, format_minor, to_minor


@pytest.mark.parametrize(
    ("text", "start", "precision", "label"),
    [
        ("2012", date(2012, 1, 1), Precision.YEAR, "2012"),
        ("2016-07", date(2016, 7, 1), Precision.MONTH, "July 2016"),
        ("2025-06-24", date(2025, 6, 24), Precision.DAY, "24 June 2025"),
    ],
)
def test_partial_date_keeps_its_precision(text, start, precision, label):
    parsed = PartialDate.parse(text)
    assert (parsed.start, parsed.precision) == (start, precision)
    assert parsed.isoformat() == text
    assert parsed.label() == label


def test_partial_date_from_a_date_is_day_precise():
    assert PartialDate.parse(date(2020, 2, 29)).isoformat() == "2020-02-29"


@pytest.mark.parametrize("text", ["2016-13", "2019-02-29", "16-07", "2016/07", "July 2016", ""])
def test_partial_date_refuses_what_is_not_an_iso_date(text):
    with pytest.raises(ValueError, match="date"):
        PartialDate.parse(text)


def test_partial_dates_order_by_the_start_of_their_period():
    assert PartialDate.parse("2024") < PartialDate.parse("2024-06-19") < PartialDate.parse("2025")


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("4700000000.00", "EUR", 470_000_000_000),
        ("265000000", "EUR", 26_500_000_000),
        (12, "USD", 1200),
        (Decimal("0.5"), "GBP", 50),
        ("1000", "JPY", 1000),
        ("1.234", "KWD", 1234),
    ],
)
def test_amounts_become_integer_minor_units(amount, currency, minor):
    assert to_minor(amount, currency) == minor


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-1", "negative"),
        ("1.234", "whole number of minor units"),
        (1.5, "not a float"),
        ("abc", "not a decimal"),
        ("Infinity", "not a decimal"),
    ],
)
def test_bad_amounts_are_refused(amount, message):
    with pytest.raises(ValueError, match=message):
        to_minor(amount, "EUR")


def test_minor_units_print_with_the_currency_exponent():
    assert format_minor(470_000_000_000, "EUR") == "4700000000.00"
    assert format_minor(1000, "JPY") == "1000"
    assert format_minor(1234, "KWD") == "1.234"


def test_currency_codes_are_iso_4217():
    assert currency_code("eur") == "EUR"
    with pytest.raises(ValueError, match="ISO 4217"):
        currency_code("EUROS")
    with pytest.raises(ValueError, match="ISO 4217"):
        currency_code("XYZ")
