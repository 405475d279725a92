"""`registry source` and `registry cite`: public sources and the records citing them."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
