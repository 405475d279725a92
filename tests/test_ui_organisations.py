"""Staff add an organisation (a new contractor) from the contract form and come back to it."""

import pytest
from sqlmodel import Session, select

from registry.audit import Change
from registry.organisations import find_organisation
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
