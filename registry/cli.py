"""The `registry` command line."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import click
from sqlalchemy import Engine, func, select

from registry.database import make_engine, unit_of_work
from registry.errors import RegistryError
from registry.settings import Settings


@contextmanager
def _domain_errors() -> Iterator[None]:
    """Print a refused request as `error: field: message` and exit 1; nothing was written."""
    try:
        yield
    except RegistryError as error:
        for problem in error.errors:
            where = f"row {problem.row}: " if problem.row is not None else ""
            click.echo(f"error: {where}{problem.field}: {problem.message}", err=True)
        sys.exit(1)


def _engine(ctx: click.Context) -> Engine:
    """The database engine for this command, closed when the command ends."""
    settings: Settings = ctx.obj
    engine = make_engine(settings.database_url)
    ctx.call_on_close(engine.dispose)
    return engine


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Registry of multinational defence procurement programmes."""
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
    from registry.schema import metadata
    from seed.load import load_first_data_set

    engine = _engine(ctx)
    with _domain_errors(), unit_of_work(engine) as session:
        created = load_first_data_set(session)
    click.echo(
        "created: " + (", ".join(f"{n} {k}" for k, n in sorted(created.items())) or "nothing new")
    )
    with engine.connect() as connection:
        for name, table in sorted(metadata.tables.items()):
            count = connection.execute(select(func.count()).select_from(table)).scalar_one()
            click.echo(f"  {name:<14} {count:>6}")


@main.command()
@click.option(
    "--host", default=None, help="Address to listen on (REGISTRY_HOST, default 127.0.0.1)."
)
@click.option("--port", type=int, default=None, help="Port (REGISTRY_PORT, default 8000).")
@click.option("--workers", type=int, default=1, show_default=True, help="Worker processes.")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, workers: int) -> None:
    """Serve the API and the staff pages; creates an admin first when no user exists."""
    import uvicorn

    from registry.users import first_admin

    settings: Settings = ctx.obj
    host, port = host or settings.host, port or settings.port
    with _domain_errors(), unit_of_work(_engine(ctx)) as session:
        password = first_admin(session, actor="cli")
    if password is not None:
        click.echo(
            "no user existed: created user admin (role admin) with the password below; it is "
            f"shown only now, keep it safe:\n\n    {password}\n"
        )
    base = f"http://{host}:{port}"
    click.echo(f"serving {base} (staff pages: {base}/ui, API docs: {base}/schema/swagger)")
    uvicorn.run(
        "api.app:serve_app", factory=True, host=host, port=port, workers=workers,
        log_level="warning", access_log=False,
    )  # fmt: skip


@main.command("import")
@click.argument("kind", type=click.Choice(["participations", "contracts", "fleet-events"]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and write nothing.")
@click.option("--actor", default="cli", show_default=True, help="Name recorded on each change.")
@click.pass_context
def import_command(ctx: click.Context, kind: str, file: Path, dry_run: bool, actor: str) -> None:
    """Import a CSV or XLSX file: every row or, if any row is bad, none."""
    from registry.imports import import_rows, read_table

    with _domain_errors(), unit_of_work(_engine(ctx)) as session:
        rows = read_table(file.read_bytes(), filename=file.name)
        with click.progressbar(length=len(rows), label=f"{kind}", file=sys.stderr) as bar:
            result = import_rows(
                session, kind, rows, actor=actor, dry_run=dry_run, progress=bar.update
            )
    for row in result.rows:
        click.echo(f"row {row.row}: {row.action} {row.entity} {row.key}")
    verb = "would change" if dry_run else "changed"
    click.echo(f"{kind}: {len(rows)} rows, {verb} {len(result.rows)} records")


@main.command("export")
@click.argument("kind", type=click.Choice(["participations", "contracts", "fleet-events"]))
@click.option("--format", "format_", type=click.Choice(["csv", "parquet", "xlsx"]),
              default="csv", show_default=True, help="File format.")  # fmt: skip
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default: CSV on standard output).")  # fmt: skip
@click.pass_context
def export_command(ctx: click.Context, kind: str, format_: str, out: Path | None) -> None:
    """Export every record of a kind in the columns `registry import` reads."""
    from registry.export import FileFormat, columns, export_rows, write_table

    file_format = FileFormat(format_)
    if out is None and file_format is not FileFormat.CSV:
        raise click.UsageError(f"--format {format_} writes a binary file: give --out FILE")
    with _domain_errors(), unit_of_work(_engine(ctx)) as session:
        rows = export_rows(session, kind)
    data = write_table(rows, columns(kind), file_format, sheet=kind)
    if out is None:
        sys.stdout.buffer.write(data)
        return
    partial = out.with_name(f".{out.name}.partial")
    partial.write_bytes(data)
    partial.replace(out)  # readers never see half a file
    click.echo(f"{kind}: {len(rows)} rows written to {out}", err=True)


@main.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def backup_command(ctx: click.Context, file: Path) -> None:
    """Copy the whole registry, consistently, into a new SQLite file."""
    from registry.backup import backup, row_count

    engine = _engine(ctx)
    bar = click.progressbar(length=row_count(engine), label="rows", file=sys.stderr)
    with _domain_errors(), bar:
        counts = backup(engine, file, progress=lambda _table, rows: bar.update(rows))
    click.echo(f"backup written to {file}: {sum(counts.values())} rows in {len(counts)} tables")


@main.command()
@click.argument(
    "kind", type=click.Choice(["programme", "nation", "membership", "contracts", "all"])
)
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Report as on this day (default today).")  # fmt: skip
@click.option("--pdf", is_flag=True, help="Also write a PDF beside each HTML report.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write (created if missing).")  # fmt: skip
@click.pass_context
def report(ctx: click.Context, kind: str, as_of: datetime | None, pdf: bool, out: Path) -> None:
    """Write print-ready reports (HTML, and PDF with --pdf) and an index page to a folder."""
    from reports.build import write_reports

    day = as_of.date() if as_of else date.today()
    with click.progressbar(length=1, label=f"{kind} reports", file=sys.stderr) as bar:

        def start(total: int) -> None:
            bar.length = max(total, 1)

        written = write_reports(
            _engine(ctx), kind, out, as_of=day, pdf=pdf, progress=bar.update, on_start=start
        )
    click.echo(f"wrote {len(written)} files to {out} (open {out / 'index.html'})")


@main.group()
def user() -> None:
    """Users who sign in to the staff pages and own API tokens."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["viewer", "editor", "admin"]), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
def user_add(ctx: click.Context, name: str, role: str, password_stdin: bool) -> None:
    """Create a user; asks for a password unless --password-stdin is given."""
    from registry.users import add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _domain_errors(), unit_of_work(_engine(ctx)) as session:
        add_user(session, username=name, role=role, password=password, actor="cli")
    click.echo(f"user {name} added as {role}")


@main.group()
def token() -> None:
    """API tokens (bearer tokens for writes)."""


@token.command("create")
@click.argument("name")
@click.pass_context
def token_create(ctx: click.Context, name: str) -> None:
    """Create an API token for user NAME and print it once, alone on the last line."""
    from registry.users import create_token

    with _domain_errors(), unit_of_work(_engine(ctx)) as session:
        row, secret = create_token(session, username=name, actor="cli")
    click.echo(f"token {row.hint}… for {name}; it is shown only now, keep it safe:")
    click.echo(secret)
