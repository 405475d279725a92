"""Accounts (admins): users and API tokens; a person's own tokens."""

from __future__ import annotations

from litestar import Router

router = Router("/", route_handlers=[], tags=["accounts"])
