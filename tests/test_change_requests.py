"""Review before apply: a change proposed by one person, approved by another, applied whole.
The rules are called directly and over the API; refusals name their field and leave the
database as it was."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from registry import change_requests as cr
from registry import commands
from registry.audit import Change, ChangeSet
from registry.database import unit_of_work
from registry.errors import Conflict, Forbidden, InvalidValue, RegistryError
from registry.participation import current_participation, update_participation
from tests.conftest import auth, dump

pytestmark = pytest.mark.usefixtures("seeded")

FINLAND = {"command": "join_programme", "programme": "mmf", "nation": "FIN", "role": "observer",
           "joined": "2025-06-01"}  # fmt: skip
DUTCH_SHARE = {"command": "change_membership", "programme": "mmf", "nation": "NLD",
               "cost_share": "19", "effective": "2026-01"}  # fmt: skip


def _propose(engine: Engine, *commands_: dict[str, Any], author: str = "anna",
             submit: bool = True) -> int:  # fmt: skip
    with unit_of_work(engine) as session:
        return cr.propose(session, commands=list(commands_), author=author, submit=submit).id or 0


def _finland(engine: Engine) -> Any:
    with Session(engine) as session:
        try:
            return current_participation(session, "mmf", "FIN")[0]
        except RegistryError:
            return None


def test_an_approved_request_applies_whole_and_names_author_and_approver(engine):
    number = _propose(engine, FINLAND, DUTCH_SHARE)
    assert _finland(engine) is None  # proposed, not applied
    with unit_of_work(engine) as session:
        applied = cr.approve(session, number, reviewer="ben", role="editor")
        assert (applied.status, applied.decided_by) == ("applied", "ben")
    finland = _finland(engine)
    assert (finland.role, finland.joined_on.isoformat()) == ("observer", "2025-06-01")
    with Session(engine) as session:
        made = session.get(ChangeSet, cr.applied_in(session, applied))
        assert made is not None
        assert (made.actor, made.change_request_id) == ("ben", number)
        changes = session.exec(select(Change).where(Change.change_set_id == made.id)).all()
        assert sorted((c.entity, c.actor) for c in changes) == [
            ("change_request", "ben"), ("participation", "anna"), ("participation", "anna"),
        ]  # fmt: skip


@pytest.mark.parametrize("how", ["rule", "api"])
def test_the_author_cannot_approve_their_own_request(engine, client, tokens, how):
    number = _propose(engine, FINLAND, author="editor")
    before = dump(engine)
    if how == "rule":
        with Session(engine) as session, pytest.raises(Forbidden) as refused:
            cr.approve(session, number, reviewer="editor", role="editor")
        assert refused.value.errors[0].field == "decided_by"
    else:
        answer = client.post(f"/api/change-requests/{number}/approve",
                             headers=auth(tokens["editor"]))  # fmt: skip
        assert answer.status_code == 403
        assert answer.json()["errors"][0]["field"] == "decided_by"
    assert dump(engine) == before


def test_a_stale_request_applies_nothing_until_its_author_rebases_it(engine):
    number = _propose(engine, DUTCH_SHARE, FINLAND)
    with unit_of_work(engine) as session:  # someone changes the Dutch membership meanwhile
        update_participation(session, programme="mmf", nation="NLD", actor="carl",
                             changes={"note": "hours revised"})  # fmt: skip
    before = dump(engine)
    with Session(engine) as session:
        shown = cr.diff(session, cr.get_request(session, number))
        assert [d.conflict for d in shown if d.field == "cost_share"] == [True]
        with pytest.raises(Conflict) as refused:
            cr.approve(session, number, reviewer="ben", role="editor")
        session.rollback()
    assert [e.field for e in refused.value.errors] == ["commands[0]"]
    assert "mmf/NLD changed since this was proposed" in refused.value.errors[0].message
    assert dump(engine) == before
    with unit_of_work(engine) as session, pytest.raises(Forbidden):
        cr.rebase(session, number, actor="ben")  # only its author
    with unit_of_work(engine) as session:
        rebased = cr.rebase(session, number, actor="anna")
        assert not [d for d in cr.diff(session, rebased) if d.conflict]
    with unit_of_work(engine) as session:
        assert cr.approve(session, number, reviewer="ben", role="editor").status == "applied"
    assert _finland(engine) is not None


def test_a_fault_half_way_through_applying_leaves_everything_as_it_was(engine, monkeypatch):
    number = _propose(engine, FINLAND, DUTCH_SHARE)
    before = dump(engine)
    real = commands.KINDS["change_membership"]

    def broken(*args: Any) -> object:
        raise RuntimeError("the disk went away")

    monkeypatch.setitem(commands.KINDS, "change_membership",
                        commands.Kind(real.name, real.summary, real.fields, real.names, broken,
                                      real.read))  # fmt: skip
    with pytest.raises(RuntimeError), unit_of_work(engine) as session:
        cr.approve(session, number, reviewer="ben", role="editor")
    assert dump(engine) == before
    assert _finland(engine) is None


def test_two_reviewers_approving_at_once_apply_it_once(engine):
    number = _propose(engine, FINLAND)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def review(name: str) -> None:
        start.wait(timeout=30)
        try:
            with unit_of_work(engine) as session:
                cr.approve(session, number, reviewer=name, role="editor")
            outcomes.append("applied")
        except RegistryError as error:
            outcomes.append(f"{error.status} {error.errors[0].field}")

    threads = [threading.Thread(target=review, args=(name,)) for name in ("ben", "carl")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["409 status", "applied"]
    with Session(engine) as session:
        spells = session.exec(select(Change).where(Change.key == "mmf/FIN")).all()
        assert len(spells) == 1


@pytest.mark.parametrize(
    ("commands_", "field"),
    [
        ([], "commands"),
        ([{"command": "launch_rocket"}], "commands[0].command"),
        ([{**FINLAND, "colour": "blue"}], "commands[0].colour"),
        ([{"command": "join_programme", "programme": "mmf"}], "commands[0].nation"),
        ([{**FINLAND, "joined": "2025-13"}], "commands[0].joined"),
        ([FINLAND, {**FINLAND, "role": "participant"}], "commands[1].nation"),
    ],
)
def test_a_request_that_cannot_apply_is_refused_when_proposed(engine, commands_, field):
    before = dump(engine)
    with Session(engine) as session, pytest.raises(RegistryError) as refused:
        cr.propose(session, commands=commands_, author="anna")
    assert field in [e.field for e in refused.value.errors], refused.value.errors
    assert dump(engine) == before


def test_reject_needs_a_reason_and_another_person_and_withdraw_its_author(engine):
    number = _propose(engine, FINLAND)
    before = dump(engine)
    for call, error, field in [
        (lambda s: cr.reject(s, number, reviewer="ben", role="editor", reason=" "),
         InvalidValue, "reason"),
        (lambda s: cr.reject(s, number, reviewer="anna", role="editor", reason="no"),
         Forbidden, "decided_by"),
        (lambda s: cr.reject(s, number, reviewer="vic", role="viewer", reason="no"),
         Forbidden, "role"),
        (lambda s: cr.withdraw(s, number, actor="ben"), Forbidden, "author"),
    ]:  # fmt: skip
        with Session(engine) as session, pytest.raises(error) as refused:
            call(session)
        assert refused.value.errors[0].field == field
    assert dump(engine) == before
    with unit_of_work(engine) as session:
        rejected = cr.reject(session, number, reviewer="ben", role="editor", reason="not yet")
        assert (rejected.status, rejected.reason) == ("rejected", "not yet")
    with Session(engine) as session, pytest.raises(Conflict) as closed:
        cr.approve(session, number, reviewer="carl", role="editor")
    assert closed.value.errors[0].field == "status"


def test_the_api_proposes_lists_shows_the_diff_and_approves(client, tokens, engine):
    body = {"comment": "Finland observes", "commands": [FINLAND], "submit": True}
    made = client.post("/api/change-requests", json=body, headers=auth(tokens["editor"]))
    assert made.status_code == 201, made.text
    number = made.json()["id"]
    assert made.headers["location"] == f"/api/change-requests/{number}"
    listed = client.get("/api/change-requests", params={"status": "submitted", "programme": "mmf"})
    assert [r["id"] for r in listed.json()["items"]] == [number]
    shown = client.get(f"/api/change-requests/{number}").json()
    assert {d["field"]: (d["proposed_from"], d["proposed"], d["now"]) for d in shown["diff"]} == {
        "role": (None, "observer", None), "joined": (None, "2025-06-01", None),
    }  # fmt: skip
    # A viewer reads but cannot act.
    before = dump(engine)
    for action in ("approve", "withdraw", "rebase", "submit"):
        refused = client.post(f"/api/change-requests/{number}/{action}",
                              headers=auth(tokens["viewer"]))  # fmt: skip
        assert refused.status_code == 403, action
    assert dump(engine) == before
    approved = client.post(f"/api/change-requests/{number}/approve", headers=auth(tokens["admin"]))
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["approved_by"]) == ("applied", "admin")
    member = client.get("/api/programmes/mmf/participants/FIN").json()
    assert member["role"] == "observer"


def test_where_review_is_required_an_editors_write_becomes_a_request(client, tokens, engine):
    refused = client.put("/api/programmes/mmf/review", json={"review": "required"},
                         headers=auth(tokens["editor"]))  # fmt: skip
    assert refused.status_code == 403
    made = client.put("/api/programmes/mmf/review", json={"review": "required"},
                      headers=auth(tokens["admin"]))  # fmt: skip
    assert made.json() == {"review": "required"}
    answer = client.post("/api/programmes/mmf/participants", headers=auth(tokens["editor"]),
                         json={"nation": "FIN", "role": "observer", "joined": "2025-06-01"})  # fmt: skip
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "submitted"
    assert answer.headers["location"] == f"/api/change-requests/{answer.json()['id']}"
    assert client.get("/api/programmes/mmf/participants/FIN").status_code == 404
    # A broken write is still refused at once, naming its field.
    before = dump(engine)
    bad = client.post("/api/programmes/mmf/participants", headers=auth(tokens["editor"]),
                      json={"nation": "SWE", "role": "observer", "joined": "2025-13-01"})  # fmt: skip
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "commands[0].joined"
    assert dump(engine) == before
    # An admin's write applies at once.
    direct = client.post("/api/programmes/mmf/participants", headers=auth(tokens["admin"]),
                         json={"nation": "POL", "role": "observer", "joined": "2025-06-01"})  # fmt: skip
    assert direct.status_code == 201


MEMBERS_CSV = (
    "programme,nation,role,joined\nmmf,FIN,observer,2025-06-01\nmmf,POL,observer,2025-07\n"
)


def _import(client, token: str, body: str, **params: str):
    return client.post("/api/import/participations", content=body.encode(), params=params,
                       headers={**auth(token), "Content-Type": "text/csv"})  # fmt: skip


def test_an_import_is_proposed_as_one_request_and_applied_when_approved(client, tokens):
    answer = _import(client, tokens["editor"], MEMBERS_CSV, propose="true")
    assert answer.status_code == 202, answer.text
    proposed = answer.json()
    assert [c["nation"] for c in proposed["commands"]] == ["FIN", "POL"]
    assert proposed["comment"] == "import of 2 participations"
    assert client.get("/api/programmes/mmf/participants/FIN").status_code == 404
    approved = client.post(f"/api/change-requests/{proposed['id']}/approve",
                           headers=auth(tokens["admin"]))  # fmt: skip
    assert approved.status_code == 200, approved.text
    for nation in ("FIN", "POL"):
        assert client.get(f"/api/programmes/mmf/participants/{nation}").status_code == 200


def test_where_review_is_required_an_editors_import_is_proposed(client, tokens, engine):
    with unit_of_work(engine) as session:
        cr.set_review(session, "mmf", "required", actor="admin")
    before = dump(engine)
    bad = _import(client, tokens["editor"], MEMBERS_CSV.replace("2025-07", "2025-13"))
    assert bad.status_code == 422
    assert [(e["row"], e["field"]) for e in bad.json()["errors"]] == [(2, "joined")]
    assert dump(engine) == before
    assert _import(client, tokens["editor"], MEMBERS_CSV).status_code == 202
    assert client.get("/api/programmes/mmf/participants/FIN").status_code == 404
    # A dry run previews as before; an admin's import applies at once.
    assert _import(client, tokens["editor"], MEMBERS_CSV, dry_run="true").status_code == 200
    assert _import(client, tokens["admin"], MEMBERS_CSV).status_code == 200
    assert client.get("/api/programmes/mmf/participants/FIN").status_code == 200


def test_where_review_is_required_an_instrument_is_proposed_and_applied_when_approved(
    client, tokens
):
    client.put("/api/programmes/mmf/review", json={"review": "required"},
               headers=auth(tokens["admin"]))  # fmt: skip
    path = "/api/programmes/mmf/instruments"

    def titles() -> list[str]:
        return [i["title"] for i in client.get(path).json()["items"]]

    held = titles()
    body = {"kind": "mou", "title": "An MoU on a base in Denmark", "signatories": ["DNK", "NLD"]}
    answer = client.post(path, json=body, headers=auth(tokens["editor"]))
    assert answer.status_code == 202, answer.text
    assert answer.json()["commands"][0]["command"] == "add_instrument"
    assert titles() == held
    approved = client.post(f"/api/change-requests/{answer.json()['id']}/approve",
                           headers=auth(tokens["admin"]))  # fmt: skip
    assert approved.status_code == 200, approved.text
    (made,) = [i for i in client.get(path).json()["items"] if i["title"] == body["title"]]
    void = client.delete(f"{path}/{made['id']}", params={"reason": "recorded twice"},
                         headers=auth(tokens["editor"]))  # fmt: skip
    assert void.status_code == 202, void.text
    assert body["title"] in titles()
    approved = client.post(f"/api/change-requests/{void.json()['id']}/approve",
                           headers=auth(tokens["admin"]))  # fmt: skip
    assert approved.status_code == 200, approved.text
    assert titles() == held


@pytest.mark.parametrize(
    ("command", "status", "field"),
    [
        ({"command": "add_instrument", "programme": "mmf", "kind": "mou", "title": "An MoU",
          "signatories": []}, 422, "commands[0].signatories"),
        ({"command": "add_instrument", "programme": "mmf", "kind": "treaty", "title": "An MoU",
          "signatories": ["NLD"]}, 422, "commands[0].kind"),
        ({"command": "void_instrument", "programme": "nspo-australia", "id": 1,
          "reason": "not this programme's"}, 404, "commands[0].id"),
        ({"command": "void_instrument", "programme": "mmf", "id": 1}, 422, "commands[0].reason"),
    ],
)  # fmt: skip
def test_a_refused_instrument_command_names_its_field_and_writes_nothing(
    client, tokens, engine, command, status, field
):
    before = dump(engine)
    answer = client.post("/api/change-requests", json={"commands": [command]},
                         headers=auth(tokens["editor"]))  # fmt: skip
    assert answer.status_code == status, answer.text
    assert answer.json()["errors"][0]["field"] == field
    assert dump(engine) == before
