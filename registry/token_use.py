"""When each API token was last used, noted off the request path.

A write on every authorised request stalled SQLite's writers under load, so a use is noted at
most once a minute per token (`RESOLUTION`), by a thread of its own, after the request has been
let through: no request waits for it. A note that cannot be written (the database busy past its
time-out, or down) is dropped; the next use a minute later tries again. Not an audited change:
using a token changes nothing in the registry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, or_, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col

from registry.users import ApiToken

RESOLUTION = timedelta(minutes=1)
log = logging.getLogger(__name__)
_WRITER = ThreadPoolExecutor(1, thread_name_prefix="token-use")
"""One thread per process writes the notes of every database (the tests make many)."""


def _now() -> datetime:
    return datetime.now(UTC)


class TokenUses:
    """Notes token uses for one database; `clock` gives the time (the tests set it)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = _now) -> None:
        self.engine = engine
        self.clock = clock
        self._pending: list[Future[None]] = []

    def note(self, token: ApiToken) -> None:
        """Note that `token` (as just read) is in use, unless it was noted less than a minute
        ago."""
        now = self.clock()
        if token.last_used_at is not None and now - token.last_used_at < RESOLUTION:
            return
        self._pending = [f for f in self._pending if not f.done()]
        self._pending.append(_WRITER.submit(self._write, token.id or 0, now))

    def _write(self, token_id: int, now: datetime) -> None:
        last = col(ApiToken.last_used_at)
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    update(ApiToken)
                    .where(col(ApiToken.id) == token_id, or_(last.is_(None), last < now))
                    .values(last_used_at=now)
                )
        except SQLAlchemyError as error:
            log.warning("token %s: its last use was not noted (%s)", token_id, type(error).__name__)

    def settle(self) -> None:
        """Wait for the notes under way (the tests read them afterwards)."""
        for future in list(self._pending):
            future.result()
