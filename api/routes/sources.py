"""Sources and citations: the public texts records cite, and how sure they make us."""

from __future__ import annotations

from litestar import Router

router = Router("/", route_handlers=[], tags=["sources"])
