"""Open Contracting Data Standard 1.1.5 exports: release and record packages."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from sqlmodel import Session

from api.docs import READ_ERRORS, documented
from registry.ocds import encode, record_package, release_package

_DATE_TIME = {"type": "string", "format": "date-time"}
_RELEASE = {
    "type": "object",
    "required": ["ocid", "id", "date", "tag", "initiationType"],
    "properties": {
        "ocid": {"type": "string"},
        "id": {"type": "string"},
        "date": _DATE_TIME,
        "tag": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "initiationType": {"type": "string", "enum": ["tender"]},
    },
}
_PACKAGE = {
    "uri": {"type": "string", "format": "uri"},
    "version": {"type": "string", "enum": ["1.1"]},
    "extensions": {"type": "array", "items": {"type": "string", "format": "uri"}},
    "publishedDate": _DATE_TIME,
    "publisher": {"type": "object", "required": ["name"]},
}
_LINKED = {
    "type": "object",
    "required": ["url", "date"],
    "properties": {"url": {"type": "string", "format": "uri"}, "date": _DATE_TIME},
}
RELEASE_PACKAGE = {
    "type": "object",
    "description": "An OCDS 1.1.5 release package (release-package-schema.json); in short here.",
    "required": ["uri", "publisher", "publishedDate", "releases", "version"],
    "properties": {
        **_PACKAGE,
        "releases": {"type": "array", "items": _RELEASE, "minItems": 1},
    },
}
RECORD_PACKAGE = {
    "type": "object",
    "description": "An OCDS 1.1.5 record package (record-package-schema.json); in short here.",
    "required": ["uri", "publisher", "publishedDate", "records", "version"],
    "properties": {
        **_PACKAGE,
        "packages": {"type": "array", "items": {"type": "string", "format": "uri"}},
        "records": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["ocid", "releases", "compiledRelease"],
                "properties": {
                    "ocid": {"type": "string"},
                    "releases": {"type": "array", "minItems": 1, "items": _LINKED},
                    "compiledRelease": _RELEASE,
                },
            },
        },
    },
}


def _json(package: dict[str, Any]) -> Response[bytes]:
    return Response(encode(package), media_type="application/json")


@get(
    "/api/ocds/releases",
    sync_to_thread=False,
    summary="Contracts as an OCDS 1.1.5 release package",
    media_type="application/json",
    responses=READ_ERRORS,
    operation_class=documented(answers={"application/json": RELEASE_PACKAGE}),
)
def releases(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    programme: FromQuery[str | None] = None,
) -> Response[bytes]:
    """One release per change set that touched a contract (of `programme`, a slug; default
    every programme): parties in their roles, the value, amendments, and the members' cost
    shares in the budget breakdown extension. 404 on `programme` when there is none, or it holds
    no contracts (a package holds one release at least)."""
    return _json(release_package(session, uri=str(request.url), programme=programme))


@get(
    "/api/ocds/records",
    sync_to_thread=False,
    summary="Contracts as an OCDS 1.1.5 record package",
    media_type="application/json",
    responses=READ_ERRORS,
    operation_class=documented(answers={"application/json": RECORD_PACKAGE}),
)
def records(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    programme: FromQuery[str | None] = None,
) -> Response[bytes]:
    """One record per contract: its releases linked into the release package of the same
    `programme`, and compiled (the standard's merge rules, latest release last)."""
    releases_uri = str(request.url.with_replacements(path="/api/ocds/releases"))
    return _json(
        record_package(session, uri=str(request.url), releases_uri=releases_uri,
                       programme=programme)
    )  # fmt: skip


router = Router("/", route_handlers=[releases, records], tags=["open data"])
