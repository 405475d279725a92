"""Reports are drawn off the event loop, a bounded number at once; a request that cannot get its
turn in time is answered 503 with Retry-After (guards a stall: one client looping PDFs froze
every other request of its worker)."""

from __future__ import annotations

import threading
from typing import Any

import anyio
import pytest
from litestar.testing import TestClient

from api.routes import reports

pytestmark = pytest.mark.usefixtures("seeded")


def held_render(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """Make report rendering wait until the test releases it; returns (entered, release)."""
    entered, release = threading.Event(), threading.Event()
    real = reports.render  # type: ignore[attr-defined]

    def render(*args: Any, **kwargs: Any) -> str:
        entered.set()
        release.wait(timeout=60)  # a safety net only: the test releases it
        return real(*args, **kwargs)

    monkeypatch.setattr(reports, "render", render)
    return entered, release


def test_other_requests_are_answered_while_a_report_is_drawn(
    client: TestClient[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    entered, release = held_render(monkeypatch)
    answers: list[Any] = []
    order: list[str] = []
    drawing = threading.Thread(
        target=lambda: answers.append(
            client.get("/reports/programmes/mmf", params={"format": "pdf"})
        )
    )
    drawing.start()
    try:
        assert entered.wait(timeout=60)
        health = client.get("/health")
        detail = client.get("/api/programmes/mmf")
        order.append("others answered")
    finally:
        release.set()
        drawing.join(timeout=60)
        order.append("report drawn")
    assert order == ["others answered", "report drawn"]
    assert (health.status_code, detail.status_code) == (200, 200)
    assert answers[0].status_code == 200
    assert answers[0].content.startswith(b"%PDF")


def test_a_report_that_cannot_get_its_turn_is_503(
    client: TestClient[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reports, "WAIT_SECONDS", 0)  # every worker is taken: give up at once
    client.app.state.report_limiter = anyio.CapacityLimiter(1)
    entered, release = held_render(monkeypatch)
    first: list[Any] = []
    drawing = threading.Thread(target=lambda: first.append(client.get("/reports/membership")))
    drawing.start()
    try:
        assert entered.wait(timeout=60)
        refused = client.get("/reports/contracts")
    finally:
        release.set()
        drawing.join(timeout=60)
    assert refused.status_code == 503
    assert refused.headers["retry-after"].isdigit()
    assert [e["field"] for e in refused.json()["errors"]] == ["report"]
    assert first[0].status_code == 200


def counted_renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count the reports drawn (each report's key, in order)."""
    drawn: list[str] = []
    real = reports.render  # type: ignore[attr-defined]

    def render(frames: Any, stamp: Any, report: str, key: str = "") -> str:
        drawn.append(key or report)
        return real(frames, stamp, report, key)

    monkeypatch.setattr(reports, "render", render)
    return drawn


def test_a_finished_report_is_kept_until_the_data_changes(
    client: TestClient[Any], monkeypatch: pytest.MonkeyPatch, engine: Any
) -> None:
    drawn = counted_renders(monkeypatch)
    pdf = {"format": "pdf", "as_of": "2019-12-31"}
    first = client.get("/reports/programmes/mmf", params=pdf)
    again = client.get("/reports/programmes/mmf", params=pdf)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.content == first.content
    assert again.headers["content-type"] == "application/pdf"
    assert drawn == ["mmf"]  # the second came from the kept copy
    client.get("/reports/programmes/mmf", params={"as_of": "2019-12-31"})  # HTML: its own copy
    client.get("/reports/programmes/mmf", params={**pdf, "as_of": "2020-12-31"})  # another day
    assert drawn == ["mmf", "mmf", "mmf"]

    from registry.contracts import add_contract
    from registry.database import unit_of_work

    with unit_of_work(engine) as session:
        add_contract(session, programme="mmf", title="Spares", kind="support", actor="tester")
    html = client.get("/reports/programmes/mmf", params={"as_of": "2019-12-31"})
    assert drawn == ["mmf", "mmf", "mmf", "mmf"]  # drawn again: the data changed
    assert "Spares" in html.text


def test_a_kept_report_needs_no_turn(
    client: TestClient[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert client.get("/reports/membership").status_code == 200
    monkeypatch.setattr(reports, "WAIT_SECONDS", 0)
    client.app.state.report_limiter = anyio.CapacityLimiter(1)
    entered, release = held_render(monkeypatch)
    drawing = threading.Thread(target=lambda: client.get("/reports/contracts"))
    drawing.start()
    try:
        assert entered.wait(timeout=60)  # the only worker is busy
        kept = client.get("/reports/membership")
    finally:
        release.set()
        drawing.join(timeout=60)
    assert kept.status_code == 200


def test_no_report_is_kept_when_the_report_cache_is_off(
    client_with: Any, app_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    drawn = counted_renders(monkeypatch)
    with client_with(replace(app_settings, report_cache_size=0)) as client:
        for _ in range(2):
            assert client.get("/reports/nations/NLD").status_code == 200
    assert drawn == ["NLD", "NLD"]


def test_a_pdf_downloads_named_by_its_key_and_day(client: TestClient[Any]) -> None:
    answer = client.get("/reports/programmes/mmf", params={"format": "pdf", "as_of": "2019-12"})
    disposition = answer.headers["content-disposition"]
    assert disposition == 'inline; filename="mmf-as-of-2019-12-31.pdf"'
