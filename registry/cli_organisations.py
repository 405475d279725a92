"""`registry organisation`: agencies, contractors and governing bodies."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
