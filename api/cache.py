"""Read answers kept in memory and reused while the data has not changed.

Every write records a Change, so the newest Change id names the state of the data. A cached
answer is reused only while that id is the same, which one indexed query per request checks:
workers stay stateless and never serve what another worker's write made stale.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from typing import Any

import msgspec
from litestar import Request, Response
from sqlmodel import Session

from registry.audit import data_version

_encoder = msgspec.json.Encoder()


class AnswerCache:
    """A bounded least-recently-used map of request key -> (data version, body, headers)."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.entries: OrderedDict[tuple[Any, ...], tuple[int, bytes, dict[str, str]]] = (
            OrderedDict()
        )

    def answer(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        build: Callable[[], tuple[msgspec.Struct, dict[str, str]]],
    ) -> Response[bytes]:
        """The cached JSON for this request while the data is unchanged, else `build()`'s."""
        version = data_version(session)
        query = tuple(sorted(request.query_params.items()))
        # Without as_of, an answer is "as of today": it must not outlive the day.
        key = (request.url.path, query, date.today())
        hit = self.entries.get(key)
        if hit is not None and hit[0] == version:
            self.entries.move_to_end(key)
            body, headers = hit[1], hit[2]
        else:
            content, headers = build()
            body = _encoder.encode(content)
            self.entries[key] = (version, body, headers)
            if len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return Response(body, media_type="application/json", headers=headers)
