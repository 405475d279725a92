"""Instruments: documents nations signed within a programme that are not memberships (a letter
of intent before an enlargement), with their signatories. Recorded once and voided, never
erased; read on both axes (`as_of` signed by then, `as_known_on` held then); refusals name
their field and write nothing; from the rules, the API, the CLI and the programme report."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlmodel import Session, select

from registry.audit import Change
from registry.database import unit_of_work
from registry.errors import Conflict, InvalidValue, NotFound
from registry.instruments import (
    add_instrument,
    find_instrument,
    instruments_of,
    void_instrument,
    with_signatories,
)
from registry.programmes import delete_programme
from reports import documents
from reports.frames import load_frames
from tests.conftest import auth, dump
from tests.factories import ACTOR, make_programme
from tests.test_cli_errors import errors, run, url_of
from tests.test_history import recorded_at
from tests.test_reports import Page

pytestmark = pytest.mark.usefixtures("nations")

TITLE = "Nordic letter of intent on joining the MMF"
NORDIC: dict[str, Any] = {
    "kind": "letter_of_intent",
    "title": TITLE,
    "signatories": ["DNK", "Finland", "NO", "the Kingdom of Sweden"],
    "note": "Preceded the 2025 enlargement; Finland is not a member.",
}
PATH = "/api/programmes/mmf/instruments"


@pytest.fixture
def mmf(engine) -> None:
    with unit_of_work(engine) as session:
        make_programme(session)


def add(session: Session, **overrides: Any):
    return add_instrument(session, programme="mmf", actor=ACTOR, **(NORDIC | overrides))


def titles(rows) -> list[str]:
    return [row.instrument.title for row in rows]


# --- the rules --------------------------------------------------------------------------------


def test_an_instrument_is_recorded_with_its_signatories_and_audited(engine, mmf):
    with unit_of_work(engine) as session:
        number = add(session, signed="2025-05").id
    with Session(engine) as session:
        (found,) = instruments_of(session, "mmf")
        assert found.instrument.id == number
        assert [n.code for n in found.signatories] == ["DNK", "FIN", "NOR", "SWE"]  # by name
        assert (found.instrument.kind, str(found.instrument.signed_on)) == (
            "letter_of_intent", "2025-05",
        )  # fmt: skip
        same = find_instrument(session, "mmf", TITLE)
        assert same is not None
        assert same.id == number
        assert find_instrument(session, "mmf", "Another title") is None
        change = session.exec(select(Change).where(Change.entity == "instrument")).one()
    assert (change.action, change.actor, change.entity_id) == ("create", ACTOR, number)
    assert change.key == f"mmf/{TITLE}"
    assert change.after is not None
    assert change.after["signatories"] == ["DNK", "FIN", "NOR", "SWE"]
    assert change.after["recorded_in"] == change.change_set_id


def test_a_nation_named_as_running_text_spells_it_signs(engine, mmf):
    with unit_of_work(engine) as session:
        made = add(session, title="Benelux MoU", kind="mou",
                   signatories=["the Netherlands", "BE", "Luxembourg"])  # fmt: skip
        signed = with_signatories(session, made)
    assert [n.code for n in signed.signatories] == ["BEL", "LUX", "NLD"]


@pytest.mark.parametrize(
    ("fields", "kind", "field", "message"),
    [
        ({"kind": "treaty"}, InvalidValue, "kind", "'treaty' is not one of: letter_of_intent"),
        ({"title": "  "}, InvalidValue, "title", "must not be empty"),
        ({"title": "x" * 301}, InvalidValue, "title", "must be at most 300 characters"),
        ({"signed": "June 2025"}, InvalidValue, "signed", "'June 2025' is not a date"),
        ({"signed": "2025-01/2025-06-24"}, InvalidValue, "signed", "is a span of dates"),
        ({"signed": "9999"}, InvalidValue, "signed", "must fall in the years"),
        ({"signatories": []}, InvalidValue, "signatories", "name at least one nation"),
        ({"signatories": "DNK"}, InvalidValue, "signatories", "give a list"),
        ({"signatories": ["DNK", "Atlantis"]}, InvalidValue, "signatories",
         "unknown nation 'Atlantis'"),
        ({"signatories": ["DNK", "Denmark"]}, InvalidValue, "signatories", "DNK is named twice"),
        ({"note": "n" * 2001}, InvalidValue, "note", "must be at most 2000 characters"),
        ({"programme": "nope"}, NotFound, "programme", "no programme 'nope'"),
    ],
)  # fmt: skip
def test_a_refused_instrument_names_its_field_and_writes_nothing(
    mmf, refused, fields, kind, field, message
):
    def write(session: Session) -> object:
        return add_instrument(session, actor=ACTOR, **({"programme": "mmf"} | NORDIC | fields))

    error = refused(kind, write)
    assert [e.field for e in error.errors] == [field]
    assert message in error.errors[0].message


def test_every_broken_field_is_named_at_once(mmf, refused):
    error = refused(InvalidValue, lambda session: add(session, kind="", title="", signatories=[]))
    assert error.fields == ["kind", "title", "signatories"]


def test_a_title_the_programme_holds_already_is_refused(engine, mmf, refused):
    with unit_of_work(engine) as session:
        add(session)
    error = refused(Conflict, lambda session: add(session, kind="mou"))
    assert error.fields == ["title"]


def test_as_of_shows_those_signed_by_then_and_those_of_unknown_date(engine, mmf):
    with unit_of_work(engine) as session:
        add(session, title="Letter", signed="2025-05")
        add(session, title="Undated", signed=None)
        add(session, title="Later MoU", kind="mou", signed="2026-02-01")
        add(session, title="Early MoU", kind="mou", signed="2014")
    with Session(engine) as session:
        assert titles(instruments_of(session, "mmf")) == [
            "Early MoU", "Letter", "Later MoU", "Undated",
        ]  # fmt: skip
        assert titles(instruments_of(session, "mmf", date(2025, 6, 1))) == [
            "Early MoU", "Letter", "Undated",
        ]  # fmt: skip
        # A date known to the month counts from its first day, as a contract's does.
        assert titles(instruments_of(session, "mmf", date(2025, 5, 1))) == [
            "Early MoU", "Letter", "Undated",
        ]  # fmt: skip
        assert titles(instruments_of(session, "mmf", date(2013, 12, 31))) == ["Undated"]


def test_a_voided_instrument_leaves_reads_and_stays_as_known_before(engine, mmf):
    with unit_of_work(engine) as session:
        made = add(session)
    with unit_of_work(engine) as session:
        void_instrument(session, instrument_id=made.id, reason="a duplicate", actor=ACTOR)
    with Session(engine) as session:
        assert instruments_of(session, "mmf") == []
        assert find_instrument(session, "mmf", TITLE) is None
        change = session.exec(select(Change).order_by(Change.id.desc())).first()  # type: ignore[union-attr]
        assert change is not None
        voided_in = change.change_set_id
        assert voided_in is not None
        assert (change.action, change.after) == ("void", {"reason": "a duplicate"})
        assert change.before is not None
        assert change.before["signatories"] == ["DNK", "FIN", "NOR", "SWE"]
        # As known before the void it stands; as known before it was recorded it is not there.
        assert titles(instruments_of(session, "mmf", known=voided_in - 1)) == [TITLE]
        assert instruments_of(session, "mmf", known=voided_in) == []
        assert instruments_of(session, "mmf", known=made.recorded_in - 1) == []
    with unit_of_work(engine) as session:  # the title is free again
        add(session)


@pytest.mark.parametrize(
    ("instrument_id", "reason", "kind", "field"),
    [
        (None, "  ", InvalidValue, "reason"),
        (None, None, InvalidValue, "reason"),
        (999, "a duplicate", NotFound, "id"),
        (2**40, "a duplicate", NotFound, "id"),
        ("one", "a duplicate", NotFound, "id"),
    ],
)
def test_a_refused_void_names_its_field_and_writes_nothing(
    engine, mmf, refused, instrument_id, reason, kind, field
):
    with unit_of_work(engine) as session:
        number = add(session).id

    def write(session: Session) -> None:
        void_instrument(session, instrument_id=instrument_id or number, reason=reason, actor=ACTOR)

    assert refused(kind, write).fields == [field]


def test_a_voided_instrument_is_not_voided_again(engine, mmf, refused):
    with unit_of_work(engine) as session:
        number = add(session).id
    with unit_of_work(engine) as session:
        void_instrument(session, instrument_id=number, reason="a duplicate", actor=ACTOR)

    def again(session: Session) -> None:
        void_instrument(session, instrument_id=number, reason="again", actor=ACTOR)

    assert refused(NotFound, again).fields == ["id"]


# --- the API ----------------------------------------------------------------------------------


def _post(client, token: str, body: dict[str, Any], path: str = PATH):
    return client.post(path, json=body, headers=auth(token))


def test_the_api_records_lists_and_voids_an_instrument(client, tokens, mmf):
    body = NORDIC | {"signed": "2025", "signatories": ["DNK", "FIN", "NOR", "SWE"]}
    made = _post(client, tokens["editor"], body)
    assert made.status_code == 201, made.text
    answer = made.json()
    assert {k: answer[k] for k in ("programme", "kind", "title", "signed", "note")} == {
        "programme": "mmf", "kind": "letter_of_intent", "title": TITLE,
        "signed": "2025", "note": NORDIC["note"],
    }  # fmt: skip
    assert [n["code"] for n in answer["signatories"]] == ["DNK", "FIN", "NOR", "SWE"]
    assert answer["signatories"][1]["name"] == "Finland"
    listed = client.get(PATH)
    assert listed.status_code == 200
    assert listed.json()["total"] == 1
    assert listed.json()["items"] == [answer]
    detail = client.get("/api/programmes/mmf").json()
    assert detail["instruments"] == [answer]

    gone = client.delete(f"{PATH}/{answer['id']}", params={"reason": "a duplicate"},
                         headers=auth(tokens["editor"]))  # fmt: skip
    assert gone.status_code == 204, gone.text
    assert client.get(PATH).json()["items"] == []
    assert client.get("/api/programmes/mmf").json()["instruments"] == []


def test_the_api_reads_instruments_on_both_axes(client, tokens, mmf):
    undated = _post(client, tokens["editor"], NORDIC).json()
    assert undated["signed"] is None
    recorded = client.get(f"/api/change-sets/{_newest_set(client)}").json()["recorded_at"]
    later = _post(client, tokens["editor"],
                  {"kind": "mou", "title": "MoU", "signed": "2026-02-01", "signatories": ["NLD"]})  # fmt: skip
    assert later.status_code == 201, later.text

    def shown(**params: str) -> list[str]:
        answer = client.get(PATH, params=params)
        assert answer.status_code == 200, answer.text
        return [item["title"] for item in answer.json()["items"]]

    assert shown() == ["MoU", TITLE]  # unknown dates last
    future = _post(client, tokens["editor"],
                   {"kind": "mou", "title": "Later MoU", "signed": "2099", "signatories": ["NLD"]})  # fmt: skip
    assert future.status_code == 201, future.text
    assert shown() == ["MoU", TITLE]  # as of today, like every read: not signed yet
    assert shown(as_of="2099") == ["MoU", "Later MoU", TITLE]
    client.delete(f"{PATH}/{future.json()['id']}", params={"reason": "not signed yet"},
                  headers=auth(tokens["editor"]))  # fmt: skip
    assert shown(as_of="2025-12-31") == [TITLE]  # an unknown date always shows
    assert shown(as_of="2026") == ["MoU", TITLE]
    assert shown(as_known_on=recorded) == [TITLE]
    detail = client.get("/api/programmes/mmf", params={"as_of": "2025-12-31"}).json()
    assert [i["title"] for i in detail["instruments"]] == [TITLE]
    detail = client.get("/api/programmes/mmf", params={"as_known_on": recorded}).json()
    assert [i["title"] for i in detail["instruments"]] == [TITLE]

    client.delete(f"{PATH}/{undated['id']}", params={"reason": "wrong programme"},
                  headers=auth(tokens["editor"]))  # fmt: skip
    voided = recorded_at(client, _newest_set(client))
    assert shown() == ["MoU"]
    assert shown(as_known_on=recorded) == [TITLE]  # as known before the void
    assert shown(as_known_on=voided) == ["MoU"]


def _newest_set(client) -> int:
    number: int = client.get("/api/changes", params={"limit": "1"}).json()["items"][0]["change_set"]
    return number


@pytest.mark.parametrize(
    ("who", "body", "path", "status", "field"),
    [
        ("viewer", NORDIC, PATH, 403, "role"),
        (None, NORDIC, PATH, 401, "authorization"),
        ("editor", NORDIC | {"kind": "treaty"}, PATH, 422, "kind"),
        ("editor", NORDIC | {"title": " "}, PATH, 422, "title"),
        ("editor", NORDIC | {"signed": "2025-13"}, PATH, 422, "signed"),
        ("editor", NORDIC | {"signatories": ["DNK", "dk"]}, PATH, 422, "signatories"),
        ("editor", NORDIC | {"signatories": ["Atlantis"]}, PATH, 422, "signatories"),
        ("editor", NORDIC | {"signatories": []}, PATH, 400, "signatories"),
        ("editor", NORDIC | {"colour": "blue"}, PATH, 400, "colour"),
        ("editor", NORDIC, "/api/programmes/nope/instruments", 404, "programme"),
    ],
)  # fmt: skip
def test_a_refused_post_names_the_field_and_changes_nothing(
    client, tokens, engine, mmf, who, body, path, status, field
):
    before = dump(engine)
    headers = auth(tokens[who]) if who else {}
    answer = client.post(path, json=body, headers=headers)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in answer.json()["errors"]], answer.text
    assert dump(engine) == before


def test_a_title_taken_is_a_conflict(client, tokens, mmf, engine):
    assert _post(client, tokens["editor"], NORDIC).status_code == 201
    before = dump(engine)
    again = _post(client, tokens["editor"], NORDIC | {"kind": "mou"})
    assert (again.status_code, again.json()["errors"][0]["field"]) == (409, "title")
    assert dump(engine) == before


@pytest.mark.parametrize(
    ("who", "where", "reason", "status", "field"),
    [
        ("viewer", "mmf", "a duplicate", 403, "role"),
        ("editor", "mmf", None, 400, "reason"),
        ("editor", "mmf", "   ", 400, "reason"),
        ("editor", "other", "a duplicate", 404, "id"),  # not this programme's
    ],
)
def test_a_refused_void_over_the_api_changes_nothing(
    client, tokens, engine, mmf, who, where, reason, status, field
):
    with unit_of_work(engine) as session:
        make_programme(session, slug="other", name="Other")
    number = _post(client, tokens["editor"], NORDIC).json()["id"]
    before = dump(engine)
    params = {} if reason is None else {"reason": reason}
    answer = client.delete(f"/api/programmes/{where}/instruments/{number}", params=params,
                           headers=auth(tokens[who]))  # fmt: skip
    assert answer.status_code == status, answer.text
    problem = answer.json()["errors"][0]
    assert field in problem["field"] + problem["message"]
    assert dump(engine) == before
    missing = client.delete(f"{PATH}/99999", params={"reason": "x"},
                            headers=auth(tokens["editor"]))  # fmt: skip
    assert (missing.status_code, missing.json()["errors"][0]["field"]) == (404, "id")


def test_the_list_of_a_programme_that_is_not_there_is_not_found(client):
    answer = client.get("/api/programmes/nope/instruments")
    assert (answer.status_code, answer.json()["errors"][0]["field"]) == (404, "slug")


# --- the CLI ----------------------------------------------------------------------------------


def test_the_cli_adds_lists_and_voids_an_instrument(engine, mmf):
    url = url_of(engine)
    added = run(url, "instrument", "add", "mmf", "--kind", "letter_of_intent", "--title",
                "Nordic letter", "--signatory", "DNK", "--signatory", "Finland", "--signatory",
                "NOR", "--signatory", "SWE", "--note", "before 24 June 2025", "--actor", "ana")  # fmt: skip
    assert added.exit_code == 0, added.output
    number = int(added.output.split()[1])
    assert added.output.strip() == f"instrument {number} added to mmf"
    dated = run(url, "instrument", "add", "mmf", "--kind", "mou", "--title", "MoU", "--signed",
                "2014-11", "--signatory", "the Netherlands")  # fmt: skip
    assert dated.exit_code == 0, dated.output

    listed = run(url, "instrument", "list", "mmf")
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0].split() == ["id", "signed", "kind", "signatories", "title"]
    assert lines[1].split()[1:] == ["2014-11", "mou", "NLD", "MoU"]
    assert lines[2].split()[1:] == ["-", "letter_of_intent", "DNK,FIN,NOR,SWE", "Nordic", "letter"]

    voided = run(url, "instrument", "void", str(number), "--reason", "a duplicate")
    assert voided.exit_code == 0, voided.output
    assert voided.output.strip() == f"instrument {number} voided"
    assert len(run(url, "instrument", "list", "mmf").output.splitlines()) == 2
    with Session(engine) as session:
        actors = session.exec(
            select(Change.actor, Change.action)
            .where(Change.entity == "instrument")
            .order_by(Change.id)  # type: ignore[arg-type]
        ).all()
    assert list(actors) == [("ana", "create"), ("cli", "create"), ("cli", "void")]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["add", "mmf", "--kind", "mou", "--title", "T"],
         "error: signatories: name at least one nation"),
        (["add", "mmf", "--kind", "mou", "--title", "T", "--signatory", "DNK", "--signatory",
          "Denmark"], "error: signatories: DNK is named twice"),
        (["add", "mmf", "--kind", "treaty", "--title", "T", "--signatory", "DNK"],
         "error: kind: 'treaty' is not one of"),
        (["add", "mmf", "--kind", "mou", "--title", "T", "--signatory", "DNK", "--signed",
          "soon"], "error: signed: 'soon' is not a date"),
        (["add", "nope", "--kind", "mou", "--title", "T", "--signatory", "DNK"],
         "error: programme: no programme 'nope'"),
        (["add", "mmf", "--kind", "mou", "--signatory", "DNK"], "error: title: is required"),
        (["void", "999", "--reason", "x"], "error: id: no instrument 999"),
        (["void", "1"], "error: reason: is required"),
    ],
)  # fmt: skip
def test_cli_refusals_name_the_field_and_write_nothing(engine, mmf, args, line):
    before = dump(engine)
    problems = errors(run(url_of(engine), "instrument", *args))
    assert len(problems) == 1
    assert problems[0].startswith(line), problems
    assert dump(engine) == before


# --- the programme report ---------------------------------------------------------------------


def _report(engine, on: date) -> str:
    frames = load_frames(engine)
    return documents.programme_report(frames, "mmf", documents.stamp(frames, on))


def test_the_programme_report_lists_the_instruments_signed_by_its_date(engine, mmf):
    assert "Instruments" not in Page(_report(engine, date(2026, 1, 1))).words  # none: no section
    with unit_of_work(engine) as session:
        add(session)
        add(session, kind="mou", title="MoU on <basing>", signed="2014-11",
            signatories=["NLD", "LUX"], note=None)  # fmt: skip
        add(session, kind="accession", title="Accession of Norway", signed="2030-01-01",
            signatories=["NOR"], note=None)  # fmt: skip
        voided = add(session, kind="agreement", title="Voided agreement", signatories=["DNK"])
    with unit_of_work(engine) as session:
        void_instrument(session, instrument_id=voided.id, reason="x", actor=ACTOR)
    html = _report(engine, date(2026, 1, 1))
    page = Page(html)
    words = page.words
    assert "Instruments (2)" in words
    assert ("November 2014 MoU MoU on <basing> Luxembourg, Netherlands —") in words
    assert ("date unknown letter of intent Nordic letter of intent on joining the MMF Denmark, "
            "Finland, Norway, Sweden Preceded the 2025 enlargement") in words  # fmt: skip
    assert "&lt;basing&gt;" in html  # escaped
    assert "letter_of_intent" not in words
    assert "Accession of Norway" not in words  # signed after the report's date
    assert "Voided agreement" not in words
    assert "Accession of Norway" in Page(_report(engine, date(2030, 1, 1))).words


def test_a_programme_with_an_instrument_is_not_deleted(engine, refused):
    with unit_of_work(engine) as session:
        make_programme(session, slug="lettered")
        add_instrument(session, programme="lettered", kind="mou", title="An MoU",
                       signatories=["NLD"], actor=ACTOR)  # fmt: skip
    error = refused(Conflict, lambda s: delete_programme(s, "lettered", actor=ACTOR))
    assert error.errors[0].field == "slug"
    assert "instruments" in error.errors[0].message
