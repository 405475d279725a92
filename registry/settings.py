"""Settings, read from the environment once at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///" + str(Path("data") / "registry.db")


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    """SQLAlchemy URL (`REGISTRY_DATABASE_URL`): a SQLite file under ./data/ by default."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(database_url=env.get("REGISTRY_DATABASE_URL") or DEFAULT_DATABASE_URL)
