"""How `registry serve` runs uvicorn: limits, time-outs, trusted proxies, logging."""

from __future__ import annotations

import asyncio
import errno
import os
import socket
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from registry.errors import InvalidValue
from registry.settings import Settings

SHUTDOWN_TIMEOUT = 10
"""Seconds `registry serve` lets running requests finish after SIGTERM before cancelling them."""
HEADER_LIMIT = 64 * 1024
"""Bytes of request line and headers the server reads before answering 400."""
KEEP_ALIVE_TIMEOUT = 5
"""Seconds an idle keep-alive connection stays open after its last response."""


class HeaderDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's line and headers.

    uvicorn times out only idle keep-alive connections, and that timer stops at the first byte:
    a client that sends its headers a byte at a time (or connects and says nothing) would hold
    the connection for ever. Here the request line and headers must all arrive within
    `REGISTRY_HEADER_TIMEOUT` seconds of the connection opening or the previous response;
    otherwise the connection is closed.
    """

    header_timeout: float | None = None
    """Read from the settings once per process (worker processes start from the environment)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._deadline: asyncio.TimerHandle | None = None
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._deadline is None and self.conn.their_state is h11.IDLE:
            self._arm()
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the request line and headers are in
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._disarm()  # the keep-alive timer covers the idle time until the next request

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if HeaderDeadlineProtocol.header_timeout is None:
            HeaderDeadlineProtocol.header_timeout = Settings.from_env().header_timeout
        self._deadline = self.loop.call_later(HeaderDeadlineProtocol.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if getattr(self, "_deadline", None) is not None:
            self._deadline.cancel()  # type: ignore[union-attr]
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def log_config() -> dict[str, Any]:
    """Logging for `registry serve`: the registry's own lines (one per request, with its id) at
    INFO; uvicorn's warnings; no uvicorn access log; no WeasyPrint or fontTools chatter."""
    stderr = {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
        "handlers": {"stderr": stderr},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "registry": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "weasyprint": {"level": "WARNING"},
            "fontTools": {"level": "WARNING"},
        },
    }


def uvicorn_options(
    settings: Settings,
    *,
    host: str | None = None,
    port: int | None = None,
    workers: int = 1,
    shutdown_timeout: int = SHUTDOWN_TIMEOUT,
) -> dict[str, Any]:
    """Everything `registry serve` hands to `uvicorn.run`, in one place."""
    return {
        "app": "api.app:serve_app",
        "factory": True,
        "host": host or settings.host,
        "port": port or settings.port,
        "workers": workers,
        # h11 bounds the request line and headers (httptools reads header lines of 8 MB); the
        # protocol also bounds the time they take to arrive.
        "http": HeaderDeadlineProtocol,
        "h11_max_incomplete_event_size": HEADER_LIMIT,
        "timeout_keep_alive": KEEP_ALIVE_TIMEOUT,
        # On SIGTERM, running requests get this long to finish; then they are cancelled.
        "timeout_graceful_shutdown": shutdown_timeout,
        # uvicorn believes X-Forwarded-* from 127.0.0.1 unless told otherwise: trust only the
        # proxies configured, and read the headers at all only when there are some.
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": list(settings.trusted_proxies),
        "server_header": False,
        "access_log": False,  # the application logs each request with its id
        "log_config": log_config(),
    }


def check_address(host: str, port: int) -> None:
    """Refuse, before anything starts, an address the server could not listen on."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as error:
        raise InvalidValue("host", f"{host!r}: {error.strerror}") from None
    try:
        with socket.create_server((host, port), family=family):  # SO_REUSEADDR, as uvicorn
            pass
    except OSError as error:
        field = "host" if error.errno == errno.EADDRNOTAVAIL else "port"
        reason = os.strerror(error.errno) if error.errno else str(error)
        raise InvalidValue(field, f"cannot listen on {host}:{port}: {reason}") from None
