"""Creating and changing programmes; each refusal names its field and writes nothing."""

import pytest
from sqlmodel import select

from registry.audit import Change
from registry.database import pk
from registry.errors import Conflict, InvalidValue, NotFound, StaleVersion
from registry.programme_terms import SINCE, held
from registry.programmes import get_programme, update_programme
from registry.search import programmes_page
from tests.factories import ACTOR, make_organisation, make_programme


def test_create_programme_keeps_launch_precision_and_records_a_change(session, nations):
    agency = make_organisation(session)
    programme = make_programme(session, managing_organisation="nspa")
    session.commit()

    stored = get_programme(session, "mmf")
    [standing] = held(session, pk(stored))
    assert (standing.status, standing.managing_organisation_id) == ("active", agency.id)
    assert (standing.valid_from, standing.valid_to) == (SINCE, None)
    assert stored.launched_on is not None
    assert stored.launched_on.isoformat() == "2012"
    change = session.exec(select(Change).where(Change.entity == "programme")).one()
    assert (change.actor, change.action, change.key) == (ACTOR, "create", "mmf")
    assert change.before is None
    assert change.after is not None
    assert change.after["slug"] == "mmf"
    assert change.after["id"] == programme.id


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"slug": "Not A Slug"}, "slug"),
        ({"slug": "mmf-"}, "slug"),
        ({"name": ""}, "name"),
        ({"category": "tankers"}, "category"),
        ({"status": "dormant"}, "status"),
        ({"launched": "2012-13"}, "launched"),
        ({"managing_organisation": "nobody"}, "managing_organisation"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_create_programme_refuses_bad_fields(refused, nations, overrides, field):
    error = refused(InvalidValue, lambda s: make_programme(s, **overrides))
    assert error.status == 422
    assert error.fields == [field]


def test_create_programme_names_every_missing_field(refused):
    error = refused(InvalidValue, lambda s: make_programme(s, slug=None, name="", category=None))
    assert error.fields == ["slug", "name", "category"]
    assert all(e.message == "is required" for e in error.errors)


def test_slug_collision_is_a_conflict(session, refused):
    make_programme(session)
    session.commit()
    error = refused(Conflict, lambda s: make_programme(s, name="Another"))
    assert error.status == 409
    assert error.fields == ["slug"]


def test_update_programme_bumps_version_and_keeps_before_and_after(session):
    make_programme(session)
    session.commit()
    updated = update_programme(
        session, "mmf", changes={"status": "closed"}, actor="editor", expected_version=1
    )
    session.commit()
    assert updated.version == 2
    today = next(s for s in held(session, pk(updated)) if s.valid_to is None)
    assert today.status == "closed"
    change = session.exec(select(Change).where(Change.action == "update")).one()
    assert change.before is not None
    assert change.after is not None
    assert (change.before["status"], change.after["status"]) == ("active", "closed")
    assert change.actor == "editor"


def test_update_with_nothing_new_writes_no_change(session):
    make_programme(session)
    session.commit()
    update_programme(session, "mmf", changes={"status": "active"}, actor="editor")
    session.commit()
    assert get_programme(session, "mmf").version == 1
    assert len(session.exec(select(Change)).all()) == 1


def test_update_from_a_stale_read_is_refused(session, refused):
    make_programme(session)
    update_programme(session, "mmf", changes={"name": "MMF"}, actor="a")
    session.commit()
    error = refused(
        StaleVersion,
        lambda s: update_programme(
            s, "mmf", changes={"name": "Other"}, actor="b", expected_version=1
        ),
    )
    assert error.status == 412
    assert error.fields == ["version"]


def test_renaming_onto_a_taken_slug_is_a_conflict(session, refused):
    make_programme(session)
    make_programme(session, slug="innovation-ranges", name="Ranges", category="innovation")
    session.commit()
    error = refused(
        Conflict,
        lambda s: update_programme(s, "mmf", changes={"slug": "innovation-ranges"}, actor="a"),
    )
    assert error.fields == ["slug"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"name": ""}, "name"), ({"category": "x"}, "category"), ({"id": 7}, "id")],
)
def test_update_refuses_bad_fields(session, refused, changes, field):
    make_programme(session)
    session.commit()
    error = refused(InvalidValue, lambda s: update_programme(s, "mmf", changes=changes, actor="a"))
    assert error.fields == [field]


def test_unknown_programme_is_not_found(refused):
    error = refused(NotFound, lambda s: update_programme(s, "nope", changes={}, actor="a"))
    assert error.status == 404
    assert error.fields == ["slug"]


def test_programmes_page_filters(session, nations):
    make_organisation(session)
    make_programme(session, managing_organisation="nspa", acronym="MMF")
    make_programme(session, slug="innovation-ranges", name="NATO Innovation Ranges",
                   category="innovation", status="planned")  # fmt: skip
    session.commit()
    names = lambda **f: [p.slug for p, *_ in programmes_page(session, limit=None, **f).items]  # noqa: E731
    assert names() == ["mmf", "innovation-ranges"]  # by name: "Multinational..." first
    assert names(q="tanker") == ["mmf"]
    assert names(q="mmf") == ["mmf"]
    assert names(category="innovation") == ["innovation-ranges"]
    assert names(status="planned") == ["innovation-ranges"]
    assert names(agency="nspa") == ["mmf"]


def test_the_database_refuses_a_held_programme_term_overlapping_another(session):
    """The trigger under the rules holds for programme terms too."""
    from datetime import date

    from sqlalchemy.exc import IntegrityError

    from registry.programme_terms import ProgrammeTerm

    programme = make_programme(session)
    session.commit()
    number = session.exec(select(ProgrammeTerm.recorded_in)).one()
    session.add(ProgrammeTerm(programme_id=pk(programme), valid_from=date(2020, 1, 1),
                              valid_to=date(2021, 1, 1), status="closed", recorded_in=number))  # fmt: skip
    with pytest.raises(IntegrityError):
        session.flush()
