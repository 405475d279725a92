"""Input checks that collect every broken field before refusing, so callers learn all at once."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

from registry.dates import PartialDate
from registry.errors import FieldError, InvalidValue, StaleVersion

E = TypeVar("E", bound=StrEnum)
MAX_INT = 2**31 - 1  # an INTEGER column on both databases
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
WHOLE = re.compile(r"^[0-9]{1,18}$")
"""A whole number as text: ASCII digits only (no `1e3`, `1_000` or other scripts' digits)."""
YEARS = range(1900, 2200)
"""Years a recorded fact may fall in: the registry's programmes are post-war; anything outside
is a typing error (`9999-12`), caught before it reaches a chart or a sum."""


class Checks:
    """Collects field errors; `done()` raises them together as one InvalidValue."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def fail(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field, message))

    def done(self) -> None:
        if self.errors:
            raise InvalidValue(self.errors)

    def choice(self, kind: type[E], value: Any, field: str) -> E:
        try:
            return kind(value)
        except ValueError:
            allowed = ", ".join(member.value for member in kind)
            self.fail(field, f"{value!r} is not one of: {allowed}")
            return next(iter(kind))

    def optional_choice(self, kind: type[E], value: Any, field: str) -> E | None:
        return None if value is None else self.choice(kind, value, field)

    def date(self, value: Any, field: str, *, spans: bool = False) -> PartialDate:
        try:
            parsed = PartialDate.parse(value, spans=spans)
        except ValueError as error:
            self.fail(field, str(error))
            return PartialDate.parse("1900")
        if parsed.start.year not in YEARS or parsed.end.year not in YEARS:
            self.fail(field, f"{parsed} must fall in the years {YEARS[0]} to {YEARS[-1]}")
        return parsed

    def optional_date(self, value: Any, field: str, *, spans: bool = False) -> PartialDate | None:
        return None if value is None or value == "" else self.date(value, field, spans=spans)

    def text(self, value: Any, field: str, *, max_length: int = 200) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(field, "must not be empty")
            return ""
        if len(value.strip()) > max_length:
            self.fail(field, f"must be at most {max_length} characters")
        if "\x00" in value:  # PostgreSQL cannot store it; refused alike on SQLite
            self.fail(field, "must not contain NUL characters")
        return value.strip()

    def optional_text(self, value: Any, field: str, *, max_length: int = 2000) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return self.text(value, field, max_length=max_length)

    def slug(self, value: Any, field: str = "slug") -> str:
        text = self.text(value, field, max_length=80)
        if text and not SLUG.match(text):
            self.fail(field, f"{text!r} must be lower-case letters, digits and single hyphens")
        return text

    def percent_bp(self, value: Any, field: str) -> int | None:
        """A percentage (0 < p <= 100, two decimals at most) as basis points."""
        if value is None or value == "":
            return None
        if isinstance(value, bool | float):
            self.fail(field, 'give the percentage as a decimal string such as "12.5"')
            return None
        try:
            percent = Decimal(str(value).strip())
        except InvalidOperation:
            self.fail(field, f"{value!r} is not a percentage")
            return None
        if not percent.is_finite() or not 0 < percent <= 100:
            self.fail(field, f"{value} must be above 0 and at most 100")
            return None
        bp = percent.scaleb(2)
        if bp != bp.to_integral_value():
            self.fail(field, f"{value} has more than two decimal places")
            return None
        return int(bp)

    def positive_int(self, value: Any, field: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            self.fail(field, f"{value!r} is not a whole number")
            return 0
        if isinstance(value, str) and not WHOLE.match(value.strip()):
            self.fail(field, f"{value!r} is not a whole number")
            return 0
        number = int(value)
        if not 1 <= number <= MAX_INT:
            self.fail(field, f"must be between 1 and {MAX_INT}")
            return 0
        return number

    def optional_positive_int(self, value: Any, field: str) -> int | None:
        return None if value is None or value == "" else self.positive_int(value, field)


def check_version(current: int, expected: int | None) -> None:
    """Refuse an edit based on an older read of the record (optimistic locking)."""
    if expected is not None and expected != current:
        raise StaleVersion(
            "version",
            f"the record changed since it was read (now version {current}, read as {expected}); "
            "reload it and try again",
        )


def fields_of(check: Callable[..., Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The required and optional fields of a write: the keyword fields of the function that
    checks it (`joining`, `contract_columns`...), so the API, the forms and files share one list."""
    fields = [p for p in inspect.signature(check).parameters.values()
              if p.kind is p.KEYWORD_ONLY and p.name != "find"]  # fmt: skip
    required = tuple(p.name for p in fields if p.default is p.empty)
    return required, tuple(p.name for p in fields if p.default is not p.empty)
