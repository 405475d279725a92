"""Money as integer minor units and an ISO 4217 currency code; never floats."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import pycountry

# ISO 4217 minor-unit exponents that are not 2. pycountry carries codes but not exponents.
_EXPONENTS = {
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
}  # fmt: skip


def currency_code(value: str) -> str:
    """The ISO 4217 code for `value` (case-insensitive); ValueError when unknown."""
    code = value.strip().upper() if isinstance(value, str) else ""
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(f"{value!r} is not an ISO 4217 currency code")
    return code


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency, 2)


def to_minor(amount: str | int | Decimal, currency: str) -> int:
    """Parse a decimal amount ("4700000000.00", 12, Decimal) into minor units.

    Floats are refused: they cannot carry money exactly.
    """
    if isinstance(amount, bool | float):
        raise ValueError('give the amount as a decimal string such as "1250.50", not a float')
    if isinstance(amount, int):
        value = Decimal(amount)
    elif isinstance(amount, Decimal):
        value = amount
    elif isinstance(amount, str):
        try:
            value = Decimal(amount.strip().replace("_", ""))
        except InvalidOperation:
            raise ValueError(f"{amount!r} is not a decimal amount") from None
    else:
        raise ValueError(f"{amount!r} is not a decimal amount")
    if not value.is_finite():
        raise ValueError(f"{amount!r} is not a decimal amount")
    if value < 0:
        raise ValueError("the amount must not be negative")
    if value.adjusted() >= 12:
        # Totals of many contracts must still fit a 64-bit integer of minor units.
        raise ValueError("the amount is too large (under one trillion at most)")
    minor = value.scaleb(exponent(currency))
    if minor != minor.to_integral_value():
        raise ValueError(
            f"{amount} {currency} is not a whole number of minor units "
            f"({exponent(currency)} decimal places at most)"
        )
    return int(minor)


def format_minor(minor: int, currency: str) -> str:
    """Minor units as the decimal string clients see: 470000000000 EUR -> "4700000000.00"."""
    places = exponent(currency)
    return f"{Decimal(minor).scaleb(-places):.{places}f}"
