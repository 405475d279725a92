"""Staff add an organisation (a new contractor) from the contract form and come back to it; they
list the organisations and edit one, with stale edits refused."""

import pytest
from sqlmodel import Session, select

from registry.audit import Change
from registry.organisations import find_organisation
from tests.conftest import dump
from tests.staff import Html, sign_in
from tests.test_ui_forms import post, refused

NEW = "/ui/organisations/new"
BACK = "/ui/programmes/mmf/contracts/new"


def test_a_new_contractor_is_added_from_the_contract_form(client, seeded, staff, engine):
    token = sign_in(client, "editor")
    form = Html(client.get(BACK).text)
    assert f"{NEW}?next={BACK}" in form.links
    answer = post(client, NEW, token, name="Leonardo", slug="leonardo", kind="contractor",
                  country="ITA", next=BACK)  # fmt: skip
    assert (answer.status_code, answer.headers["location"]) == (303, BACK)
    with Session(engine) as session:
        made = find_organisation(session, "leonardo")
        assert made is not None
        assert (made.name, made.kind, made.country) == ("Leonardo", "contractor", "ITA")
        (change,) = session.exec(select(Change).where(Change.key == "leonardo"))
        assert (change.actor, change.action) == ("editor", "create")
    assert "Leonardo" in Html(client.get(BACK).text).words  # now offered as a contractor


@pytest.mark.parametrize(
    ("fields", "status", "field"),
    [
        ({"name": "", "slug": "x-1", "kind": "contractor"}, 422, "name"),
        ({"name": "X", "slug": "Not A Slug", "kind": "contractor"}, 422, "slug"),
        ({"name": "X", "slug": "x-1", "kind": "bank"}, 422, "kind"),
        ({"name": "X", "slug": "x-1", "kind": "contractor", "country": "ZZZ"}, 422, "country"),
        ({"name": "Again", "slug": "nspa", "kind": "agency"}, 409, "slug"),
    ],
)
def test_a_refused_organisation_names_the_field(client, seeded, staff, engine, fields, status,
                                                field):  # fmt: skip
    token = sign_in(client, "editor")
    page = refused(client, engine, NEW, token, status, field, **fields)
    assert "New organisation" in page.words


def test_viewers_cannot_add_organisations(client, seeded, staff):
    token = sign_in(client, "viewer")
    assert client.get(NEW).status_code == 403
    answer = post(client, NEW, token, name="X", slug="x-1", kind="contractor")
    assert answer.status_code == 403


def test_only_a_staff_page_is_where_the_form_returns(client, seeded, staff):
    token = sign_in(client, "editor")
    answer = post(client, NEW, token, name="Y", slug="y-1", kind="agency",
                  next="https://elsewhere.example/")  # fmt: skip
    assert answer.headers["location"] == "/ui/programmes"


# ---- The list and an edit ----------------------------------------------------------------------

LIST = "/ui/organisations"
EDIT_NSPA = "/ui/organisations/nspa/edit"


def test_the_list_shows_every_organisation_and_editors_get_edit_links(client, seeded, staff):
    sign_in(client, "viewer")
    seen = Html(client.get(LIST).text)
    assert any(row.startswith("NATO Support and Procurement Agency nspa agency")
               for row in seen.rows["organisations"]), seen.rows  # fmt: skip
    assert EDIT_NSPA not in seen.links
    assert f"{NEW}?next={LIST}" not in seen.links
    client.post("/ui/signout", data={"csrf_token": seen.values["csrf_token"]})
    sign_in(client, "editor")
    edited = Html(client.get(LIST).text)
    assert EDIT_NSPA in edited.links
    assert f"{NEW}?next={LIST}" in edited.links
    contractors = Html(client.get(LIST, params={"kind": "contractor"}).text)
    assert contractors.rows["organisations"][1:]
    assert all(" contractor " in row for row in contractors.rows["organisations"][1:])


def test_an_edit_is_saved_confirmed_and_in_the_change_log(client, seeded, staff, engine):
    token = sign_in(client, "editor")
    form = Html(client.get(EDIT_NSPA).text)
    assert form.values["name"] == "NATO Support and Procurement Agency"
    assert (form.values["kind"], form.values["version"]) == ("agency", "1")
    answer = post(client, EDIT_NSPA, token, name="NSPA", kind="agency", country="BEL",
                  version=form.values["version"])  # fmt: skip
    assert answer.status_code == 303, Html(answer.text).words
    with Session(engine) as session:
        made = find_organisation(session, "nspa")
        assert made is not None
        assert (made.name, made.country, made.version) == ("NSPA", "BEL", 2)
        (change,) = session.exec(select(Change).where(Change.key == "nspa",
                                                      Change.action == "update"))  # fmt: skip
        assert change.actor == "editor"
        assert change.before
        assert change.after
        assert (change.before["name"], change.after["name"]) == (form.values["name"], "NSPA")
    assert answer.headers["location"].startswith(f"{LIST}?saved={change.id}")
    page = Html(client.get(answer.headers["location"]).text)
    assert "Saved. organisation nspa updated by editor" in page.words
    assert any(row.startswith("NSPA nspa agency Belgium") for row in page.rows["organisations"])


def test_saving_an_unchanged_organisation_records_nothing(client, seeded, staff, engine):
    token = sign_in(client, "editor")
    form = Html(client.get(EDIT_NSPA).text)
    before = dump(engine)
    fields = {name: form.values[name] for name in ("name", "kind", "country", "version")}
    answer = post(client, EDIT_NSPA, token, **fields)
    assert answer.headers["location"].startswith(f"{LIST}?saved=0")
    assert dump(engine) == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"name": ""}, "name"), ({"kind": "bank"}, "kind"), ({"country": "ZZZ"}, "country"),
     ({"version": "x"}, "version"), ({"version": "\u00b2"}, "version")],
)  # fmt: skip
def test_a_refused_edit_keeps_the_input_and_names_the_field(
    client, seeded, staff, engine, fields, field
):
    token = sign_in(client, "editor")
    base = {"name": "Renamed", "kind": "agency", "country": "", "version": "1"}
    page = refused(client, engine, EDIT_NSPA, token, 422, field, **(base | fields))
    assert page.values["name"] == (base | fields)["name"]
    if field == "version":
        assert "the form lost the record's version" in page.words


def test_an_edit_from_a_stale_page_is_refused(client, seeded, staff, engine):
    token = sign_in(client, "editor")
    version = Html(client.get(EDIT_NSPA).text).values["version"]
    first = post(client, EDIT_NSPA, token, name="First", kind="agency", version=version)
    assert first.status_code == 303  # another editor's save, from the same page
    page = refused(client, engine, EDIT_NSPA, token, 409, "version", name="Second",
                   kind="agency", version=version)  # fmt: skip
    assert "the record changed since it was read" in page.words
    assert "Someone saved this organisation after you opened this page." in page.words
    assert page.values["name"] == "Second"
    assert EDIT_NSPA in page.links  # the way to the current record
    with Session(engine) as session:
        made = find_organisation(session, "nspa")
        assert made is not None
        assert made.name == "First"


def test_an_edit_of_no_organisation_is_a_404(client, seeded, staff):
    sign_in(client, "editor")
    assert client.get("/ui/organisations/nobody/edit").status_code == 404


def test_viewers_cannot_edit_organisations(client, seeded, staff, engine):
    token = sign_in(client, "viewer")
    assert client.get(EDIT_NSPA).status_code == 403
    before = dump(engine)
    answer = post(client, EDIT_NSPA, token, name="X", kind="agency", version="1")
    assert answer.status_code == 403
    assert dump(engine) == before


def test_an_edit_without_the_sessions_form_token_is_refused(client, seeded, staff, engine):
    sign_in(client, "editor")
    before = dump(engine)
    answer = post(client, EDIT_NSPA, "forged", name="X", kind="agency", version="1")
    assert answer.status_code == 403
    assert dump(engine) == before


@pytest.mark.parametrize("path", [NEW, EDIT_NSPA])
def test_every_input_has_a_label(client, seeded, staff, path):
    sign_in(client, "editor")
    html = client.get(path).text
    for name in Html(html).values:
        if name not in ("csrf_token", "version", "next"):
            assert f'<label for="{name}">' in html, name
