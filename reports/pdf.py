"""Render report HTML to PDF with WeasyPrint, offline."""

from __future__ import annotations

from typing import Any

from weasyprint import HTML  # type: ignore[import-untyped]
from weasyprint.urls import URLFetcher, URLFetcherResponse  # type: ignore[import-untyped]


class ExternalResourceError(ValueError):
    """The report refers to something outside itself (only data: URLs may be embedded)."""


class _DataURLsOnly(URLFetcher):  # type: ignore[misc]
    """Fetch data: URLs; refuse everything else before any connection is made.

    WeasyPrint catches fetcher errors and renders without the resource, so the refused
    URLs are also kept here for html_to_pdf to report.
    """

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if not url.lower().startswith("data:"):
            self.refused.append(url)
            raise ExternalResourceError(
                f"refused to fetch {url!r}: reports are rendered offline, "
                "embed the resource (inline SVG or a data: URL)"
            )
        return super().fetch(url, headers)


def html_to_pdf(html: str) -> bytes:
    """Render a self-contained HTML report to PDF bytes.

    Raises ExternalResourceError if the HTML refers to any resource that is not a
    data: URL (an image, a stylesheet, a font): nothing is fetched from the network
    or the disk. The PDF's creation and modification dates come from
    `<meta name="dcterms.created">` / `dcterms.modified` when present (WeasyPrint reads
    them itself), and are left out otherwise, so equal HTML gives equal bytes.

    The PDF is tagged as PDF/UA-1 (a structure tree a screen reader follows, marked content),
    with the title from `<title>` and the language from `<html lang>`.
    """
    fetcher = _DataURLsOnly()
    document = HTML(string=html, base_url=None, url_fetcher=fetcher)
    pdf: bytes = document.write_pdf(pdf_variant="pdf/ua-1")
    if fetcher.refused:
        raise ExternalResourceError(
            "the report refers to external resources, which were not fetched: "
            + ", ".join(fetcher.refused)
        )
    return pdf
