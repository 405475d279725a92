"""`registry instrument …`: documents nations signed within a programme that are not
memberships (a letter of intent, an MoU), with their signatories.

Values are checked by the registry's own rules (as from the API), so a bad one is
`error: FIELD: message` and exit status 1."""

from __future__ import annotations

import click

from registry.cli_session import ACTOR, command_session


@click.group()
def instrument() -> None:
    """Instruments: record one with its signatories, list a programme's, void one."""


@instrument.command("add")
@click.argument("slug")
@click.option("--kind", required=True, help="letter_of_intent, mou, accession or agreement.")
@click.option("--title", required=True, help="The document's title.")
@click.option("--signed", help="When it was signed: YYYY, YYYY-MM or YYYY-MM-DD (omit: unknown).")
@click.option(
    "--signatory", "signatories", multiple=True,
    help="A nation that signed (code or name); give each once, at least one.",
)  # fmt: skip
@click.option("--note", help="What else is known of it.")
@ACTOR
@click.pass_context
def instrument_add(
    ctx: click.Context, slug: str, kind: str, title: str, signed: str | None,
    signatories: tuple[str, ...], note: str | None, actor: str,
) -> None:  # fmt: skip
    """Record an instrument of programme SLUG."""
    from registry.instruments import add_instrument

    with command_session(ctx) as session:
        made = add_instrument(
            session, programme=slug, kind=kind, title=title, signed=signed,
            signatories=list(signatories), note=note, actor=actor,
        )  # fmt: skip
        number = made.id
    click.echo(f"instrument {number} added to {slug}")


@instrument.command("list")
@click.argument("slug")
@click.pass_context
def instrument_list(ctx: click.Context, slug: str) -> None:
    """Programme SLUG's instruments: id, signing date (- when unknown), kind, signatories,
    title."""
    from registry.instruments import instruments_of

    with command_session(ctx) as session:
        rows = [
            (s.instrument.id, s.instrument.signed_on, s.instrument.kind,
             ",".join(n.code for n in s.signatories), s.instrument.title)
            for s in instruments_of(session, slug)
        ]  # fmt: skip
    click.echo(f"{'id':>5} {'signed':<10} {'kind':<16} {'signatories':<24} title")
    for number, signed, kind, codes, title in rows:
        when = signed.isoformat() if signed else "-"
        click.echo(f"{number:>5} {when:<10} {kind:<16} {codes:<24} {title}")


@instrument.command("void")
@click.argument("instrument_id", type=int)
@click.option("--reason", required=True, help="Why it is voided; kept with the change.")
@ACTOR
@click.pass_context
def instrument_void(ctx: click.Context, instrument_id: int, reason: str, actor: str) -> None:
    """Void instrument INSTRUMENT_ID (its id in the API and `list`), recorded by mistake: it
    leaves every read, and stays in the history (reads as known before still show it)."""
    from registry.instruments import void_instrument

    with command_session(ctx) as session:
        void_instrument(session, instrument_id=instrument_id, reason=reason, actor=actor)
    click.echo(f"instrument {instrument_id} voided")


COMMANDS = [instrument]
