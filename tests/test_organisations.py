"""Organisations: agencies, contractors and governing bodies."""

import pytest

from registry.errors import Conflict, InvalidValue, NotFound
from registry.organisations import get_organisation, list_organisations
from tests.factories import make_organisation


def test_create_and_find(session, nations):
    make_organisation(session, country="Luxembourg")
    make_organisation(session, slug="airbus", name="Airbus Defence and Space", kind="contractor")
    session.commit()
    assert get_organisation(session, "nspa").country == "LUX"
    assert [o.slug for o in list_organisations(session, kind="contractor")] == ["airbus"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"slug": "NSPA"}, "slug"), ({"name": ""}, "name"), ({"kind": "club"}, "kind"),
     ({"country": "Atlantis"}, "country")],
)  # fmt: skip
def test_bad_organisations_are_refused(nations, refused, fields, field):
    error = refused(InvalidValue, lambda s: make_organisation(s, **fields))
    assert error.fields == [field]


def test_slug_taken_is_a_conflict(session, refused):
    make_organisation(session)
    session.commit()
    error = refused(Conflict, lambda s: make_organisation(s, name="Other"))
    assert error.fields == ["slug"]


def test_unknown_organisation_is_not_found(session):
    with pytest.raises(NotFound):
        get_organisation(session, "nobody")
