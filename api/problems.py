"""Every error answered as RFC 9457 problem details with a per-field `errors` list."""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from sqlalchemy.exc import OperationalError

from registry.errors import RegistryError

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("registry.api")

_TYPES = {
    400: "malformed-request",
    401: "not-signed-in",
    403: "not-allowed",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "stale-version",
    413: "body-too-large",
    415: "unsupported-media-type",
    422: "rule-broken",
    429: "too-many-requests",
    500: "server-error",
    503: "unavailable",
}


def problem_body(
    status: int,
    detail: str,
    instance: str,
    errors: list[dict[str, Any]] | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    """The problem details document (also written by the edge middleware, before any route)."""
    return {
        "type": f"/problems/{_TYPES.get(status, 'error')}",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
        "errors": errors or [],
    }


def problem(
    request: Request[Any, Any, Any],
    status: int,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    *,
    title: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    body = problem_body(status, detail, request.url.path, errors, title)
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def registry_error(request: Request[Any, Any, Any], error: RegistryError) -> Response[Any]:
    errors = [
        {"field": e.field, "message": e.message} | ({"row": e.row} if e.row is not None else {})
        for e in error.errors
    ]
    headers = None
    if error.status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    elif error.status == 503:
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return problem(request, error.status, str(error), errors, title=error.title, headers=headers)


_NAMED = re.compile(r"(?:missing required|contains unknown) field `([^`]+)`")
BODY_PARAMETER = "data"  # the handlers' name for the JSON body


def _field(key: str, message: str) -> str:
    """The body field a validation message is about, as a client names it (`value.currency`)."""
    path = "" if key in ("", BODY_PARAMETER) else key.removeprefix("$.")
    named = _NAMED.search(message)
    if named:
        path = f"{path}.{named.group(1)}" if path else named.group(1)
    return path or "body"


def http_error(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    """Litestar's own errors (validation, 404 routes, 405, 413...) in the same shape."""
    errors = []
    if isinstance(error, ValidationException) and isinstance(error.extra, list):
        for item in error.extra:
            if isinstance(item, dict):
                message = str(item.get("message", "invalid"))
                errors.append(
                    {"field": _field(str(item.get("key") or ""), message), "message": message}
                )
    status = error.status_code
    detail = error.detail if isinstance(error.detail, str) else HTTPStatus(status).phrase
    if not errors and status in (400, 413):
        errors.append({"field": "body", "message": detail})
    if status == 400 and errors:
        detail = "the request is malformed: " + "; ".join(
            f"{e['field']}: {e['message']}" for e in errors
        )
    headers = dict(error.headers or {})  # 405 names the allowed methods in `Allow`
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return problem(request, status, detail, errors, headers=headers or None)


RETRY_AFTER_SECONDS = 5
_BUSY = ("database is locked", "database table is locked", "lock timeout", "could not obtain lock")


def database_unavailable(request: Request[Any, Any, Any], error: OperationalError) -> Response[Any]:
    """The database is busy (SQLite's write lock held past the busy timeout) or unreachable:
    503 with `Retry-After`, nothing written (the transaction was rolled back)."""
    message = str(error.orig or error).lower()
    busy = any(sign in message for sign in _BUSY)
    if not busy:
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, error)
    detail = (
        "the registry is busy with another write; nothing was written, try again shortly"
        if busy
        else "the database cannot be reached; nothing was written, try again shortly"
    )
    return problem(request, 503, detail, [{"field": "database", "message": detail}],
                   headers={"Retry-After": str(RETRY_AFTER_SECONDS)})  # fmt: skip


def server_error(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(request, 500, "the server failed to answer; nothing was written")


handlers = {
    RegistryError: registry_error,
    HTTPException: http_error,
    OperationalError: database_unavailable,
    Exception: server_error,
}
