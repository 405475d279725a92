"""Staff pages for programmes: creating one and editing its description."""

from __future__ import annotations

from typing import Any

HANDLERS: list[Any] = []
