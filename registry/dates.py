"""Dates known to the year, the month or the day, kept at the precision they are known.

A partial date is stored as the first day of its period plus its precision, so "2012"
is 2012-01-01 with precision `year`. Membership counts from the start of the period; fleet
events count from its end, when they had certainly happened (see `registry.fleet`).
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


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date with the precision it is known to: `2012`, `2016-07` or `2016-07-01`."""

    start: date
    precision: Precision = Precision.DAY

    @classmethod
    def parse(cls, value: PartialDate | date | str) -> PartialDate:
        """Read an ISO 8601 date of year, month or day precision; raise ValueError otherwise."""
        if isinstance(value, PartialDate):
            return value
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
    def stored(cls, start: date | None, precision: str | None) -> PartialDate | None:
        """Rebuild from the two stored columns."""
        if start is None:
            return None
        return cls(start, Precision(precision or Precision.DAY))

    @property
    def end(self) -> date:
        """The last day of the period: by then the fact had certainly happened."""
        if self.precision is Precision.YEAR:
            return date(self.start.year, 12, 31)
        if self.precision is Precision.MONTH:
            year, month = self.start.year, self.start.month
            return date(year, month, calendar.monthrange(year, month)[1])
        return self.start

    def isoformat(self) -> str:
        if self.precision is Precision.YEAR:
            return f"{self.start.year:04d}"
        if self.precision is Precision.MONTH:
            return f"{self.start.year:04d}-{self.start.month:02d}"
        return self.start.isoformat()

    def label(self) -> str:
        """How a person reads it: '2012', 'July 2016', '24 June 2025'."""
        if self.precision is Precision.YEAR:
            return str(self.start.year)
        if self.precision is Precision.MONTH:
            return f"{self.start:%B} {self.start.year}"
        return f"{self.start.day} {self.start:%B} {self.start.year}"

    def __str__(self) -> str:
        return self.isoformat()
