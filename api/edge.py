"""What every request meets first: its id, refusal of malformed text, security headers, the
access log line.

An ASGI middleware, so it holds for every route, the cached ones included, and answers a bad
request before any handler or database sees it.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import parse_qsl

import msgspec
from litestar import Litestar, Request
from litestar.enums import ScopeType
from litestar.exceptions import SerializationException, ValidationException
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import PROBLEM_JSON, problem_body
from registry.audit import change_comment, request_id

access_log = logging.getLogger("registry.access")

REQUEST_ID = re.compile(r"^[!-~]{1,64}$")
"""A caller's X-Request-ID is kept when it is 1-64 visible ASCII characters."""

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
"""No script at all (inline styles stay: the reports set widths and colours per element)."""
DOCS_SCRIPT = "script-src 'self'; connect-src 'self'"
"""The interactive API docs run Swagger UI's own files, served from here."""

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Malformed:
    """Why a request is refused at the edge: 400, naming the part at fault."""

    field: str
    message: str


def _text_fault(scope: Scope) -> Malformed | None:
    """NUL (which PostgreSQL cannot store) in the path, a query parameter or the request id."""
    if "\x00" in scope.get("path", ""):
        return Malformed("path", "must not contain NUL characters")
    raw = scope.get("query_string", b"")
    try:
        pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return Malformed("query", "is not valid UTF-8")
    for name, value in pairs:
        if "\x00" in name or "\x00" in value:
            return Malformed(name.replace("\x00", "") or "query", "must not contain NUL characters")
    return None


def _request_id(scope: Scope) -> str | Malformed:
    given = dict(scope["headers"]).get(b"x-request-id")
    if given is None or not given.strip():
        return uuid.uuid4().hex
    text = given.decode("latin-1").strip()
    if not REQUEST_ID.match(text):
        return Malformed("X-Request-ID", "must be 1 to 64 visible ASCII characters")
    return text


COMMENT_CHARS = 2000


def _comment(scope: Scope) -> str | Malformed | None:
    """The caller's comment for the change set its write makes (`X-Change-Comment`, UTF-8)."""
    given = dict(scope["headers"]).get(b"x-change-comment")
    if given is None or not given.strip():
        return None
    try:
        text = given.decode("utf-8").strip()
    except UnicodeDecodeError:
        return Malformed("X-Change-Comment", "is not UTF-8 text")
    if len(text) > COMMENT_CHARS or "\x00" in text:
        return Malformed("X-Change-Comment", f"must be at most {COMMENT_CHARS} characters, no NUL")
    return text


def _headers(scope: Scope, rid: str) -> list[tuple[bytes, bytes]]:
    policy = CONTENT_SECURITY_POLICY
    if scope.get("path", "").startswith("/schema"):
        policy = policy.replace("default-src 'none'", f"default-src 'none'; {DOCS_SCRIPT}")
    return [*SECURITY_HEADERS, (b"content-security-policy", policy.encode()),
            (b"x-request-id", rid.encode())]  # fmt: skip


async def _refuse(scope: Scope, send: Send, fault: Malformed, rid: str) -> None:
    body = problem_body(400, f"{fault.field}: {fault.message}", scope.get("path", ""),
                        [{"field": fault.field, "message": fault.message}])  # fmt: skip
    content = msgspec.json.encode(body)
    headers = [(b"content-type", PROBLEM_JSON.encode()),
               (b"content-length", str(len(content)).encode()), *_headers(scope, rid)]  # fmt: skip
    await send(cast(Message, {"type": "http.response.start", "status": 400, "headers": headers}))
    await send(cast(Message, {"type": "http.response.body", "body": content}))


def allowed_methods(app: Litestar) -> dict[int, bytes]:
    """The `Allow` answer of each path's OPTIONS handler, by handler identity.

    Litestar makes a path's OPTIONS handler with the first router's methods and keeps it when a
    later router adds methods to the same path (POST beside GET): its `Allow` then leaves them
    out, though the route answers them.
    """
    found = {}
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                if handler.http_methods == {"OPTIONS"}:
                    found[id(handler)] = ", ".join(sorted(route.methods)).encode()
    return found


def edge_middleware(app: ASGIApp, allow: dict[int, bytes] | None = None) -> ASGIApp:
    """Give each request an id (or keep the caller's X-Request-ID) for the audit trail and the
    log, take the caller's X-Change-Comment for the change set its write makes, refuse NUL in
    its path and query, add the security headers, log one line; `allow` corrects the OPTIONS
    answers (see `allowed_methods`)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        found = _request_id(scope)
        rid = found if isinstance(found, str) else uuid.uuid4().hex
        comment = _comment(scope)
        fault = next(
            (f for f in (found, comment) if isinstance(f, Malformed)), None
        ) or _text_fault(scope)
        status = 500  # what the log says if the app fails before it answers

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", []), *_headers(scope, rid)]
                methods = (allow or {}).get(id(scope.get("route_handler")))
                if methods is not None and scope["method"] == "OPTIONS":
                    headers = [(k, methods if k.lower() == b"allow" else v) for k, v in headers]
                message["headers"] = headers
            await send(message)

        token = request_id.set(rid)
        noted = change_comment.set(comment if isinstance(comment, str) else None)
        try:
            if fault is not None:
                status = 400
                await _refuse(scope, send, fault, rid)
            else:
                await app(scope, receive, send_with_headers)
        finally:
            request_id.reset(token)
            change_comment.reset(noted)
            client = scope.get("client") or ("-", 0)
            access_log.info(
                '%s "%s %s" %s %.1fms id=%s', client[0], scope["method"], scope["path"], status,
                (time.perf_counter() - started) * 1000, rid,
            )  # fmt: skip

    return middleware


def _nul_at(value: Any, path: str) -> str | None:
    """The path of the first string (or key) holding NUL in decoded JSON or form data."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return here.replace("\x00", "")
            if (found := _nul_at(item, here)) is not None:
                return found
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            if (found := _nul_at(item, f"{path}[{index}]")) is not None:
                return found
    return None


async def check_body(request: Request[Any, Any, Any]) -> None:
    """`before_request` hook: a write's JSON or form body must decode and hold no NUL.

    Decoding here caches the result on the request, so the handler does not decode twice.
    """
    if request.method not in WRITE_METHODS:
        return
    media = request.content_type[0]
    try:
        if media == "application/json":
            (await request.body()).decode()  # named here: decoders word it differently
            data: Any = await request.json()
        elif media in ("application/x-www-form-urlencoded", "multipart/form-data"):
            data = dict((await request.form()).multi_items())
        else:
            return
    except (SerializationException, UnicodeDecodeError, RecursionError) as error:
        raise ValidationException(_unreadable(error)) from None
    if (field := _nul_at(data, "")) is not None:
        message = "must not contain NUL characters"
        raise ValidationException(
            detail=f"{field or 'body'}: {message}",
            extra=[{"key": field or "body", "message": message}],
        )
    if media == "application/json":
        _check_types(request, data)


def _check_types(request: Request[Any, Any, Any], data: Any) -> None:
    """A JSON body matches its struct as the document says: `"count": "1e3"` or `1.0` is not the
    integer 1000 or 1 (Litestar converts every parameter loosely, as query strings need)."""
    parameter = request.route_handler.parsed_fn_signature.parameters.get("data")
    kind = parameter.annotation if parameter is not None else None
    if not (isinstance(kind, type) and issubclass(kind, msgspec.Struct)):
        return
    try:
        msgspec.convert(_whole_floats_as_ints(data), kind, strict=True)
    except msgspec.ValidationError as error:
        message, _, where = str(error).partition(" - at `")
        raise ValidationException(extra=[{"key": where.rstrip("`"), "message": message}]) from None


def _whole_floats_as_ints(value: Any) -> Any:
    """JSON Schema counts `1.0` as an integer; a string of digits is not one."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _whole_floats_as_ints(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_floats_as_ints(item) for item in value]
    return value


def _unreadable(error: BaseException) -> str:
    if isinstance(error, RecursionError):
        return "the body nests too deeply to be read"
    if isinstance(error, UnicodeDecodeError):
        return "the body is not valid UTF-8"
    return f"the body is not valid: {getattr(error, 'detail', None) or error}"
