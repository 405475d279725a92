"""`registry contract …`: fixing contracts from the command line."""

from __future__ import annotations

import click

from registry.cli_session import ACTOR, command_session


@click.group()
def contract() -> None:
    """Contracts: amend one (`registry import` adds them), or void one recorded by mistake."""


@contract.command("amend")
@click.argument("contract_id", type=int)
@click.option("--effective", help="Holds from (default today; a correction: the signing).")
@click.option("--title", help="A new title.")
@click.option("--amount", help="A new value, a decimal amount such as 5000000000.00.")
@click.option("--currency", help="The value's currency (ISO 4217), with --amount.")
@click.option("--quantity", help="A new quantity.")
@click.option("--note", help="What the amendment is, e.g. its reference.")
@click.option("--correction", is_flag=True, help="Fix the record, not a change in the world.")
@ACTOR
@click.pass_context
def contract_amend(
    ctx: click.Context,
    contract_id: int,
    effective: str | None,
    title: str | None,
    amount: str | None,
    currency: str | None,
    quantity: str | None,
    note: str | None,
    correction: bool,
    actor: str,
) -> None:
    """Amend contract CONTRACT_ID (its id in the API) from a date, or correct it."""
    from registry.amendments import amend_contract

    with command_session(ctx) as session:
        amend_contract(
            session, contract_id=contract_id, effective=effective, title=title, amount=amount,
            currency=currency, quantity=quantity, note=note, correction=correction, actor=actor,
        )  # fmt: skip
    click.echo(f"contract {contract_id} {'corrected' if correction else 'amended'}")


@contract.command("void")
@click.argument("contract_id", type=int)
@click.option("--reason", required=True, help="Why it is voided; kept with the change.")
@ACTOR
@click.pass_context
def contract_void(ctx: click.Context, contract_id: int, reason: str, actor: str) -> None:
    """Void contract CONTRACT_ID, recorded by mistake: it leaves every list and total, and stays
    in the history (reads as known before still show it)."""
    from registry.amendments import void_contract

    with command_session(ctx) as session:
        void_contract(session, contract_id=contract_id, reason=reason, actor=actor)
    click.echo(f"contract {contract_id} voided")


COMMANDS = [contract]
