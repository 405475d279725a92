"""The Litestar application: `create_app(settings)`."""

from __future__ import annotations

import gc
import html
import threading
from pathlib import Path
from typing import Any

import anyio
import swagger_ui
from litestar import Litestar, Request, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from api import problems, ui, wire
from api.cache import AnswerCache
from api.deps import access_guard, provide_session
from api.docs import READ_ERRORS, UNAVAILABLE, parameters_without_nul
from api.edge import allowed_methods, check_body, edge_middleware
from api.routes import (
    accounts,
    catalogue,
    change_requests,
    contracts,
    diff,
    fleet,
    imports,
    instruments,
    members,
    ocds,
    organisations,
    programmes,
    reports,
    sources,
)
from api.ui.throttle import SignInThrottle
from registry.database import make_engine
from registry.errors import Unavailable
from registry.settings import Settings
from registry.token_use import TokenUses

SWAGGER_STATIC = Path(swagger_ui.__file__).parent / "static"
OWN_STATIC = Path(__file__).parent / "static"


class SwaggerPage(SwaggerRenderPlugin):
    """Swagger UI from files served here, started by a script file rather than an inline one (the
    Content-Security-Policy forbids inline script) which loads the document from its URL."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = html.escape(openapi_schema["info"]["title"])
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link href="{self.css_url}" rel="stylesheet">
<script src="{self.js_url}"></script>
<script src="{self.standalone_preset_js_url}"></script>
<script src="/schema/static/swagger-init.js"></script>
</head>
<body><div id="swagger-container"></div></body>
</html>
""".encode()


def _database_answers(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


@get(
    "/health",
    summary="Liveness and database reachability",
    tags=["health"],
    opt={"public": True},  # probes carry no token, even where reads need one
    responses={**READ_ERRORS, **UNAVAILABLE},
)
async def health(state: State) -> wire.Health:
    """200 when the database answers; 503 when it does not within `REGISTRY_DB_TIMEOUT`."""
    # In a thread, abandoned at the time-out: a frozen database must not freeze the event loop,
    # and the probe must answer even then. One check at a time per worker.
    settings: Settings = state.settings
    try:
        with anyio.fail_after(settings.db_timeout):
            await anyio.to_thread.run_sync(
                _database_answers,
                state.engine,
                abandon_on_cancel=True,
                limiter=state.health_limiter,
            )
    except (TimeoutError, SQLAlchemyError) as error:
        reason = (
            "did not answer in time" if isinstance(error, TimeoutError) else "cannot be reached"
        )
        raise Unavailable("database", f"the database {reason}") from None
    return wire.Health(status="ok", database="ok")


def _openapi() -> OpenAPIConfig:
    static = "/schema/static"
    return OpenAPIConfig(
        title="Programme registry",
        version="1",
        description=(
            "Multinational defence procurement programmes: members on any date, contracts, fleets "
            "and the audit trail. Reads are open unless the deployment says otherwise; writes "
            "need `Authorization: Bearer <token>` (`registry token create NAME`). Errors are RFC "
            "9457 problem details with a per-field `errors` list."
        ),
        path="/schema",
        use_handler_docstrings=True,
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(
                    type="http",
                    scheme="bearer",
                    description="A token from `registry token create`.",
                )
            }
        ),
        render_plugins=[
            JsonRenderPlugin(path="/openapi.json"),
            SwaggerPage(
                path="/swagger",
                js_url=f"{static}/swagger-ui-bundle.js",
                css_url=f"{static}/swagger-ui.css",
                standalone_preset_js_url=f"{static}/swagger-ui-standalone-preset.js",
                favicon="",  # the default points at a CDN; this page loads nothing from outside
            ),
        ],
    )


def _database_state(settings: Settings) -> State:
    """What the application keeps per database: engines, answer cache, throttle, limits."""
    engine = make_engine(
        settings.database_url,
        timeout=settings.db_timeout,
        statement_timeout=settings.statement_timeout,
    )
    # The cache's version check runs on the event loop before any dependency: it gets a pool of
    # its own, so it can never wait for a connection that a handler holds.
    cache = AnswerCache(
        make_engine(
            settings.database_url, timeout=settings.db_timeout, pool_size=1, max_overflow=0
        ),
        settings.cache_size,
    )
    return State(
        {
            "engine": engine,
            "settings": settings,
            "cache": cache,
            # Finished reports, checked against the same data version on the same connection.
            "report_cache": AnswerCache(cache.engine, settings.report_cache_size),
            "signin_throttle": SignInThrottle(),
            "health_limiter": anyio.CapacityLimiter(1),
            "report_limiter": reports.report_limiter(),
            "import_limiter": anyio.CapacityLimiter(1),  # one import at a time: one writer
            "import_stop": threading.Event(),  # set on SIGTERM: running imports stop and roll back
            "token_uses": TokenUses(engine),
        }
    )


def use_settings(app: Litestar, settings: Settings) -> None:
    """Point `app` at `settings`' database with fresh engines, cache and limits (the tests build
    the application once and give it a database of its own per test)."""
    app.state = _database_state(settings)


def _dispose(app: Litestar) -> None:
    app.state.engine.dispose()
    app.state.cache.engine.dispose()


def create_app(settings: Settings | None = None) -> Litestar:
    """The application for `settings` (default: from the environment)."""
    settings = settings or Settings.from_env()
    app = Litestar(
        route_handlers=[
            health,
            programmes.router,
            members.router,
            diff.router,
            contracts.router,
            fleet.router,
            instruments.router,
            catalogue.router,
            organisations.router,
            sources.router,
            accounts.router,
            change_requests.router,
            ocds.router,
            imports.router,
            reports.router,
            ui.router,
            ui.static,
            ui.favicon,
            create_static_files_router(
                "/schema/static", directories=[SWAGGER_STATIC, OWN_STATIC], include_in_schema=False
            ),
        ],
        dependencies={"session": Provide(provide_session)},
        guards=[access_guard],
        before_request=check_body,
        # Under /ui, an unknown page is a staff page too (api/ui); elsewhere problem JSON.
        exception_handlers={**problems.handlers, HTTPException: ui.http_error},  # type: ignore[dict-item]
        openapi_config=_openapi(),
        state=_database_state(settings),
        request_max_body_size=settings.max_body_bytes,
        on_shutdown=[_dispose],
    )
    # Around the router, not only the routes: unknown paths and 405s get the same checks,
    # headers and log line as everything else.
    app.asgi_handler = edge_middleware(app.asgi_handler, allowed_methods(app))
    parameters_without_nul(app.openapi_schema)
    return app


def serve_app() -> Litestar:
    """The factory `registry serve` hands to uvicorn (settings from the environment)."""
    app = create_app(Settings.from_env())
    app.on_shutdown.append(lambda _app: reports.stop_pdf_processes())
    # Objects made at start-up live as long as the process: keep the collector off them, which
    # shortens the pauses that otherwise show in the slowest answers.
    gc.collect()
    gc.freeze()
    return app
