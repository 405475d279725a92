"""Jinja2 for the reports: autoescaped, strict about missing values, one layout, one stylesheet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from registry.choices import label
from registry.dates import PartialDate
from registry.money import format_minor

STYLESHEET = Path(__file__).parent / "static" / "print.css"


@dataclass(frozen=True)
class Stamp:
    """What every report states: as of when, made when, from which data."""

    as_of: date
    generated_at: datetime
    fingerprint: str
    as_known_on: datetime | None = None
    """The moment whose knowledge the report shows (None: everything recorded)."""
    since: date | None = None
    """A programme report also lists what changed after this day up to `as_of`."""
    convert_to: str | None = None
    """Programme and contracts reports also total the contracts in this currency."""
    rates: Any = None
    """The `registry.rates.Rates` to convert with (read with the frames)."""


def when(day: date | None, precision: str | None = "day", until: date | None = None) -> str:
    """A date as known: "2012", "July 2016", "24 June 2025", "between 1 January 2025 and 24
    June 2025" (a span: `until` its latest day); a dash when unknown."""
    found = PartialDate.stored(day, precision or "day", until)
    return found.label() if found else "—"


def money(minor: int | None, currency: str | None) -> str:
    """Minor units as "EUR 4,700,000,000.00"; a dash when not published."""
    if minor is None or currency is None:
        return "—"
    whole, _, cents = format_minor(int(minor), currency).partition(".")
    grouped = f"{int(whole):,}" + (f".{cents}" if cents else "")
    return f"{currency} {grouped}"


def percent(bp: int | None) -> str:
    return "—" if bp is None else f"{bp / 100:.2f} %"


def chart(svg: str | None) -> Markup:
    """An SVG drawn by `reports.charts` (our own output, not user text) placed inline."""
    return Markup(svg or "")


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(when=when, money=money, percent=percent, chart=chart, label=label)
    return env


ENVIRONMENT = _environment()


def render(template: str, stamp: Stamp, **context: Any) -> str:
    """One report as a complete HTML document."""
    css = STYLESHEET.read_text() if STYLESHEET.exists() else ""
    return ENVIRONMENT.get_template(template).render(stamp=stamp, css=Markup(css), **context)
