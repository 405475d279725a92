"""The `registry` command line, run in-process against each test database."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from registry.cli import main
from registry.migrate import head_revision
from registry.users import ApiToken, User, authenticate, user_for_token
from tests.conftest import dump

PASSWORD = "correct horse battery staple"


def run(url, *args, input=None):
    return CliRunner().invoke(main, list(args), input=input, env={"REGISTRY_DATABASE_URL": url})


@pytest.fixture
def url(engine):
    return engine.url.render_as_string(hide_password=False)


def test_db_upgrade_creates_the_schema(empty_database_url):
    result = run(empty_database_url, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert f"empty -> {head_revision()}" in result.output
    current = run(empty_database_url, "db", "current")
    assert f"current: {head_revision()}" in current.output


def test_seed_loads_once_and_then_changes_nothing(engine, url):
    first = run(url, "seed")
    assert first.exit_code == 0, first.output
    assert "7 programme" in first.output
    before = dump(engine)
    second = run(url, "seed")
    assert second.exit_code == 0, second.output
    assert "created: nothing new" in second.output
    assert dump(engine) == before


def test_user_add_reads_the_password_from_stdin(engine, url):
    result = run(url, "user", "add", "alice", "--role", "editor", "--password-stdin",
                 input=PASSWORD + "\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    with Session(engine) as session:
        assert authenticate(session, "alice", PASSWORD).role == "editor"


def test_user_add_prompts_for_the_password_twice(engine, url):
    result = run(url, "user", "add", "bob", "--role", "viewer", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    with Session(engine) as session:
        assert authenticate(session, "bob", PASSWORD).role == "viewer"


def test_user_add_refuses_a_short_password_and_writes_nothing(engine, url):
    before = dump(engine)
    result = run(url, "user", "add", "alice", "--role", "editor", "--password-stdin",
                 input="short\n")  # fmt: skip
    assert result.exit_code == 1
    assert "error: password:" in result.stderr
    assert dump(engine) == before


def test_user_add_refuses_an_unknown_role(url):
    result = run(url, "user", "add", "alice", "--role", "root", "--password-stdin", input="x\n")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: role: 'root' is not one of")


def test_token_create_prints_the_token_alone_on_its_last_line(engine, url):
    run(url, "user", "add", "alice", "--role", "editor", "--password-stdin", input=PASSWORD)
    result = run(url, "token", "create", "alice")
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("reg_")
    assert " " not in token
    with Session(engine) as session:
        assert user_for_token(session, token).username == "alice"
        stored = session.exec(select(ApiToken)).one()
        assert token != stored.token_hash
        assert session.exec(select(User)).one().username == "alice"


def test_token_for_an_unknown_user_is_refused(engine, url):
    before = dump(engine)
    result = run(url, "token", "create", "ghost")
    assert result.exit_code == 1
    assert "error: username: no user 'ghost'" in result.stderr
    assert dump(engine) == before


@pytest.fixture
def served(monkeypatch):
    """Calls `registry serve` would make to uvicorn, instead of serving."""
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append((args, kwargs)))
    monkeypatch.setattr("registry.cli.check_address", lambda host, port: None)
    return calls


def test_serve_on_a_registry_without_users_creates_an_admin_and_prints_its_password_once(
    engine, url, served
):
    first = run(url, "serve", "--port", "8123")
    assert first.exit_code == 0, first.output
    password = first.output.split("keep it safe:")[1].split()[0]
    with Session(engine) as session:
        assert authenticate(session, "admin", password).role == "admin"
    assert "http://127.0.0.1:8123/ui" in first.output
    assert served[0][1]["port"] == 8123
    assert served[0][1]["app"] == "api.app:serve_app"
    before = dump(engine)
    second = run(url, "serve")
    assert second.exit_code == 0, second.output
    assert password not in second.output
    assert "keep it safe" not in second.output
    assert dump(engine) == before


def test_serve_creates_no_admin_when_a_user_exists(engine, url, served):
    run(url, "user", "add", "alice", "--role", "viewer", "--password-stdin", input=PASSWORD + "\n")
    result = run(url, "serve")
    assert result.exit_code == 0, result.output
    with Session(engine) as session:
        assert session.exec(select(User.username)).all() == ["alice"]


def test_report_as_known_on_and_since_write_what_the_registry_said_then(engine, url, tmp_path):
    from datetime import UTC, datetime

    from registry.database import unit_of_work
    from registry.participation import update_participation
    from seed.load import load_first_data_set

    with unit_of_work(engine) as session:
        load_first_data_set(session)
    between = datetime.now(UTC).isoformat()
    with unit_of_work(engine) as session:
        update_participation(session, programme="mmf", nation="NLD", actor="cli-test",
                             changes={"cost_share": "19.5"}, correction=True)  # fmt: skip
    then, now = tmp_path / "then", tmp_path / "now"
    for out, extra in ((then, ["--as-known-on", between]), (now, ["--since", "2019"])):
        result = run(url, "report", "programme", "--as-of", "2024", "--out", str(out), *extra)
        assert result.exit_code == 0, result.output
    before = (then / "programmes" / "mmf.html").read_text()
    after = (now / "programmes" / "mmf.html").read_text()
    assert "20.20 %" in before
    assert "19.50 %" not in before
    assert "19.50 %" in after
    assert "Changes since 31 December 2019" in after


def test_a_new_registry_is_migrated_and_seeded_by_the_commands_make_run_uses(tmp_path):
    """Guards a fixed fault: `registry user add` in a process of its own (as `registry serve`
    making the first admin) failed on a foreign key to a table its imports had not loaded; the
    tests' own process loads every table, so only a new process shows it."""
    env = {**os.environ, "REGISTRY_DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"}
    registry = str(Path(sys.executable).parent / "registry")
    for command in (
        ["db", "upgrade"],
        ["seed"],
        ["user", "add", "ada", "--role", "admin", "--password-stdin"],
        ["token", "create", "ada"],
    ):
        done = subprocess.run([registry, *command], env=env, capture_output=True, text=True,
                              input=f"{PASSWORD}\n", timeout=120, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
