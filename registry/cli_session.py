"""The transaction a command-group module's command writes in (the groups kept apart from
registry/cli.py share it)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlmodel import Session

from registry.database import unit_of_work


@contextmanager
def command_session(ctx: click.Context) -> Iterator[Session]:
    """One transaction on the command's database (committed when the block ends)."""
    from registry.cli import _engine  # registry.cli loads the command groups: import late

    with unit_of_work(_engine(ctx)) as session:
        yield session
