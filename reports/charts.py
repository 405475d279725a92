"""Charts for the reports, drawn with matplotlib and returned as inline SVG strings.

Pure functions: a frame in, an `<svg>` element out (or None when there is nothing to draw).
No pyplot, so no global figure state; the same data always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
from datetime import date
from typing import Any

import matplotlib
import polars as pl
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, StrMethodFormatter
from matplotlib.typing import RcKeyType

_WIDTH = 6.3  # inches: the A4 text column; the SVG scales to it anyway
_INK = "#1b2f4a"
_RC: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",  # text stays text: selectable, searchable, set in the page's font
    "svg.hashsalt": "reports.charts",  # clip-path and marker ids from content, not random
    "text.parse_math": False,  # names are data: "$" is a dollar sign, not mathtext
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
# Lead darkest, then lighter fills with hatching, so roles stay apart in greyscale print.
_ROLES: dict[str, dict[str, Any]] = {
    "lead": {"color": _INK},
    "participant": {"color": "#8fa8c4"},
    "partner": {"color": "#dbe3ec", "hatch": "///"},
    "observer": {"color": "white", "hatch": "\\\\\\"},
}
# Ordered dashed and lighter, in service solid and heavier: apart without colour.
_SERIES: list[tuple[str, str, dict[str, Any]]] = [
    ("ordered", "Ordered", {"color": "#6f8fb3", "linestyle": "--", "linewidth": 1.5}),
    ("in_service", "In service", {"color": _INK, "linewidth": 2}),
]


def _year(day: date) -> float:
    """A date as a fractional year, so the x axis counts in years."""
    start = date(day.year, 1, 1)
    return day.year + (day - start).days / (date(day.year + 1, 1, 1) - start).days


def _year_axis(fig: Figure, first: date, as_of: date) -> None:
    (ax,) = fig.axes
    left, right = math.floor(_year(first)), _year(as_of)
    ax.set_xlim(left, right + max(0.1, (right - left) * 0.02))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:.0f}"))
    ax.axvline(right, color="black", linestyle=":", linewidth=1, label=f"as of {as_of}")


def _layout(fig: Figure, *, left_in: float, title: bool) -> None:
    """Fixed margins in inches (room for the labels, the legend below, the title above):
    much faster than constrained layout, which measured every label of every report."""
    width, height = fig.get_size_inches()
    top_in = 0.45 if title else 0.15
    fig.subplots_adjust(
        left=left_in / width, right=1 - 0.15 / width, bottom=0.62 / height, top=1 - top_in / height
    )


def _svg(fig: Figure, title: str | None, kind: str) -> str:
    """Title above, legend below the plot, then the SVG element alone, scaled to its container."""
    if title:
        fig.suptitle(title, fontweight="bold", y=1 - 0.08 / fig.get_size_inches()[1], va="top")
    (ax,) = fig.axes
    handles, labels = ax.get_legend_handles_labels()  # matplotlib lists lines first
    order = sorted(range(len(labels)), key=lambda i: labels[i].startswith("as of"))
    fig.legend(
        [handles[i] for i in order],
        [labels[i] for i in order],
        loc="lower center",
        ncols=5,
        frameon=False,
    )
    out = io.StringIO()
    fig.savefig(
        out, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None}
    )
    svg = out.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r'width="[\d.]+pt" height="[\d.]+pt"', 'width="100%"', svg, count=1)
    # Two charts on one page must not share ids: prefix them with a digest of this chart.
    prefix = f"{kind}-{hashlib.sha256(svg.encode()).hexdigest()[:8]}-"
    return re.sub(r'(\bid="|href="#|url\(#)', rf"\g<1>{prefix}", svg)


def membership_timeline(
    spells: pl.DataFrame, *, as_of: date, title: str | None = None
) -> str | None:
    """One row per nation, a bar per membership spell up to `as_of`; lead spells dark."""
    spells = spells.filter(pl.col("joined") <= as_of).with_columns(
        end=pl.min_horizontal(pl.col("left").fill_null(as_of), pl.lit(as_of))
    )
    if spells.is_empty():
        return None
    nations = (
        spells.group_by("nation")
        .agg(pl.col("joined").min(), pl.col("nation_name").first())
        .sort("joined", "nation_name", "nation")
    )
    row = {code: i for i, code in enumerate(nations["nation"])}
    roles = [r for r in _ROLES if r in spells["role"]] + sorted(set(spells["role"]) - set(_ROLES))
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(_WIDTH, 1.2 + 0.25 * nations.height))
        longest = max(len(name) for name in nations["nation_name"])
        _layout(fig, left_in=0.2 + 0.065 * longest, title=title is not None)
        ax = fig.add_subplot()
        for role in roles:
            bars = spells.filter(pl.col("role") == role).sort("joined", "nation")
            starts = [_year(d) for d in bars["joined"]]
            ax.barh(
                [row[n] for n in bars["nation"]],
                [_year(e) - s for e, s in zip(bars["end"], starts, strict=True)],
                left=starts,
                height=0.6,
                edgecolor=_INK,
                linewidth=0.6,
                label=role.capitalize(),
                **_ROLES.get(role, _ROLES["participant"]),
            )
        # Row labels as plain text, not ticks: a tick is four artists, and with twenty nations
        # the ticks cost more than the bars (measured: a quarter of the chart's time).
        ax.set_yticks([])
        for i, name in enumerate(nations["nation_name"]):
            ax.text(-0.01, i, name, transform=ax.get_yaxis_transform(), ha="right", va="center")
        ax.set_ylim(nations.height - 0.5, -0.5)  # first to join at the top
        ax.grid(axis="x", color="#cccccc", linewidth=0.5)
        ax.set_axisbelow(True)
        _year_axis(fig, nations["joined"][0], as_of)
        return _svg(fig, title, "timeline")


def fleet_chart(points: pl.DataFrame, *, as_of: date, asset_type: str) -> str | None:
    """Ordered and in-service totals as step lines up to `as_of` (last row per date counts)."""
    points = (
        points.filter(pl.col("date") <= as_of)
        .unique(subset="date", keep="last", maintain_order=True)
        .sort("date")
    )
    if points.is_empty():
        return None
    xs = [_year(points["date"][0]), *(_year(d) for d in points["date"]), _year(as_of)]
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(_WIDTH, 2.8))
        _layout(fig, left_in=0.45, title=True)
        ax = fig.add_subplot()
        for column, label, style in _SERIES:
            values = points[column].to_list()
            ax.step(xs, [0, *values, values[-1]], where="post", label=label, **style)
        top = max(1, *points["ordered"], *points["in_service"])
        ax.set_ylim(0, top * 1.12)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="y", color="#cccccc", linewidth=0.5)
        ax.set_axisbelow(True)
        _year_axis(fig, points["date"][0], as_of)
        return _svg(fig, f"{asset_type}: ordered and in service", "fleet")
