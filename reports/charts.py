"""Charts for the reports, written directly as inline SVG strings.

Pure functions: a frame in, an `<svg>` element out (or None when there is nothing to draw). The
SVG is built from the data alone, so the same data always gives the same bytes, in microseconds
(a plotting library spent most of each report's time here). Text stays text: selectable,
searchable, set in the page's font, and escaped, so names are never markup.
"""

from __future__ import annotations

import calendar
import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape, quoteattr

import polars as pl

_WIDTH = 630.0  # the A4 text column (6.3 in) at 100 units per inch; the SVG scales to its box
_INK = "#1b2f4a"
_GRID = "#cccccc"
_FONT = 11.0
_CHAR = 6.5  # the average width of a character at _FONT, to size the label column
_BOTTOM = 62.0  # room for the year labels and the legend under the plot
_THINNEST = 3.0  # a spell of a few days still shows as a bar
# Lead darkest, then lighter fills with hatching, so roles stay apart in greyscale print.
_ROLES: dict[str, tuple[str, str | None]] = {
    "lead": (_INK, None),
    "participant": ("#8fa8c4", None),
    "partner": ("#dbe3ec", "M0,6 L6,0"),
    "observer": ("white", "M0,0 L6,6"),
    "host": ("#4d6a8c", "M0,3 L6,3"),
}
# Ordered dashed and lighter, in service solid and heavier: apart without colour.
_SERIES = [
    ("ordered", "Ordered", "#6f8fb3", 1.5, "6,3"),
    ("in_service", "In service", _INK, 2.0, None),
]


def _n(value: float) -> str:
    """A coordinate with two decimals at most, the same text for the same value."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _year(day: date) -> float:
    """A date as a fractional year, so the x axis counts in years."""
    start = date(day.year, 1, 1)
    days_in_year = 366 if calendar.isleap(day.year) else 365  # no date(year + 1): 9999 is last
    return day.year + (day - start).days / days_in_year


def _step(span: float, most: int) -> int:
    """A round tick step (1, 2, 5, 10, 20, 50...) giving at most `most` ticks over `span`."""
    step = 1
    while span / step > most:
        step = step * 5 // 2 if str(step).startswith("2") else step * 2
    return step


@dataclass(frozen=True)
class _Plot:
    """The plot area inside the SVG and the years it shows."""

    left: float
    top: float
    right: float
    bottom: float
    first: float
    last: float

    def x(self, year: float) -> float:
        return self.left + (year - self.first) / (self.last - self.first) * (self.right - self.left)


def _years(first: date, as_of: date) -> tuple[float, float, float]:
    """The axis's first and last year and the as-of point: the axis runs a little past the as-of
    date, so what happened on the last days before it shows beside the as-of line."""
    left, right = math.floor(_year(first)), _year(as_of)
    return left, right + max(0.25, (right - left) * 0.05), right


def _year_axis(plot: _Plot, as_of_x: float, as_of: date) -> list[str]:
    """Vertical grid lines and labels at whole years, the axis line, the as-of line."""
    parts = []
    span = plot.last - plot.first
    step = _step(span, 12)
    year = math.ceil(plot.first / step) * step
    while year <= plot.last:
        x = _n(plot.x(year))
        parts.append(
            f'<line x1="{x}" y1="{_n(plot.top)}" x2="{x}" y2="{_n(plot.bottom)}" '
            f'stroke="{_GRID}" stroke-width="0.5"/>'
            f'<text x="{x}" y="{_n(plot.bottom + 14)}" text-anchor="middle">{year}</text>'
        )
        year += step
    parts.append(
        f'<line x1="{_n(plot.left)}" y1="{_n(plot.bottom)}" x2="{_n(plot.right)}" '
        f'y2="{_n(plot.bottom)}" stroke="black" stroke-width="0.8"/>'
        f'<line x1="{_n(as_of_x)}" y1="{_n(plot.top)}" x2="{_n(as_of_x)}" '
        f'y2="{_n(plot.bottom)}" stroke="black" stroke-width="1" stroke-dasharray="1.5,2.5"/>'
    )
    return parts


def _legend(entries: list[tuple[str, str]], as_of: date, y: float) -> str:
    """Swatches with their labels in one centred row, ending with the as-of line."""
    items = [*entries, ('<line x1="0" y1="5" x2="18" y2="5" stroke="black" stroke-width="1" '
                        'stroke-dasharray="1.5,2.5"/>', f"as of {as_of}")]  # fmt: skip
    widths = [24 + len(label) * _CHAR + 16 for _, label in items]
    x = (_WIDTH - sum(widths)) / 2
    parts = []
    for (swatch, label), width in zip(items, widths, strict=True):
        parts.append(
            f'<g transform="translate({_n(x)},{_n(y)})">{swatch}'
            f'<text x="24" y="9">{escape(label)}</text></g>'
        )
        x += width
    return "".join(parts)


def _svg(
    kind: str, height: float, title: str | None, body: Iterable[str], name: str | None = None
) -> str:
    """The SVG element: scaled to its container, titled, ids unique to this chart, named for
    screen readers by `name` (default: the title)."""
    inner = "".join(body)
    if title:
        inner = (
            f'<text x="{_n(_WIDTH / 2)}" y="20" text-anchor="middle" font-weight="bold" '
            f'font-size="{_n(_FONT * 1.1)}">{escape(title)}</text>' + inner
        )
    # Two charts on one page must not share ids: name them after a digest of this chart.
    prefix = f"{kind}-{hashlib.sha256(inner.encode()).hexdigest()[:8]}-"
    inner = inner.replace('id="', f'id="{prefix}').replace("url(#", f"url(#{prefix}")
    label = f" aria-label={quoteattr(name or title or kind)}"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" '
        f'viewBox="0 0 {_n(_WIDTH)} {_n(height)}" role="img"{label} '
        f'font-family="DejaVu Sans, sans-serif" font-size="{_n(_FONT)}" fill="{_INK}">'
        f"{inner}</svg>"
    )


def _fill(role: str) -> tuple[str, str]:
    """The fill for a role's bars and, for hatched roles, the pattern it needs."""
    colour, hatch = _ROLES.get(role, _ROLES["participant"])
    if hatch is None:
        return colour, ""
    pattern = (
        f'<pattern id="{role}" width="6" height="6" patternUnits="userSpaceOnUse">'
        f'<rect width="6" height="6" fill="{colour}"/>'
        f'<path d="{hatch}" stroke="{_INK}" stroke-width="0.6"/></pattern>'
    )
    return f"url(#{role})", pattern


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
    names = nations["nation_name"].to_list()
    top = 40.0 if title else 15.0
    height = top + 25.0 * len(names) + _BOTTOM
    first, last, right = _years(nations["joined"][0], as_of)
    plot = _Plot(20 + _CHAR * max(map(len, names)), top, _WIDTH - 15, height - _BOTTOM, first, last)
    fills = {role: _fill(role) for role in roles}
    body = ["<defs>", *(pattern for _, pattern in fills.values()), "</defs>"]
    body += _year_axis(plot, plot.x(right), as_of)
    for i, name in enumerate(names):
        body.append(
            f'<text x="{_n(plot.left - 6)}" y="{_n(plot.top + 25 * i + 16)}" '
            f'text-anchor="end">{escape(name)}</text>'
        )
    for role in roles:
        paint = fills[role][0]
        for nation, joined, end in (
            spells.filter(pl.col("role") == role)
            .sort("joined", "nation")
            .select("nation", "joined", "end")
            .iter_rows()
        ):
            x1 = plot.x(_year(end))
            # It ends where it ends, however short, and never starts left of the plot.
            x0 = max(plot.left, min(plot.x(_year(joined)), x1 - _THINNEST))
            body.append(
                f'<rect x="{_n(x0)}" y="{_n(plot.top + 25 * row[nation] + 5)}" '
                f'width="{_n(x1 - x0)}" height="15" fill="{paint}" '
                f'stroke="{_INK}" stroke-width="0.6"/>'
            )
    swatches = [
        (f'<rect width="18" height="10" fill="{fills[r][0]}" stroke="{_INK}" stroke-width="0.6"/>',
         r.capitalize())
        for r in roles
    ]  # fmt: skip
    body.append(_legend(swatches, as_of, height - 26))
    name = f"Membership of {len(names)} nations over time, by role, to {as_of}"
    return _svg("timeline", height, title, body, title or name)


def fleet_chart(points: pl.DataFrame, *, as_of: date, asset_type: str) -> str | None:
    """Ordered and in-service totals as step lines up to `as_of` (last row per date counts)."""
    points = (
        points.filter(pl.col("date") <= as_of)
        .unique(subset="date", keep="last", maintain_order=True)
        .sort("date")
    )
    if points.is_empty():
        return None
    height = 280.0
    first, last, right = _years(points["date"][0], as_of)
    plot = _Plot(45, 45, _WIDTH - 15, height - _BOTTOM, first, last)
    most = int(max(1, *points["ordered"], *points["in_service"]))
    ceiling = most * 1.12
    step = _step(ceiling, 8)  # fine enough to read a fleet of 12 off its own tick

    def y(count: float) -> float:
        return plot.bottom - count / ceiling * (plot.bottom - plot.top)

    body = []
    for count in range(0, math.floor(ceiling) + 1, step):
        body.append(
            f'<line x1="{_n(plot.left)}" y1="{_n(y(count))}" x2="{_n(plot.right)}" '
            f'y2="{_n(y(count))}" stroke="{_GRID}" stroke-width="0.5"/>'
            f'<text x="{_n(plot.left - 6)}" y="{_n(y(count) + 4)}" text-anchor="end">{count}</text>'
        )
    body += _year_axis(plot, plot.x(right), as_of)
    xs = [plot.x(_year(d)) for d in points["date"]] + [plot.x(right)]
    swatches = []
    for column, label, colour, width, dashes in _SERIES:
        values = points[column].to_list()
        path = [f"M{_n(xs[0])},{_n(y(0))}"]
        for i, value in enumerate(values):
            path.append(f"V{_n(y(value))}H{_n(xs[i + 1])}")
        dash = f' stroke-dasharray="{dashes}"' if dashes else ""
        style = f'fill="none" stroke="{colour}" stroke-width="{_n(width)}"{dash}'
        body.append(f'<path d="{"".join(path)}" {style}/>')
        swatches.append((f'<line x1="0" y1="5" x2="18" y2="5" {style}/>', label))
    body.append(_legend(swatches, as_of, height - 26))
    return _svg("fleet", height, f"{asset_type}: ordered and in service", body)
