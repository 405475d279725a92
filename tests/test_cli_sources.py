"""`registry source add|edit|list`, `registry cite` and `registry sources check`: each write in
the audit trail under the actor given, each refusal `error: FIELD: message`, exit 1 and nothing
written; the check exits 1 when it finds a problem."""

import re

import pytest
from sqlmodel import Session, select

from registry.audit import Change
from registry.programmes import Programme
from registry.sources import find_source
from tests.conftest import dump
from tests.test_cli_errors import errors, run, url_of

pytestmark = pytest.mark.usefixtures("seeded")

SOURCE = "public-reporting"


def last_change(engine) -> Change:
    with Session(engine) as session:
        found = session.exec(select(Change).order_by(Change.id.desc())).first()  # type: ignore[union-attr]
    assert found is not None
    return found


def mmf_id(engine) -> str:
    with Session(engine) as session:
        return str(session.exec(select(Programme.id).where(Programme.slug == "mmf")).one())


def test_a_source_is_added_edited_and_listed(engine):
    url = url_of(engine)
    added = run(url, "source", "add", "janes-2026", "--title", "Tanker fleet review",
                "--publisher", "Janes", "--published", "2026-02", "--actor", "ana")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert added.output.strip() == "source janes-2026 added"
    change = last_change(engine)
    assert (change.actor, change.action, change.entity, change.key) == (
        "ana", "create", "source", "janes-2026",
    )  # fmt: skip

    edited = run(url, "source", "edit", "janes-2026", "--title", "Tanker review", "--publisher", "")
    assert edited.exit_code == 0, edited.output
    assert edited.output.strip() == "source janes-2026 is at version 2"
    change = last_change(engine)
    assert (change.actor, change.action, change.key) == ("cli", "update", "janes-2026")
    assert change.after is not None
    assert (change.after["title"], change.after["publisher"]) == ("Tanker review", None)
    with Session(engine) as session:
        made = find_source(session, "janes-2026")
        assert made is not None
        assert made.published_on is not None
        assert made.published_on.isoformat() == "2026-02"  # untouched by the edit

    listed = run(url, "source", "list")
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0].split() == ["key", "published", "cited", "title"]
    assert [line.split()[0] for line in lines[1:]] == sorted(line.split()[0] for line in lines[1:])
    assert any(line.split()[:3] == ["janes-2026", "2026-02", "0"] for line in lines)


def test_a_record_cites_a_source(engine):
    url = url_of(engine)
    assert run(url, "source", "add", "janes-2026", "--title", "T").exit_code == 0
    result = run(url, "cite", "janes-2026", "programme", mmf_id(engine), "--confidence", "low",
                 "--note", "figures disagree")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(f"programme {mmf_id(engine)} cites janes-2026 (low)")
    change = last_change(engine)
    assert (change.actor, change.action, change.entity, change.key) == (
        "cli", "create", "citation", f"programme/{mmf_id(engine)}/janes-2026",
    )  # fmt: skip
    assert change.after is not None
    assert change.after["note"] == "figures disagree"


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["source", "add", "Bad Key", "--title", "T"], "error: key: 'Bad Key' must be lower-case"),
        (["source", "add", "x-1"], "error: title: is required"),
        (["source", "add", "x-1", "--title", "T", "--url", "ftp://x"],
         "error: url: must start with https:// or http://"),
        (["source", "add", SOURCE, "--title", "T"], f"error: key: a source '{SOURCE}' exists"),
        (["source", "edit", SOURCE, "--title", ""], "error: title: must not be empty"),
        (["source", "edit", SOURCE, "--published", "June"], "error: published: 'June' is not"),
        (["source", "edit", "no-such-source", "--title", "T"], "error: key: no source"),
        (["cite", "nope", "programme", "1", "--confidence", "high"], "error: source: no source"),
        (["cite", SOURCE, "planet", "1", "--confidence", "high"], "error: entity: 'planet'"),
        (["cite", SOURCE, "contract", "99999", "--confidence", "high"],
         "error: entity_id: no contract"),
        (["cite", SOURCE, "programme", "one", "--confidence", "high"],
         "error: entity_id: 'one' is not a whole number"),
        (["cite", SOURCE, "programme", "1", "--confidence", "sure"], "error: confidence: 'sure'"),
        (["cite", SOURCE, "programme", "1"], "error: confidence: is required"),
    ],
)  # fmt: skip
def test_refusals_name_the_field_and_write_nothing(engine, args, line):
    before = dump(engine)
    problems = errors(run(url_of(engine), *args))
    assert len(problems) == 1
    assert problems[0].startswith(line), problems
    assert dump(engine) == before


def test_citing_twice_is_refused(engine):
    url = url_of(engine)
    args = ["cite", SOURCE, "programme", mmf_id(engine), "--confidence", "high"]
    before = dump(engine)
    assert errors(run(url, *args)) == [
        f"error: source: programme {mmf_id(engine)} cites {SOURCE} already"
    ]
    assert dump(engine) == before


def test_a_source_is_marked_general_and_unmarked(engine):
    url = url_of(engine)
    assert run(url, "source", "add", "compiled-2026", "--title", "T", "--general").exit_code == 0
    with Session(engine) as session:
        assert find_source(session, "compiled-2026").general is True  # type: ignore[union-attr]
    assert run(url, "source", "edit", "compiled-2026", "--title", "T2").exit_code == 0
    with Session(engine) as session:
        assert find_source(session, "compiled-2026").general is True  # type: ignore[union-attr]
    edited = run(url, "source", "edit", "compiled-2026", "--not-general")
    assert edited.output.strip() == "source compiled-2026 is at version 3"
    change = last_change(engine)
    assert (change.before or {})["general"] is True
    assert (change.after or {})["general"] is False


def test_a_nation_named_by_its_code_cites_a_source_with_a_quote(engine):
    url = url_of(engine)
    result = run(url, "cite", SOURCE, "nation", "NLD", "--confidence", "medium",
                 "--quote", "the Netherlands")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(f"nation NLD cites {SOURCE} (medium)")
    change = last_change(engine)
    assert change.key == f"nation/528/{SOURCE}"
    assert change.after is not None
    assert (change.after["entity_id"], change.after["quote"]) == (528, "the Netherlands")


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["cite", SOURCE, "nation", "Atlantis", "--confidence", "high"],
         "error: entity_id: unknown nation 'Atlantis'"),
        (["cite", SOURCE, "nation", "999", "--confidence", "high"], "error: entity_id: no nation"),
        (["cite", SOURCE, "programme", "1", "--confidence", "high", "--quote", "x" * 1001],
         "error: quote: must be at most 1000 characters"),
        (["source", "add", "check", "--title", "T"], "error: key: 'check' is the name of"),
    ],
)  # fmt: skip
def test_bad_nations_quotes_and_keys_are_refused(engine, args, line):
    before = dump(engine)
    problems = errors(run(url_of(engine), *args))
    assert len(problems) == 1
    assert problems[0].startswith(line), problems
    assert dump(engine) == before


def test_sources_check_counts_a_new_problem_and_exits_1(engine):
    url = url_of(engine)

    def counts(output: str) -> list[int]:
        return [int(n) for n in re.findall(r"(\d+) ", output.splitlines()[-1])]

    first = run(url, "sources", "check")
    assert first.exit_code in (0, 1)
    assert re.fullmatch(
        r"\d+ records? without a citation, \d+ unsupported quotes?, "
        r"\d+ high citations? of general sources",
        first.output.splitlines()[-1],
    )
    assert run(url, "source", "add", "compiled-2026", "--title", "T", "--general").exit_code == 0
    assert run(url, "cite", "compiled-2026", "programme", mmf_id(engine), "--confidence", "high",
               "--quote", "words nowhere").exit_code == 0  # fmt: skip
    then = run(url, "sources", "check")
    assert then.exit_code == 1
    uncited, unsupported, overclaimed = counts(first.output)
    assert counts(then.output) == [uncited, unsupported + 1, overclaimed + 1]
    assert (
        f"  programme {mmf_id(engine)} (Multinational Multi Role Tanker Transport Fleet) "
        "cites compiled-2026" in then.output
    )
