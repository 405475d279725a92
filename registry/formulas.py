"""CSV cells a spreadsheet would run as formulas (CSV injection): escaped on export, the escape
taken off again on import, so an export imports back unchanged."""

from __future__ import annotations

import re

import polars as pl

FORMULA = r"^[=+\-@\t\r]"
"""A CSV cell starting so would be run as a formula by a spreadsheet (CSV injection), unless it
is a plain number (`NUMBER`), which a spreadsheet reads as a number."""
NUMBER = r"^[+-]?[0-9]+(\.[0-9]+)?$"
FORMULA_ESCAPE = "'"
"""Put before such a cell, as OWASP advises; `registry import` takes it off again."""


ESCAPED_FORMULA = re.compile("^" + re.escape(FORMULA_ESCAPE) + FORMULA.removeprefix("^"))


def undo_formula_escape(cell: str) -> str:
    """A CSV cell as it was before `defuse_formulas` (so an export imports back unchanged)."""
    return cell[len(FORMULA_ESCAPE) :] if ESCAPED_FORMULA.match(cell) else cell


def defuse_formulas(table: pl.DataFrame) -> pl.DataFrame:
    """Text cells that a spreadsheet would run as formulas, written with a leading `'`."""
    return table.with_columns(
        pl.when(pl.col(name).str.contains(FORMULA) & ~pl.col(name).str.contains(NUMBER))
        .then(pl.lit(FORMULA_ESCAPE) + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name, kind in table.schema.items()
        if kind == pl.String
    )
