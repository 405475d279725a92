"""Editors create and edit programmes from the staff pages, through the registry's own rules:
each success lands in the audit trail and is confirmed on the programme page; each refusal
shows the form again with the input kept and the message beside the field, and writes nothing;
an edit from a page someone else saved meanwhile is refused."""

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import Session

from registry.audit import Change
from registry.programmes import EDITABLE, get_programme
from registry.views import programme_view
from tests.conftest import dump
from tests.staff import Html, sign_in
from tests.test_ui_forms import post

NEW = "/ui/programmes/new"
MMF = "/ui/programmes/mmf"
EDIT_MMF = f"{MMF}/edit"
TANKER = {
    "name": "Tanker Two", "slug": "tanker-2", "acronym": "T2", "category": "multinational-fleet",
    "status": "planned", "managing_organisation": "nspa", "launched": "2026-03",
    "description": "A second tanker fleet.\r\nSecond line.", "capability_area": "Refuelling",
    "asset_type": "A330 MRTT",
}  # fmt: skip


@pytest.fixture
def editor(client, seeded, staff):
    """The test client, signed in as an editor; its form token."""
    return sign_in(client, "editor")


def saved(engine, response, slug: str) -> Change:
    """The change a successful post reports in its redirect to the programme page."""
    assert response.status_code == 303, Html(response.text).words
    where = urlsplit(response.headers["location"])
    assert where.path == f"/ui/programmes/{slug}"
    with Session(engine) as session:
        change = session.get(Change, int(parse_qs(where.query)["saved"][0]))
    assert change is not None
    return change


def refused(client, engine, path, token, answer: int, field: str, fields: dict[str, str]) -> Html:
    """Post a form that breaks a rule: the status `answer`, the message beside `field` (or
    above the form, for the hidden version), nothing written. (The fields come as a dict: a
    programme has a field named `status`.)"""
    before = dump(engine)
    response = client.post(path, data={"csrf_token": token, **fields}, follow_redirects=False)
    assert response.status_code == answer, Html(response.text).words
    page = Html(response.text)
    assert page.errors.get(field) or field == "version", page.words
    assert "Nothing was saved." in page.words
    assert dump(engine) == before, "a refused form left rows behind"
    return page


def shown(client, path: str) -> dict[str, str]:
    """The edit form's values as a browser would send them back untouched."""
    values = Html(client.get(path).text).values
    return {name: value for name, value in values.items() if name != "csrf_token"}


# ---- New programme -----------------------------------------------------------------------------


def test_a_new_programme_is_saved_confirmed_and_audited(client, engine, editor):
    response = post(client, NEW, editor, **TANKER)
    change = saved(engine, response, "tanker-2")
    assert (change.actor, change.action, change.entity, change.key) == (
        "editor", "create", "programme", "tanker-2",
    )  # fmt: skip
    assert change.before is None
    assert change.after
    assert (change.after["status"], change.after["launched_precision"]) == ("planned", "month")
    with Session(engine) as session:
        view = programme_view(session, "tanker-2", date.today())
    assert (view.name, view.acronym, view.status, view.managing_organisation) == (
        "Tanker Two", "T2", "planned", "nspa",
    )  # fmt: skip
    assert view.description == "A second tanker fleet.\nSecond line."
    assert (view.capability_area, view.asset_type) == ("Refuelling", "A330 MRTT")
    assert view.launched is not None
    assert view.launched.isoformat() == "2026-03"
    page = Html(client.get(response.headers["location"]).text)
    assert "Saved. programme tanker-2 created by editor" in page.words


def test_only_the_required_fields_are_needed(client, engine, editor):
    response = post(client, NEW, editor, name="Bare", slug="bare", category="innovation",
                    status="active", acronym="", managing_organisation="", launched="")  # fmt: skip
    saved(engine, response, "bare")
    with Session(engine) as session:
        programme = get_programme(session, "bare")
    assert (programme.acronym, programme.launched) == (None, None)


NEW_REFUSALS = [
    ({"name": ""}, 422, "name"),
    ({"slug": ""}, 422, "slug"),
    ({"slug": "Tanker Two"}, 422, "slug"),
    ({"slug": "mmf"}, 409, "slug"),
    ({"category": ""}, 422, "category"),
    ({"category": "fleet-ish"}, 422, "category"),
    ({"status": "dormant"}, 422, "status"),
    ({"managing_organisation": "nobody"}, 422, "managing_organisation"),
    ({"launched": "2026-13"}, 422, "launched"),
    ({"launched": "someday"}, 422, "launched"),
    ({"acronym": "A" * 41}, 422, "acronym"),
    ({"description": "x" * 4001}, 422, "description"),
]


@pytest.mark.parametrize(("fields", "status", "field"), NEW_REFUSALS)
def test_a_refused_programme_keeps_the_input_and_names_the_field(
    client, engine, editor, fields, status, field
):
    page = refused(client, engine, NEW, editor, status, field, TANKER | fields)
    assert "New programme" in page.words
    for name in ("name", "slug", "acronym", "launched"):
        assert page.values[name] == (TANKER | fields)[name], name


# ---- Edit a programme --------------------------------------------------------------------------


def test_the_edit_form_shows_the_programme_as_it_is(client, editor):
    values = shown(client, EDIT_MMF)
    assert values["name"] == "Multinational Multi Role Tanker Transport Fleet"
    assert (values["slug"], values["acronym"], values["category"]) == (
        "mmf", "MMF", "multinational-fleet",
    )  # fmt: skip
    assert (values["status"], values["managing_organisation"], values["launched"]) == (
        "active", "nspa", "2012",
    )  # fmt: skip
    assert values["asset_type"] == "A330 MRTT"
    assert values["description"].startswith("NATO-owned fleet")
    assert values["version"] == "1"


def test_an_edit_is_saved_with_before_and_after(client, engine, editor):
    values = shown(client, EDIT_MMF)
    response = post(client, EDIT_MMF, editor, **(values | {"name": "MRTT Fleet",
                                                           "acronym": "MMF2"}))  # fmt: skip
    change = saved(engine, response, "mmf")
    assert (change.actor, change.action, change.key) == ("editor", "update", "mmf")
    assert change.before
    assert change.after
    assert (change.before["name"], change.after["name"]) == (values["name"], "MRTT Fleet")
    assert (change.before["acronym"], change.after["acronym"]) == ("MMF", "MMF2")
    again = shown(client, EDIT_MMF)
    assert (again["name"], again["version"]) == ("MRTT Fleet", "2")
    assert again["description"] == values["description"]  # left alone, not rewritten
    page = Html(client.get(response.headers["location"]).text)
    assert "Saved. programme mmf updated by editor" in page.words


def test_a_new_status_holds_from_its_date_and_earlier_dates_keep_theirs(client, engine, editor):
    values = shown(client, EDIT_MMF)
    response = post(client, EDIT_MMF, editor,
                    **(values | {"status": "closed", "effective": "2030-01-01"}))  # fmt: skip
    saved(engine, response, "mmf")
    with Session(engine) as session:
        assert programme_view(session, "mmf", date.today()).status == "active"
        assert programme_view(session, "mmf", date(2030, 6, 1)).status == "closed"


def test_a_field_left_alone_does_not_overwrite_a_later_change(client, engine, editor):
    """Only what the person changed is written: the status shown (today's) would otherwise
    replace the closure recorded from 2030."""
    values = shown(client, EDIT_MMF)
    closing = values | {"status": "closed", "effective": "2030-01-01"}
    saved(engine, post(client, EDIT_MMF, editor, **closing), "mmf")
    values = shown(client, EDIT_MMF)
    assert values["status"] == "active"
    saved(engine, post(client, EDIT_MMF, editor, **(values | {"acronym": "M"})), "mmf")
    with Session(engine) as session:
        assert programme_view(session, "mmf", date(2030, 6, 1)).status == "closed"


def test_a_new_slug_moves_the_programme(client, engine, editor):
    values = shown(client, EDIT_MMF)
    response = post(client, EDIT_MMF, editor, **(values | {"slug": "mrtt"}))
    assert response.headers["location"].startswith("/ui/programmes/mrtt?saved=")
    with Session(engine) as session:
        assert get_programme(session, "mrtt").name == values["name"]


def test_saving_an_unchanged_programme_records_nothing(client, engine, editor):
    values = shown(client, EDIT_MMF)
    before = dump(engine)
    response = post(client, EDIT_MMF, editor, **values)
    assert response.headers["location"] == f"{MMF}?saved=0"
    assert "Nothing changed" in Html(client.get(response.headers["location"]).text).words
    assert dump(engine) == before


EDIT_REFUSALS = [
    ({"name": ""}, 422, "name"),
    ({"slug": "Not a slug"}, 422, "slug"),
    ({"slug": "innovation-ranges"}, 409, "slug"),
    ({"category": "fleet-ish"}, 422, "category"),
    ({"status": "dormant"}, 422, "status"),
    ({"managing_organisation": "nobody"}, 422, "managing_organisation"),
    ({"launched": "2012-13"}, 422, "launched"),
    ({"status": "closed", "effective": "soon"}, 422, "effective"),
    ({"status": "closed", "kind": "guess"}, 422, "kind"),
    ({"name": "X", "version": ""}, 422, "version"),
    ({"name": "X", "version": "\u00b2"}, 422, "version"),
]


@pytest.mark.parametrize(("fields", "status", "field"), EDIT_REFUSALS)
def test_a_refused_edit_keeps_the_input_and_names_the_field(
    client, engine, editor, fields, status, field
):
    values = shown(client, EDIT_MMF) | fields
    page = refused(client, engine, EDIT_MMF, editor, status, field, values)
    assert "Edit programme" in page.words
    assert page.values["name"] == values["name"]


def test_an_edit_from_a_stale_page_is_refused_with_a_clear_message(client, engine, editor):
    opened = shown(client, EDIT_MMF)  # two editors open the page
    first = post(client, EDIT_MMF, editor, **(opened | {"acronym": "FIRST"}))
    assert first.status_code == 303  # the other editor saves first
    page = refused(client, engine, EDIT_MMF, editor, 409, "version",
                   opened | {"acronym": "SECOND"})  # fmt: skip
    assert "the record changed since it was read" in page.words
    assert "Someone saved this programme after you opened this page." in page.words
    assert page.values["acronym"] == "SECOND"
    assert EDIT_MMF in page.links  # the way to the current record
    with Session(engine) as session:
        assert get_programme(session, "mmf").acronym == "FIRST"


def test_an_edit_of_no_programme_is_a_404(client, engine, editor):
    assert client.get("/ui/programmes/nothing-here/edit").status_code == 404
    before = dump(engine)
    response = post(client, "/ui/programmes/nothing-here/edit", editor, name="X", version="1")
    assert response.status_code == 404
    assert dump(engine) == before


# ---- Who may, and the forms themselves ---------------------------------------------------------


def test_editors_see_the_buttons_and_viewers_do_not(client, seeded, staff):
    token = sign_in(client, "viewer")
    assert NEW not in Html(client.get("/ui/programmes").text).links
    assert EDIT_MMF not in Html(client.get(MMF).text).links
    client.post("/ui/signout", data={"csrf_token": token})
    sign_in(client, "editor")
    assert NEW in Html(client.get("/ui/programmes").text).links
    assert EDIT_MMF in Html(client.get(MMF).text).links


@pytest.mark.parametrize("path", [NEW, EDIT_MMF])
def test_viewers_are_refused_and_nothing_is_written(client, engine, seeded, staff, path):
    token = sign_in(client, "viewer")
    assert client.get(path).status_code == 403
    before = dump(engine)
    response = post(client, path, token, **(TANKER | {"version": "1"}))
    assert response.status_code == 403
    assert dump(engine) == before


@pytest.mark.parametrize("path", [NEW, EDIT_MMF])
def test_a_post_without_the_sessions_form_token_is_refused(client, engine, editor, path):
    before = dump(engine)
    for token in ("", "forged"):
        response = post(client, path, token, **(TANKER | {"version": "1"}))
        assert response.status_code == 403
    assert dump(engine) == before


@pytest.mark.parametrize("path", [NEW, EDIT_MMF])
def test_the_form_offers_every_programme_field_with_a_label(client, editor, path):
    """Fails when a field the registry takes (`registry.programmes.EDITABLE`) has no input."""
    html = client.get(path).text
    values = Html(html).values
    for name in EDITABLE:
        assert name in values, name
    for name in values:
        if name not in ("csrf_token", "version") and not name.startswith("was_"):
            assert f'<label for="{name}">' in html, name
