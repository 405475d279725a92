"""Change requests: writes proposed by one person, approved (applied whole) by another.

A request holds one or more typed commands (`registry.commands`), its author, a comment, and the
record each command touches as it stood when proposed (its version and values: the base). States:
`draft` → `submitted` → `applied` | `rejected` | `withdrawn`. Proposing checks every rule by
applying the commands in a savepoint that is rolled back (a dry run), so a request that cannot
apply is refused at once. Approving applies every command in one transaction under the registry's
write lock, every rule checked again; a record that moved since it was proposed refuses the whole
request (409 naming it), which its author can rebase. The applied changes form one change set
that names the request; the changes carry the author, the change set the approver.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, Session, SQLModel, col, select

from registry.audit import ChangeSet, begin_write, change_set, record_change
from registry.checks import MAX_INT, Checks
from registry.choices import Action, RequestStatus, ReviewSetting, UserRole
from registry.commands import KINDS, Record, apply, checked, numbered, programme_of
from registry.database import UTCDateTime, pk
from registry.errors import Conflict, FieldError, Forbidden, NotFound, RegistryError
from registry.programmes import Programme, lock_programme

OPEN = (RequestStatus.DRAFT.value, RequestStatus.SUBMITTED.value)
"""The states a request can still move from."""


class ChangeRequest(SQLModel, table=True):
    __tablename__ = "change_request"

    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(max_length=10, index=True)
    """A RequestStatus: draft, submitted, applied, rejected or withdrawn."""
    author: str = Field(max_length=80, index=True)
    comment: str | None = Field(default=None, max_length=2000)
    programme_id: int | None = Field(default=None, foreign_key="programme.id", index=True)
    """The programme its commands write to (the first command's)."""
    commands: list[dict[str, Any]] = Field(sa_type=JSON)
    base: list[dict[str, Any] | None] = Field(sa_type=JSON)
    """Per command, the record it touches as proposed: key, version, values (None: a new one)."""
    created_at: datetime = Field(sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by: str | None = Field(default=None, max_length=80)
    """Who approved or rejected it."""
    reason: str | None = Field(default=None, max_length=2000)
    """Why it was rejected."""
    version: int = 1
    """Raised by every change of state (the change set that applied it names the request:
    `applied_in`)."""


@dataclass(frozen=True)
class FieldDiff:
    """One field of one command, three ways; `conflict` when the record moved since proposed."""

    command: int
    record: str | None
    field: str
    proposed_from: str | None
    proposed: str | None
    now: str | None
    conflict: bool


def _base(record: Record | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {"key": record.key, "version": record.version, "values": record.values}


def _now() -> datetime:
    return datetime.now(UTC)


def _dry_run(session: Session, commands: list[dict[str, Any]], actor: str) -> None:
    """Apply the commands in a savepoint and roll it back: every rule is checked, nothing kept.
    A refusal names `commands[i].field`."""
    savepoint = session.begin_nested()
    try:
        for number, command in enumerate(commands):
            try:
                apply(session, command, actor=actor)
            except RegistryError as error:
                raise numbered(error, number) from None
    finally:
        savepoint.rollback()


def _record(session: Session, request: ChangeRequest, actor: str, action: Action,
            before: dict[str, Any] | None) -> None:  # fmt: skip
    record_change(
        session, actor=actor, action=action, entity="change_request", entity_id=request.id,
        key=str(request.id), before=before, after=_snapshot(request),
    )  # fmt: skip


def _snapshot(request: ChangeRequest) -> dict[str, Any]:
    return {"status": request.status, "comment": request.comment, "reason": request.reason,
            "decided_by": request.decided_by, "commands": request.commands}  # fmt: skip


def propose(
    session: Session,
    *,
    commands: Any,
    author: str,
    comment: Any = None,
    submit: bool = False,
    now: datetime | None = None,
) -> ChangeRequest:
    """A new request (a draft, or submitted with `submit`), checked by a dry run."""
    begin_write(session)
    found = checked(commands)
    checks = Checks()
    comment_ = checks.optional_text(comment, "comment")
    checks.done()
    _dry_run(session, found, author)
    slug = programme_of(session, found[0])
    programme = session.exec(select(Programme).where(Programme.slug == slug)).first()
    request = ChangeRequest(
        status=(RequestStatus.SUBMITTED if submit else RequestStatus.DRAFT).value,
        author=author, comment=comment_, programme_id=programme.id if programme else None,
        commands=found, base=[_base(KINDS[c["command"]].read(session, c)) for c in found],
        created_at=now or _now(),
    )  # fmt: skip
    session.add(request)
    session.flush()
    _record(session, request, author, Action.CREATE, None)
    return request


def get_request(session: Session, number: Any, *, lock: bool = False) -> ChangeRequest:
    """The request; 404 on `id` when there is none."""
    known = isinstance(number, int) and 1 <= number <= MAX_INT
    if lock:
        begin_write(session)
    found = session.get(ChangeRequest, number, populate_existing=True) if known else None
    if found is None:
        raise NotFound("id", f"no change request {number}")
    return found


def _open(request: ChangeRequest, *allowed: RequestStatus) -> None:
    if request.status not in {s.value for s in allowed}:
        raise Conflict("status", f"change request {request.id} is {request.status}")


def _author_only(request: ChangeRequest, actor: str, what: str) -> None:
    if actor != request.author:
        raise Forbidden("author", f"only its author, {request.author}, may {what} it")


def _changed(session: Session, request: ChangeRequest, actor: str, action: Action,
             before: dict[str, Any]) -> ChangeRequest:  # fmt: skip
    request.version += 1
    session.add(request)
    session.flush()
    _record(session, request, actor, action, before)
    return request


def submit(session: Session, number: Any, *, actor: str) -> ChangeRequest:
    """A draft goes to review (its author only)."""
    request = get_request(session, number, lock=True)
    _author_only(request, actor, "submit")
    _open(request, RequestStatus.DRAFT)
    before = _snapshot(request)
    request.status = RequestStatus.SUBMITTED.value
    return _changed(session, request, actor, Action.UPDATE, before)


def withdraw(session: Session, number: Any, *, actor: str) -> ChangeRequest:
    """Its author takes an open request back."""
    request = get_request(session, number, lock=True)
    _author_only(request, actor, "withdraw")
    _open(request, RequestStatus.DRAFT, RequestStatus.SUBMITTED)
    before = _snapshot(request)
    request.status = RequestStatus.WITHDRAWN.value
    request.decided_at = _now()
    return _changed(session, request, actor, Action.UPDATE, before)


def _reviewer(request: ChangeRequest, reviewer: str, role: str, what: str) -> None:
    """Another person than the author, an editor or admin, reviews (the rule itself says so)."""
    if reviewer == request.author:
        raise Forbidden("decided_by", f"{reviewer} proposed change request {request.id}: "
                                      f"another person must {what} it")  # fmt: skip
    if role not in (UserRole.EDITOR, UserRole.ADMIN):
        raise Forbidden("role", f"{reviewer} is a {role}; reviewing needs an editor or admin")


def reject(session: Session, number: Any, *, reviewer: str, role: str, reason: Any,
           now: datetime | None = None) -> ChangeRequest:  # fmt: skip
    """A reviewer turns a submitted request down, with a reason."""
    request = get_request(session, number, lock=True)
    _reviewer(request, reviewer, role, "reject")
    _open(request, RequestStatus.SUBMITTED)
    checks = Checks()
    reason_ = checks.text(reason, "reason", max_length=2000)
    checks.done()
    before = _snapshot(request)
    request.status, request.reason = RequestStatus.REJECTED.value, reason_
    request.decided_by, request.decided_at = reviewer, now or _now()
    return _changed(session, request, reviewer, Action.UPDATE, before)


def stale(session: Session, request: ChangeRequest) -> list[FieldError]:
    """The records that moved since the request was proposed (or were created meanwhile)."""
    problems = []
    for number, (command, base) in enumerate(zip(request.commands, request.base, strict=True)):
        now = KINDS[command["command"]].read(session, command)
        where = f"commands[{number}]"
        if base is None and now is not None:
            problems.append(FieldError(where, f"{now.key} was recorded since this was proposed"))
        elif base is not None and (now is None or now.version != base["version"]):
            moved = "is gone" if now is None else f"is at version {now.version}"
            message = f"{base['key']} changed since this was proposed (version {base['version']}"
            problems.append(FieldError(where, f"{message}; it {moved})"))
    return problems


def approve(session: Session, number: Any, *, reviewer: str, role: str,
            now: datetime | None = None) -> ChangeRequest:  # fmt: skip
    """Apply a submitted request whole, in the caller's transaction (nothing of it when any
    command is refused or any record moved since it was proposed: 409 naming them)."""
    request = get_request(session, number, lock=True)
    _reviewer(request, reviewer, role, "approve")
    _open(request, RequestStatus.SUBMITTED)
    problems = stale(session, request)
    if problems:
        raise Conflict(problems)
    applied = change_set(session, reviewer)  # the applied changes' change set names the approver
    made = session.get(ChangeSet, applied)
    assert made is not None
    made.change_request_id = request.id
    made.comment = made.comment or request.comment
    for position, (command, base) in enumerate(zip(request.commands, request.base, strict=True)):
        try:
            apply(session, command, actor=request.author,
                  version=base["version"] if base else None)  # fmt: skip
        except RegistryError as error:
            raise numbered(error, position) from None
    before = _snapshot(request)
    request.status = RequestStatus.APPLIED.value
    request.decided_by, request.decided_at = reviewer, now or _now()
    return _changed(session, request, reviewer, Action.UPDATE, before)


def applied_in(session: Session, request: ChangeRequest) -> int | None:
    """The change set that applied the request (None while it is not applied)."""
    return session.exec(
        select(ChangeSet.id).where(ChangeSet.change_request_id == request.id)
    ).first()


def rebase(session: Session, number: Any, *, actor: str) -> ChangeRequest:
    """Its author takes the records as they stand now as the request's base (checked again by a
    dry run), so it can be approved; the diff then shows the new base."""
    request = get_request(session, number, lock=True)
    _author_only(request, actor, "rebase")
    _open(request, RequestStatus.DRAFT, RequestStatus.SUBMITTED)
    _dry_run(session, request.commands, actor)
    before = _snapshot(request)
    request.base = [_base(KINDS[c["command"]].read(session, c)) for c in request.commands]
    return _changed(session, request, actor, Action.UPDATE, before)


def diff(session: Session, request: ChangeRequest) -> list[FieldDiff]:
    """Every field each command sets: as proposed from, as proposed, as it stands now; a
    conflict where the record moved since (an applied or closed request shows no conflict)."""
    found = []
    live = request.status in OPEN
    for number, (command, base) in enumerate(zip(request.commands, request.base, strict=True)):
        kind = KINDS[command["command"]]
        now = kind.read(session, command) if live else None
        was = base["values"] if base else {}
        moved = live and (
            (base is None and now is not None)
            or (base is not None and (now is None or now.version != base["version"]))
        )
        for name in kind.fields:
            if name in kind.names or command.get(name) in (None, "", False):
                continue  # what names the record, and what the command leaves as it is
            found.append(FieldDiff(
                number, base["key"] if base else None, name, _shown(was.get(name)),
                _shown(command[name]), _shown(now.values.get(name)) if now else None, moved,
            ))  # fmt: skip
    return found


def _shown(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def requests_page(
    session: Session, *, status: str | None = None, programme: str | None = None,
    author: str | None = None, limit: int = 50, offset: int = 0,
) -> tuple[list[tuple[ChangeRequest, str | None]], int]:  # fmt: skip
    """Requests newest first, with their programme's slug; filters by status, programme, author."""
    checks = Checks()
    if status:
        checks.choice(RequestStatus, status, "status")
    checks.done()
    query = select(ChangeRequest, Programme.slug).outerjoin(
        Programme, col(Programme.id) == col(ChangeRequest.programme_id)
    )
    if status:
        query = query.where(ChangeRequest.status == status)
    if programme:
        query = query.where(Programme.slug == programme)
    if author:
        query = query.where(ChangeRequest.author == author)
    rows = list(session.exec(query.order_by(col(ChangeRequest.id).desc())))
    return [(r, s) for r, s in rows[offset : offset + limit]], len(rows)


def open_count(session: Session) -> int:
    """Submitted requests waiting for review (the staff pages' menu shows it)."""
    return len(session.exec(
        select(ChangeRequest.id).where(ChangeRequest.status == RequestStatus.SUBMITTED.value)
    ).all())  # fmt: skip


def review_required(session: Session, slug: str) -> bool:
    programme = session.exec(select(Programme).where(Programme.slug == slug)).first()
    return programme is not None and programme.review == ReviewSetting.REQUIRED.value


def set_review(session: Session, slug: str, review: Any, *, actor: str) -> Programme:
    """Whether an editor's writes to the programme apply at once (`optional`) or are proposed
    for another person's approval (`required`)."""
    programme = lock_programme(session, slug)
    checks = Checks()
    setting = checks.choice(ReviewSetting, review, "review")
    checks.done()
    if programme.review == setting.value:
        return programme
    before = {"review": programme.review}
    programme.review = setting.value
    session.add(programme)
    session.flush()
    record_change(
        session, actor=actor, action=Action.UPDATE, entity="programme", entity_id=pk(programme),
        key=programme.slug, before=before, after={"review": setting.value},
    )  # fmt: skip
    return programme
