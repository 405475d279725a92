"""Settings, read from the environment once at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///" + str(Path("data") / "registry.db")


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _optional_flag(value: str | None) -> bool | None:
    return None if value is None or value.strip() == "" else _flag(value, False)


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
    secure_cookie: bool | None = None
    """`REGISTRY_SECURE_COOKIE`: whether the staff pages' cookies are HTTPS-only; unset means yes,
    except for a browser on this machine over plain HTTP."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("REGISTRY_DATABASE_URL") or DEFAULT_DATABASE_URL,
            public_read=_flag(env.get("REGISTRY_PUBLIC_READ"), True),
            host=env.get("REGISTRY_HOST") or "127.0.0.1",
            port=int(env.get("REGISTRY_PORT") or 8000),
            max_body_bytes=int(env.get("REGISTRY_MAX_BODY_BYTES") or 10_000_000),
            cache_size=int(env.get("REGISTRY_CACHE_SIZE") or 4096),
            secure_cookie=_optional_flag(env.get("REGISTRY_SECURE_COOKIE")),
        )
