"""The `registry` command line.

Every failure is reported the same way: one `error: FIELD: message` line per problem on standard
error (`error: row N: FIELD: message` for an import row) and exit status 1; never a traceback.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from registry.checks import Checks
from registry.cli_session import ACTOR
from registry.database import make_engine, unit_of_work
from registry.errors import FieldError, InvalidValue, RegistryError
from registry.serve import SHUTDOWN_TIMEOUT, check_address, uvicorn_options
from registry.settings import Settings


class Failed(click.ClickException):
    """A command failed: its problems, shown as `error: FIELD: message` lines."""

    def __init__(self, problems: list[FieldError]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems

    def show(self, file: Any = None) -> None:
        _release_stdout()
        for problem in self.problems:
            where = f"row {problem.row}: " if problem.row is not None else ""
            click.echo(f"error: {where}{problem.field}: {problem.message}", err=True)


def _param_name(param: click.Parameter | None) -> str:
    if isinstance(param, click.Option):
        return max(param.opts, key=len).lstrip("-")
    return (param.name if param is not None else None) or "usage"


def _usage_problem(error: click.UsageError) -> FieldError:
    param = getattr(error, "param", None)
    if isinstance(error, click.MissingParameter) and param is not None:
        return FieldError(_param_name(param), "is required")
    if isinstance(error, click.BadParameter) and param is not None:
        return FieldError(_param_name(param), error.message)
    return FieldError("usage", error.format_message())


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def problems_of(error: BaseException) -> list[FieldError]:
    """What a failure means to the person at the command line, by field."""
    if isinstance(error, RegistryError):
        return error.errors
    if isinstance(error, click.UsageError):
        return [_usage_problem(error)]
    if isinstance(error, click.ClickException):
        return [FieldError("usage", error.format_message())]
    if isinstance(error, (ArgumentError, NoSuchModuleError)):
        return [FieldError("REGISTRY_DATABASE_URL", _first_line(error))]
    if isinstance(error, DBAPIError):  # the driver's own words, without the SQL
        return [FieldError("database", _first_line(error.orig or error))]
    if isinstance(error, SQLAlchemyError):
        return [FieldError("database", _first_line(error))]
    if isinstance(error, OSError):
        reason = error.strerror or _first_line(error)
        where = f"{error.filename}: " if error.filename else ""
        return [FieldError("file" if error.filename else "output", where + reason)]
    if isinstance(error, KeyboardInterrupt):
        return [FieldError("interrupted", "stopped before it finished")]
    return [FieldError("internal", f"{type(error).__name__}: {error} (run with --traceback)")]


def _release_stdout() -> None:
    """After a failed write to standard output (a full disk), drop what is still buffered there,
    so that Python's own flush at exit cannot print a traceback."""
    try:
        sys.stdout.flush()
    except OSError:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass


@contextmanager
def writing(field: str, path: Path | str) -> Iterator[None]:
    """Report a failure to write `path` (full disk, no permission) against `field`."""
    try:
        yield
    except OSError as error:
        if error.errno == errno.EPIPE:
            raise
        reason = error.strerror or _first_line(error)
        raise InvalidValue(field, f"cannot write {path}: {reason}") from None


class Registry(click.Group):
    """The command group: turns every failure of a command into `error:` lines and exit 1."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as error:
            raise Failed(problems_of(error)) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.Abort, Failed, click.exceptions.NoArgsIsHelpError):
            raise
        except OSError as error:
            if error.errno == errno.EPIPE:  # the reader went away (`| head`): stop quietly
                raise
            raise Failed(problems_of(error)) from None
        except (Exception, KeyboardInterrupt) as error:
            expected = isinstance(error, (RegistryError, click.ClickException, KeyboardInterrupt))
            if ctx.params.get("traceback") and not expected:
                raise
            raise Failed(problems_of(error)) from None


def _engine(ctx: click.Context) -> Engine:
    """The database engine for this command, closed when the command ends."""
    settings: Settings = ctx.find_object(Settings) or Settings.from_env()
    try:
        engine = make_engine(
            settings.database_url,
            timeout=settings.db_timeout,
            statement_timeout=settings.statement_timeout,
        )
    except OSError as error:  # a SQLite file whose folder cannot be made
        raise InvalidValue("REGISTRY_DATABASE_URL", f"{error.filename}: {error.strerror}") from None
    ctx.call_on_close(engine.dispose)
    return engine


@click.group(cls=Registry)
@click.option("--traceback", is_flag=True, help="Show the traceback of an unexpected failure.")
@click.pass_context
def main(ctx: click.Context, traceback: bool) -> None:
    """Registry of multinational defence procurement programmes.

    A failure prints `error: FIELD: message` (one line per problem) and exits with status 1.
    """
    ctx.obj = Settings.from_env()


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Alembic revision to reach.")
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Create or migrate the database schema, keeping its data."""
    from registry.migrate import current_revision, upgrade

    engine = _engine(ctx)
    before = current_revision(engine)
    upgrade(engine, revision)
    after = current_revision(engine)
    click.echo(f"database {engine.url.render_as_string()}: {before or 'empty'} -> {after}")


@db.command("current")
@click.pass_context
def db_current(ctx: click.Context) -> None:
    """Print the database's schema revision and the newest one available."""
    from registry.migrate import current_revision, head_revision

    engine = _engine(ctx)
    click.echo(f"current: {current_revision(engine) or 'empty'}; newest: {head_revision()}")


@main.command()
@click.pass_context
def seed(ctx: click.Context) -> None:
    """Load the first data set (idempotent: a second run changes nothing)."""
    from registry.rates import load_packaged
    from registry.schema import metadata
    from seed.load import load_first_data_set

    engine = _engine(ctx)
    with unit_of_work(engine) as session:
        created = load_first_data_set(session)
        # The ECB's rates, for converted figures (a quarter of a million rows, added once).
        if rates := load_packaged(session, actor="seed").rates:
            created["exchange_rate"] += rates
    corrected = created.pop("corrected", 0)
    made = ", ".join(f"{n} {k}" for k, n in sorted(created.items()) if n)
    click.echo(f"created: {made or 'nothing new'}")
    if corrected:  # a database seeded by an earlier data set, brought to what it says now
        click.echo(f"corrected: {corrected} (records the data set now gives otherwise)")
    with engine.connect() as connection:
        for name, table in sorted(metadata.tables.items()):
            count = connection.execute(select(func.count()).select_from(table)).scalar_one()
            click.echo(f"  {name:<14} {count:>6}")


@main.command()
@click.option(
    "--host", default=None, help="Address to listen on (REGISTRY_HOST, default 127.0.0.1)."
)
@click.option("--port", type=int, default=None, help="Port (REGISTRY_PORT, default 8000).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes.")  # fmt: skip
@click.option("--shutdown-timeout", type=click.IntRange(min=0), default=SHUTDOWN_TIMEOUT,
              show_default=True,
              help="Seconds running requests get to finish after SIGTERM or Ctrl-C.")  # fmt: skip
@click.pass_context
def serve(
    ctx: click.Context, host: str | None, port: int | None, workers: int, shutdown_timeout: int
) -> None:
    """Serve the API and the staff pages; creates an admin first when no user exists."""
    import uvicorn

    from registry.users import first_admin

    settings: Settings = ctx.obj
    options = uvicorn_options(
        settings, host=host, port=port, workers=workers, shutdown_timeout=shutdown_timeout
    )
    check_address(options["host"], options["port"])
    with unit_of_work(_engine(ctx)) as session:
        password = first_admin(session, actor="cli")
    if password is not None:
        click.echo(
            "no user existed: created user admin (role admin) with the password below; it is "
            f"shown only now, keep it safe:\n\n    {password}\n"
        )
    base = f"http://{options['host']}:{options['port']}"
    click.echo(f"serving {base} (staff pages: {base}/ui, API docs: {base}/schema/swagger)")
    uvicorn.run(**options)


@main.command("import")
@click.argument("kind", type=click.Choice(["participations", "contracts", "fleet-events"]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and write nothing.")
@ACTOR
@click.pass_context
def import_command(ctx: click.Context, kind: str, file: Path, dry_run: bool, actor: str) -> None:
    """Import a CSV or XLSX file: every row or, if any row is bad, none."""
    from registry.imports import import_rows, read_table

    try:
        data = file.read_bytes()
    except OSError as error:
        raise InvalidValue("file", f"cannot read {file}: {error.strerror}") from None
    with unit_of_work(_engine(ctx)) as session:
        rows = read_table(data, filename=file.name)
        with click.progressbar(length=len(rows), label=f"{kind}", file=sys.stderr) as bar:
            result = import_rows(
                session, kind, rows, actor=actor, dry_run=dry_run, progress=bar.update
            )
    for row in result.rows:
        click.echo(f"row {row.row}: {row.action} {row.entity} {row.key}")
    verb = "would change" if dry_run else "changed"
    click.echo(f"{kind}: {len(rows)} rows, {verb} {len(result.rows)} records")


@main.command("export")
@click.argument("kind", type=click.Choice(["participations", "contracts", "fleet-events", "ocds"]))
@click.option("--format", "format_", type=click.Choice(["csv", "parquet", "xlsx"]),
              default="csv", show_default=True,
              help="File format (not for ocds, always JSON).")  # fmt: skip
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default: CSV on standard output). Written under a temporary "
                   "name beside it and renamed when complete, replacing any file of that name; "
                   "a failure leaves no file.")  # fmt: skip
@click.option("--as-of", default=None,
              help="Export the records as they stood on this day (YYYY-MM-DD, YYYY-MM or YYYY: "
                   "the period's last day): spells begun by then with the terms then in force "
                   "(no left date while they run on), contracts signed by then at their title, "
                   "value and quantity then, fleet events counted by then. Default: every "
                   "record, contracts as signed.")  # fmt: skip
@click.option("--as-known-on", default=None,
              help="Export what the registry held then: a date (its end, UTC) or an RFC 3339 "
                   "time (default now).")  # fmt: skip
@click.option(
    "--programme",
    default=None,
    help="ocds only: the contracts of this programme (a slug; default all).",
)
@click.option("--convert-to", default=None,
              help="contracts only: add each value in this currency (ISO 4217) at the ECB rate "
                   "of its signing date, with the rate, its date and source (such a file no "
                   "longer imports: the importer takes only its own columns).")  # fmt: skip
@click.pass_context
def export_command(
    ctx: click.Context,
    kind: str,
    format_: str,
    out: Path | None,
    as_of: str | None,
    as_known_on: str | None,
    programme: str | None,
    convert_to: str | None,
) -> None:
    """Export every record of a kind in the columns `registry import` reads; `ocds`: the
    contracts as an OCDS 1.1.5 release package (JSON)."""
    from registry.export import FileFormat, columns, export_rows, write_file, write_table
    from registry.history import known_at

    command_line = click.core.ParameterSource.COMMANDLINE
    given = [name for name in ("format_", "as_of", "as_known_on", "programme", "convert_to")
             if ctx.get_parameter_source(name) is command_line]  # fmt: skip
    if kind == "ocds":
        if refused := [name.rstrip("_") for name in given if name != "programme"]:
            raise InvalidValue(
                refused[0], f"--{refused[0].replace('_', '-')} does not apply to ocds (always a "
                "JSON release package of the contracts as the registry holds them now)",
            )  # fmt: skip
        from registry.ocds import encode, release_package

        if out is None:
            raise InvalidValue("out", "ocds writes a JSON file: give --out FILE")
        with unit_of_work(_engine(ctx)) as session:
            # The package's uri names the file it is written to.
            package = release_package(session, uri=out.resolve().as_uri(), programme=programme)
        with writing("out", out):
            write_file(out, encode(package))
        click.echo(f"ocds: {len(package['releases'])} releases written to {out}", err=True)
        return
    if "programme" in given:
        raise InvalidValue("programme", f"--programme applies to ocds only, not to {kind}")
    if convert_to and kind != "contracts":
        raise InvalidValue("convert-to", f"--convert-to applies to contracts only, not to {kind}")
    file_format = FileFormat(format_)
    if out is None and file_format is not FileFormat.CSV:
        raise InvalidValue("out", f"--format {format_} writes a binary file: give --out FILE")
    day, moment, _ = _report_dates(as_of, as_known_on, None)
    names = columns(kind)
    with unit_of_work(_engine(ctx)) as session:
        rows = export_rows(session, kind, known_at(session, moment), day if as_of else None)
        if convert_to:
            from registry.conversion import CONVERTED_COLUMNS, add_converted, rate_currency

            target = rate_currency(session, convert_to, "convert-to")
            add_converted(session, rows, target, day)
            names = [*names, *CONVERTED_COLUMNS]
    data = write_table(rows, names, file_format, sheet=kind)
    if out is None:
        with writing("output", "standard output"):
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        return
    with writing("out", out):
        write_file(out, data)
    click.echo(f"{kind}: {len(rows)} rows written to {out}", err=True)


@main.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def backup_command(ctx: click.Context, file: Path) -> None:
    """Copy the whole registry, consistently, into a new SQLite file.

    Refuses an existing FILE. Written under a temporary name beside FILE and renamed when
    complete: a failure (a full disk, Ctrl-C) leaves no file."""
    from registry.backup import backup, row_count

    engine = _engine(ctx)
    bar = click.progressbar(length=row_count(engine), label="rows", file=sys.stderr)
    with bar:
        counts = backup(engine, file, progress=lambda _table, rows: bar.update(rows))
    click.echo(f"backup written to {file}: {sum(counts.values())} rows in {len(counts)} tables")


@main.command()
@click.argument(
    "kind", type=click.Choice(["programme", "nation", "membership", "contracts", "all"])
)
@click.option("--as-of", default=None,
              help="Report as on this day: YYYY-MM-DD, or YYYY-MM / YYYY for the period's last "
                   "day (default today).")  # fmt: skip
@click.option("--as-known-on", default=None,
              help="Report what the registry knew then: a date (its end, UTC) or an RFC 3339 "
                   "time (default now).")  # fmt: skip
@click.option(
    "--since",
    default=None,
    help="Programme reports also list what changed after this day up to --as-of.",
)
@click.option("--convert-to", default=None,
              help="Programme reports and the contracts summary also total the "
                   "contracts in this currency (ISO 4217), each at the ECB rate of its "
                   "signing date.")  # fmt: skip
@click.option("--pdf", is_flag=True, help="Also write a PDF beside each HTML report.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write (created if missing).")  # fmt: skip
@click.pass_context
def report(
    ctx: click.Context, kind: str, as_of: str | None, as_known_on: str | None,
    since: str | None, convert_to: str | None, pdf: bool, out: Path,
) -> None:  # fmt: skip
    """Write print-ready reports (HTML, and PDF with --pdf) and an index page to a folder.

    Every file is written into a temporary folder first and moved into DIR only when all are
    done, so a failure (a full disk, Ctrl-C) leaves DIR as it was. A new DIR appears whole; an
    existing DIR keeps its other files, and reports of the same names are replaced."""
    from registry.history import known_at
    from reports.build import write_reports

    day, moment, first = _report_dates(as_of, as_known_on, since)
    engine = _engine(ctx)
    with unit_of_work(engine) as session:
        known = known_at(session, moment)
    with click.progressbar(length=1, label=f"{kind} reports", file=sys.stderr) as bar:

        def start(total: int) -> None:
            bar.length = max(total, 1)

        with writing("out", out):
            written = write_reports(
                engine, kind, out, as_of=day, known=known, as_known_on=moment, since=first,
                convert_to=convert_to, pdf=pdf, progress=bar.update, on_start=start,
            )  # fmt: skip
    click.echo(f"wrote {len(written)} files to {out} (open {out / 'index.html'})")


def _report_dates(
    as_of: str | None, as_known_on: str | None, since: str | None
) -> tuple[date, datetime | None, date | None]:
    """The report's day, moment and `since`, each refused naming its option when unreadable."""
    from registry.history import parse_as_of, parse_known_on

    checks = Checks()
    day, moment, first = date.today(), None, None
    for name, value in (("as-of", as_of), ("as-known-on", as_known_on), ("since", since)):
        if value is None:
            continue
        try:
            if name == "as-of":
                day = parse_as_of(value)
            elif name == "as-known-on":
                moment = parse_known_on(value)
            else:
                first = parse_as_of(value)
        except ValueError as error:
            checks.fail(name, str(error))
    checks.done()
    if first is not None and first >= day:
        raise InvalidValue("since", f"{first} is not before the report's day ({day})")
    return day, moment, first


def _more_commands() -> None:
    """Command groups kept in modules of their own (one line each)."""
    from registry import (
        cli_accounts,
        cli_contracts,
        cli_instruments,
        cli_organisations,
        cli_rates,
        cli_sources,
    )

    for module in (cli_accounts, cli_contracts, cli_organisations, cli_rates, cli_sources,
                   cli_instruments):  # fmt: skip
        for command in module.COMMANDS:
            main.add_command(command)


_more_commands()
