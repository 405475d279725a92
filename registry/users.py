"""Users with roles, argon2 password hashes, and API tokens stored only as hashes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Field, Session, SQLModel, col, select

from registry.audit import begin_write, record_change, snapshot
from registry.checks import Checks
from registry.choices import Action, UserRole
from registry.database import UTCDateTime, pk
from registry.errors import Conflict, Forbidden, InvalidValue, NotFound, Unauthorized

_hasher = PasswordHasher()
_no_user_hash: str | None = None


def _dummy_hash() -> str:
    """Checked when the user is unknown, so an answer takes as long whether the name exists or
    not. Made on first use: hashing at import would slow every command's start by 0.1 s."""
    global _no_user_hash
    if _no_user_hash is None:
        _no_user_hash = _hasher.hash("no such user")
    return _no_user_hash


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Hash new passwords with `hasher`'s cost (the tests use argon2's cheapest; a stored hash
    is always checked with the cost it was made with)."""
    global _hasher, _no_user_hash
    _hasher, _no_user_hash = hasher, None


_RANK = {UserRole.VIEWER: 0, UserRole.EDITOR: 1, UserRole.ADMIN: 2}
TOKEN_PREFIX = "reg_"
MIN_PASSWORD_LENGTH = 12
MAX_USERNAME_LENGTH = 80


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=MAX_USERNAME_LENGTH, unique=True)
    role: str = Field(max_length=10)
    """A UserRole: viewer, editor or admin."""
    password_hash: str | None = Field(default=None, max_length=200)
    """argon2id; None for a user who only signs in with tokens."""
    created_at: datetime = Field(sa_type=UTCDateTime)
    active: bool = True
    """A disabled user's sessions and tokens stop working at once."""
    last_signed_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    must_change_password: bool = False
    """Set by a password reset: the one-time password must be replaced at the next sign-in."""


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    """SHA-256 of the token: tokens are long random strings, so a fast hash suffices."""
    hint: str = Field(max_length=12)
    """The token's first characters, to tell tokens apart in lists."""
    created_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """None only for tokens issued before tokens expired."""
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When a request last carried it, to the minute (`registry.token_use`)."""


def user_snapshot(user: User) -> dict[str, object]:
    return snapshot(user, exclude={"password_hash"})


def hash_password(password: str) -> str:
    """The argon2id hash stored for a password (at the cost `use_password_hasher` set)."""
    return _hasher.hash(password)


def find_user(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


def add_user(
    session: Session,
    *,
    username: str,
    role: str,
    password: str | None = None,
    actor: str,
    must_change_password: bool = False,
) -> User:
    """Create a user; the password is stored only as an argon2 hash (made before the write
    lock is taken: hashing is slow on purpose, and other writers need not wait for it)."""
    checks = Checks()
    username_ = checks.text(username, "username", max_length=MAX_USERNAME_LENGTH)
    role_ = checks.choice(UserRole, role, "role")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        checks.fail("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    checks.done()
    password_hash = hash_password(password) if password is not None else None
    begin_write(session)
    if find_user(session, username_) is not None:
        raise Conflict("username", f"a user {username_!r} exists already")
    user = User(
        username=username_,
        role=role_.value,
        password_hash=password_hash,
        created_at=datetime.now(UTC),
        must_change_password=must_change_password,
    )
    session.add(user)
    session.flush()
    record_change(
        session, actor=actor, action=Action.CREATE, entity="user", key=username_,
        before=None, after=user_snapshot(user),
    )  # fmt: skip
    return user


def password_to_check(session: Session, username: str) -> tuple[User | None, str]:
    """The active user with this username and the hash to check a password against: theirs, or
    a dummy one when there is no such user, so a refusal takes as long either way."""
    if len(username) > MAX_USERNAME_LENGTH or "\x00" in username:
        return None, _dummy_hash()  # no user has such a name; PostgreSQL refuses NUL in a query
    user = find_user(session, username)
    if user is None or not user.active or user.password_hash is None:
        return None, _dummy_hash()
    return user, user.password_hash


def check_password(user: User | None, stored_hash: str, password: str) -> User:
    """`user` when `password` matches `stored_hash`; Unauthorized otherwise (always after the
    same slow check). Touches no database, so it may run in a worker thread."""
    try:
        _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None:
        raise Unauthorized("username", "unknown user or wrong password")
    return user


def authenticate(session: Session, username: str, password: str) -> User:
    """The active user with this username and password; Unauthorized otherwise."""
    return check_password(*password_to_check(session, username), password)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


TOKEN_DAYS = 90
"""How long a new token works unless told otherwise."""
MAX_TOKEN_DAYS = 3650


def create_token(
    session: Session,
    *,
    username: str,
    actor: str,
    days: int = TOKEN_DAYS,
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new API token for a user, working for `days` days: returns the row and the token,
    which is shown only once."""
    begin_write(session)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_TOKEN_DAYS:
        raise InvalidValue("expires", f"must be a whole number of days from 1 to {MAX_TOKEN_DAYS}")
    user = find_user(session, username)
    if user is None:
        raise NotFound("username", f"no user {username!r}")
    if not user.active:
        raise InvalidValue("username", f"{username} is not active")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    created = now or datetime.now(UTC)
    row = ApiToken(
        user_id=pk(user), token_hash=_hash_token(token), hint=token[:10], created_at=created,
        expires_at=created + timedelta(days=days),
    )  # fmt: skip
    session.add(row)
    session.flush()
    record_change(
        session, actor=actor, action=Action.CREATE, entity="api_token", key=f"{username}/{row.id}",
        before=None, after=snapshot(row, exclude={"token_hash"}),
    )  # fmt: skip
    return row, token


def token_row(session: Session, token: str, now: datetime | None = None) -> ApiToken:
    """The working token row behind a bearer token (its user active); Unauthorized when it is
    unknown, revoked or expired."""
    now = now or datetime.now(UTC)
    row = session.exec(
        select(ApiToken).where(
            ApiToken.token_hash == _hash_token(token),
            col(ApiToken.revoked_at).is_(None),
            col(ApiToken.expires_at).is_(None) | (col(ApiToken.expires_at) > now),
        )
    ).first()
    user = session.get(User, row.user_id) if row else None
    if row is None or user is None or not user.active:
        raise Unauthorized("authorization", "unknown, revoked or expired token")
    return row


def user_for_token(session: Session, token: str, now: datetime | None = None) -> User:
    """The active user a working bearer token belongs to (`token_row`)."""
    user = session.get(User, token_row(session, token, now).user_id)
    assert user is not None  # token_row checked it
    return user


def require_role(user: User, needed: UserRole) -> None:
    """Refuse (403) a user whose role ranks below `needed`."""
    if _RANK[UserRole(user.role)] < _RANK[needed]:
        raise Forbidden("role", f"{user.username} is a {user.role}; this needs {needed.value}")


def find_token_id(session: Session, token: str) -> int:
    """A token's id from its id or its hint (404 on `token` when none or several match)."""
    if token.isascii() and token.isdigit() and len(token) < 10:
        return int(token)
    found = session.exec(select(ApiToken.id).where(ApiToken.hint == token)).all()
    if len(found) != 1:
        several = "several tokens have" if found else "no token has"
        raise NotFound("token", f"{several} the hint {token!r}; give its id")
    return int(found[0] or 0)


def revoke_token(session: Session, *, token_id: int, actor: str) -> ApiToken:
    """Stop a token from working; the row stays for the record."""
    begin_write(session)
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound("token_id", f"no token {token_id}")
    if row.revoked_at is not None:
        return row
    before = snapshot(row, exclude={"token_hash"})
    row.revoked_at = datetime.now(UTC)
    session.flush()
    record_change(
        session, actor=actor, action=Action.UPDATE, entity="api_token", key=str(token_id),
        before=before, after=snapshot(row, exclude={"token_hash"}),
    )  # fmt: skip
    return row


def first_admin(session: Session, *, username: str = "admin", actor: str) -> str | None:
    """When no user exists yet, create an admin with a random password and return the password
    (it is stored only as a hash, so this is the one time it can be shown); otherwise None."""
    begin_write(session)
    if session.exec(select(User.id).limit(1)).first() is not None:
        return None
    password = secrets.token_urlsafe(12)
    add_user(session, username=username, role=UserRole.ADMIN, password=password, actor=actor)
    return password
