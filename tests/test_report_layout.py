"""Printed reports keep every table within the page's text area, read off WeasyPrint's layout."""

from __future__ import annotations

from typing import Any

import pytest
from weasyprint import HTML  # type: ignore[import-untyped]

from tests.test_api_writes import editor, send

pytestmark = pytest.mark.usefixtures("seeded")


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
