"""Every failure of the command line is `error: FIELD: message` and exit status 1: bad settings,
an unreachable database, a full disk, no permission, bad arguments, bad import rows, Ctrl-C.
No traceback, and no partial file or folder left behind."""

import errno
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import event

from registry.cli import main
from tests.conftest import dump

REGISTRY = str(Path(sys.executable).with_name("registry"))


def url_of(engine):
    return engine.url.render_as_string(hide_password=False)


def run(url: str, *args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env={"REGISTRY_DATABASE_URL": url, **(env or {})})


def errors(result) -> list[str]:
    """The `error:` lines of a failed command, checked to be all it says beyond progress labels."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return [line for line in result.stderr.splitlines() if line.startswith("error: ")]


def full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def interrupt(*args, **kwargs):
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("REGISTRY_PORT", "abc"),
        ("REGISTRY_DB_TIMEOUT", "-1"),
        ("REGISTRY_MAX_BODY_BYTES", "1e3"),
    ],
)
def test_a_bad_setting_names_its_variable(tmp_path, variable, value):
    result = run(f"sqlite:///{tmp_path / 'r.db'}", "db", "current", env={variable: value})
    assert errors(result) == [f"error: {variable}: {value!r} is not a non-negative " + (
        "number" if variable == "REGISTRY_DB_TIMEOUT" else "whole number"
    )]  # fmt: skip


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("postgresql://postgres@127.0.0.1:1/registry", "database"),  # nothing listens on port 1
        ("nosuchdb://somewhere/registry", "REGISTRY_DATABASE_URL"),
        ("not a url", "REGISTRY_DATABASE_URL"),
    ],
)
def test_an_unreachable_database_is_one_line(url, field):
    [line] = errors(run(url, "db", "current"))
    assert line.startswith(f"error: {field}: ")
    assert "SELECT" not in line


def test_a_sqlite_file_that_is_not_a_database_is_one_line(tmp_path):
    path = tmp_path / "registry.db"
    path.write_bytes(b"not a database, just bytes " * 100)
    assert errors(run(f"sqlite:///{path}", "db", "current")) == [
        "error: database: file is not a database"
    ]


def test_a_sqlite_file_whose_folder_cannot_be_made_is_one_line(tmp_path):
    (tmp_path / "plain-file").write_text("x")
    [line] = errors(run(f"sqlite:///{tmp_path / 'plain-file' / 'registry.db'}", "db", "current"))
    assert line.startswith("error: REGISTRY_DATABASE_URL: ")


@pytest.mark.parametrize(
    "args",
    [
        ["export", "ships"],
        ["import", "ships", __file__],
        ["report", "ships", "--out", "somewhere"],
    ],
)
def test_an_unknown_kind_is_refused(engine, args):
    [line] = errors(run(url_of(engine), *args))
    assert line.startswith("error: kind: 'ships' is not one of ")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["frobnicate"], "error: usage: No such command 'frobnicate'."),
        (["--frobnicate"], "error: usage: No such option '--frobnicate'."),
        (["report", "all"], "error: out: is required"),
        (["report", "all", "--out", "x", "--as-of", "2025-13-01"],
         "error: as-of: '2025-13-01' is not a real date"),
        (["report", "all", "--out", "x", "--as-known-on", "2025-03-01T10:00"],
         "error: as-known-on: '2025-03-01T10:00' needs a time zone offset, such as Z or +01:00"),
        (["report", "all", "--out", "x", "--as-of", "2020", "--since", "2021"],
         "error: since: 2021-12-31 is not before the report's day (2020-12-31)"),
        (["serve", "--port", "http"], "error: port: 'http' is not a valid integer."),
    ],
)  # fmt: skip
def test_bad_arguments_are_one_line_too(tmp_path, args, expected):
    assert errors(run(f"sqlite:///{tmp_path / 'r.db'}", *args)) == [expected]


def test_serve_on_a_port_in_use_is_one_line_and_changes_nothing(engine):
    before = dump(engine)
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        lines = errors(run(url_of(engine), "serve", "--port", str(port)))
    assert lines == [f"error: port: cannot listen on 127.0.0.1:{port}: Address already in use"]
    assert dump(engine) == before  # no admin created either


def test_import_rows_that_break_rules_are_named_by_row_and_field(engine, seeded, tmp_path):
    """Guards a fixed bug: bad import rows printed a traceback on the command line."""
    path = tmp_path / "members.csv"
    path.write_text("programme,nation,joined\nmmf,Atlantis,2020\nnope,FIN,2020\n")
    before = dump(engine)
    lines = errors(run(url_of(engine), "import", "participations", str(path)))
    assert [line.split(": ")[:3] for line in lines] == [
        ["error", "row 1", "nation"],
        ["error", "row 2", "programme"],
    ]
    assert dump(engine) == before


def test_an_import_row_with_a_blank_required_cell_is_an_error_line(engine, seeded, tmp_path):
    path = tmp_path / "members.csv"
    path.write_text("programme,nation,joined\nmmf,,2020\n")
    before = dump(engine)
    assert errors(run(url_of(engine), "import", "participations", str(path)))
    assert dump(engine) == before


def test_an_unreadable_import_file_is_one_line(engine, tmp_path, monkeypatch):
    path = tmp_path / "members.csv"
    path.write_text("programme,nation,joined\n")

    def denied(self):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    assert errors(run(url_of(engine), "import", "participations", str(path))) == [
        f"error: file: cannot read {path}: Permission denied"
    ]


@pytest.mark.parametrize("failure", [full_disk, interrupt], ids=["disk-full", "ctrl-c"])
def test_an_export_that_fails_leaves_no_file(engine, seeded, tmp_path, monkeypatch, failure):
    monkeypatch.setattr(os, "fsync", failure)  # the data written, not yet safe
    target = tmp_path / "out" / "contracts.csv"
    target.parent.mkdir()
    lines = errors(run(url_of(engine), "export", "contracts", "--out", str(target)))
    assert lines == (
        [f"error: out: cannot write {target}: No space left on device"]
        if failure is full_disk
        else ["error: interrupted: stopped before it finished"]
    )
    assert list(target.parent.iterdir()) == []


def test_an_export_that_fails_keeps_the_file_it_would_replace(
    engine, seeded, tmp_path, monkeypatch
):
    target = tmp_path / "contracts.csv"
    target.write_text("yesterday's export")
    monkeypatch.setattr(os, "fsync", full_disk)
    assert errors(run(url_of(engine), "export", "contracts", "--out", str(target)))
    assert target.read_text() == "yesterday's export"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_an_export_without_permission_is_one_line(engine, seeded, tmp_path, monkeypatch):
    opened = Path.open

    def denied(self, *args, **kwargs):
        if self.name.endswith(".partial"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return opened(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", denied)
    target = tmp_path / "out" / "contracts.csv"
    target.parent.mkdir()
    assert errors(run(url_of(engine), "export", "contracts", "--out", str(target))) == [
        f"error: out: cannot write {target}: Permission denied"
    ]
    assert list(target.parent.iterdir()) == []


def test_an_export_to_a_full_standard_output_is_one_line(engine, seeded):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    env = os.environ | {"REGISTRY_DATABASE_URL": url_of(engine)}
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            [REGISTRY, "export", "contracts"], stdout=full, stderr=subprocess.PIPE, env=env,
            check=False,
        )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.decode() == (
        "error: output: cannot write standard output: No space left on device\n"
    )


def test_a_backup_onto_a_full_disk_leaves_no_file(engine, seeded, tmp_path, monkeypatch):
    """SQLite itself reports the full disk: the copy may grow by one page, no more."""
    from registry.migrate import upgrade as migrate

    def upgrade_then_fill_the_disk(copy, *args):
        migrate(copy, *args)

        @event.listens_for(copy, "begin")
        def nearly_full(connection):
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar()
            connection.exec_driver_sql(f"PRAGMA max_page_count = {pages + 1}")

    monkeypatch.setattr("registry.backup.upgrade", upgrade_then_fill_the_disk)
    out = tmp_path / "out"
    out.mkdir()
    target = out / "copy.db"
    assert errors(run(url_of(engine), "backup", str(target))) == [
        f"error: file: cannot write {target}: database or disk is full"
    ]
    assert list(out.iterdir()) == []


def test_a_backup_into_a_missing_folder_is_one_line(engine, tmp_path):
    target = tmp_path / "nowhere" / "copy.db"
    assert errors(run(url_of(engine), "backup", str(target))) == [
        f"error: file: no folder {target.parent} to write copy.db in"
    ]


def failing_after(count: int, failure):
    """Path.write_text that writes `count` files and then fails."""
    write = Path.write_text
    calls = []

    def write_text(self, *args, **kwargs):
        calls.append(self)
        if len(calls) > count:
            failure()
        return write(self, *args, **kwargs)

    return write_text


@pytest.mark.parametrize("failure", [full_disk, interrupt], ids=["disk-full", "ctrl-c"])
def test_a_report_that_fails_midway_leaves_no_folder(
    engine, seeded, tmp_path, monkeypatch, failure
):
    monkeypatch.setattr(Path, "write_text", failing_after(3, failure))
    parent = tmp_path / "reports"
    parent.mkdir()
    out = parent / "today"
    lines = errors(run(url_of(engine), "report", "all", "--as-of", "2025-07-01", "--out", str(out)))
    assert lines == (
        [f"error: out: cannot write {out}: No space left on device"]
        if failure is full_disk
        else ["error: interrupted: stopped before it finished"]
    )
    assert list(parent.iterdir()) == []


def test_a_report_that_fails_leaves_an_existing_folder_as_it_was(
    engine, seeded, tmp_path, monkeypatch
):
    out = tmp_path / "reports"
    first = run(url_of(engine), "report", "membership", "--as-of", "2025-07-01", "--out", str(out))
    assert first.exit_code == 0, first.output
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    monkeypatch.setattr(Path, "write_text", failing_after(3, full_disk))
    assert errors(run(url_of(engine), "report", "all", "--as-of", "2024-01-01", "--out", str(out)))
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "membership.html"]


def test_a_report_into_an_existing_folder_replaces_its_reports_and_keeps_other_files(
    engine, seeded, tmp_path
):
    out = tmp_path / "reports"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "membership.html").write_text("old")
    result = run(url_of(engine), "report", "membership", "--as-of", "2025-07-01", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "membership.html", "notes.txt"]
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "membership.html").read_text().startswith("<!DOCTYPE html>")


def test_a_report_as_of_the_last_day_there_is(engine, seeded, tmp_path):
    """Guards a fixed bug: `--as-of 9999-12-31` printed a traceback (the charts asked for
    1 January 10000)."""
    out = tmp_path / "reports"
    result = run(url_of(engine), "report", "programme", "--as-of", "9999-12-31", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert (out / "programmes" / "mmf.html").exists()


def test_an_unexpected_failure_is_one_line_unless_a_traceback_is_asked_for(engine, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("something nobody planned for")

    monkeypatch.setattr("registry.migrate.current_revision", broken)
    url = url_of(engine)
    assert errors(run(url, "db", "current")) == [
        "error: internal: RuntimeError: something nobody planned for (run with --traceback)"
    ]
    shown = run(url, "--traceback", "db", "current")
    assert isinstance(shown.exception, RuntimeError)
