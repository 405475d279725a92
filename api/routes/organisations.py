"""Organisations: adding and editing agencies, contractors and governing bodies."""

from __future__ import annotations

from litestar import Router

router = Router("/", route_handlers=[], tags=["reference"])
