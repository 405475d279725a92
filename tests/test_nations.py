"""Nations: the 32 Allies with accession dates, partners, and how codes and names are read."""

from datetime import date

import pytest
from sqlmodel import col, select

from registry.audit import Change
from registry.errors import Conflict, InvalidValue
from registry.nations import (
    Nation,
    add_nation,
    find_nation,
    list_nations,
    nation_code,
    update_nation,
)


@pytest.mark.parametrize(
    ("text", "code"),
    [("SWE", "SWE"), ("se", "SWE"), ("Sweden", "SWE"), ("Czechia", "CZE"),
     ("Czech Republic", "CZE"), ("Türkiye", "TUR"), ("Turkey", "TUR"),
     ("United Kingdom", "GBR"), ("North Macedonia", "MKD"), ("Atlantis", None), ("", None),
     # As running text spells them (the summit's text: "the Netherlands").
     ("the Netherlands", "NLD"), ("The United Kingdom", "GBR"), ("the United States", "USA"),
     ("the", None), ("the Atlantis", None)],
)  # fmt: skip
def test_nation_codes_from_codes_and_names(text, code):
    assert nation_code(text) == code


def test_all_32_allies_and_their_accession(session, nations):
    allies = list_nations(session, kind="ally")
    assert len(allies) == 32
    since = {n.code: n.nato_member_since for n in allies}
    # The founders' day is when the treaty came into force for them, not its signing.
    assert since["USA"] == date(1949, 8, 24)
    assert since["DEU"] == date(1955, 5, 6)
    assert since["FIN"] == date(2023, 4, 4)
    assert since["SWE"] == date(2024, 3, 7)
    assert since["MKD"] == date(2020, 3, 27)
    australia = session.get(Nation, "AUS")
    assert (australia.kind, australia.nato_member_since) == ("partner", None)


def test_find_nation_by_registry_name(session, nations):
    found = find_nation(session, "Türkiye")
    assert found is not None
    assert found.code == "TUR"
    assert find_nation(session, "Brazil") is None  # a country, but not in the registry


def test_adding_a_nation_twice_is_a_conflict(nations, refused):
    error = refused(
        Conflict,
        lambda s: add_nation(s, code="se", kind="ally", nato_member_since=date(2024, 3, 7),
                             actor="a"),
    )  # fmt: skip
    assert error.fields == ["code"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"code": "XX", "kind": "partner"}, "code"),
        ({"code": "JPN", "kind": "friend"}, "kind"),
        ({"code": "JPN", "kind": "ally"}, "nato_member_since"),
    ],
)
def test_bad_nations_are_refused(refused, fields, field):
    error = refused(InvalidValue, lambda s: add_nation(s, actor="a", **fields))
    assert error.fields == [field]


def test_partner_gets_its_common_name(session):
    add_nation(session, code="KOR", kind="partner", actor="a")
    session.commit()
    assert session.exec(select(Nation.name).where(Nation.code == "KOR")).one() == "South Korea"


def test_an_accession_day_is_corrected(session, nations):
    update_nation(session, code="Sweden", nato_member_since=date(2024, 3, 8), actor="admin")
    assert session.get(Nation, "SWE").nato_member_since == date(2024, 3, 8)
    change = session.exec(select(Change).where(Change.entity == "nation")
                          .order_by(col(Change.id).desc())).first()  # fmt: skip
    assert (change.action, change.key, change.after["nato_member_since"]) == (
        "update", "SWE", "2024-03-08",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("code", "since"), [("SWE", None), ("AUS", date(2025, 6, 24))], ids=["ally-none", "partner"]
)
def test_an_accession_day_that_cannot_be(refused, nations, code, since):
    error = refused(InvalidValue, lambda s: update_nation(s, code=code, nato_member_since=since,
                                                          actor="admin"))  # fmt: skip
    assert error.errors[0].field == "nato_member_since"
