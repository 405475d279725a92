"""`registry user …` and `registry token …`: accounts from the command line (actor "cli")."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from registry.choices import UserRole
from registry.cli_session import command_session
from registry.users import MAX_TOKEN_DAYS, TOKEN_DAYS

ROLES = click.Choice([role.value for role in UserRole])


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "never"


@click.group()
def user() -> None:
    """Users who sign in to the staff pages and own API tokens."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=ROLES, required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
def user_add(ctx: click.Context, name: str, role: str, password_stdin: bool) -> None:
    """Create a user; asks for a password unless --password-stdin is given."""
    from registry.users import add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with command_session(ctx) as session:
        add_user(session, username=name, role=role, password=password, actor="cli")
    click.echo(f"user {name} added as {role}")


@user.command("list")
@click.pass_context
def user_list(ctx: click.Context) -> None:
    """Every user: name, role, state, last sign-in."""
    from registry.accounts import list_users

    with command_session(ctx) as session:
        users = list_users(session)
    click.echo(f"{'user':<24} {'role':<7} {'state':<9} last sign-in")
    for found in users:
        state = "active" if found.active else "disabled"
        if found.active and found.must_change_password:
            state = "reset"
        click.echo(
            f"{found.username:<24} {found.role:<7} {state:<9} {_when(found.last_signed_in_at)}"
        )


@user.command("role")
@click.argument("name")
@click.argument("role", type=ROLES)
@click.pass_context
def user_role(ctx: click.Context, name: str, role: str) -> None:
    """Give user NAME another ROLE."""
    from registry.accounts import set_role

    with command_session(ctx) as session:
        set_role(session, username=name, role=role, actor="cli")
    click.echo(f"user {name} is now {role}")


@user.command("disable")
@click.argument("name")
@click.pass_context
def user_disable(ctx: click.Context, name: str) -> None:
    """Disable user NAME: their sessions and tokens stop working at once."""
    from registry.accounts import set_active

    with command_session(ctx) as session:
        set_active(session, username=name, active=False, actor="cli")
    click.echo(f"user {name} disabled")


@user.command("enable")
@click.argument("name")
@click.pass_context
def user_enable(ctx: click.Context, name: str) -> None:
    """Enable user NAME again."""
    from registry.accounts import set_active

    with command_session(ctx) as session:
        set_active(session, username=name, active=True, actor="cli")
    click.echo(f"user {name} enabled")


@user.command("reset")
@click.argument("name")
@click.pass_context
def user_reset(ctx: click.Context, name: str) -> None:
    """Give user NAME a one-time password, printed once, alone on the last line; it must be
    changed at the next sign-in."""
    from registry.accounts import reset_password

    with command_session(ctx) as session:
        password = reset_password(session, username=name, actor="cli")
    click.echo(f"one-time password for {name}; it is shown only now and must be changed:")
    click.echo(password)


@click.group()
def token() -> None:
    """API tokens (bearer tokens for writes)."""


@token.command("create")
@click.argument("name")
@click.option("--expires", "days", type=int, default=TOKEN_DAYS, show_default=True,
              help=f"Days the token works (1 to {MAX_TOKEN_DAYS}).")  # fmt: skip
@click.pass_context
def token_create(ctx: click.Context, name: str, days: int) -> None:
    """Create an API token for user NAME and print it once, alone on the last line."""
    from registry.users import create_token

    with command_session(ctx) as session:
        row, secret = create_token(session, username=name, actor="cli", days=days)
    expires = _when(row.expires_at)
    click.echo(f"token {row.hint}… for {name}, working until {expires} UTC; it is shown only now:")
    click.echo(secret)


@token.command("list")
@click.argument("user", required=False)
@click.option("--user", "name", default=None, help="Only this user's tokens (or give USER).")
@click.pass_context
def token_list(ctx: click.Context, user: str | None, name: str | None) -> None:
    """Tokens, newest first: id, user, hint, created, last used, expiry, state; only USER's
    when given."""
    name = name or user
    from registry.accounts import list_tokens, token_state

    with command_session(ctx) as session:
        rows = list_tokens(session, name)
    click.echo(
        f"{'id':>5} {'user':<20} {'hint':<12} {'created':<16} {'last used':<16} {'expires':<16} "
        "state"
    )
    for row, owner in rows:
        state, username = token_state(row, owner), owner.username
        click.echo(
            f"{row.id:>5} {username:<20} {row.hint:<12} {_when(row.created_at):<16} "
            f"{_when(row.last_used_at):<16} {_when(row.expires_at):<16} {state}"
        )


@token.command("revoke")
@click.argument("token")
@click.pass_context
def token_revoke(ctx: click.Context, token: str) -> None:
    """Stop TOKEN from working: its id or its hint (the first 10 characters), both shown by
    `registry token list`."""
    from registry.users import find_token_id, revoke_token

    with command_session(ctx) as session:
        row = revoke_token(session, token_id=find_token_id(session, token), actor="cli")
    click.echo(f"token {row.id} ({row.hint}…) revoked")


COMMANDS = [user, token]
