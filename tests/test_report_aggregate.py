"""Report aggregations on literal frames (no database)."""

from datetime import date

import polars as pl
from polars.testing import assert_frame_equal

from reports import aggregate as agg

D = date


def spells(*rows: tuple[object, ...]) -> pl.DataFrame:
    """Spells of one term each: the term runs from joined to left."""
    return terms(*((*row, row[-2], row[-1]) for row in rows))


def terms(*rows: tuple[object, ...]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"id": pl.Int64, "programme_id": pl.Int64, "nation": pl.String,
                "role": pl.String, "joined": pl.Date, "left": pl.Date,
                "valid_from": pl.Date, "valid_to": pl.Date},
        orient="row",
    )  # fmt: skip


def test_active_on_keeps_spells_joined_and_not_yet_left():
    frame = spells(
        (1, 1, "NLD", "lead", D(2014, 11, 1), None),
        (2, 1, "BEL", "participant", D(2018, 2, 14), D(2020, 3, 1)),
        (3, 1, "DNK", "participant", D(2025, 6, 24), None),
    )
    assert agg.active_on(frame, D(2020, 2, 29))["nation"].to_list() == ["NLD", "BEL"]
    assert agg.active_on(frame, D(2020, 3, 1))["nation"].to_list() == ["NLD"]
    assert agg.active_on(frame, D(2025, 6, 24))["nation"].to_list() == ["NLD", "DNK"]


def test_active_on_shows_the_term_in_force_and_no_later_left():
    frame = terms(
        (1, 1, "NLD", "lead", D(2014, 11, 1), D(2030, 1, 1), D(2014, 11, 1), D(2020, 1, 1)),
        (1, 1, "NLD", "observer", D(2014, 11, 1), D(2030, 1, 1), D(2020, 1, 1), D(2030, 1, 1)),
    )
    before, after = agg.active_on(frame, D(2019, 12, 31)), agg.active_on(frame, D(2020, 1, 1))
    assert (before["role"].to_list(), after["role"].to_list()) == (["lead"], ["observer"])
    assert before["left"].to_list() == [None]
    assert agg.active_on(frame, D(2030, 1, 1)).is_empty()


def test_period_end_of_years_months_and_days():
    frame = pl.DataFrame(
        {
            "day": [D(2024, 1, 1), D(2024, 2, 1), D(2024, 6, 19)],
            "precision": ["year", "month", "day"],
        }
    )
    ends = frame.select(agg.period_end(pl.col("day"), pl.col("precision")).alias("end"))
    assert ends["end"].to_list() == [D(2024, 12, 31), D(2024, 2, 29), D(2024, 6, 19)]


def events(*rows: tuple[object, ...]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"id": pl.Int64, "programme_id": pl.Int64, "event_date": pl.Date,
                "precision": pl.String, "kind": pl.String, "count": pl.Int64,
                "asset_type": pl.String},
        orient="row",
    )  # fmt: skip


def test_fleet_points_count_from_period_ends_with_orders_first():
    frame = events(
        (1, 1, D(2020, 1, 1), "day", "delivered", 1, "MRTT"),
        (2, 1, D(2020, 1, 1), "day", "ordered", 2, "MRTT"),
        (3, 1, D(2024, 1, 1), "year", "delivered", 1, "MRTT"),  # "2024": counts from 31 Dec
        (4, 1, D(2024, 6, 19), "day", "retired", 1, "MRTT"),
    )
    points = agg.fleet_points(frame).select("id", "date", "ordered", "in_service", "on_order")
    expected = pl.DataFrame(
        {"id": [2, 1, 4, 3], "date": [D(2020, 1, 1), D(2020, 1, 1), D(2024, 6, 19), D(2024, 12, 31)],
         "ordered": [2, 2, 2, 2], "in_service": [0, 1, 0, 1], "on_order": [2, 1, 1, 0]},
    )  # fmt: skip
    assert_frame_equal(points, expected, check_dtypes=False)
    on = agg.fleet_on(agg.fleet_points(frame), D(2024, 7, 1))
    assert on.to_dicts() == [{"asset_type": "MRTT", "ordered": 2, "in_service": 0, "on_order": 1}]


def test_totals_per_key_and_currency_never_mix_currencies():
    contracts = pl.DataFrame(
        {"contractor": ["Airbus", "Airbus", "Airbus", "KNDS"], "currency": ["EUR", "EUR", "USD", None],
         "value_minor": [100, 250, 7, None]}
    )  # fmt: skip
    expected = pl.DataFrame(
        {"contractor": ["Airbus", "Airbus", "KNDS"], "currency": ["EUR", "USD", None],
         "contracts": [2, 1, 1], "value_minor": [350, 7, 0]}
    )  # fmt: skip
    assert_frame_equal(agg.totals_by(contracts, "contractor"), expected, check_dtypes=False)


def test_membership_matrix_has_a_column_per_programme_and_counts():
    frame = spells(
        (1, 1, "NLD", "lead", D(2014, 11, 1), None),
        (2, 1, "BEL", "participant", D(2018, 2, 14), D(2020, 3, 1)),
        (3, 2, "NLD", "participant", D(2025, 6, 24), None),
    )
    programmes = pl.DataFrame({"id": [1, 2, 3], "slug": ["mmf", "ranges", "empty"]})
    nations = pl.DataFrame(
        {"code": ["BEL", "NLD", "SWE"], "name": ["Belgium", "Netherlands", "Sweden"]}
    )
    matrix = agg.membership_matrix(frame, programmes, nations, D(2025, 7, 1))
    # Every nation has its row, a nation in no programme too (its empty row shows it).
    expected = pl.DataFrame(
        {"nation": ["BEL", "NLD", "SWE"], "nation_name": ["Belgium", "Netherlands", "Sweden"],
         "mmf": [None, "lead", None], "ranges": [None, "participant", None],
         "empty": [None, None, None], "programmes": [0, 2, 0]},
        schema_overrides={"empty": pl.String},
    )  # fmt: skip
    assert_frame_equal(matrix, expected, check_dtypes=False)
    assert agg.matrix_column_counts(matrix) == {"mmf": 1, "ranges": 1, "empty": 0}
    earlier = agg.membership_matrix(frame, programmes, nations, D(2019, 1, 1))
    assert earlier["mmf"].to_list() == ["participant", "lead", None]
    assert earlier["programmes"].to_list() == [1, 1, 0]
