"""Administering accounts: roles, disabling, password resets and changes, token lists.

Every change is attributed and kept (entity "user" or "api_token" in the audit trail, shown to
admins only). The registry always keeps one active admin: the last one can be neither disabled
nor given another role.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from registry.audit import begin_write, record_change
from registry.checks import MAX_INT, Checks
from registry.choices import Action, UserRole
from registry.errors import Conflict, Forbidden, InvalidValue, NotFound, RegistryError
from registry.paging import Page
from registry.search import ACCOUNT_ENTITIES, changes_page
from registry.users import (
    MIN_PASSWORD_LENGTH,
    TOKEN_DAYS,
    ApiToken,
    User,
    add_user,
    check_password,
    create_token,
    find_user,
    hash_password,
    revoke_token,
    user_snapshot,
)
from registry.web_sessions import WebSession


def list_users(session: Session) -> list[User]:
    """Every user by name, with role, state and last sign-in."""
    return list(session.exec(select(User).order_by(col(User.username))))


def add_account(session: Session, *, username: str, role: str, actor: str) -> tuple[User, str]:
    """A new user with a one-time password (returned, shown once) that must be changed at the
    first sign-in."""
    password = secrets.token_urlsafe(12)
    user = add_user(session, username=username, role=role, password=password, actor=actor,
                    must_change_password=True)  # fmt: skip
    return user, password


def _user(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise NotFound("username", f"no user {username!r}")
    return user


def _keeps_an_admin(session: Session, user: User, *, role: str, active: bool) -> None:
    """Refuse a change that would leave no active admin."""
    if user.role != UserRole.ADMIN or not user.active or (role == UserRole.ADMIN and active):
        return
    admins = session.exec(
        select(User.id).where(User.role == UserRole.ADMIN, col(User.active).is_(True))
    ).all()
    if len(admins) <= 1:
        field = "active" if not active else "role"
        raise Conflict(field, f"{user.username} is the only active admin; make another first")


def _changed(session: Session, user: User, actor: str, before: dict[str, object]) -> User:
    session.add(user)
    session.flush()
    record_change(
        session, actor=actor, action=Action.UPDATE, entity="user", key=user.username,
        before=before, after=user_snapshot(user),
    )  # fmt: skip
    return user


def set_role(session: Session, *, username: str, role: str, actor: str) -> User:
    """Give a user another role (viewer, editor, admin)."""
    begin_write(session)
    checks = Checks()
    role_ = checks.choice(UserRole, role, "role")
    checks.done()
    user = _user(session, username)
    _keeps_an_admin(session, user, role=role_.value, active=user.active)
    if user.role == role_.value:
        return user
    before = user_snapshot(user)
    user.role = role_.value
    return _changed(session, user, actor, before)


def set_active(session: Session, *, username: str, active: bool, actor: str) -> User:
    """Disable a user (their sessions and tokens stop working at once) or enable them again."""
    begin_write(session)
    user = _user(session, username)
    _keeps_an_admin(session, user, role=user.role, active=active)
    if user.active == active:
        return user
    before = user_snapshot(user)
    user.active = active
    return _changed(session, user, actor, before)


def reset_password(session: Session, *, username: str, actor: str) -> str:
    """Give a user a one-time password (returned, shown once) that must be changed at the next
    sign-in; their open sessions end. (Hashed before the write lock is taken.)"""
    password = secrets.token_urlsafe(12)
    password_hash = hash_password(password)
    begin_write(session)
    user = _user(session, username)
    # Whoever holds the old password may be signed in: their sessions end with it.
    session.execute(delete(WebSession).where(col(WebSession.user_id) == user.id))
    before = user_snapshot(user)
    user.password_hash = password_hash
    user.must_change_password = True
    _changed(session, user, actor, before)
    return password


def change_password(session: Session, *, username: str, old: str, new: str) -> User:
    """A person changes their own password; the old one is required (401 when wrong)."""
    begin_write(session)
    user = _user(session, username)
    check_password(user if user.active else None, user.password_hash or "", old)
    if len(new) < MIN_PASSWORD_LENGTH:
        raise InvalidValue("new_password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if new == old:
        raise InvalidValue("new_password", "must differ from the old password")
    before = user_snapshot(user)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    return _changed(session, user, username, before)


def note_sign_in(session: Session, user: User, now: datetime | None = None) -> None:
    """Note when a user signed in (not an audited change: sign-ins are not registry changes)."""
    session.execute(
        update(User)
        .where(col(User.id) == user.id)
        .values(last_signed_in_at=now or datetime.now(UTC))
        .execution_options(synchronize_session=False)
    )


def list_tokens(session: Session, username: str | None = None) -> list[tuple[ApiToken, User]]:
    """Tokens (hint, created, expiry, revoked) with their user, newest first; one user's only
    when `username` is given."""
    query = select(ApiToken, User).join(User, col(User.id) == col(ApiToken.user_id))
    if username is not None:
        query = query.where(col(User.id) == _user(session, username).id)
    rows = session.exec(query.order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc()))
    return [(token, user) for token, user in rows]


def token_state(token: ApiToken, user: User, now: datetime | None = None) -> str:
    """Whether a token works: "working", "revoked", "expired" or "user disabled"."""
    now = now or datetime.now(UTC)
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "working" if user.active else "user disabled"


def _is_admin(user: User) -> bool:
    return user.role == UserRole.ADMIN


def tokens_seen_by(
    session: Session, caller: User, username: str | None = None
) -> list[tuple[ApiToken, User]]:
    """The tokens `caller` may see: an admin every user's (or `username`'s), anyone else only
    their own (asking for another person's is refused)."""
    if not _is_admin(caller) and username not in (None, caller.username):
        raise Forbidden("user", "only admins see other people's tokens")
    return list_tokens(session, username if _is_admin(caller) else caller.username)


def create_token_as(
    session: Session, caller: User, *, username: str | None = None, days: int = TOKEN_DAYS
) -> tuple[ApiToken, str]:
    """A new token for the caller, or (admins only) for another user."""
    owner = username or caller.username
    if owner != caller.username and not _is_admin(caller):
        raise Forbidden("user", "only admins create tokens for other people")
    try:
        return create_token(session, username=owner, actor=caller.username, days=days)
    except RegistryError as error:  # the owner is named `user` here
        named = [
            replace(e, field="user" if e.field == "username" else e.field) for e in error.errors
        ]
        raise type(error)(named) from None


def revoke_token_as(session: Session, caller: User, token_id: int) -> ApiToken:
    """Revoke one of the caller's tokens, or (admins) anyone's; another person's token is, to
    anyone else, a token that does not exist."""
    row = session.get(ApiToken, token_id) if 1 <= token_id <= MAX_INT else None
    if row is None or (row.user_id != caller.id and not _is_admin(caller)):
        raise NotFound("token_id", f"no token {token_id}")
    return revoke_token(session, token_id=token_id, actor=caller.username)


def security_log(session: Session, *, limit: int | None = 50, offset: int = 0) -> Page[Any]:
    """Changes to users and tokens, newest first (admins only: kept out of the change log)."""
    return changes_page(session, only=ACCOUNT_ENTITIES, limit=limit, offset=offset)
