"""The staff pages on both axes: a change from a date or a correction through the edit form, the
programme and nation pages on a picked date, and what changed between two dates."""

import pytest

from tests.staff import Html
from tests.test_ui_forms import EDIT_NLD, MMF, post, refused, saved_change, version_of


@pytest.fixture
def editor(client, seeded, staff):
    from tests.staff import sign_in

    return sign_in(client, "editor")


def nld_row(client, path, **params):
    page = Html(client.get(path, params=params).text)
    rows = [row for row in page.rows["members"] if row.startswith("Netherlands NLD")]
    return rows[0] if rows else None


def edit_nld(client, token, **fields):
    """Post the edit form as the page gives it, with `fields` changed."""
    values = Html(client.get(EDIT_NLD).text).values
    values.pop("csrf_token", None)
    return post(client, EDIT_NLD, token, **(values | fields))


def test_a_change_from_a_date_through_the_form_keeps_the_earlier_dates(client, engine, editor):
    response = edit_nld(client, editor, role="observer", effective="2020")
    change = saved_change(engine, response)
    assert change.after is not None
    assert (change.action, change.after["effective"]) == ("update", "2020")
    assert nld_row(client, MMF, as_of="2019-12-31").startswith("Netherlands NLD lead")
    assert nld_row(client, MMF, as_of="2020-01-01").startswith("Netherlands NLD observer")
    assert nld_row(client, MMF).startswith("Netherlands NLD observer")


def test_a_correction_through_the_form_fixes_the_whole_spell(client, engine, editor):
    change = saved_change(engine, edit_nld(client, editor, cost_share="19.5", kind="correction"))
    assert change.action == "correct"
    for as_of in ("2015", None):
        row = nld_row(client, MMF, **({"as_of": as_of} if as_of else {}))
        assert row.startswith("Netherlands NLD lead agreement November 2014 19.50 %")


def test_correcting_only_the_note_keeps_the_dated_shares(client, engine, editor):
    """Guards a fixed bug: the form sent every field as shown (the last term's values), so a
    note-only correction spread the last share over the whole membership. (The seeded share
    holds from 2023: the change is dated within it.)"""
    saved_change(engine, edit_nld(client, editor, cost_share="18", effective="2024-07"))
    saved_change(engine, edit_nld(client, editor, note="Lead nation", kind="correction"))
    assert "20.20 %" in nld_row(client, MMF, as_of="2024-06")
    assert "18.00 %" in nld_row(client, MMF, as_of="2025")


def test_the_programme_page_on_a_date_before_the_nation_joined_does_not_list_it(client, editor):
    assert nld_row(client, MMF, as_of="2014-10-31") is None
    page = Html(client.get(MMF, params={"as_of": "2014-10-31"}).text)
    assert page.values["as_of"] == "2014-10-31"
    assert "Members on 31 October 2014" in page.words


def test_the_nation_page_follows_the_picked_date(client, editor):
    now = Html(client.get("/ui/nations/NLD").text)
    before = Html(client.get("/ui/nations/NLD", params={"as_of": "2014-10-31"}).text)
    assert any("Multinational" in row for row in now.rows[""])
    assert not any("Multinational" in row for row in before.rows[""])


def test_comparing_two_dates_shows_what_changed_between(client, engine, editor):
    saved_change(engine, edit_nld(client, editor, cost_share="18", effective="2024-07"))
    page = Html(client.get(MMF, params={"from": "2023-12-31", "to": "2024"}).text)
    assert "Between 31 December 2023 and 31 December 2024" in page.words
    assert "NLD cost share 20.20 % → 18.00 % from July 2024" in page.words
    assert (page.values["from"], page.values["to"]) == ("2023-12-31", "2024")


@pytest.mark.parametrize(
    ("params", "field"),
    [({"as_of": "2019-02-30"}, "as_of"), ({"from": "someday"}, "from"),
     ({"from": "2021", "to": "2020"}, "to")],
)  # fmt: skip
def test_a_bad_date_on_the_page_is_a_400_naming_it(client, editor, params, field):
    response = client.get(MMF, params=params)
    assert response.status_code == 400
    assert f"Bad query parameter {field}:" in Html(response.text).words


def test_a_bad_kind_or_effective_date_is_refused_beside_its_field(client, engine, editor):
    version = version_of(client, EDIT_NLD)
    values = {"role": "observer", "instrument": "agreement", "cost_share": "20.2", "note": "",
              "version": version}  # fmt: skip
    refused(client, engine, EDIT_NLD, editor, 422, "kind", kind="rewrite", effective="", **values)
    page = refused(client, engine, EDIT_NLD, editor, 422, "effective", kind="change",
                   effective="2010", **values)  # fmt: skip
    assert "is before the nation joined" in page.errors["effective"]


def test_a_bad_role_is_the_same_422_from_json_a_form_and_an_import(client, engine, editor):
    """One validation: the rule's message, whichever way the write comes in."""
    from registry.database import unit_of_work
    from registry.users import create_token
    from tests.conftest import auth

    with unit_of_work(engine) as session:
        tokens = {"editor": create_token(session, username="editor", actor="test")[1]}
    api = client.post(f"/api{MMF.removeprefix('/ui')}/participants", headers=auth(tokens["editor"]),
                      json={"nation": "FIN", "joined": "2025-07", "role": "boss"})  # fmt: skip
    assert api.status_code == 422
    [said] = [e["message"] for e in api.json()["errors"] if e["field"] == "role"]
    form = post(client, f"{MMF}/members/new", editor, nation="FIN", joined="2025-07",
                role="boss", instrument="", cost_share="", note="")  # fmt: skip
    assert form.status_code == 422
    assert Html(form.text).errors["role"] == said
    csv = b"programme,nation,joined,role\nmmf,FIN,2025-07,boss\n"
    imported = client.post("/api/import/participations", content=csv,
                           headers=auth(tokens["editor"]) | {"Content-Type": "text/csv"})  # fmt: skip
    assert imported.status_code == 422
    assert [e["message"] for e in imported.json()["errors"] if e["field"] == "role"] == [said]
