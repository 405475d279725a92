"""Settings, read from the environment once at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from registry.errors import InvalidValue

DEFAULT_DATABASE_URL = "sqlite:///" + str(Path("data") / "registry.db")


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _optional_flag(value: str | None) -> bool | None:
    return None if value is None or value.strip() == "" else _flag(value, False)


def _number(env: Mapping[str, str], name: str, default: float, *, whole: bool = True) -> float:
    """A non-negative number from the environment; a bad one names its variable."""
    text = (env.get(name) or "").strip()
    if not text:
        return default
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        value = -1
    if not (text.isascii() and value >= 0):
        kind = "whole number" if whole else "number"
        raise InvalidValue(name, f"{text!r} is not a non-negative {kind}")
    return value


def _addresses(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    """SQLAlchemy URL (`REGISTRY_DATABASE_URL`): a SQLite file under ./data/ by default."""
    public_read: bool = True
    """`REGISTRY_PUBLIC_READ`: reads need no token unless this is false."""
    host: str = "127.0.0.1"
    """`REGISTRY_HOST`: the address `registry serve` listens on."""
    port: int = 8000
    """`REGISTRY_PORT`: the port `registry serve` listens on."""
    max_body_bytes: int = 10_000_000
    """`REGISTRY_MAX_BODY_BYTES`: larger request bodies are refused with 413."""
    cache_size: int = 4096
    """`REGISTRY_CACHE_SIZE`: read answers kept per worker (0 turns the cache off)."""
    report_cache_size: int = 64
    """`REGISTRY_REPORT_CACHE_SIZE`: finished reports (HTML or PDF) kept per worker (0: none)."""
    secure_cookie: bool | None = None
    """`REGISTRY_SECURE_COOKIE`: whether the staff pages' cookies are HTTPS-only; unset means yes,
    except for a browser on this machine over plain HTTP."""
    trusted_proxies: tuple[str, ...] = ()
    """`REGISTRY_TRUSTED_PROXIES`: comma-separated addresses (or `*`) of reverse proxies whose
    `X-Forwarded-For` / `X-Forwarded-Proto` are believed; none by default."""
    db_timeout: float = 5.0
    """`REGISTRY_DB_TIMEOUT` (seconds): how long to wait to connect to the database, and for
    SQLite's write lock; a write that cannot get it answers 503 with `Retry-After`."""
    statement_timeout: float = 60.0
    """`REGISTRY_STATEMENT_TIMEOUT` (seconds, PostgreSQL): longer statements are cancelled."""
    header_timeout: float = 10.0
    """`REGISTRY_HEADER_TIMEOUT` (seconds): a request's line and headers must arrive within this
    time, or the server closes the connection (slow clients cannot hold connections open)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("REGISTRY_DATABASE_URL") or DEFAULT_DATABASE_URL,
            public_read=_flag(env.get("REGISTRY_PUBLIC_READ"), True),
            host=env.get("REGISTRY_HOST") or "127.0.0.1",
            port=int(_number(env, "REGISTRY_PORT", 8000)),
            max_body_bytes=int(_number(env, "REGISTRY_MAX_BODY_BYTES", 10_000_000)),
            cache_size=int(_number(env, "REGISTRY_CACHE_SIZE", 4096)),
            report_cache_size=int(_number(env, "REGISTRY_REPORT_CACHE_SIZE", 64)),
            secure_cookie=_optional_flag(env.get("REGISTRY_SECURE_COOKIE")),
            trusted_proxies=_addresses(env.get("REGISTRY_TRUSTED_PROXIES")),
            db_timeout=_number(env, "REGISTRY_DB_TIMEOUT", 5.0, whole=False),
            statement_timeout=_number(env, "REGISTRY_STATEMENT_TIMEOUT", 60.0, whole=False),
            header_timeout=_number(env, "REGISTRY_HEADER_TIMEOUT", 10.0, whole=False),
        )
