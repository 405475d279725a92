"""What goes over the wire for accounts: users and API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType

from api.wire import _trimmed, _values
from registry.choices import UserRole
from registry.users import MAX_TOKEN_DAYS, MAX_USERNAME_LENGTH, TOKEN_DAYS, ApiToken, User

UserRoleChoice = Annotated[str, Meta(extra_json_schema={"enum": _values(UserRole)})]
Username = Annotated[str, _trimmed(MAX_USERNAME_LENGTH, required=True)]


class UserOut(Struct):
    username: str
    role: str
    active: bool
    must_change_password: bool
    created_at: datetime
    last_signed_in_at: datetime | None


def user_out(user: User) -> UserOut:
    return UserOut(
        username=user.username, role=user.role, active=user.active,
        must_change_password=user.must_change_password, created_at=user.created_at,
        last_signed_in_at=user.last_signed_in_at,
    )  # fmt: skip


class UserIn(Struct, forbid_unknown_fields=True):
    username: Username
    role: UserRoleChoice


class UserPatch(Struct, forbid_unknown_fields=True, omit_defaults=True):
    role: UserRoleChoice | UnsetType = UNSET
    active: bool | UnsetType = UNSET


class NewPassword(Struct):
    """A one-time password, shown only in this answer; it must be changed at the next sign-in."""

    user: UserOut
    password: str


class TokenOut(Struct):
    id: int
    user: str
    hint: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    """To the minute."""
    revoked_at: datetime | None
    state: str
    """working, revoked, expired or user disabled."""


def token_out(token: ApiToken, owner: User, state: str) -> TokenOut:
    return TokenOut(
        id=token.id or 0, user=owner.username, hint=token.hint, created_at=token.created_at,
        expires_at=token.expires_at, last_used_at=token.last_used_at,
        revoked_at=token.revoked_at, state=state,
    )  # fmt: skip


class TokenIn(Struct, forbid_unknown_fields=True, omit_defaults=True):
    user: Annotated[str | None, Meta(description="whose token (admins only); default yours")] = None
    expires_in_days: Annotated[int, Meta(ge=1, le=MAX_TOKEN_DAYS)] = TOKEN_DAYS


class NewToken(Struct):
    """The token itself, shown only in this answer: keep it secret."""

    token: TokenOut
    secret: str
