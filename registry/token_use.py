"""When each API token was last used, to the minute.

A write on every authorised request stalled SQLite's writers under load, so a use is written at
most once a minute per token (`RESOLUTION`), before the request's own transaction begins (the
API's guard awaits it in a worker thread: the event loop goes on serving, and the request's
reads cannot be overtaken by its own note). A note that cannot be written (the database busy
past its time-out, or down) is dropped and logged; the next use tries again. Not an audited
change: using a token changes nothing in the registry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, or_, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col

from registry.users import ApiToken

RESOLUTION = timedelta(minutes=1)
log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


class TokenUses:
    """Notes token uses in one database; `clock` gives the time (the tests set it)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = _now) -> None:
        self.engine = engine
        self.clock = clock

    def due(self, token: ApiToken) -> datetime | None:
        """The time to note for `token` (as just read), or None when it was noted less than a
        minute ago."""
        now = self.clock()
        if token.last_used_at is not None and now - token.last_used_at < RESOLUTION:
            return None
        return now

    def write(self, token_id: int, now: datetime) -> None:
        """Note the use in a transaction of its own (blocking: run it in a worker thread)."""
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
