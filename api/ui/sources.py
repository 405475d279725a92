"""Staff pages for sources and citations."""

from __future__ import annotations

from typing import Any

HANDLERS: list[Any] = []
