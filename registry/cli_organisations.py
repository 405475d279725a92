"""`registry organisation`: agencies, contractors and governing bodies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from registry.choices import OrganisationKind
from registry.cli_session import ACTOR, command_session

if TYPE_CHECKING:
    from registry.organisations import Organisation

# The kind is checked by the registry's rule (as from the API and the forms), so a bad one is
# `error: kind: …` like every other refused value; the help still names the kinds.
KINDS = ", ".join(kind.value for kind in OrganisationKind)


@click.group()
def organisation() -> None:
    """Agencies, contractors and governing bodies named on programmes and contracts."""


@organisation.command("add")
@click.argument("slug")
@click.option("--name", required=True, help="The organisation's name.")
@click.option("--kind", required=True, help=f"One of: {KINDS}.")
@click.option("--country", default=None, help="Its nation: alpha-3, alpha-2 or English name.")
@ACTOR
@click.pass_context
def organisation_add(
    ctx: click.Context, slug: str, name: str, kind: str, country: str | None, actor: str
) -> None:
    """Add organisation SLUG (lower-case letters, digits and hyphens)."""
    from registry.organisations import create_organisation

    with command_session(ctx) as session:
        made = create_organisation(
            session, slug=slug, name=name, kind=kind, country=country, actor=actor
        )
        said = _said(made)
    click.echo(f"added {said}")


@organisation.command("edit")
@click.argument("slug")
@click.option("--name", default=None, help="A new name.")
@click.option("--kind", default=None, help=f"A new kind: {KINDS}.")
@click.option("--country", default=None, help='A new nation; "" for none.')
@ACTOR
@click.pass_context
def organisation_edit(
    ctx: click.Context, slug: str, name: str | None, kind: str | None, country: str | None,
    actor: str,
) -> None:  # fmt: skip
    """Change organisation SLUG's name, kind or country (only the options given; the slug
    stays)."""
    from registry.audit import recorded
    from registry.organisations import update_organisation

    given = {"name": name, "kind": kind, "country": country}
    changes: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    with command_session(ctx) as session:
        changed = update_organisation(session, slug=slug, actor=actor, **changes)
        said, wrote = _said(changed), bool(recorded(session))
    click.echo(f"changed {said}" if wrote else f"nothing to change: {said}")


@organisation.command("list")
@click.option("--kind", default=None, help=f"Only this kind: {KINDS}.")
@click.pass_context
def organisation_list(ctx: click.Context, kind: str | None) -> None:
    """Every organisation by name: slug, kind, country, name."""
    from registry.checks import Checks
    from registry.organisations import list_organisations

    if kind is not None:
        checks = Checks()
        checks.choice(OrganisationKind, kind, "kind")
        checks.done()
    with command_session(ctx) as session:
        found = list_organisations(session, kind=kind)
        lines = [_line(o) for o in found]
    click.echo(f"{'slug':<32} {'kind':<15} {'country':<7} name")
    for line in lines:
        click.echo(line)


def _said(organisation: Organisation) -> str:
    """An organisation as `add` and `edit` confirm it."""
    country = f", {organisation.country}" if organisation.country else ""
    return f"{organisation.slug} ({organisation.kind}{country}): {organisation.name}"


def _line(organisation: Organisation) -> str:
    """One organisation as `list` prints it."""
    country = organisation.country or "—"
    return f"{organisation.slug:<32} {organisation.kind:<15} {country:<7} {organisation.name}"


COMMANDS = [organisation]
