"""Open Contracting Data Standard 1.1.5 exports: release and record packages."""

from __future__ import annotations

from litestar import Router

router = Router("/", route_handlers=[], tags=["open data"])
