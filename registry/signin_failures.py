"""Failed sign-ins, held in the database so that every worker counts the same ones.

After `FAILURES_ALLOWED` failures for one username from one address within `WINDOW`, that pair
waits until the oldest of them leaves the window. A row holds a SHA-256 of the pair (a fixed 64
characters, whatever was typed) and the moment; rows older than the window are deleted whenever a
failure is recorded, so the table holds at most the last window's failures.

Like a web session, a failure is not registry data: recording or clearing one records no change and
leaves the data version alone.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import Index, delete
from sqlmodel import Field, Session, SQLModel, col, select

from registry.database import UTCDateTime

FAILURES_ALLOWED = 5
WINDOW = timedelta(minutes=15)


class SignInFailure(SQLModel, table=True):
    __tablename__ = "signin_failure"
    __table_args__ = (Index("ix_signin_failure_key_failed_at", "key", "failed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64)
    """SHA-256 (hex) of the casefolded username and the address; never the username itself."""
    failed_at: datetime = Field(sa_type=UTCDateTime, index=True)


def failure_key(username: str, address: str) -> str:
    """The stored key of a (username, address) pair: names are compared without case."""
    pair = f"{username.casefold()}\x00{address}"
    return hashlib.sha256(pair.encode("utf-8", "surrogatepass")).hexdigest()


def wait_before_next_try(
    session: Session, *, username: str, address: str, now: datetime
) -> timedelta:
    """How long this username must wait before it is tried again from this address (zero: now)."""
    newest = session.exec(
        select(SignInFailure.failed_at)
        .where(
            SignInFailure.key == failure_key(username, address),
            col(SignInFailure.failed_at) > now - WINDOW,
        )
        .order_by(col(SignInFailure.failed_at).desc())
        .limit(FAILURES_ALLOWED)
    ).all()
    if len(newest) < FAILURES_ALLOWED:
        return timedelta(0)
    # Tries are allowed again once fewer than FAILURES_ALLOWED remain in the window.
    return newest[-1] + WINDOW - now


def record_failure(session: Session, *, username: str, address: str, now: datetime) -> None:
    """Count a failed sign-in, and forget every failure that has left the window."""
    session.execute(delete(SignInFailure).where(col(SignInFailure.failed_at) <= now - WINDOW))
    session.add(SignInFailure(key=failure_key(username, address), failed_at=now))
    session.flush()


def clear_failures(session: Session, *, username: str, address: str) -> None:
    """A successful sign-in wipes the pair's failures."""
    key = failure_key(username, address)
    session.execute(delete(SignInFailure).where(col(SignInFailure.key) == key))
