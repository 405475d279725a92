"""What the command groups share (registry/cli.py and the groups kept apart from it): the
transaction a command writes in, and the `--actor` option."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlmodel import Session

from registry.database import unit_of_work

ACTOR = click.option(
    "--actor", default="cli", show_default=True, help="Name recorded on each change."
)
"""The name a write from the command line is recorded under."""


@contextmanager
def command_session(ctx: click.Context) -> Iterator[Session]:
    """One transaction on the command's database (committed when the block ends)."""
    from registry.cli import _engine  # registry.cli loads the command groups: import late

    with unit_of_work(_engine(ctx)) as session:
        yield session
