"""The audit trail: every write records who changed what, with before/after snapshots."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, insert, update
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Field, Session, SQLModel

from registry.choices import Action
from registry.database import UTCDateTime, pk

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
"""Set by the caller that serves a request (the API); copied onto each Change it causes."""


class Change(SQLModel, table=True):
    __tablename__ = "change"
    __table_args__ = (Index("ix_change_entity_key", "entity", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=80, index=True)
    action: str = Field(max_length=10)
    entity: str = Field(max_length=40)
    key: str = Field(max_length=200)
    """Readable identity of the record, e.g. `mmf` or `mmf/DNK` (a participation)."""
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    request_id: str | None = Field(default=None, max_length=64)
    change_set_id: int | None = Field(default=None, foreign_key="change_set.id", index=True)
    """The write transaction it belongs to (actor, request id, time, comment)."""
    entity_id: int | None = Field(default=None)
    """The record's row id: it stays the same when the readable key changes (a renamed slug)."""


change_comment: ContextVar[str | None] = ContextVar("change_comment", default=None)
"""Set by a caller that has a comment for the change set its writes make."""


class ChangeSet(SQLModel, table=True):
    """One write transaction: a request, a form post, an import or a seed run."""

    __tablename__ = "change_set"

    id: int | None = Field(default=None, primary_key=True)
    recorded_at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=80)
    request_id: str | None = Field(default=None, max_length=64)
    comment: str | None = Field(default=None, max_length=2000)
    change_request_id: int | None = Field(default=None)
    """The change request it applied (its author proposed; this change set's actor approved).
    No foreign key: the audit trail is read and written without the requests' table."""


def change_set(session: Session, actor: str) -> int:
    """The number of the transaction's change set, made on first use after the write lock.

    A savepoint rolled back takes a change set made inside it along (the row leaves the
    session), and the next write makes another."""
    begin_write(session)
    made: ChangeSet | None = session.info.get("change_set")
    if (
        made is not None
        and made in session
        and session.info.get("change_set_root") is (session.get_transaction())
    ):
        return pk(made)
    made = ChangeSet(
        recorded_at=datetime.now(UTC),
        actor=actor,
        request_id=request_id.get(),
        comment=change_comment.get(),
    )
    session.add(made)
    session.flush()
    session.info["change_set"] = made
    session.info["change_set_root"] = session.get_transaction()
    return pk(made)


class DataVersion(SQLModel, table=True):
    """One row counting committed writes: each write transaction raises it, in commit order
    (the row is locked until commit), so readers can tell whether anything changed."""

    __tablename__ = "data_version"

    id: int = Field(default=1, primary_key=True)
    version: int = Field(default=0, sa_type=BigInteger)


def begin_write(session: Session) -> None:
    """Take the registry's write lock: writes go one at a time, so no two can both pass a check
    that only one of them may pass. It comes before the transaction's first read, so every read
    after it sees committed data (PostgreSQL: the data_version row's lock, held until commit;
    SQLite: the database write lock, taken before the read snapshot)."""
    if _holds(session, "write_lock"):
        return  # held until commit: taking it again would only repeat the UPDATE
    session.execute(
        update(DataVersion)
        .values(version=DataVersion.version)
        .execution_options(synchronize_session=False)
    )
    session.info["write_lock"] = _innermost(session)


def _innermost(session: Session) -> SessionTransaction | None:
    return session.get_nested_transaction() or session.get_transaction()


def _holds(session: Session, what: str) -> bool:
    """Whether `what` was done in the current transaction or a savepoint still around it (a
    savepoint rolled back undoes it, so it is done again)."""
    taken: SessionTransaction | None = session.info.get(what)
    transaction = _innermost(session)
    while transaction is not None:
        if transaction is taken:
            return bool(transaction.is_active)
        transaction = transaction.parent
    return False


def snapshot(row: SQLModel, *, exclude: set[str] | None = None) -> dict[str, Any]:
    """The row's columns as JSON-ready values, for before/after."""
    return row.model_dump(mode="json", exclude=exclude)


def json_ready(columns: dict[str, Any]) -> dict[str, Any]:
    """A row's columns as JSON-ready values, as `snapshot` gives them (a bulk write has no
    row objects)."""
    return {name: value.isoformat() if isinstance(value, date) else value
            for name, value in columns.items()}  # fmt: skip


def record_change(
    session: Session,
    *,
    actor: str,
    action: Action,
    entity: str,
    key: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    entity_id: int | None = None,
) -> Change:
    """Add the audit row to the caller's transaction: it commits with the change or not at all."""
    number = change_set(session, actor)
    change = Change(
        change_set_id=number,
        entity_id=entity_id if entity_id is not None else _row_id(before, after),
        at=datetime.now(UTC),
        actor=actor,
        action=action.value,
        entity=entity,
        key=key,
        before=before,
        after=after,
        request_id=request_id.get(),
    )
    session.add(change)
    _count_write(session)
    recorded(session).append(change)
    return change


def _count_write(session: Session) -> None:
    if not _holds(session, "version_raised"):  # once per transaction: it counts transactions
        session.execute(
            update(DataVersion)
            .values(version=DataVersion.version + 1)
            .execution_options(synchronize_session=False)
        )
        session.info["version_raised"] = _innermost(session)


@dataclass(frozen=True)
class Entry:
    """One audit row of many written at once (`record_changes`)."""

    action: Action
    entity: str
    entity_id: int
    key: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def record_changes(session: Session, actor: str, entries: list[Entry]) -> None:
    """Add many audit rows to the transaction's change set in one statement (a bulk import)."""
    if not entries:
        return
    number, at, request = change_set(session, actor), datetime.now(UTC), request_id.get()
    rows = [
        {"change_set_id": number, "entity_id": e.entity_id, "at": at, "actor": actor,
         "action": e.action.value, "entity": e.entity, "key": e.key, "before": e.before,
         "after": e.after, "request_id": request}
        for e in entries
    ]  # fmt: skip
    session.execute(insert(Change), rows)
    _count_write(session)


def _row_id(before: dict[str, Any] | None, after: dict[str, Any] | None) -> int | None:
    """The row id a snapshot carries (every table's rows have one, except nations by code)."""
    for snapshot_ in (after, before):
        if snapshot_ is not None and isinstance(snapshot_.get("id"), int):
            return int(snapshot_["id"])
    return None


def recorded(session: Session) -> list[Change]:
    """The changes recorded in this session so far, oldest first (to confirm a write by them)."""
    changes: list[Change] = session.info.setdefault("changes", [])
    return changes
