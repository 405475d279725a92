"""Read answers kept in memory and reused while the data has not changed.

Every write raises the one-row `data_version` counter in its own transaction, in commit order. A
cached answer is reused only while that counter is unchanged, which one primary-key read per
request checks: workers stay stateless and never serve what another worker's write made stale.

The check runs as a `before_request` hook, so a hit skips dependency injection and the handler.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from typing import Any

import msgspec
from litestar import Request, Response
from sqlalchemy import Engine

from api.exports import Format, wanted
from registry.errors import RegistryError

_encoder = msgspec.json.Encoder()
_VERSION = "SELECT version FROM data_version"
Key = tuple[Any, ...]


class AnswerCache:
    """A bounded least-recently-used map of request key -> (data version, body, headers, media
    type). Used on the event loop only."""

    def __init__(self, engine: Engine, size: int = 4096) -> None:
        self.engine = engine
        self.size = size
        self.entries: OrderedDict[Key, tuple[int, bytes, dict[str, str], str]] = OrderedDict()

    def data_version(self) -> int:
        """The data version. On the driver's own connection: this runs on every read."""
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(_VERSION)
            row = cursor.fetchone()
            cursor.close()
        finally:
            connection.close()  # back to the pool, which ends the transaction
        return int(row[0] or 0) if row else 0

    def lookup(self, key: Key, version: int) -> Response[bytes] | None:
        hit = self.entries.get(key)
        if hit is None or hit[0] != version:
            return None
        self.entries.move_to_end(key)
        return Response(hit[1], media_type=hit[3], headers=hit[2])

    def store(
        self,
        key: Key,
        version: int,
        body: bytes,
        headers: dict[str, str],
        media_type: str = "application/json",
    ) -> None:
        if self.size <= 0:
            return
        self.entries[key] = (version, body, headers, media_type)
        self.entries.move_to_end(key)
        if len(self.entries) > self.size:
            self.entries.popitem(last=False)


def _key(request: Request[Any, Any, Any]) -> Key:
    # Without as_of an answer is "as of today": the date keeps it from outliving the day.
    return request.url.path, tuple(sorted(request.query_params.multi_items())), date.today()


async def serve_cached(request: Request[Any, Any, Any]) -> Response[bytes] | None:
    """`before_request` hook: answer from the cache when the data is unchanged."""
    try:
        if wanted(request, request.query_params.get("format")) is not Format.JSON:
            return None
    except RegistryError:
        return None  # the handler's own parameter check answers it
    cache: AnswerCache = request.app.state.cache
    if cache.size <= 0:
        return None  # REGISTRY_CACHE_SIZE=0: every answer is read afresh
    version = cache.data_version()
    request.state.cache_version = version
    return cache.lookup(_key(request), version)


def answer(
    request: Request[Any, Any, Any],
    build: Callable[[], tuple[msgspec.Struct, dict[str, str]]],
) -> Response[bytes]:
    """`build()`'s answer as JSON, kept for the next identical request at the same data version."""
    content, headers = build()
    body = _encoder.encode(content)
    version = getattr(request.state, "cache_version", None)
    if version is not None:
        cache: AnswerCache = request.app.state.cache
        cache.store(_key(request), version, body, headers)
    return Response(body, media_type="application/json", headers=headers)


def page_of(items: list[Any], limit: int, offset: int) -> tuple[msgspec.Struct, dict[str, str]]:
    """One page of a list computed whole (short lists: a programme's members or fleet events)."""
    from api.wire import Page

    return Page(items[offset : offset + limit], len(items), limit, offset), {}
