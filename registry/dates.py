"""Dates known to the year, the month or the day, kept at the precision they are known; and
spans: a fact known only to fall between two dates ("since January 2025", before 24 June 2025).

A partial date is stored as the first day of its period plus its precision, so "2012"
is 2012-01-01 with precision `year`. Membership counts from the start of the period; fleet
events count from its end, when they had certainly happened (see `registry.fleet`). A span is
written as an ISO 8601 interval of two such dates, `2025-01/2025-06-24`, and kept as its earliest
and latest day (precision `span`); only the fields that store a latest day take one.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

_ISO = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$")
"""ASCII digits only: `\\d` would also take full-width and other scripts' digits."""


class Precision(StrEnum):
    YEAR = "year"
    MONTH = "month"
    DAY = "day"
    SPAN = "span"
    """Somewhere between `start` and `until`, both included."""


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date with the precision it is known to: `2012`, `2016-07` or `2016-07-01`; or a span
    of days it falls in, `2025-01/2025-06-24`."""

    start: date
    precision: Precision = Precision.DAY
    until: date | None = None
    """For a span: the latest day it may fall on."""

    @classmethod
    def parse(cls, value: PartialDate | date | str, *, spans: bool = False) -> PartialDate:
        """Read an ISO 8601 date of year, month or day precision (with `spans`, also an interval
        of two such dates); raise ValueError otherwise."""
        if isinstance(value, PartialDate):
            if value.precision is Precision.SPAN and not spans:
                raise ValueError(f"{value} is a span of dates: give one date here")
            return value
        if isinstance(value, str) and "/" in value:
            return cls._span(value, spans)
        if isinstance(value, datetime):
            return cls(value.date(), Precision.DAY)
        if isinstance(value, date):
            return cls(value, Precision.DAY)
        if not isinstance(value, str):
            raise ValueError(
                f"expected an ISO date such as 2016, 2016-07 or 2016-07-01, got {value!r}"
            )
        match = _ISO.match(value.strip())
        if not match:
            raise ValueError(f"{value!r} is not a date like 2016, 2016-07 or 2016-07-01")
        year, month, day = match.groups()
        try:
            if day:
                return cls(date(int(year), int(month), int(day)), Precision.DAY)
            if month:
                return cls(date(int(year), int(month), 1), Precision.MONTH)
            return cls(date(int(year), 1, 1), Precision.YEAR)
        except ValueError:
            raise ValueError(f"{value!r} is not a real date") from None

    @classmethod
    def _span(cls, value: str, spans: bool) -> PartialDate:
        if not spans:
            raise ValueError(f"{value!r} is a span of dates: give one date here")
        first, _, last = value.strip().partition("/")
        earliest, latest = cls.parse(first), cls.parse(last)
        if latest.end < earliest.start:
            raise ValueError(f"{value!r} ends before it begins")
        return cls(earliest.start, Precision.SPAN, latest.end)

    @classmethod
    def stored(
        cls, start: date | None, precision: str | None, until: date | None = None
    ) -> PartialDate | None:
        """Rebuild from the stored columns (`until`: a span's latest day)."""
        if start is None:
            return None
        kind = Precision(precision or Precision.DAY)
        return cls(start, kind, until if kind is Precision.SPAN else None)

    @property
    def uncertain(self) -> bool:
        """Known only to fall somewhere in a span of days."""
        return self.precision is Precision.SPAN

    @property
    def end(self) -> date:
        """The last day of the period: by then the fact had certainly happened."""
        if self.precision is Precision.SPAN and self.until is not None:
            return self.until
        if self.precision is Precision.YEAR:
            return date(self.start.year, 12, 31)
        if self.precision is Precision.MONTH:
            year, month = self.start.year, self.start.month
            return date(year, month, calendar.monthrange(year, month)[1])
        return self.start

    def isoformat(self) -> str:
        if self.precision is Precision.SPAN:
            return f"{self.start.isoformat()}/{self.end.isoformat()}"
        if self.precision is Precision.YEAR:
            return f"{self.start.year:04d}"
        if self.precision is Precision.MONTH:
            return f"{self.start.year:04d}-{self.start.month:02d}"
        return self.start.isoformat()

    def label(self) -> str:
        """How a person reads it: '2012', 'July 2016', '24 June 2025', 'between 1 January 2025
        and 24 June 2025'."""
        if self.precision is Precision.SPAN:
            return f"between {PartialDate(self.start).label()} and {PartialDate(self.end).label()}"
        if self.precision is Precision.YEAR:
            return str(self.start.year)
        if self.precision is Precision.MONTH:
            return f"{self.start:%B} {self.start.year}"
        return f"{self.start.day} {self.start:%B} {self.start.year}"

    def __str__(self) -> str:
        return self.isoformat()
