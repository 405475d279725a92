"""Staff pages for sources: editors add and edit sources, cite them for records, change and
remove citations; each write is in the change log, a refused one is the form again with the
field named and nothing kept, and viewers only read."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import Session, select

from registry.audit import Change
from registry.programmes import Programme
from registry.sources import Citation, find_source
from tests.conftest import dump
from tests.staff import Html, sign_in
from tests.test_ui_forms import post, refused

pytestmark = pytest.mark.usefixtures("seeded", "staff")

SOURCE = "public-reporting"
NEW = "/ui/sources/new"
PAGE = f"/ui/sources/{SOURCE}"
NEW_SOURCE = {"key": "janes-2026", "title": "Tanker fleet review", "publisher": "Janes",
              "url": "https://www.janes.com/tankers", "published": "2026-02", "excerpt": ""}  # fmt: skip


def saved(engine, response, page: str) -> Change:
    """The change a successful post reports in its redirect to the source page."""
    assert response.status_code == 303, Html(response.text).words
    where = urlsplit(response.headers["location"])
    assert where.path == page
    with Session(engine) as session:
        change = session.get(Change, int(parse_qs(where.query)["saved"][0]))
    assert change is not None
    return change


def mmf_id(engine) -> int:
    with Session(engine) as session:
        found = session.exec(select(Programme.id).where(Programme.slug == "mmf")).one()
    assert found is not None
    return found


def citation_of_mmf(engine, key: str = SOURCE) -> Citation:
    with Session(engine) as session:
        source = find_source(session, key)
        assert source is not None
        found = session.exec(
            select(Citation).where(Citation.source_id == source.id,
                                   Citation.entity == "programme",
                                   Citation.entity_id == mmf_id(engine))
        ).first()  # fmt: skip
    assert found is not None
    return found


def test_the_list_shows_every_source_and_editors_get_a_new_source_button(client):
    sign_in(client, "editor")
    page = Html(client.get("/ui/sources").text)
    assert len(page.rows["sources"]) == 7  # a heading and six sources
    assert NEW in page.links
    assert PAGE in page.links


def test_viewers_read_sources_without_edit_links(client):
    sign_in(client, "viewer")
    listing = Html(client.get("/ui/sources").text)
    assert NEW not in listing.links
    page = Html(client.get(PAGE).text)
    assert "Multinational Multi Role Tanker Transport Fleet" in page.words
    assert f"{PAGE}/edit" not in page.links
    assert f"{PAGE}/cite" not in page.links


def test_an_editor_adds_a_source_and_is_shown_it(client, engine):
    token = sign_in(client, "editor")
    response = post(client, NEW, token, **NEW_SOURCE)
    change = saved(engine, response, "/ui/sources/janes-2026")
    assert (change.actor, change.action, change.entity, change.key) == (
        "editor", "create", "source", "janes-2026",
    )  # fmt: skip
    page = Html(client.get(response.headers["location"]).text)
    assert "Saved. source janes-2026 created by editor" in page.words
    assert "Tanker fleet review" in page.words
    assert "No record cites this source." in page.words


@pytest.mark.parametrize(
    ("fields", "status", "field"),
    [
        ({"key": "Not A Key"}, 422, "key"),
        ({"title": ""}, 422, "title"),
        ({"url": "ftp://janes.com"}, 422, "url"),
        ({"published": "June 2026"}, 422, "published"),
        ({"key": SOURCE}, 409, "key"),
    ],
)
def test_a_refused_source_names_the_field(client, engine, fields, status, field):
    token = sign_in(client, "editor")
    page = refused(client, engine, NEW, token, status, field, **(NEW_SOURCE | fields))
    assert "New source" in page.words


def test_an_editor_edits_a_source_and_a_stale_form_is_refused(client, engine):
    token = sign_in(client, "editor")
    form = Html(client.get(f"{PAGE}/edit").text)
    assert form.values["version"] == "1"
    fields = {name: form.values[name] for name in ("title", "publisher", "url", "published",
                                                   "excerpt", "version")}  # fmt: skip
    response = post(client, f"{PAGE}/edit", token, **(fields | {"title": "Public reporting, 2026"}))
    change = saved(engine, response, PAGE)
    assert (change.actor, change.action, change.entity, change.key) == (
        "editor", "update", "source", SOURCE,
    )  # fmt: skip
    assert change.after is not None
    assert change.after["title"] == "Public reporting, 2026"
    page = refused(client, engine, f"{PAGE}/edit", token, 409, "version",
                   **(fields | {"title": "Too late"}))  # fmt: skip
    assert "Load the current record" in page.words


def test_an_edit_that_clears_the_title_is_refused(client, engine):
    token = sign_in(client, "editor")
    refused(client, engine, f"{PAGE}/edit", token, 422, "title", title="", version="1")


def test_an_editor_cites_a_source_for_a_programme_chosen_by_name(client, engine):
    token = sign_in(client, "editor")
    assert post(client, NEW, token, **NEW_SOURCE).status_code == 303
    form = Html(client.get("/ui/sources/janes-2026/cite", params={"entity": "programme"}).text)
    assert form.values["entity"] == "programme"
    assert "Multinational Multi Role Tanker Transport Fleet" in form.words
    response = post(client, "/ui/sources/janes-2026/cite", token, entity="programme",
                    entity_id=str(mmf_id(engine)), confidence="medium", note="fleet size")  # fmt: skip
    change = saved(engine, response, "/ui/sources/janes-2026")
    assert (change.actor, change.action, change.entity, change.key) == (
        "editor", "create", "citation", f"programme/{mmf_id(engine)}/janes-2026",
    )  # fmt: skip
    rows = Html(client.get("/ui/sources/janes-2026").text).rows["citations"]
    assert any("Multinational Multi Role Tanker Transport Fleet" in r and "medium" in r
               for r in rows)  # fmt: skip


def test_records_of_other_kinds_are_cited_by_id(client):
    sign_in(client, "editor")
    form = Html(client.get(f"{PAGE}/cite", params={"entity": "contract"}).text)
    assert form.values["entity_id"] == ""
    assert "Contract id" in form.words


@pytest.mark.parametrize(
    ("fields", "status", "field"),
    [
        ({"entity": "contract", "entity_id": "99999"}, 404, "entity_id"),
        ({"entity_id": "many"}, 422, "entity_id"),
        ({"confidence": "certain"}, 422, "confidence"),
        ({"entity": "planet"}, 422, "entity"),
        ({}, 409, "entity_id"),  # the programme cites this source already
    ],
)
def test_a_refused_citation_names_the_field(client, engine, fields, status, field):
    token = sign_in(client, "editor")
    values = {"entity": "programme", "entity_id": str(mmf_id(engine)), "confidence": "high"}
    refused(client, engine, f"{PAGE}/cite", token, status, field, **(values | fields))


def test_an_editor_changes_and_removes_a_citation(client, engine):
    token = sign_in(client, "editor")
    citation = citation_of_mmf(engine)
    edit = f"{PAGE}/citations/{citation.id}/edit"
    assert edit in Html(client.get(PAGE).text).links
    assert Html(client.get(edit).text).values["confidence"] == citation.confidence
    response = post(client, edit, token, confidence="low", note="figures disagree")
    change = saved(engine, response, PAGE)
    key = f"programme/{mmf_id(engine)}/{SOURCE}"
    assert (change.actor, change.action, change.entity, change.key) == (
        "editor", "update", "citation", key,
    )  # fmt: skip
    assert change.after is not None
    assert change.after["note"] == "figures disagree"
    refused(client, engine, edit, token, 422, "confidence", confidence="sure")

    response = post(client, f"{PAGE}/citations/{citation.id}/remove", token)
    change = saved(engine, response, PAGE)
    assert (change.actor, change.action, change.key, change.after) == (
        "editor",
        "delete",
        key,
        None,
    )
    with Session(engine) as session:
        assert session.get(Citation, citation.id) is None


def test_a_citation_is_changed_only_under_the_source_it_cites(client, engine):
    token = sign_in(client, "editor")
    citation = citation_of_mmf(engine)
    before = dump(engine)
    elsewhere = f"/ui/sources/mmf-flight-hours-2023/citations/{citation.id}"
    assert client.get(f"{elsewhere}/edit").status_code == 404
    assert post(client, f"{elsewhere}/remove", token).status_code == 404
    assert post(client, f"{PAGE}/citations/99999/remove", token).status_code == 404
    assert dump(engine) == before


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        (NEW, NEW_SOURCE),
        (f"{PAGE}/edit", {"title": "Viewer was here", "version": "1"}),
        (f"{PAGE}/cite", {"entity": "programme", "entity_id": "2", "confidence": "high"}),
        (f"{PAGE}/citations/1/edit", {"confidence": "low"}),
        (f"{PAGE}/citations/1/remove", {}),
    ],
)
def test_viewers_cannot_write_sources_or_citations(client, engine, path, fields):
    token = sign_in(client, "viewer")
    before = dump(engine)
    assert post(client, path, token, **fields).status_code == 403
    if not path.endswith("/remove"):
        assert client.get(path).status_code == 403
    assert dump(engine) == before


# --- general compilations, quotes and nations -----------------------------------------------


def ticked(html: str, name: str) -> bool:
    """Whether the page's checkbox `name` is ticked."""
    (tag,) = re.findall(rf'<input type="checkbox"[^>]*name="{name}"[^>]*>', html)
    return " checked" in tag


def test_an_editor_marks_a_source_general_and_unticks_it(client, engine):
    token = sign_in(client, "editor")
    assert not ticked(client.get(NEW).text, "general")
    response = post(client, NEW, token, **(NEW_SOURCE | {"general": "yes"}))
    change = saved(engine, response, "/ui/sources/janes-2026")
    assert change.after is not None
    assert change.after["general"] is True
    page = Html(client.get("/ui/sources/janes-2026").text)
    assert "General compilation yes" in page.words
    assert "janes-2026 · general compilation" in Html(client.get("/ui/sources").text).words
    form = client.get("/ui/sources/janes-2026/edit").text
    assert ticked(form, "general")
    fields = {name: Html(form).values[name] for name in ("title", "version")}
    response = post(client, "/ui/sources/janes-2026/edit", token, **fields)  # box not ticked
    change = saved(engine, response, "/ui/sources/janes-2026")
    assert change.after is not None
    assert change.after["general"] is False
    assert "General compilation no" in Html(client.get("/ui/sources/janes-2026").text).words


def test_a_refused_source_form_keeps_the_box_ticked(client, engine):
    token = sign_in(client, "editor")
    fields = NEW_SOURCE | {"title": "", "general": "yes"}
    refused(client, engine, NEW, token, 422, "title", **fields)
    assert ticked(post(client, NEW, token, **fields).text, "general")


def test_an_editor_cites_with_a_quote_and_changes_it(client, engine):
    token = sign_in(client, "editor")
    assert post(client, NEW, token, **NEW_SOURCE).status_code == 303
    response = post(client, "/ui/sources/janes-2026/cite", token, entity="programme",
                    entity_id=str(mmf_id(engine)), confidence="medium",
                    quote="two more tankers")  # fmt: skip
    saved(engine, response, "/ui/sources/janes-2026")
    page = client.get("/ui/sources/janes-2026").text
    (row,) = Html(page).rows["citations"][1:]
    assert "two more tankers" in row
    assert "<q>two more tankers</q>" in page
    citation = citation_of_mmf(engine, "janes-2026")
    edit = f"/ui/sources/janes-2026/citations/{citation.id}/edit"
    assert Html(client.get(edit).text).values["quote"] == "two more tankers"
    response = post(client, edit, token, confidence="medium", quote="three more tankers")
    change = saved(engine, response, "/ui/sources/janes-2026")
    assert change.after is not None
    assert change.after["quote"] == "three more tankers"
    refused(client, engine, edit, token, 422, "quote", confidence="medium", quote="x" * 1001)


def test_an_editor_cites_a_source_for_a_nation_chosen_by_name(client, engine):
    token = sign_in(client, "editor")
    form = Html(client.get(f"{PAGE}/cite", params={"entity": "nation"}).text)
    assert "Netherlands" in form.words
    response = post(client, f"{PAGE}/cite", token, entity="nation", entity_id="528",
                    confidence="medium")  # fmt: skip
    change = saved(engine, response, PAGE)
    assert change.key == f"nation/528/{SOURCE}"
    rows = Html(client.get(PAGE).text).rows["citations"]
    assert any("Netherlands" in r and "nation 528" in r for r in rows)
