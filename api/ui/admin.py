"""Staff pages for admins: users, their roles and state, password resets; the security log."""

from __future__ import annotations

from typing import Any

HANDLERS: list[Any] = []
