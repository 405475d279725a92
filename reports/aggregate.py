"""Pure aggregations for the reports: DataFrame in, DataFrame out, no database."""

from __future__ import annotations

from datetime import date

import polars as pl

from registry.history import dated_by_frame, in_force_frame

_KIND_RANK = {"ordered": 0, "delivered": 1, "retired": 2}


def active_on(terms: pl.DataFrame, on: date) -> pl.DataFrame:
    """The membership terms in force on a date, one row per member; a spell that ends later
    shows no `left` (an answer as of a date tells nothing after it)."""
    return terms.filter(in_force_frame(on)).with_columns(
        pl.lit(None, pl.Date).alias("left"), pl.lit(None, pl.String).alias("left_precision")
    )


def period_end(day: pl.Expr, precision: pl.Expr) -> pl.Expr:
    """The last day of a period known to the year, month or day."""
    return (
        pl.when(precision == "year")
        .then(day.dt.offset_by("1y").dt.offset_by("-1d"))
        .when(precision == "month")
        .then(day.dt.month_end())
        .otherwise(day)
    )


def fleet_points(events: pl.DataFrame) -> pl.DataFrame:
    """Running totals after each event, per asset type; events count from the end of their
    period and on one day orders come first (as `registry.fleet` counts them)."""
    signed = pl.col("count")
    return (
        events.with_columns(
            counts_from=period_end(pl.col("event_date"), pl.col("precision")),
            rank=pl.col("kind").replace_strict(_KIND_RANK, return_dtype=pl.Int8),
        )
        .sort("asset_type", "counts_from", "rank", "id")
        .with_columns(
            ordered=pl.when(pl.col("kind") == "ordered").then(signed).otherwise(0),
            delivered=pl.when(pl.col("kind") == "delivered").then(signed).otherwise(0),
            retired=pl.when(pl.col("kind") == "retired").then(signed).otherwise(0),
        )
        .with_columns(
            pl.col("ordered", "delivered", "retired").cum_sum().over("asset_type"),
        )
        .sort("counts_from", "rank", "id")  # time order across asset types; orders first on a day
        .select(
            "id",
            "asset_type",
            "event_date",
            "precision",
            "kind",
            "count",
            pl.col("counts_from").alias("date"),
            "ordered",
            (pl.col("delivered") - pl.col("retired")).alias("in_service"),
            (pl.col("ordered") - pl.col("delivered")).alias("on_order"),
        )
    )


def fleet_on(points: pl.DataFrame, on: date) -> pl.DataFrame:
    """The last totals on or before a date, one row per asset type."""
    return (
        points.filter(pl.col("date") <= on)
        .group_by("asset_type", maintain_order=True)
        .last()
        .select("asset_type", "ordered", "in_service", "on_order")
        .sort("asset_type")
    )


def totals_by(contracts: pl.DataFrame, *keys: str) -> pl.DataFrame:
    """Contract count and value (minor units) per key and currency; unvalued ones count apart."""
    return (
        contracts.group_by(*keys, "currency")
        .agg(
            pl.len().alias("contracts"),
            pl.col("value_minor").sum().alias("value_minor"),
        )
        .sort(*keys, "currency", nulls_last=True)
    )


def instruments_on(rows: pl.DataFrame, on: date) -> pl.DataFrame:
    """Instruments signed by `on` (a partial date from its first day) or on an unknown date,
    one row each with its signatories' names (`signatories`, by name); by signing date, the
    unknown ones last (as `registry.instruments.instruments_of` reads them)."""
    return (
        rows.filter(dated_by_frame("signed", on))
        .sort("id", "nation_name")
        .group_by("id", maintain_order=True)
        .agg(
            pl.col("kind", "title", "signed", "signed_precision", "note").first(),
            pl.col("nation_name").alias("signatories"),
        )
        .sort("signed", "id", nulls_last=True)
    )


def with_year(contracts: pl.DataFrame) -> pl.DataFrame:
    return contracts.with_columns(year=pl.col("signed").dt.year())


def membership_matrix(
    spells: pl.DataFrame, programmes: pl.DataFrame, nations: pl.DataFrame, on: date
) -> pl.DataFrame:
    """Nations by programmes on a date: the role held (empty when none), and a count per nation.

    Rows: every nation, by name (one in no programme too: its row shows it); columns: the
    programmes' slugs, in the order given.
    """
    slugs = programmes.select(pl.col("id").alias("programme_id"), "slug")
    active = active_on(spells, on).join(slugs, on="programme_id")
    # A dictionary, not a pivot: polars' pivot takes ~0.2 s for a thousand programmes.
    roles: dict[tuple[str, str], str] = {}
    for nation, slug, role in active.select("nation", "slug", "role").iter_rows():
        roles.setdefault((nation, slug), role)
    rows = nations.select(pl.col("code").alias("nation"), pl.col("name").alias("nation_name"))
    rows = rows.sort("nation_name")
    codes = rows["nation"].to_list()
    cells = {
        slug: pl.Series(slug, [roles.get((code, slug)) for code in codes], pl.String)
        for slug in programmes["slug"]
    }
    held = (
        pl.DataFrame({"nation": [code for code, _ in roles]}, schema={"nation": pl.String})
        .group_by("nation")
        .len(name="programmes")
    )
    return (
        rows.with_columns(*cells.values())
        .join(held, on="nation", how="left", maintain_order="left")
        .with_columns(pl.col("programmes").fill_null(0))
    )


def matrix_column_counts(matrix: pl.DataFrame) -> dict[str, int]:
    """Members per programme column of a membership matrix."""
    columns = [c for c in matrix.columns if c not in ("nation", "nation_name", "programmes")]
    if not columns:
        return {}
    counts = matrix.select(pl.col(columns).is_not_null().sum()).row(0, named=True)
    return {column: int(count) for column, count in counts.items()}
