"""`registry rates …`: the exchange rates money is converted with."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
