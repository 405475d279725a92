"""The real server under 64 concurrent connections: no deadlock, no lost or half-written change.

Guards the trap of a sync session generator with threaded handlers, which hangs Litestar at
about 32 concurrent connections. Bounded in time; not a speed test (`make bench` measures).
"""

import asyncio
from typing import Any

import httpx
from sqlmodel import Session, col, select

from registry.audit import Change
from tests.conftest import auth

CONNECTIONS = 64


async def one_client(client: httpx.AsyncClient, number: int, token: str) -> list[int]:
    statuses = []
    for path in ("/api/programmes/mmf", "/api/programmes/mmf/participants?as_of=2020-01-01",
                 "/api/contracts?currency=EUR", "/api/nations/DEU"):  # fmt: skip
        statuses.append((await client.get(path)).status_code)
    patch = await client.patch(
        "/api/programmes/mmf", json={"description": f"edit {number}"}, headers=auth(token)
    )
    statuses.append(patch.status_code)
    return statuses


async def load(base: str, token: str) -> list[list[int]]:
    limits = httpx.Limits(max_connections=CONNECTIONS)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        tasks = [one_client(client, n, token) for n in range(CONNECTIONS)]
        return await asyncio.wait_for(asyncio.gather(*tasks), timeout=90)


def test_64_concurrent_clients_reading_and_writing(server, tokens, engine):
    results = asyncio.run(load(server, tokens["editor"]))
    assert all(status == 200 for statuses in results for status in statuses), results
    with Session(engine) as session:
        edits = session.exec(
            select(Change).where(Change.actor == "editor", col(Change.entity) == "programme")
        ).all()
    # Every write committed with its audit row, one each, none lost.
    assert len(edits) == CONNECTIONS
    assert {e.after["description"] for e in edits if e.after} == {
        f"edit {n}" for n in range(CONNECTIONS)
    }


async def race(base: str, requests: list[tuple[str, str, dict[str, Any]]]) -> list[int]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        calls = [client.request(method, path, **kwargs) for method, path, kwargs in requests]
        responses = await asyncio.wait_for(asyncio.gather(*calls), timeout=60)
    return sorted(r.status_code for r in responses)


def test_concurrent_edits_from_the_same_read_let_exactly_one_through(server, tokens):
    """Guards a fixed bug: the spell was read before the write lock, so a stale If-Match passed."""
    read = httpx.get(f"{server}/api/programmes/mmf/participants/NLD")
    assert read.status_code == 200, read.text
    headers = auth(tokens["editor"]) | {"If-Match": read.headers["etag"]}
    edits = [("PATCH", "/api/programmes/mmf/participants/NLD",
              {"json": {"note": f"edit {n}"}, "headers": headers}) for n in range(16)]  # fmt: skip
    assert asyncio.run(race(server, edits)) == [200] + [412] * 15


def test_concurrent_creates_of_one_slug_give_one_201_and_409s(server, tokens):
    body = {"slug": "new-fleet", "name": "New fleet", "category": "multinational-fleet"}
    creates = [("POST", "/api/programmes", {"json": body, "headers": auth(tokens["editor"])})] * 16
    assert asyncio.run(race(server, creates)) == [201] + [409] * 15


def test_the_served_app_deletes_a_programme_without_history(server, tokens):
    """Guards a fixed bug: the served app had not loaded the citation table and answered 500."""
    body = {"slug": "mistake", "name": "Entered by mistake", "category": "innovation"}
    assert (
        httpx.post(
            f"{server}/api/programmes", json=body, headers=auth(tokens["editor"])
        ).status_code
        == 201
    )
    response = httpx.delete(f"{server}/api/programmes/mistake", headers=auth(tokens["admin"]))
    assert response.status_code == 204
