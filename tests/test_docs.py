"""The README stays true: every command and setting the code offers is documented there."""

import re
from pathlib import Path

import click

from registry.cli import main

README = (Path(__file__).parent.parent / "README.md").read_text()
ROOT = Path(__file__).parent.parent


def commands(group: click.Group, prefix: str = "registry") -> list[str]:
    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += commands(command, f"{prefix} {name}")
        else:
            found.append(f"{prefix} {name}")
    return found


def test_every_cli_command_is_in_the_readme():
    missing = [c for c in commands(main) if c not in README]
    assert missing == []


def test_every_environment_setting_is_in_the_readme():
    code = "\n".join(p.read_text() for p in (ROOT / "registry").rglob("*.py"))
    settings = set(re.findall(r"REGISTRY_[A-Z_]+", code))
    assert settings, "no settings found: the pattern is out of date"
    assert sorted(s for s in settings if s not in README) == []


def test_readme_opens_with_the_two_commands():
    opening = README[:600]
    assert "make run" in opening
    assert "make test" in opening


def test_every_make_target_is_in_the_readme():
    makefile = (ROOT / "Makefile").read_text()
    targets = re.findall(r"^([a-z]+):.*## ", makefile, flags=re.M)
    assert targets
    assert [t for t in targets if f"make {t}" not in README] == []
