"""`check_sources`: records that cite no source, quotes their source's excerpt does not hold and
high citations of general compilations are each found, and each goes once it is put right; the
same from `registry sources check` and `GET /api/sources/check`."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session

from registry.amendments import void_contract
from registry.contracts import Contract, add_contract
from registry.fleet import FleetEvent, record_fleet_event, void_fleet_event
from registry.nations import nation_number
from registry.participation import join_programme
from registry.source_check import HELD, check_sources, holds_quote
from registry.sources import (
    CITABLE,
    Cited,
    add_source,
    cite,
    record_name,
    update_citation,
    update_source,
)
from tests.factories import ACTOR, make_organisation, make_programme
from tests.test_cli_errors import run, url_of

EXCERPT = (
    "Luxembourg and the Netherlands will buy two more A330\u00a0MRTT aircraft for the "
    "\u201cMultinational\u201d fleet\u2019s pool."
)
CLEAN = "0 records without a citation, 0 unsupported quotes, 0 high citations of general sources"


@pytest.fixture
def world(session: Session, nations: None) -> dict[str, int]:
    """One record of every kind that cites sources, none citing any yet, and two sources: a
    publication with an excerpt and a general compilation."""
    programme = make_programme(session)
    organisation = make_organisation(session)
    spell = join_programme(session, programme="mmf", nation="NLD", joined="2014", actor=ACTOR)
    contract = add_contract(session, programme="mmf", title="Two A330 MRTT", kind="acquisition",
                            actor=ACTOR)  # fmt: skip
    fleet_event = record_fleet_event(session, programme="mmf", kind="ordered", date="2024",
                                     count=2, actor=ACTOR)  # fmt: skip
    add_source(session, key="summit", title="Summit declaration", excerpt=EXCERPT, actor=ACTOR)
    add_source(session, key="compiled", title="Public reporting", general=True, actor=ACTOR)
    session.commit()
    return {
        "programme": programme.id or 0, "organisation": organisation.id or 0, "participation":
        spell.id, "contract": contract.id or 0, "fleet_event": fleet_event.id or 0,
        "nation": nation_number("NLD"),
    }  # fmt: skip


def found(problems: Any) -> set[tuple[str, int]]:
    return {(p.entity, p.entity_id) for p in problems}


def cite_it(session: Session, entity: str, entity_id: int, **fields: Any) -> int:
    values = {"source": "summit", "confidence": "medium"} | fields
    made = cite(session, entity=entity, entity_id=entity_id, actor=ACTOR, **values)
    session.commit()
    return made.id or 0


# --- the kinds of record ------------------------------------------------------------------------


def test_every_citable_kind_says_which_of_its_records_are_held():
    assert set(HELD) == set(CITABLE) == set(Cited)


def test_every_citable_kind_names_its_records(session, world):
    for entity, entity_id in world.items():
        assert entity_id in HELD[entity](session), entity
        assert record_name(session, entity, entity_id) != f"{entity} {entity_id}", entity


# --- records that cite nothing ------------------------------------------------------------------


def test_records_that_cite_nothing_are_found_until_they_cite_a_source(session, world):
    check = check_sources(session)
    assert found(check.uncited) >= set(world.items())
    programme = next(p for p in check.uncited if p.entity == "programme")
    assert (programme.record, programme.source, programme.why) == (
        "Multinational Multi Role Tanker Transport Fleet", None, "cites no source",
    )  # fmt: skip
    kinds = [p.entity for p in check.uncited]
    assert kinds == sorted(kinds, key=list(CITABLE).index), "in the order of CITABLE's kinds"
    for entity, entity_id in world.items():
        cite_it(session, entity, entity_id)
    assert found(check_sources(session).uncited) & set(world.items()) == set()


def test_a_voided_contract_and_a_voided_fleet_event_need_no_citation(session, world):
    void_contract(session, contract_id=world["contract"], reason="a duplicate", actor=ACTOR)
    void_fleet_event(session, programme="mmf", event_id=world["fleet_event"],
                     reason="a duplicate", actor=ACTOR)  # fmt: skip
    session.commit()
    assert session.get(Contract, world["contract"]) is not None
    assert session.get(FleetEvent, world["fleet_event"]) is not None
    uncited = found(check_sources(session).uncited)
    assert ("contract", world["contract"]) not in uncited
    assert ("fleet_event", world["fleet_event"]) not in uncited
    assert ("programme", world["programme"]) in uncited


# --- quotes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quote", "held"),
    [
        ("two more A330 MRTT aircraft", True),
        ("  TWO more\n a330   mrtt ", True),  # whitespace collapsed, case folded
        ('the "Multinational" fleet\'s pool', True),  # straight quotes for curly ones
        ("the \u2018Multinational\u2019 fleet\u2019s", False),  # single quotes are not double
        ("three more A330 MRTT", False),
    ],
)
def test_a_quote_is_held_by_an_excerpt_whatever_its_spacing_case_and_quote_marks(quote, held):
    assert holds_quote(EXCERPT, quote) is held


def test_quotes_the_excerpt_does_not_hold_are_found_until_it_does(session, world):
    cite_it(session, "programme", world["programme"], quote="two more A330  MRTT")
    assert check_sources(session).unsupported == []
    wrong = cite_it(session, "contract", world["contract"], quote="three more A330 MRTT")
    (problem,) = check_sources(session).unsupported
    assert (problem.entity, problem.entity_id, problem.source, problem.citation) == (
        "contract", world["contract"], "summit", wrong,
    )  # fmt: skip
    assert problem.quote == "three more A330 MRTT"
    assert problem.record == "Two A330 MRTT (Multinational Multi Role Tanker Transport Fleet)"
    assert "does not hold" in problem.why
    update_source(session, key="summit", excerpt=EXCERPT + " Three more A330 MRTT follow.",
                  actor=ACTOR)  # fmt: skip
    session.commit()
    assert check_sources(session).unsupported == []


def test_a_quote_of_a_source_without_an_excerpt_is_unsupported_until_it_has_one(session, world):
    cite_it(session, "nation", world["nation"], source="compiled", quote="the Netherlands")
    (problem,) = check_sources(session).unsupported
    assert (problem.entity, problem.record, problem.source) == ("nation", "Netherlands",
                                                                 "compiled")  # fmt: skip
    assert "no excerpt" in problem.why
    update_source(session, key="compiled", excerpt="Allies: the Netherlands, ...", actor=ACTOR)
    session.commit()
    assert check_sources(session).unsupported == []


# --- high confidence from general compilations --------------------------------------------------


def test_high_citations_of_general_sources_are_found_until_lowered(session, world):
    cite_it(session, "programme", world["programme"], confidence="high")  # one publication
    high = cite_it(session, "organisation", world["organisation"], source="compiled",
                   confidence="high")  # fmt: skip
    cite_it(session, "participation", world["participation"], source="compiled")  # medium
    (problem,) = check_sources(session).overclaimed
    assert (problem.entity, problem.entity_id, problem.source, problem.citation) == (
        "organisation", world["organisation"], "compiled", high,
    )  # fmt: skip
    update_citation(session, citation_id=high, confidence="medium", actor=ACTOR)
    session.commit()
    assert check_sources(session).overclaimed == []
    update_source(session, key="summit", general=True, actor=ACTOR)  # the programme's, high
    session.commit()
    assert found(check_sources(session).overclaimed) == {("programme", world["programme"])}


# --- the summary, the JSON, and the cost ------------------------------------------------------


def test_an_empty_registry_is_clean(session):
    check = check_sources(session)
    assert check.clean
    assert check.summary() == CLEAN
    assert check.as_json() == {"uncited": [], "unsupported": [], "overclaimed": []}


def test_the_summary_counts_each_kind_of_problem(session, nations):
    make_programme(session)
    add_source(session, key="compiled", title="Public reporting", general=True, actor=ACTOR)
    for code in ("NLD", "BEL"):
        cite(session, source="compiled", entity="nation", entity_id=code, confidence="high",
             quote=code, actor=ACTOR)  # fmt: skip
    session.commit()
    check = check_sources(session)
    assert (len(check.unsupported), len(check.overclaimed)) == (2, 2)
    uncited = len(check.uncited)
    assert check.summary() == (f"{uncited} records without a citation, 2 unsupported quotes, "
                               "2 high citations of general sources")  # fmt: skip
    assert not check.clean


def test_the_check_reads_a_few_queries_however_many_records_it_names(engine, session, nations):
    def statements() -> int:
        seen: list[str] = []
        listen = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listen)
        try:
            check_sources(session)
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        return len(seen)

    make_programme(session)
    session.commit()
    few = statements()
    for n in range(30):
        make_programme(session, slug=f"programme-{n}", name=f"Programme {n}")
    session.commit()
    assert statements() == few <= 15


# --- from the command line and the API ----------------------------------------------------------


def test_a_clean_registry_checks_with_exit_status_0(engine):
    result = run(url_of(engine), "sources", "check")
    assert (result.exit_code, result.output) == (0, CLEAN + "\n")
    as_json = run(url_of(engine), "sources", "check", "--json")
    assert as_json.exit_code == 0
    assert json.loads(as_json.output) == {"uncited": [], "unsupported": [], "overclaimed": []}


def test_problems_are_printed_a_line_each_under_their_heading_with_exit_status_1(
    engine, session, world
):
    for entity, entity_id in world.items():
        cite_it(session, entity, entity_id, source="compiled")
    wrong = cite_it(session, "programme", world["programme"], quote="three more")
    high = cite_it(session, "contract", world["contract"], source="summit", confidence="high")
    update_source(session, key="summit", general=True, actor=ACTOR)
    session.commit()
    uncited = len(check_sources(session).uncited)  # the other nations
    result = run(url_of(engine), "sources", "check")
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    mmf = "Multinational Multi Role Tanker Transport Fleet"
    assert lines[lines.index(f"Records that cite no source ({uncited}):") + 1].startswith(
        "  nation "
    )
    heading = lines.index("Quotes their source's excerpt does not hold (1):")
    assert lines[heading + 1] == (
        f"  programme {world['programme']} ({mmf}) cites summit (citation {wrong}): its "
        "source's excerpt does not hold its quote: \u201cthree more\u201d"
    )
    heading = lines.index("High confidence from general compilations (at most medium) (1):")
    assert lines[heading + 1] == (
        f"  contract {world['contract']} (Two A330 MRTT ({mmf})) cites summit (citation {high}): "
        "high confidence from a general compilation (at most medium)"
    )
    assert lines[-1] == (f"{uncited} records without a citation, 1 unsupported quote, "
                         "1 high citation of general sources")  # fmt: skip
    as_json = run(url_of(engine), "sources", "check", "--json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.output) == check_sources(session).as_json()


def test_the_api_answers_the_check_as_the_command_line_prints_it(client, session, world):
    cited = cite_it(session, "programme", world["programme"], source="compiled",
                    confidence="high")  # fmt: skip
    answer = client.get("/api/sources/check")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body == check_sources(session).as_json()
    (overclaimed,) = body["overclaimed"]
    assert overclaimed["entity"] == "programme"
    assert overclaimed["source"] == "compiled"
    # The answer is kept only until the next write: putting it right shows at once.
    update_citation(session, citation_id=cited, confidence="medium", actor=ACTOR)
    session.commit()
    assert client.get("/api/sources/check").json()["overclaimed"] == []
