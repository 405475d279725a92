"""A programme's participants: who is in it on a date, joining, changing, leaving."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, Router, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlmodel import Session

from api import wire
from api.cache import answer, page_of, serve_cached
from api.deps import BEARER, EDITOR, actor, etag, expected_version
from api.docs import READ_ERRORS, documented
from api.exports import Format, export_records, wanted
from api.routes.change_requests import PROPOSING, proposed_instead
from api.routes.params import AsKnownOn, AsOf, FormatParam, Limit, Offset, read_when
from registry.nations import Nation, get_nation
from registry.participation import (
    current_participation,
    join_programme,
    members_on,
    participation_history,
    update_participation,
)

IncludePast = Annotated[
    bool, QueryParameter(description="Every spell, past and present, instead of members on as_of.")
]


@get(
    "/",
    sync_to_thread=False,
    summary="Members of a programme on a date",
    before_request=serve_cached,
    responses=READ_ERRORS,
    operation_class=documented(files=True),
)
def list_members(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    as_of: AsOf = None,
    as_known_on: AsKnownOn = None,
    include_past: IncludePast = False,
    limit: Limit = 50,
    offset: Offset = 0,
    format: FormatParam = None,
) -> wire.Page[wire.ParticipationOut]:
    """Members on `as_of` (default today), or with `include_past` every spell ever; as the
    registry knew them on `as_known_on` (default now)."""
    when = read_when(session, as_of, as_known_on)

    def items() -> list[wire.ParticipationOut]:
        rows = (
            participation_history(session, slug, when.known)
            if include_past
            else members_on(session, slug, when.as_of, when.known)
        )
        return [wire.participation_out(p, n) for p, n in rows]

    kind = wanted(request, format)
    if kind is not Format.JSON:
        name = f"{slug}-participants"
        return export_records(session, "participations", items(), kind, name, programme=slug)  # type: ignore[return-value]
    return answer(request, lambda: page_of(items(), limit, offset))  # type: ignore[return-value]


@get(
    "/{nation:str}",
    sync_to_thread=False,
    summary="A nation's current spell in a programme",
    responses=READ_ERRORS,
)
def member(
    session: NamedDependency[Session], slug: FromPath[str], nation: FromPath[str]
) -> Response[wire.ParticipationOut]:
    """The open spell, with its version as ETag for `If-Match` on PATCH; 404 for a nation the
    registry does not hold, as for any address."""
    get_nation(session, nation, field="nation")
    participation, nation_ = current_participation(session, slug, nation)
    return Response(
        wire.participation_out(participation, nation_), headers=etag(participation.version)
    )


@post(
    "/",
    sync_to_thread=False,
    opt=EDITOR,
    security=BEARER,
    summary="A nation joins",
    responses=PROPOSING,
    operation_class=documented(body=wire.MemberIn),
)
def join(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    data: JSONBody[wire.MemberIn],
) -> Response[wire.ParticipationOut]:
    """A new spell; 409 when the nation is already an active member."""
    command = {"command": "join_programme", "programme": slug, **wire.plain(data)}
    if (proposed := proposed_instead(request, session, command)) is not None:
        return proposed  # type: ignore[return-value]
    participation = join_programme(
        session, programme=slug, actor=actor(request), **wire.plain(data)
    )
    _, nation = current_participation(session, slug, participation.nation_code)
    return Response(
        wire.participation_out(participation, nation), status_code=201,
        headers=etag(participation.version),
    )  # fmt: skip


@patch(
    "/{nation:str}",
    sync_to_thread=False,
    opt=EDITOR,
    security=BEARER,
    summary="Change role, cost share or note from a date, correct, or record leaving",
    responses=PROPOSING,
    operation_class=documented(body=wire.MemberPatch),
)
def change(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    nation: FromPath[str],
    data: JSONBody[wire.MemberPatch],
) -> Response[wire.ParticipationOut]:
    """A change holds from `effective` (default today); earlier dates keep their values. With
    `"correction": true` it fixes what was recorded (over the whole spell unless `effective` is
    given). Setting `left` ends the spell. Nothing is overwritten: reads `as_known_on` before
    this write answer as before. `If-Match` guards against stale edits."""
    changes = wire.given(data)
    command = {"command": "change_membership", "programme": slug, "nation": nation, **changes}
    if (proposed := proposed_instead(request, session, command)) is not None:
        return proposed  # type: ignore[return-value]
    get_nation(session, nation, field="nation")  # an unknown nation in the address: 404
    effective, correction = changes.pop("effective", None), changes.pop("correction", False)
    # The rule function reads the spell under the write lock; nothing of it is read before.
    updated = update_participation(
        session, programme=slug, nation=nation, changes=changes, actor=actor(request),
        expected_version=expected_version(request), effective=effective or None,
        correction=correction,
    )  # fmt: skip
    nation_ = session.get(Nation, updated.nation_code)
    assert nation_ is not None
    return Response(wire.participation_out(updated, nation_), headers=etag(updated.version))


router = Router(
    "/api/programmes/{slug:str}/participants",
    route_handlers=[list_members, member, join, change],
    tags=["participation"],
)
