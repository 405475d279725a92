"""Organisations: adding and editing agencies, contractors and governing bodies (the reads are
in `api.routes.catalogue`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar import Request, Response, Router, patch, post
from litestar.di import NamedDependency
from litestar.enums import HttpMethod
from litestar.params import FromPath, JSONBody
from sqlmodel import Session

from api import wire
from api.deps import BEARER, EDITOR, actor, etag, expected_version
from api.docs import WRITE_ERRORS, documented
from api.wire_organisations import OrganisationIn, OrganisationPatch
from registry.organisations import create_organisation, update_organisation

if TYPE_CHECKING:
    from litestar.types.internal_types import RouteHandlerMapItem


@post(
    "/api/organisations",
    sync_to_thread=False,
    opt=EDITOR,
    security=BEARER,
    summary="Add an organisation",
    responses=WRITE_ERRORS,
    operation_class=documented(body=OrganisationIn),
)
def create(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    data: JSONBody[OrganisationIn],
) -> Response[wire.OrganisationOut]:
    """Editors and admins. The slug must be free (409); the country, where given, a nation of
    the registry."""
    made = create_organisation(session, actor=actor(request), **wire.plain(data))
    return Response(wire.organisation_out(made), status_code=201, headers=etag(made.version))


@patch(
    "/api/organisations/{slug:str}",
    sync_to_thread=False,
    opt=EDITOR,
    security=BEARER,
    summary="Change an organisation",
    responses=WRITE_ERRORS,
    operation_class=documented(body=OrganisationPatch),
)
def change(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    data: JSONBody[OrganisationPatch],
) -> Response[wire.OrganisationOut]:
    """Only the fields given change (name, kind, country; the slug stays). Send `If-Match`
    with the ETag you read; a stale one: 412."""
    changed = update_organisation(
        session, slug=slug, actor=actor(request), expected_version=expected_version(request),
        **wire.given(data),
    )  # fmt: skip
    return Response(wire.organisation_out(changed), headers=etag(changed.version))


class BesideTheReads(Router):
    """A router of writes on paths another router serves with reads (`api.routes.catalogue`
    has GET /api/organisations). Litestar gives each router's path an OPTIONS handler, and the
    application refuses a path with two when it joins the routers: this one leaves its own out,
    so the path keeps one (whose `Allow` `api.edge.allowed_methods` completes)."""

    @property
    def route_handler_method_map(self) -> dict[str, RouteHandlerMapItem]:
        return {
            path: {method: h for method, h in handlers.items() if method != HttpMethod.OPTIONS}
            for path, handlers in super().route_handler_method_map.items()
        }


router = BesideTheReads("/", route_handlers=[create, change], tags=["reference"])
