"""Change requests in the staff pages: where a programme needs review the forms propose, the
queue lists what waits, and another editor approves (or rejects) on the request's page."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, select

from registry import change_requests as cr
from registry.audit import Change, ChangeSet
from registry.database import unit_of_work
from registry.participation import update_participation
from registry.users import add_user
from tests.conftest import dump
from tests.staff import Html, sign_in

pytestmark = pytest.mark.usefixtures("seeded", "staff")

FINLAND = {"nation": "FIN", "role": "observer", "joined": "2025-06-01"}


@pytest.fixture
def reviewed(engine) -> None:
    """The MMF needs review; a second editor, ben, reviews."""
    with unit_of_work(engine) as session:
        cr.set_review(session, "mmf", "required", actor="admin")
        add_user(session, username="ben", role="editor", password="ben password 1234",
                 actor="fixture")  # fmt: skip


def _as_ben(client, next: str = "/ui/requests") -> str:
    """Sign in as the second editor; the session's form token."""
    client.cookies.clear()
    form = Html(client.get("/ui/signin", params={"next": next}).text)
    client.post("/ui/signin", data={"csrf_token": form.values["csrf_token"], "username": "ben",
                "password": "ben password 1234", "next": next})  # fmt: skip
    return Html(client.get("/ui/programmes").text).values["csrf_token"]


def _propose_finland(client) -> int:
    token = sign_in(client, "editor", next="/ui/programmes/mmf/members/new")
    form = Html(client.get("/ui/programmes/mmf/members/new").text)
    assert "Propose" in form.words
    answer = client.post("/ui/programmes/mmf/members/new",
                         data={"csrf_token": token, **FINLAND}, follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303, answer.text
    found = re.fullmatch(r"/ui/requests/(\d+)\?proposed=1", answer.headers["location"])
    assert found
    return int(found.group(1))


def _member(client, nation: str) -> int:
    status: int = client.get(f"/api/programmes/mmf/participants/{nation}").status_code
    return status


def test_an_admin_sets_review_on_the_programme_page(client, engine):
    token = sign_in(client, "admin", next="/ui/programmes/mmf")
    answer = client.post("/ui/programmes/mmf/review", data={"csrf_token": token,
                         "review": "required"}, follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303
    page = client.get("/ui/programmes/mmf").text
    assert "Changes to this programme need review" in page
    client.cookies.clear()
    token = sign_in(client, "editor")
    before = dump(engine)
    refused = client.post("/ui/programmes/mmf/review", data={"csrf_token": token,
                          "review": "optional"})  # fmt: skip
    assert refused.status_code == 403
    assert dump(engine) == before


def test_a_form_proposes_and_another_editor_approves_on_the_request_page(client, engine, reviewed):
    number = _propose_finland(client)
    assert _member(client, "FIN") == 404  # proposed, not applied
    shown = Html(client.get(f"/ui/requests/{number}?proposed=1").text)
    assert "Proposed." in shown.words
    assert "Approve and apply" not in shown.words  # not for its author
    # The author's own approval is refused by the rule, nothing written.
    token = Html(client.get("/ui/programmes").text).values["csrf_token"]
    before = dump(engine)
    refused = client.post(f"/ui/requests/{number}/approve", data={"csrf_token": token})
    assert refused.status_code == 403
    assert "another person must approve it" in refused.text
    assert dump(engine) == before
    token = _as_ben(client)
    queue = Html(client.get("/ui/requests").text)
    assert [row.split()[0] for row in queue.rows["requests"][1:]] == [f"#{number}"]
    assert "Change requests (1 waiting for review" in queue.words
    approved = client.post(f"/ui/requests/{number}/approve", data={"csrf_token": token},
                           follow_redirects=False)  # fmt: skip
    assert approved.status_code == 303
    assert _member(client, "FIN") == 200
    page = Html(client.get(f"/ui/requests/{number}").text)
    assert "applied" in page.words
    with Session(engine) as session:
        applied = session.exec(select(ChangeSet).where(ChangeSet.change_request_id == number)).one()
        change = session.exec(select(Change).where(Change.key == "mmf/FIN")).one()
    assert (applied.actor, change.actor, change.change_set_id) == ("ben", "editor", applied.id)


def test_a_reject_needs_a_reason_and_a_viewer_reads_but_cannot_act(client, engine, reviewed):
    number = _propose_finland(client)
    client.cookies.clear()
    token = sign_in(client, "viewer", next="/ui/requests")
    assert client.get(f"/ui/requests/{number}").status_code == 200
    before = dump(engine)
    for action in ("approve", "reject", "withdraw"):
        assert client.post(f"/ui/requests/{number}/{action}",
                           data={"csrf_token": token}).status_code == 403  # fmt: skip
    assert dump(engine) == before
    token = _as_ben(client)
    before = dump(engine)
    blank = client.post(f"/ui/requests/{number}/reject", data={"csrf_token": token, "reason": ""})
    assert blank.status_code == 422
    assert "reason: must not be empty" in Html(blank.text).words
    assert dump(engine) == before
    done = client.post(f"/ui/requests/{number}/reject",
                       data={"csrf_token": token, "reason": "wait for the treaty"})  # fmt: skip
    assert done.status_code == 200
    words = Html(done.text).words
    assert "Rejected by ben" in words
    assert "wait for the treaty" in words
    assert _member(client, "FIN") == 404


def test_a_stale_request_shows_its_conflict_and_applies_nothing(client, engine, reviewed):
    token = sign_in(client, "editor", next="/ui/programmes/mmf/members/NLD/edit")
    form = Html(client.get("/ui/programmes/mmf/members/NLD/edit").text)
    proposed = client.post("/ui/programmes/mmf/members/NLD/edit", data={
        **form.values, "csrf_token": token, "cost_share": "19", "effective": "2026-01",
    }, follow_redirects=False)  # fmt: skip
    assert proposed.status_code == 303, proposed.text
    number = int(proposed.headers["location"].split("/")[-1].split("?")[0])
    with unit_of_work(engine) as session:
        update_participation(session, programme="mmf", nation="NLD", actor="admin",
                             changes={"note": "hours revised"})  # fmt: skip
    token = _as_ben(client)
    page = Html(client.get(f"/ui/requests/{number}").text)
    assert "changed since" in page.words
    before = dump(engine)
    refused = client.post(f"/ui/requests/{number}/approve", data={"csrf_token": token})
    assert refused.status_code == 409
    assert "mmf/NLD changed since this was proposed" in refused.text
    assert dump(engine) == before
