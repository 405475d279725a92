"""Charts for the reports: inline SVG that parses, names what it shows and never changes."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from reports.charts import fleet_chart, membership_timeline

SVG = "{http://www.w3.org/2000/svg}"
AS_OF = date(2025, 9, 1)


def spells(*rows: tuple[str, str, str, date, date | None]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "nation": pl.String,
            "nation_name": pl.String,
            "role": pl.String,
            "joined": pl.Date,
            "left": pl.Date,
        },
        orient="row",
    )


def points(*rows: tuple[date, int, int]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema={"date": pl.Date, "ordered": pl.Int64, "in_service": pl.Int64}, orient="row"
    )


MMF = spells(
    ("NLD", "Netherlands", "lead", date(2012, 7, 1), None),
    ("LUX", "Luxembourg", "participant", date(2016, 7, 28), None),
    ("NOR", "Norway", "participant", date(2016, 7, 28), date(2018, 1, 1)),
    ("NOR", "Norway", "participant", date(2019, 1, 1), None),
    ("CZE", "Czechia", "observer", date(2019, 10, 1), None),
    ("DNK", "Denmark", "partner", date(2025, 6, 24), None),
)
FLEET = points(
    (date(2016, 7, 28), 2, 0),
    (date(2016, 7, 28), 8, 0),
    (date(2020, 6, 30), 8, 1),
    (date(2024, 1, 1), 10, 9),
)


def texts(svg: str) -> list[str]:
    return ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text")]


def ids(svg: str) -> set[str]:
    return {el.get("id", "") for el in ET.fromstring(svg).iter()} - {""}


def draw(kind: str) -> str:
    if kind == "timeline":
        svg = membership_timeline(MMF, as_of=AS_OF, title="Multinational MRTT Fleet")
    else:
        svg = fleet_chart(FLEET, as_of=AS_OF, asset_type="A330 MRTT")
    assert svg is not None
    return svg


@pytest.mark.parametrize("kind", ["timeline", "fleet"])
def test_chart_is_an_inline_svg_element_that_scales(kind):
    svg = draw(kind)
    root = ET.fromstring(svg)
    assert svg.startswith("<svg")
    assert "<?xml" not in svg
    assert "DOCTYPE" not in svg
    assert root.tag == f"{SVG}svg"
    assert len(root.get("viewBox", "").split()) == 4
    assert root.get("width") == "100%"
    assert root.get("height") is None
    assert not list(root.iter(f"{SVG}script"))
    assert "DejaVu Sans" in svg


@pytest.mark.parametrize("kind", ["timeline", "fleet"])
def test_same_data_gives_the_same_bytes(kind):
    assert draw(kind) == draw(kind)


def test_same_data_gives_the_same_bytes_in_another_process():
    script = "from tests.test_report_charts import draw; print(draw('timeline'), end='')"
    other = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).parents[1],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert other == draw("timeline")


def test_timeline_labels_each_nation_once_in_order_of_joining():
    labels = texts(draw("timeline"))
    names = ["Netherlands", "Luxembourg", "Norway", "Czechia", "Denmark"]
    assert [t for t in labels if t in names] == names
    assert labels.count("Norway") == 1  # two spells, one row


def test_timeline_shows_title_roles_and_as_of():
    labels = texts(draw("timeline"))
    assert "Multinational MRTT Fleet" in labels
    assert {"Lead", "Participant", "Observer", "Partner", "as of 2025-09-01"} <= set(labels)


def test_timeline_names_are_text_not_markup():
    hostile = spells(("NLD", "<script>alert(1)</script> $x$", "lead", date(2012, 7, 1), None))
    svg = membership_timeline(hostile, as_of=AS_OF, title="<b>MMF</b>")
    assert svg is not None
    root = ET.fromstring(svg)
    assert not list(root.iter(f"{SVG}script"))
    assert "<script>alert(1)</script> $x$" in texts(svg)
    assert "<b>MMF</b>" in texts(svg)


def test_timeline_leaves_out_spells_after_as_of():
    later = spells(*MMF.rows(), ("SWE", "Sweden", "participant", date(2026, 1, 1), None))
    assert "Sweden" not in texts(membership_timeline(later, as_of=AS_OF) or "")


def test_fleet_chart_names_both_series_and_the_asset():
    labels = texts(draw("fleet"))
    assert {"Ordered", "In service", "A330 MRTT: ordered and in service"} <= set(labels)


def test_fleet_chart_counts_the_last_row_of_a_day():
    assert fleet_chart(FLEET[1:], as_of=AS_OF, asset_type="A330 MRTT") == draw("fleet")


def test_two_charts_on_one_page_share_no_ids():
    assert not ids(draw("timeline")) & ids(draw("fleet"))


@pytest.mark.parametrize(
    "chart",
    [
        lambda: membership_timeline(spells(), as_of=AS_OF),
        lambda: membership_timeline(MMF, as_of=date(2000, 1, 1)),
        lambda: fleet_chart(points(), as_of=AS_OF, asset_type="A330 MRTT"),
        lambda: fleet_chart(FLEET, as_of=date(2000, 1, 1), asset_type="A330 MRTT"),
    ],
    ids=["no spells", "no spells yet", "no fleet events", "no fleet events yet"],
)
def test_nothing_to_draw_gives_none(chart):
    assert chart() is None


def test_untyped_frames_from_an_empty_or_all_current_table_still_work():
    current = pl.DataFrame(
        {"nation": ["NLD"], "nation_name": ["Netherlands"], "role": ["lead"],
         "joined": [date(2012, 7, 1)], "left": [None]}
    )  # fmt: skip
    assert current.schema["left"] == pl.Null
    assert "Netherlands" in texts(membership_timeline(current, as_of=AS_OF) or "<svg/>")
    empty = pl.DataFrame({c: [] for c in MMF.columns})
    assert membership_timeline(empty, as_of=AS_OF) is None


def test_timeline_draws_a_bar_per_spell_scaled_to_its_dates():
    root = ET.fromstring(draw("timeline"))
    bars = [el for el in root if el.tag == f"{SVG}rect"]  # legend swatches sit in groups
    assert len(bars) == MMF.height
    widths = sorted(float(bar.get("width", 0)) for bar in bars)
    # Norway's first spell (2016-07-28 to 2018-01-01) is the shortest after Denmark's few weeks.
    assert widths[1] / widths[-1] == pytest.approx((2018 - 2016.57) / (2025.67 - 2012.5), abs=0.01)


def test_fleet_chart_steps_follow_the_totals():
    root = ET.fromstring(draw("fleet"))
    paths = [el.get("d", "") for el in root if el.tag == f"{SVG}path"]
    assert len(paths) == 2  # ordered, in service
    assert [p.count("V") for p in paths] == [3, 3]  # one rise per date with a change or not


def as_of_line_x(root: ET.Element) -> float:
    """The as-of line: the dotted vertical line."""
    (line,) = [
        el for el in root if el.tag == f"{SVG}line" and el.get("stroke-dasharray") == "1.5,2.5"
    ]
    return float(line.get("x1", 0))


def test_a_spell_begun_days_before_the_as_of_date_shows_and_ends_there():
    """Sweden joined days before the as-of date: its bar was a hairline at the axis's end."""
    late = pl.concat([MMF, spells(("SWE", "Sweden", "participant", date(2025, 8, 29), None))])
    svg = membership_timeline(late, as_of=AS_OF)
    assert svg is not None
    root = ET.fromstring(svg)
    bars = [el for el in root if el.tag == f"{SVG}rect"]
    shortest = min(bars, key=lambda bar: float(bar.get("width", 0)))
    assert float(shortest.get("width", 0)) >= 3
    end = float(shortest.get("x", 0)) + float(shortest.get("width", 0))
    assert end == pytest.approx(as_of_line_x(root), abs=0.01)


@pytest.mark.parametrize("kind", ["timeline", "fleet"])
def test_the_axis_runs_a_little_past_the_as_of_date(kind):
    root = ET.fromstring(draw(kind))
    axis = [
        el for el in root
        if el.tag == f"{SVG}line" and el.get("stroke") == "black" and el.get("y1") == el.get("y2")
    ]  # fmt: skip
    right = max(float(line.get("x2", 0)) for line in axis)
    assert right - as_of_line_x(root) >= 15  # room to see what happened on the last days


def test_a_fleet_of_twelve_reads_off_its_own_tick():
    svg = fleet_chart(points((date(2016, 7, 1), 12, 9)), as_of=date(2025, 7, 1), asset_type="x")
    assert svg is not None
    labels = texts(svg)
    assert {"0", "2", "4", "6", "8", "10", "12"} <= set(labels)


@pytest.mark.parametrize("kind", ["timeline", "fleet"])
def test_every_chart_has_an_accessible_name(kind):
    """A chart drawn without a title had no name for a screen reader (axe: svg-img-alt)."""
    if kind == "timeline":
        svg = membership_timeline(MMF, as_of=AS_OF)
    else:
        svg = fleet_chart(FLEET, as_of=AS_OF, asset_type="A330 MRTT")
    assert svg is not None
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    assert len(root.get("aria-label", "")) > 10
