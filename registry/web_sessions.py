"""Signed-in browser sessions for the staff pages: a random cookie, stored only as a hash.

A session row is not registry data: opening or closing one records no change and leaves the data
version alone, so no reader's cache is thrown away because someone signed in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Field, Session, SQLModel, col, select

from registry.database import UTCDateTime, pk
from registry.users import User

SESSION_HOURS = 12


class WebSession(SQLModel, table=True):
    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    """SHA-256 of the cookie's value; the value itself is never stored."""
    csrf_token: str = Field(max_length=64)
    """Every form posted in this session must carry it."""
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, user: User, *, hours: int = SESSION_HOURS) -> str:
    """A new session for a signed-in user; returns the cookie value (shown to no one else)."""
    now = datetime.now(UTC)
    session.execute(delete(WebSession).where(col(WebSession.expires_at) < now))
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            user_id=pk(user), token_hash=_hash(token), csrf_token=secrets.token_urlsafe(32),
            created_at=now, expires_at=now + timedelta(hours=hours),
        )
    )  # fmt: skip
    session.flush()
    return token


def find_session(session: Session, token: str) -> tuple[WebSession, User] | None:
    """The live session behind a cookie value and its active user; None when there is none."""
    row = session.exec(
        select(WebSession, User)
        .join(User, col(WebSession.user_id) == col(User.id))
        .where(
            WebSession.token_hash == _hash(token),
            col(WebSession.expires_at) > datetime.now(UTC),
            col(User.active).is_(True),
        )
    ).first()
    return (row[0], row[1]) if row else None


def close_session(session: Session, token: str) -> None:
    """Sign out: the cookie stops working at once."""
    session.execute(delete(WebSession).where(col(WebSession.token_hash) == _hash(token)))
