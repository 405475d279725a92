"""Failed sign-ins are limited per username and address, so passwords cannot be guessed quickly.

Kept in the worker's memory: with N workers a guesser gets N times the allowance, still a few
guesses an hour instead of a dozen a second.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

FAILURES_ALLOWED = 5
WINDOW_SECONDS = 15 * 60
MAX_KEYS = 100_000
"""Beyond this many tracked keys the oldest are forgotten, so memory stays bounded."""


class SignInThrottle:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        failures = self._failures.get(key, deque())
        while failures and failures[0] <= self._clock() - WINDOW_SECONDS:
            failures.popleft()
        return failures

    def wait(self, username: str, address: str) -> int:
        """Seconds until this username may be tried again from this address (0: now)."""
        failures = self._recent((username.casefold(), address))
        if len(failures) < FAILURES_ALLOWED:
            return 0
        return max(1, int(failures[0] + WINDOW_SECONDS - self._clock()) + 1)

    def failed(self, username: str, address: str) -> None:
        key = (username.casefold(), address)
        failures = self._recent(key)
        failures.append(self._clock())
        self._failures.pop(key, None)
        self._failures[key] = failures  # newest last, so the oldest go first when full
        while len(self._failures) > MAX_KEYS:
            del self._failures[next(iter(self._failures))]

    def succeeded(self, username: str, address: str) -> None:
        self._failures.pop((username.casefold(), address), None)
