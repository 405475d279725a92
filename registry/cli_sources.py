"""`registry source`, `registry cite` and `registry sources check`: public sources, the records
citing them, and what supports each fact.

Values are checked by the registry's own rules (as from the API and the staff pages), so a bad
one is `error: FIELD: message` and exit status 1."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click

from registry.cli_session import ACTOR, command_session

F = TypeVar("F", bound=Callable[..., Any])


def _source_options(*, title_required: bool) -> Callable[[F], F]:
    """The fields of a source as options, for `add` and `edit` alike."""
    options = [
        click.option("--title", required=title_required, help="The source's title."),
        click.option("--publisher", help="Who published it."),
        click.option("--url", help="Its address, starting with https:// or http://."),
        click.option("--published", help="When: YYYY, YYYY-MM or YYYY-MM-DD."),
        click.option("--excerpt", help="The passage the records rely on."),
        click.option(
            "--general/--not-general",
            default=False if title_required else None,
            help="A general compilation (public reporting gathered without one publisher or "
            "date), not one publication: it supports a fact at most at medium confidence.",
        ),
    ]

    def apply(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return apply


@click.group()
def source() -> None:
    """Public sources that records cite."""


@source.command("add")
@click.argument("key")
@_source_options(title_required=True)
@ACTOR
@click.pass_context
def source_add(
    ctx: click.Context, key: str, title: str, publisher: str | None, url: str | None,
    published: str | None, excerpt: str | None, general: bool, actor: str,
) -> None:  # fmt: skip
    """Register source KEY (lower-case letters, digits and hyphens; it stays)."""
    from registry.sources import add_source

    with command_session(ctx) as session:
        add_source(
            session, key=key, title=title, publisher=publisher, url=url, published=published,
            excerpt=excerpt, general=general, actor=actor,
        )  # fmt: skip
    click.echo(f"source {key} added")


@source.command("edit")
@click.argument("key")
@_source_options(title_required=False)
@ACTOR
@click.pass_context
def source_edit(
    ctx: click.Context, key: str, title: str | None, publisher: str | None, url: str | None,
    published: str | None, excerpt: str | None, general: bool | None, actor: str,
) -> None:  # fmt: skip
    """Change the fields given of source KEY; an empty value ('') clears an optional one."""
    from registry.sources import update_source

    given = {"title": title, "publisher": publisher, "url": url, "published": published,
             "excerpt": excerpt, "general": general}  # fmt: skip
    changes: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    with command_session(ctx) as session:
        version = update_source(session, key=key, actor=actor, **changes).version
    click.echo(f"source {key} is at version {version}")


@source.command("list")
@click.pass_context
def source_list(ctx: click.Context) -> None:
    """Every source by key: when published, how many records cite it, its title."""
    from registry.sources import list_sources

    with command_session(ctx) as session:
        rows = [(s.key, s.published_on, s.title, n) for s, n in list_sources(session)]
    click.echo(f"{'key':<40} {'published':<10} {'cited':>5} title")
    for key, published, title, count in rows:
        when = published.isoformat() if published else "-"
        click.echo(f"{key:<40} {when:<10} {count:>5} {title}")


@click.command("cite")
@click.argument("source_key", metavar="SOURCE")
@click.argument("entity")
@click.argument("entity_id")
@click.option("--confidence", required=True, help="high, medium or low.")
@click.option("--note", default=None, help="Why the confidence is what it is.")
@click.option(
    "--quote", default=None, help="The words of the source's excerpt that support the fact."
)
@ACTOR
@click.pass_context
def cite_command(
    ctx: click.Context, source_key: str, entity: str, entity_id: str, confidence: str,
    note: str | None, quote: str | None, actor: str,
) -> None:  # fmt: skip
    """Cite SOURCE (a source's key) for the record ENTITY ENTITY_ID, e.g. `programme 3` or
    `nation NLD` (ENTITY: programme, participation, contract, fleet_event, organisation,
    instrument or nation; a nation's id is its ISO 3166 numeric code, or give its code or
    name)."""
    from registry.sources import cite

    with command_session(ctx) as session:
        made = cite(
            session, source=source_key, entity=entity, entity_id=entity_id,
            confidence=confidence, note=note, quote=quote, actor=actor,
        )  # fmt: skip
        number = made.id
    click.echo(f"citation {number}: {entity} {entity_id} cites {source_key} ({confidence})")


@click.group()
def sources() -> None:
    """What supports the registry's facts."""


HEADINGS = {
    "uncited": "Records that cite no source",
    "unsupported": "Quotes their source's excerpt does not hold",
    "overclaimed": "High confidence from general compilations (at most medium)",
}


@sources.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the problems as JSON.")
@click.pass_context
def sources_check(ctx: click.Context, as_json: bool) -> None:
    """List the records that cite no source, the quotes their source's excerpt does not hold
    and the high citations of general compilations; exit status 1 when there is any."""
    from registry.source_check import check_sources

    with command_session(ctx) as session:
        found = check_sources(session)
    if as_json:
        click.echo(json.dumps(found.as_json(), indent=2, ensure_ascii=False))
    else:
        for kind, heading in HEADINGS.items():
            problems = getattr(found, kind)
            if problems:
                click.echo(f"{heading} ({len(problems)}):")
            for problem in problems:
                cites = f" cites {problem.source} (citation {problem.citation})"
                click.echo(f"  {problem.entity} {problem.entity_id} ({problem.record})"
                           f"{cites if problem.source else ''}: {problem.why}"
                           + (f": “{problem.quote}”" if kind == "unsupported" else ""))  # fmt: skip
        click.echo(found.summary())
    ctx.exit(0 if found.clean else 1)


COMMANDS = [source, cite_command, sources]
