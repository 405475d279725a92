"""Printed reports keep every table within the page's text area, read off WeasyPrint's layout."""

from __future__ import annotations

from typing import Any

import pytest
from weasyprint import HTML  # type: ignore[import-untyped]

from tests.test_api_writes import editor, send

pytestmark = [pytest.mark.usefixtures("seeded"), pytest.mark.one_database]


def overflowing_tables(html: str) -> list[tuple[int, float]]:
    """(page number, points past the right edge of the text area) of each table wider than it."""
    found = []
    for number, page in enumerate(HTML(string=html).render().pages, start=1):
        area: Any = page._page_box
        right = area.content_box_x() + area.width
        for box in area.descendants():
            if getattr(box, "element_tag", None) == "table":
                edge = box.position_x + box.margin_width()
                if edge > right + 0.5:
                    found.append((number, round(edge - right, 1)))
    return found


def test_the_contracts_table_stays_within_the_page_with_a_long_value(client, tokens):
    """The eight-column contracts table once ran past the margin when a value was long."""
    response = send(client, "PATCH", "/api/contracts/1",
                    {"effective": "2020", "value": {"amount": "55555555555.55", "currency": "EUR"},
                     "title": "An amended framework with a long title"}, **editor(tokens))  # fmt: skip
    assert response.status_code == 200, response.text
    html = client.get("/reports/programmes/mmf").text
    assert "EUR 55,555,555,555.55" in html
    assert overflowing_tables(html) == []


def rows_of(html: str, table_class: str) -> list[Any]:
    """The row boxes of the tables of `table_class`, in page order (a table split over pages
    gives its rows on each page)."""
    rows: list[Any] = []
    for page in HTML(string=html).render().pages:
        inside: set[int] = set()  # a table's wrapper and the table itself are both "table"
        for table in page._page_box.descendants():
            if getattr(table, "element_tag", None) != "table" or id(table) in inside:
                continue
            if table_class not in (table.element.get("class") or "").split():
                continue
            for box in table.descendants():
                inside.add(id(box))
                if getattr(box, "element_tag", None) == "tr":
                    rows.append(box)
    return rows


def text_extents(html: str, table_class: str) -> list[list[tuple[float, float] | None]]:
    """For each row of the tables of `table_class`, where each cell's text begins and ends
    across the page in points (None for an empty cell)."""
    return [[_extent(cell) for cell in row.children] for row in rows_of(html, table_class)]


def _extent(cell: Any) -> tuple[float, float] | None:
    texts = [b for b in cell.descendants() if getattr(b, "text", "").strip()]
    if not texts:
        return None
    return min(b.position_x for b in texts), max(b.position_x + b.width for b in texts)


def test_the_matrix_totals_sit_under_their_columns_on_every_page(client):
    """Totals were right-aligned under left-aligned roles: a total read as the next column's."""
    html = client.get("/reports/membership").text
    assert overflowing_tables(html) == []
    rows = text_extents(html, "matrix")
    heads, totals = rows[0], rows[-1]
    assert len(totals) == len(heads) > 2
    assert all(cell is not None for cell in totals)
    for row in rows[1:]:
        # A programme's roles and total are centred under its heading; the count of
        # programmes ends where its heading ends.
        for head, cell in zip(heads[1:-1], row[1:-1], strict=True):
            if cell is not None and head is not None:
                assert sum(cell) / 2 == pytest.approx(sum(head) / 2, abs=1.0), row
        assert row[-1] is not None
        assert heads[-1] is not None
        assert row[-1][1] == pytest.approx(heads[-1][1], abs=1.0)


def test_the_matrix_has_a_row_for_every_nation_and_a_key_to_its_headings(client):
    from tests.test_reports import Page

    page = Page(client.get("/reports/membership").text)
    for row in ("Albania (ALB)", "United States (USA)", "Australia (AUS)"):  # in no programme too
        assert row in page.words
    assert "Key to the columns" in page.words
    assert "DCRMS Defence Critical Raw Materials Stockpiling" in page.words
    assert "critical-raw-materials" not in page.words  # slugs are not headings


def test_the_contract_title_has_the_widest_column(client):
    """Eight columns left the title a word or two per line; six give it the most room."""
    rows = rows_of(client.get("/reports/programmes/mmf").text, "contracts")
    body = [row for row in rows if len(row.children) == 6 and row.children[0].element_tag == "td"]
    assert len(body) == 6  # the six contracts of the first data set
    for row in body:
        widths = [cell.width for cell in row.children]
        assert widths[1] == max(widths), widths
