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
