"""The staff pages' forms: each success lands in the registry and its history; each refusal shows
the form again with the input kept and the message beside the field, and writes nothing."""

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import Session, col, select

from registry.audit import Change
from registry.contracts import Contract
from registry.participation import Participation, spells
from tests.conftest import dump
from tests.staff import Html, sign_in

MMF = "/ui/programmes/mmf"
NEW_MEMBER = f"{MMF}/members/new"
EDIT_NLD = f"{MMF}/members/NLD/edit"
LEAVE_NLD = f"{MMF}/members/NLD/leave"
NEW_CONTRACT = f"{MMF}/contracts/new"
NEW_FLEET_EVENT = f"{MMF}/fleet/new"


@pytest.fixture
def editor(client, seeded, staff):
    """The test client, signed in as an editor; its form token."""
    return sign_in(client, "editor")


def post(client, path, token, **fields):
    return client.post(path, data={"csrf_token": token, **fields}, follow_redirects=False)


def saved_change(engine, response) -> Change:
    """The change a successful post reports in its redirect to the programme page."""
    assert response.status_code == 303, Html(response.text).words
    where = urlsplit(response.headers["location"])
    assert where.path == MMF
    change_id = int(parse_qs(where.query)["saved"][0])
    with Session(engine) as session:
        change = session.get(Change, change_id)
    assert change is not None
    return change


def version_of(client, path) -> str:
    return Html(client.get(path).text).values["version"]


def refused(client, engine, path, token, status, field, **fields) -> Html:
    """Post a form that breaks a rule: the status, the message beside `field`, nothing written."""
    before = dump(engine)
    response = post(client, path, token, **fields)
    assert response.status_code == status, Html(response.text).words
    page = Html(response.text)
    assert page.errors.get(field) or field in ("version",), page.words
    assert "Nothing was saved." in page.words
    assert dump(engine) == before, "a refused form left rows behind"
    return page


# ---- Add a member ----------------------------------------------------------------------------


def test_adding_a_member_confirms_and_shows_it_in_the_table_and_history(client, engine, editor):
    response = post(
        client, NEW_MEMBER, editor, nation="FIN", role="observer", instrument="letter_of_intent",
        joined="2025-03", cost_share="", note="Observer status",
    )  # fmt: skip
    change = saved_change(engine, response)
    assert (change.action, change.entity, change.key) == ("create", "participation", "mmf/FIN")
    assert change.actor == "editor"
    assert change.request_id
    page = Html(client.get(response.headers["location"]).text)
    assert "Saved. participation mmf/FIN created by editor" in page.words
    assert any(row.startswith("Finland FIN observer letter of intent March 2025")
               for row in page.rows["members"])  # fmt: skip
    assert "create participation mmf/FIN" in page.rows["changes"][1]
    log = Html(client.get("/ui/changes").text)
    assert "editor create participation mmf/FIN" in log.rows["changes"][1]


MEMBER_REFUSALS = [
    ({"nation": "", "joined": "2025"}, 422, "nation"),
    ({"nation": "FIN", "joined": "next week"}, 422, "joined"),
    ({"nation": "FIN", "joined": ""}, 422, "joined"),
    ({"nation": "FIN", "joined": "2025", "cost_share": "150"}, 422, "cost_share"),
    ({"nation": "FIN", "joined": "2025", "role": "king"}, 422, "role"),
    ({"nation": "FIN", "joined": "2025", "instrument": "handshake"}, 422, "instrument"),
    ({"nation": "NLD", "joined": "2025"}, 409, "nation"),
]


@pytest.mark.parametrize(("fields", "status", "field"), MEMBER_REFUSALS)
def test_a_refused_member_keeps_the_input_and_names_the_field(
    client, engine, editor, fields, status, field
):
    fields = {"role": "observer"} | fields
    page = refused(client, engine, NEW_MEMBER, editor, status, field, **fields)
    for name, value in fields.items():
        if name not in ("role", "instrument") or value in ("observer",):
            assert page.values[name] == value, name


# ---- Change a member -------------------------------------------------------------------------


def test_changing_role_and_share_is_recorded_with_before_and_after(client, engine, editor):
    form = Html(client.get(EDIT_NLD).text)
    fields = {name: form.values[name] for name in ("role", "instrument", "cost_share", "note")}
    response = post(
        client, EDIT_NLD, editor, **(fields | {"role": "observer", "cost_share": "12.5"}),
        version=form.values["version"],
    )  # fmt: skip
    change = saved_change(engine, response)
    assert change.before
    assert change.after
    assert change.before["role"] == fields["role"] != "observer"
    assert change.after["role"] == "observer"
    assert change.after["cost_share_bp"] == 1250
    again = Html(client.get(EDIT_NLD).text)
    assert again.values["cost_share"] == "12.5"
    assert int(again.values["version"]) == int(form.values["version"]) + 1


def test_saving_an_unchanged_member_says_nothing_changed(client, engine, editor):
    form = Html(client.get(EDIT_NLD).text)
    before = dump(engine)
    fields = {name: form.values[name] for name in ("role", "instrument", "cost_share", "note")}
    response = post(client, EDIT_NLD, editor, **fields, version=form.values["version"])
    assert response.headers["location"] == f"{MMF}?saved=0"
    assert "Nothing changed" in Html(client.get(response.headers["location"]).text).words
    assert dump(engine) == before


def test_an_edit_from_a_stale_page_is_refused_with_a_clear_message(client, engine, editor):
    version = version_of(client, EDIT_NLD)
    first = post(client, EDIT_NLD, editor, role="participant", version=version)  # another's edit
    assert first.status_code == 303
    page = refused(client, engine, EDIT_NLD, editor, 409, "version", role="observer",
                   cost_share="5", version=version)  # fmt: skip
    assert "the record changed since it was read" in page.words
    assert page.values["cost_share"] == "5"
    assert page.values["role"] == "observer"
    assert f"{EDIT_NLD}" in page.links  # the way to the current record


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"cost_share": "lots"}, "cost_share"), ({"cost_share": "101"}, "cost_share"),
     ({"role": "emperor"}, "role")],
)  # fmt: skip
def test_a_refused_change_names_the_field(client, engine, editor, fields, field):
    fields = {"role": "lead", "version": version_of(client, EDIT_NLD)} | fields
    refused(client, engine, EDIT_NLD, editor, 422, field, **fields)


# ---- Record a leave --------------------------------------------------------------------------


def test_recording_a_leave_moves_the_member_to_the_past(client, engine, editor):
    response = post(
        client, LEAVE_NLD, editor, left="2025-12-31", version=version_of(client, LEAVE_NLD)
    )
    change = saved_change(engine, response)
    assert change.after
    assert change.after["left"] == "2025-12-31"
    page = Html(client.get(MMF).text)
    assert not any(row.startswith("Netherlands") for row in page.rows["members"])
    assert any(row.startswith("Netherlands NLD") for row in page.rows["past"])


@pytest.mark.parametrize("left", ["2000-01-01", "", "someday", "2025-13"])
def test_a_refused_leave_names_the_left_field(client, engine, editor, left):
    page = refused(client, engine, LEAVE_NLD, editor, 422, "left", left=left,
                   version=version_of(client, LEAVE_NLD))  # fmt: skip
    assert page.values["left"] == left
    with Session(engine) as session:
        held = spells(session, [col(Participation.nation_code) == "NLD"])
    assert held
    assert all(spell.left is None for spell, _ in held)


def test_a_leave_before_joining_says_when_the_nation_joined(client, engine, editor):
    page = refused(client, engine, LEAVE_NLD, editor, 422, "left", left="2000-01-01",
                   version=version_of(client, LEAVE_NLD))  # fmt: skip
    assert "is before the nation joined" in page.errors["left"]


# ---- Contracts and fleet events --------------------------------------------------------------


def test_adding_a_contract_stores_its_value_in_minor_units(client, engine, editor):
    form = Html(client.get(NEW_CONTRACT).text)
    assert form.values["currency"] == "EUR"
    response = post(
        client, NEW_CONTRACT, editor, title="Support services 2026", kind="support",
        reference="MMF-S-2026", signed="2026-05", amount="1000000.50", currency="EUR",
        contractor="", awarding_organisation="", quantity="", item="", note="",
    )  # fmt: skip
    change = saved_change(engine, response)
    assert change.entity == "contract"
    assert change.key == "mmf/MMF-S-2026"
    with Session(engine) as session:
        contract = session.exec(select(Contract).where(Contract.reference == "MMF-S-2026")).one()
    assert contract.value_minor == 100_000_050
    assert contract.signed_precision == "month"
    page = Html(client.get(MMF).text)
    assert any("Support services 2026" in row for row in page.rows["contracts"])


CONTRACT_REFUSALS = [
    ({"title": ""}, "title"),
    ({"kind": "bribe"}, "kind"),
    ({"amount": "lots"}, "amount"),
    ({"currency": "ZZZ"}, "currency"),
    ({"signed": "2026-02-30"}, "signed"),
    ({"quantity": "-3"}, "quantity"),
    ({"contractor": "nobody-we-know"}, "contractor"),
]


@pytest.mark.parametrize(("fields", "field"), CONTRACT_REFUSALS)
def test_a_refused_contract_names_the_field(client, engine, editor, fields, field):
    base = {"title": "A contract", "kind": "support", "amount": "10", "currency": "EUR"}
    page = refused(client, engine, NEW_CONTRACT, editor, 422, field, **(base | fields))
    assert page.values["title"] == (base | fields)["title"]


def test_recording_a_fleet_event_adds_a_point_to_the_timeline(client, engine, editor):
    form = Html(client.get(NEW_FLEET_EVENT).text)
    assert form.values["asset_type"] == "A330 MRTT"
    rows_before = len(Html(client.get(MMF).text).rows["fleet"])
    response = post(client, NEW_FLEET_EVENT, editor, kind="ordered", date="2026-06-01", count="2",
                    asset_type="", contract="", note="Two more")  # fmt: skip
    change = saved_change(engine, response)
    assert change.entity == "fleet_event"
    assert change.after
    assert change.after["count"] == 2
    assert len(Html(client.get(MMF).text).rows["fleet"]) == rows_before + 1


FLEET_REFUSALS = [
    ({"kind": "retired", "count": "999"}, "count"),
    ({"count": "0"}, "count"),
    ({"count": "two"}, "count"),
    ({"date": "soon"}, "date"),
    ({"kind": "sunk"}, "kind"),
    ({"contract": "abc"}, "contract"),
    ({"contract": "999999"}, "contract"),
]


@pytest.mark.parametrize(("fields", "field"), FLEET_REFUSALS)
def test_a_refused_fleet_event_names_the_field(client, engine, editor, fields, field):
    base = {"kind": "delivered", "date": "2026-01-01", "count": "1"}
    page = refused(client, engine, NEW_FLEET_EVENT, editor, 422, field, **(base | fields))
    assert page.values["count"] == (base | fields)["count"]


# ---- Every form --------------------------------------------------------------------------------

FORMS = [NEW_MEMBER, EDIT_NLD, LEAVE_NLD, NEW_CONTRACT, NEW_FLEET_EVENT]


@pytest.mark.parametrize("path", FORMS)
def test_a_post_without_the_sessions_form_token_is_refused(client, engine, editor, path):
    before = dump(engine)
    fields = {"nation": "FIN", "joined": "2025", "left": "2025-12-31", "role": "lead",
              "version": "1", "title": "X", "kind": "ordered", "date": "2026", "count": "1"}  # fmt: skip
    for token in ("", "forged"):
        response = post(client, path, token, **fields)
        assert response.status_code == 403
        assert (
            "csrf_token: this form was not sent from a page of this session"
            in Html(response.text).words
        )
    assert dump(engine) == before


@pytest.mark.parametrize("path", FORMS)
def test_every_input_has_a_label(client, editor, path):
    html = client.get(path).text
    page = Html(html)
    for name in page.values:
        if name in ("csrf_token", "version") or name.startswith("was_"):  # hidden, not inputs
            continue
        assert f'<label for="{name}">' in html, name


@pytest.mark.parametrize("token", ["é", "\u00b2", "x" * 500])
def test_any_text_as_the_form_token_is_a_403_not_a_crash(client, engine, editor, token):
    before = dump(engine)
    assert post(client, NEW_MEMBER, token, nation="FIN", joined="2025").status_code == 403
    signin = client.post("/ui/signin", data={"csrf_token": token, "username": "editor"})
    assert signin.status_code == 403
    assert dump(engine) == before


@pytest.mark.parametrize(("path", "field"), [(EDIT_NLD, "version"), (NEW_FLEET_EVENT, "contract")])
def test_unicode_digits_are_refused_as_a_number(client, engine, editor, path, field):
    """Guards a fixed crash: "²".isdigit() is true, but int("²") fails."""
    fields = {"role": "lead", "version": "\u00b2", "kind": "delivered", "date": "2026",
              "count": "1", "contract": "\u00b2"}  # fmt: skip
    if field == "contract":
        fields["version"] = "1"
    refused(client, engine, path, editor, 422, field, **fields)


def test_the_confirmation_names_this_posts_change_even_with_a_reused_request_id(
    client, engine, editor
):
    """Guards against confirming an earlier change: callers may send their own X-Request-ID."""
    form = Html(client.get(EDIT_NLD).text)
    fields = {name: form.values[name] for name in ("role", "instrument", "cost_share", "note")}
    headers = {"X-Request-ID": "same-id"}
    first = client.post(
        EDIT_NLD, data={"csrf_token": editor, **fields, "role": "observer",
                        "version": form.values["version"]},
        headers=headers, follow_redirects=False,
    )  # fmt: skip
    after = saved_change(engine, first).after
    assert after is not None
    assert after["role"] == "observer"
    again = client.post(
        EDIT_NLD, data={"csrf_token": editor, **fields, "role": "observer",
                        "version": version_of(client, EDIT_NLD)},
        headers=headers, follow_redirects=False,
    )  # fmt: skip
    assert again.headers["location"] == f"{MMF}?saved=0"


# ---- Correct or void a fleet event, amend a contract --------------------------------------------


def _fleet_edit_path(client) -> str:
    page = Html(client.get(MMF).text)
    return next(link for link in page.links if link.startswith(f"{MMF}/fleet/") and "edit" in link)


def test_correcting_a_fleet_event_replaces_it_and_keeps_the_reason(client, engine, editor):
    path = _fleet_edit_path(client)
    form = Html(client.get(path).text)
    fields = {name: form.values[name] or "" for name in ("kind", "date", "count", "asset_type",
                                                          "note", "version")}  # fmt: skip
    response = post(client, path, editor, **(fields | {"note": "corrected note",
                                                       "reason": "name as reported"}))  # fmt: skip
    change = saved_change(engine, response)
    assert (change.action, change.entity) == ("correct", "fleet_event")
    assert change.after
    assert change.after["reason"] == "name as reported"
    assert change.after["note"] == "corrected note"
    page = Html(client.get(response.headers["location"]).text)
    assert "corrected by editor" in page.words


def test_voiding_a_fleet_event_takes_a_row_out_of_the_timeline(client, engine, editor):
    rows_before = len(Html(client.get(MMF).text).rows["fleet"])
    # The last event: voiding it leaves every total at or above zero.
    page = Html(client.get(MMF).text)
    path = [link for link in page.links if link.startswith(f"{MMF}/fleet/") and "edit" in link][-1]
    response = post(client, path, editor, action="void", reason="entered twice",
                    version=version_of(client, path))  # fmt: skip
    change = saved_change(engine, response)
    assert (change.action, change.after) == ("void", {"reason": "entered twice"})
    assert len(Html(client.get(MMF).text).rows["fleet"]) == rows_before - 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"reason": ""}, "reason"), ({"count": "0", "reason": "r"}, "count"),
     ({"date": "soon", "reason": "r"}, "date")],
)  # fmt: skip
def test_a_refused_fleet_correction_names_the_field(client, engine, editor, fields, field):
    path = _fleet_edit_path(client)
    form = Html(client.get(path).text)
    base = {name: form.values[name] or "" for name in ("kind", "date", "count", "asset_type",
                                                        "note", "version")}  # fmt: skip
    page = refused(client, engine, path, editor, 422, field, **(base | {"note": "x"} | fields))
    assert page.values["reason"] == fields["reason"]


def _amend_path(client) -> str:
    page = Html(client.get(MMF).text)
    return next(link for link in page.links if link.endswith("/amend"))


def test_amending_a_contract_from_a_date_is_saved(client, engine, editor):
    path = _amend_path(client)
    response = post(client, path, editor, kind="change", effective="2026-01", title="",
                    amount="", currency="EUR", quantity="3", note="three aircraft",
                    version=version_of(client, path))  # fmt: skip
    change = saved_change(engine, response)
    assert (change.action, change.entity) == ("update", "contract")
    assert change.after
    assert change.after["amendment"]["quantity"] == 3


@pytest.mark.parametrize(
    ("fields", "field"),
    [({}, "value"), ({"quantity": "-1"}, "quantity"), ({"effective": "1999", "quantity": "2"}, "effective"),
     ({"amount": "lots"}, "amount")],
)  # fmt: skip
def test_a_refused_amendment_names_the_field(client, engine, editor, fields, field):
    path = _amend_path(client)
    base = {"kind": "change", "currency": "EUR", "version": version_of(client, path)}
    refused(client, engine, path, editor, 422, field, **(base | fields))
