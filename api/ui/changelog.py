"""The change log as people read it: money with its currency, dates at their precision, shares in
per cent, codes as words; the registry's own bookkeeping columns left out."""

from __future__ import annotations

from datetime import date
from typing import Any

from registry.choices import label
from registry.dates import PartialDate, Precision
from reports.render import money, percent

LEFT_OUT = {"id", "version", "recorded_in", "superseded_in", "corrects", "currency", "token_hash"}
"""Bookkeeping, or shown with another field (a currency with its value)."""
NAMES = {
    "cost_share_bp": "cost share", "value_minor": "value", "nation_code": "nation",
    "event_date": "date", "nato_member_since": "NATO member since",
}  # fmt: skip
CODES = {"role", "instrument", "kind", "status", "category", "confidence"}
DATES = {
    "joined", "left", "signed", "event_date", "launched", "published", "effective", "valid_from",
    "valid_to", "nato_member_since",
}  # fmt: skip


def _date(value: str, precision: str | None) -> str:
    try:
        if precision:
            return PartialDate(date.fromisoformat(value), Precision(precision)).label()
        return PartialDate.parse(value).label()
    except ValueError:
        return value


def _term(term: dict[str, Any]) -> str:
    parts = [label(term.get("role"))]
    if term.get("instrument"):
        parts.append(label(term["instrument"]))
    if term.get("cost_share_bp") is not None:
        parts.append(percent(term["cost_share_bp"]))
    return f"from {_date(term['valid_from'], None)}: {', '.join(parts)}"


def text(name: str, snapshot: dict[str, Any]) -> str:
    """One field of a recorded snapshot as people read it."""
    value = snapshot.get(name)
    if value is None:
        return "—"
    if name == "value_minor":
        return money(value, snapshot.get("currency"))
    if name == "cost_share_bp":
        return percent(value)
    if name in CODES and isinstance(value, str):
        return label(value)
    if name == "terms" and isinstance(value, list):
        return "; ".join(_term(term) for term in value)
    if name in DATES and isinstance(value, str):
        return _date(value, snapshot.get(f"{name}_precision"))
    return str(value)


def _shown(name: str) -> bool:
    return name not in LEFT_OUT and not name.endswith(("_id", "_precision", "_hash"))


def _differs(name: str, before: dict[str, Any], after: dict[str, Any]) -> bool:
    companions = {"value_minor": ["currency"]}.get(name, [f"{name}_precision"])
    return any(before.get(n) != after.get(n) for n in [name, *companions])


def changed_fields(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> list[tuple[str, str, str | None]]:
    """(field, before, after) as people read them, for each field a change moved; for a record
    created or deleted, (field, value, None) for each field it held."""
    if before and after:
        return [
            (NAMES.get(n, n.replace("_", " ")), text(n, before), text(n, after))
            for n in after
            if _shown(n) and _differs(n, before, after)
        ]
    held = after or before or {}
    return [
        (NAMES.get(n, n.replace("_", " ")), text(n, held), None)
        for n in held
        if _shown(n) and held.get(n) is not None
    ]
