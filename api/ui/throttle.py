"""The sign-in throttle as the staff pages use it: the rule and its rows live in
`registry.signin_failures` (shared by every worker); this adds the clock, which the app keeps in
its state so that a test can set the time, and the words for the wait.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import anyio
from sqlmodel import Session

from registry.signin_failures import clear_failures, record_failure, wait_before_next_try

PASSWORD_CHECKS_AT_ONCE = 4
"""Password checks running at once per worker: argon2 takes 64 MiB each at production cost."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class SignInThrottle:
    """Failed sign-ins per username and address, counted on `clock` (default: real time)."""

    def __init__(self, clock: Callable[[], datetime] = utc_now) -> None:
        self.clock = clock
        self._password_checks: anyio.CapacityLimiter | None = None

    @property
    def password_checks(self) -> anyio.CapacityLimiter:
        """Bounds the password checks in worker threads (made on first use, inside the loop)."""
        if self._password_checks is None:
            self._password_checks = anyio.CapacityLimiter(PASSWORD_CHECKS_AT_ONCE)
        return self._password_checks

    def wait(self, session: Session, username: str, address: str) -> timedelta:
        """How long until this username may be tried again from this address (zero: now)."""
        return wait_before_next_try(session, username=username, address=address, now=self.clock())

    def failed(self, session: Session, username: str, address: str) -> None:
        record_failure(session, username=username, address=address, now=self.clock())

    def succeeded(self, session: Session, username: str, address: str) -> None:
        clear_failures(session, username=username, address=address)


def try_again_in(wait: timedelta) -> str:
    """The wait in whole minutes, rounded up: 15 right after a lock-out, 1 with 30 s left."""
    minutes = max(1, -(-wait // timedelta(minutes=1)))
    return f"try again in {minutes} minute{'' if minutes == 1 else 's'}"
