"""OCDS records: a contracting process's releases compiled by the standard's merge rules."""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]


def compile_releases(found: list[Json]) -> Json:
    """The releases of one ocid merged by the standard's rules, oldest first: a later value
    replaces an earlier one, objects merge field by field, arrays of objects with ids merge item
    by id, other arrays are replaced whole. Tagged `compiled`, dated and named by the latest."""
    compiled: Json = {}
    for release in found:
        _merge(compiled, {k: v for k, v in release.items() if k not in ("id", "date", "tag")})
    latest = found[-1]
    return {**compiled, "id": f"{latest['ocid']}-compiled", "date": latest["date"],
            "tag": ["compiled"]}  # fmt: skip


def _merge(into: Json, values: Json) -> None:
    for key, value in values.items():
        if value is None:
            into.pop(key, None)
        elif isinstance(value, dict):
            if not isinstance(into.get(key), dict):
                into[key] = {}
            _merge(into[key], value)
        elif _identified(value) and _identified(into.get(key)):
            items = {item["id"]: item for item in into[key]}
            for item in value:
                _merge(items.setdefault(item["id"], {}), item)
            into[key] = list(items.values())
        elif isinstance(value, list):
            into[key] = [_copy(item) for item in value]
        else:
            into[key] = value


def _identified(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(i, dict) and "id" in i for i in value)


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        copied: Json = {}
        _merge(copied, value)
        return copied
    return value
