"""Change requests over the API: propose, list, read with the diff, and act on one."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from litestar import Request, Response, Router, get, post, put
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody
from msgspec import Meta, Struct
from sqlmodel import Session

from api import wire
from api.deps import ADMIN, BEARER, EDITOR, actor
from api.docs import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, documented
from api.routes.params import Limit, Offset
from registry import change_requests as cr
from registry.audit import begin_write
from registry.choices import RequestStatus, ReviewSetting, UserRole
from registry.commands import KINDS, programme_of
from registry.programmes import Programme, get_programme
from registry.users import User


def _command_schemas() -> list[dict[str, Any]]:
    """One object schema per kind of command: its name and the fields it takes."""
    return [
        {
            "type": "object", "title": kind.name, "description": kind.summary,
            "properties": {"command": {"const": kind.name}, **{f: {} for f in kind.fields}},
            "required": ["command", *kind.names], "additionalProperties": False,
        }
        for kind in KINDS.values()
    ]  # fmt: skip


Commands = Annotated[
    list[dict[str, Any]],
    Meta(min_length=1, max_length=500, extra_json_schema={"items": {"oneOf": _command_schemas()}}),
]


class RequestIn(Struct, forbid_unknown_fields=True):
    commands: Commands
    comment: wire.Note | None = None
    submit: Annotated[bool, Meta(description="Submit for review at once (default: a draft)")] = (
        False
    )


class ReasonIn(Struct, forbid_unknown_fields=True):
    reason: Annotated[str, Meta(extra_json_schema={"pattern": r"^\s*\S[\s\S]*$"})]


class ReviewIn(Struct, forbid_unknown_fields=True):
    review: Annotated[str, Meta(extra_json_schema={"enum": [r.value for r in ReviewSetting]})]


class FieldDiffOut(Struct):
    command: int
    record: str | None
    field: str
    proposed_from: str | None
    proposed: str | None
    now: str | None
    conflict: bool


class RequestOut(Struct):
    id: int
    status: str
    author: str
    comment: str | None
    programme: str | None
    commands: list[dict[str, Any]]
    diff: list[FieldDiffOut]
    conflicts: bool
    created_at: Any
    approved_by: str | None
    rejected_by: str | None
    reason: str | None
    decided_at: Any
    change_set: int | None


def request_out(session: Session, request: cr.ChangeRequest) -> RequestOut:
    programme = session.get(Programme, request.programme_id) if request.programme_id else None
    diff = [FieldDiffOut(**dataclasses.asdict(d)) for d in cr.diff(session, request)]
    applied = request.status == RequestStatus.APPLIED
    rejected = request.status == RequestStatus.REJECTED
    return RequestOut(
        id=request.id or 0, status=request.status, author=request.author,
        comment=request.comment, programme=programme.slug if programme else None,
        commands=request.commands, diff=diff, conflicts=any(d.conflict for d in diff),
        created_at=request.created_at, approved_by=request.decided_by if applied else None,
        rejected_by=request.decided_by if rejected else None, reason=request.reason,
        decided_at=request.decided_at, change_set=cr.applied_in(session, request),
    )  # fmt: skip


def _user(request: Request[Any, Any, Any]) -> User:
    user: User = request.state.user
    return user


def location(number: int) -> dict[str, str]:
    return {"Location": f"/api/change-requests/{number}"}


PROPOSED = {
    202: ResponseSpec(
        data_container=RequestOut, generate_examples=False,
        description="Accepted: the programme needs review, so the write became a submitted "
        "change request (its address in `Location`); another person applies it by approving",
    )
}  # fmt: skip
"""What a write to a programme that needs review answers an editor."""
PROPOSING = {**WRITE_ERRORS, **PROPOSED}
"""The answers of a write that may be proposed instead of applied."""


def proposed_instead(
    request: Request[Any, Any, Any], session: Session, command: dict[str, Any]
) -> Response[RequestOut] | None:
    """Where the programme needs review and the caller is not an admin, the write becomes a
    submitted change request (202 with its `Location`); None where it applies at once. Called
    first in a write handler, it takes the write lock before anything is read: on SQLite a read
    before it would pin a snapshot that another writer's commit makes stale (a 503)."""
    begin_write(session)
    user = _user(request)
    if user.role == UserRole.ADMIN:
        return None
    slug = programme_of(session, command)
    if slug is None or not cr.review_required(session, slug):
        return None
    made = cr.propose(session, commands=[command], author=user.username, submit=True)
    return Response(request_out(session, made), status_code=202, headers=location(made.id or 0))


@post("/api/change-requests", sync_to_thread=False, opt=EDITOR, security=BEARER,
      summary="Propose a change request", responses=WRITE_ERRORS,
      operation_class=documented(body=RequestIn))  # fmt: skip
def propose(
    request: Request[Any, Any, Any], session: NamedDependency[Session], data: JSONBody[RequestIn]
) -> Response[RequestOut]:
    """One or more commands, each `{"command": KIND, ...}` with the fields the direct write
    takes (kinds: join_programme, change_membership, add_contract, amend_contract,
    void_contract, add_instrument, void_instrument, record_fleet_event, correct_fleet_event,
    void_fleet_event, change_programme).
    Every rule is checked now (a 422 names `commands[i].field`) and nothing is applied until
    another person approves. A draft unless `submit`."""
    made = cr.propose(session, commands=data.commands, author=actor(request),
                      comment=data.comment, submit=data.submit)  # fmt: skip
    return Response(request_out(session, made), status_code=201, headers=location(made.id or 0))


@get("/api/change-requests", sync_to_thread=False, summary="Change requests",
     responses=LIST_ERRORS)  # fmt: skip
def requests(
    session: NamedDependency[Session],
    status: FromQuery[RequestStatus | None] = None,
    programme: FromQuery[str | None] = None,
    author: FromQuery[str | None] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> wire.Page[RequestOut]:
    """Newest first; filter by `status` (draft, submitted, applied, rejected, withdrawn),
    `programme` (slug) and `author`."""
    rows, total = cr.requests_page(session, status=status, programme=programme, author=author,
                                   limit=limit, offset=offset)  # fmt: skip
    return wire.Page([request_out(session, r) for r, _ in rows], total, limit, offset)


@get("/api/change-requests/{number:int}", sync_to_thread=False, summary="One change request",
     responses=READ_ERRORS)  # fmt: skip
def one(session: NamedDependency[Session], number: FromPath[int]) -> RequestOut:
    """With its `diff`: each field as proposed from, as proposed, as it stands now; `conflict`
    where the record moved since it was proposed."""
    return request_out(session, cr.get_request(session, number))


def _acted(session: Session, made: cr.ChangeRequest) -> RequestOut:
    return request_out(session, made)


@post("/api/change-requests/{number:int}/submit", sync_to_thread=False, opt=EDITOR,
      security=BEARER, status_code=200, summary="Submit a draft for review",
      responses=WRITE_ERRORS)  # fmt: skip
def submit(
    request: Request[Any, Any, Any], session: NamedDependency[Session], number: FromPath[int]
) -> RequestOut:
    """Its author only."""
    return _acted(session, cr.submit(session, number, actor=actor(request)))


@post("/api/change-requests/{number:int}/approve", sync_to_thread=False, opt=EDITOR,
      security=BEARER, status_code=200, summary="Approve: apply the whole request",
      responses=WRITE_ERRORS)  # fmt: skip
def approve(
    request: Request[Any, Any, Any], session: NamedDependency[Session], number: FromPath[int]
) -> RequestOut:
    """Another person than its author applies every command in one transaction, every rule
    checked again. A record that moved since it was proposed refuses the whole request (409
    naming `commands[i]`); it stays submitted, and its author can rebase it."""
    user = _user(request)
    return _acted(session, cr.approve(session, number, reviewer=user.username, role=user.role))


@post("/api/change-requests/{number:int}/reject", sync_to_thread=False, opt=EDITOR,
      security=BEARER, status_code=200, summary="Reject, with a reason", responses=WRITE_ERRORS,
      operation_class=documented(body=ReasonIn))  # fmt: skip
def reject(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    number: FromPath[int],
    data: JSONBody[ReasonIn],
) -> RequestOut:
    user = _user(request)
    return _acted(session, cr.reject(session, number, reviewer=user.username, role=user.role,
                                     reason=data.reason))  # fmt: skip


@post("/api/change-requests/{number:int}/withdraw", sync_to_thread=False, opt=EDITOR,
      security=BEARER, status_code=200, summary="Withdraw (its author)",
      responses=WRITE_ERRORS)  # fmt: skip
def withdraw(
    request: Request[Any, Any, Any], session: NamedDependency[Session], number: FromPath[int]
) -> RequestOut:
    return _acted(session, cr.withdraw(session, number, actor=actor(request)))


@post("/api/change-requests/{number:int}/rebase", sync_to_thread=False, opt=EDITOR,
      security=BEARER, status_code=200, summary="Rebase on the records as they stand now",
      responses=WRITE_ERRORS)  # fmt: skip
def rebase(
    request: Request[Any, Any, Any], session: NamedDependency[Session], number: FromPath[int]
) -> RequestOut:
    """Its author takes the records as they stand now as the base (every rule checked again);
    the diff then compares with them."""
    return _acted(session, cr.rebase(session, number, actor=actor(request)))


@put("/api/programmes/{slug:str}/review", sync_to_thread=False, opt=ADMIN, security=BEARER,
     summary="Whether writes to a programme need review (admins)", responses=WRITE_ERRORS,
     operation_class=documented(body=ReviewIn))  # fmt: skip
def review(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    data: JSONBody[ReviewIn],
) -> ReviewIn:
    """`required`: an editor's write to this programme answers 202 with a submitted change
    request instead of applying; `optional` (the default): writes apply at once."""
    get_programme(session, slug)
    changed = cr.set_review(session, slug, data.review, actor=actor(request))
    return ReviewIn(changed.review)


router = Router(
    "/",
    route_handlers=[propose, requests, one, submit, approve, reject, withdraw, rebase, review],
    tags=["change requests"],
)
