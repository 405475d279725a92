"""The shared print stylesheet and the PDF renderer: pages, footers, repeated headers, offline."""

import io
import re
import socket
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from weasyprint import HTML  # type: ignore[import-untyped]

from reports.pdf import ExternalResourceError, html_to_pdf

PRINT_CSS = Path(__file__).resolve().parent.parent / "reports" / "static" / "print.css"
ROWS = 120
RUNNING_TITLE = "Contracts summary — as of 30 June 2025"
CREATED = "2025-06-30T12:00:00Z"
# A 1x1 SVG as a data: URL: the one kind of resource a report may embed.
DATA_IMAGE = (
    "data:image/svg+xml;utf8,"
    "%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'%3E%3C/svg%3E"
)


def report_html() -> str:
    rows = "\n".join(
        f'<tr><td>ROW-{i:03d}</td><td>Airbus Defence and Space</td><td class="num">{i * 1_000_000}.00</td></tr>'
        for i in range(ROWS)
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="dcterms.created" content="{CREATED}">
<title>Contracts summary</title>
<style>{PRINT_CSS.read_text()}</style>
</head><body>
<p class="running-title">{RUNNING_TITLE}</p>
<h1>Contracts summary</h1>
<p class="report-meta">As of 30 June 2025. Data fingerprint <code>abc123</code>.</p>
<img src="{DATA_IMAGE}" alt="">
<table>
<thead><tr><th>Reference</th><th>Contractor</th><th class="num">Contract value</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
<section class="landscape"><h2>Membership matrix</h2><p>Wide content.</p></section>
</body></html>"""


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return html_to_pdf(report_html())


@pytest.fixture
def connections(monkeypatch):
    """Record (and refuse) every attempt to open a network connection."""
    attempts = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def test_stylesheet_is_self_contained():
    css = re.sub(r"/\*.*?\*/", "", PRINT_CSS.read_text(), flags=re.DOTALL)
    assert "@import" not in css
    assert "url(" not in css


def test_footer_numbers_pages(pdf):
    texts = page_texts(pdf)
    total = len(texts)
    assert total > 1
    assert f"Page 1 of {total}" in texts[0]
    assert f"Page {total} of {total}" in texts[-1]


def test_footer_repeats_running_title(pdf):
    # Page 1 shows the title in the body too; later pages only have the footer's copy.
    for number, text in enumerate(page_texts(pdf)[1:], start=2):
        assert RUNNING_TITLE in text, f"page {number}"


def test_table_header_repeats_on_every_page_with_rows(pdf):
    pages_with_rows = 0
    for number, text in enumerate(page_texts(pdf), start=1):
        if re.search(r"ROW-\d{3}", text):
            pages_with_rows += 1
            assert "Contract value" in text, f"page {number} has rows but no header"
    assert pages_with_rows > 1


def test_every_row_prints_once(pdf):
    printed = re.findall(r"ROW-\d{3}", "\n".join(page_texts(pdf)))
    assert printed == [f"ROW-{i:03d}" for i in range(ROWS)]


def test_landscape_section_gets_a_landscape_page(pdf):
    pages = PdfReader(io.BytesIO(pdf)).pages
    first, last = pages[0].mediabox, pages[-1].mediabox
    assert first.height > first.width
    assert last.width > last.height
    assert "Membership matrix" in pages[-1].extract_text()


def test_same_html_gives_same_bytes_dated_from_meta(pdf):
    # Fails with fontTools subsetting (stamps fonts with the current time):
    # install libharfbuzz-subset0 so WeasyPrint subsets with HarfBuzz.
    assert html_to_pdf(report_html()) == pdf
    metadata = PdfReader(io.BytesIO(pdf)).metadata
    assert metadata is not None
    assert metadata.creation_date_raw == "D:20250630120000Z"


def test_external_image_is_refused_without_a_connection(connections):
    html = f'<img src="{DATA_IMAGE}" alt=""><img src="http://127.0.0.1:9/x.png" alt="chart">'
    with pytest.raises(ExternalResourceError, match=re.escape("http://127.0.0.1:9/x.png")):
        html_to_pdf(html)
    assert connections == []


def test_connection_guard_sees_weasyprints_default_fetcher(connections):
    # Control for the test above: without our fetcher WeasyPrint does try the network.
    HTML(string='<img src="http://127.0.0.1:9/x.png">').write_pdf()
    assert ("127.0.0.1", 9) in connections


def test_a_pdf_is_tagged_with_its_title_and_language():
    """PDF/UA: a structure tree and marked content a screen reader follows; title and language
    from the HTML."""
    html = report_html()
    reader = PdfReader(io.BytesIO(html_to_pdf(html)))
    root: Any = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    tree = root["/StructTreeRoot"].get_object()
    assert tree["/K"]  # the document's structure, not an empty root
    assert root["/Lang"] == "en"
    title = re.search(r"<title>(.*?)</title>", html).group(1)  # type: ignore[union-attr]
    assert reader.metadata is not None
    assert reader.metadata.title == title
    assert "pdfuaid" in root["/Metadata"].get_object().get_data().decode()


def test_pdfs_are_drawn_in_a_process_of_their_own_which_comes_back_when_killed() -> None:
    """WeasyPrint holds the GIL for seconds: drawn in a thread, a PDF stalled the worker."""
    import os
    import signal

    from api.routes import reports

    html = report_html()
    assert reports.in_pdf_process(html) == html_to_pdf(html)
    pool = reports._pdf_pool
    assert pool is not None
    drawers = list(pool._processes)
    assert drawers
    assert os.getpid() not in drawers
    for pid in drawers:
        os.kill(pid, signal.SIGKILL)
    assert reports.in_pdf_process(html) == html_to_pdf(html)  # a new pool
    assert reports._pdf_pool is not pool
