"""Joining, changing and leaving programmes; membership on a date; every rule's refusal."""

from datetime import date

import pytest
from sqlmodel import select

from registry.audit import Change
from registry.errors import Conflict, InvalidValue, NotFound, StaleVersion
from registry.participation import (
    MembershipTerm,
    join_programme,
    leave_programme,
    members_on,
    nation_programmes_on,
    participation_history,
    update_participation,
)
from tests.factories import ACTOR, make_programme


@pytest.fixture
def mmf(session, nations):
    make_programme(session)
    session.commit()
    return "mmf"


def join(session, nation, joined="2014-11", **fields):
    return join_programme(
        session, programme="mmf", nation=nation, joined=joined, actor=ACTOR, **fields
    )


def codes(rows):
    return [nation.code for _, nation in rows]


@pytest.mark.parametrize("spelling", ["DNK", "dk", "Denmark", "denmark", " DNK "])
def test_nation_is_accepted_as_alpha3_alpha2_or_name_and_stored_as_alpha3(session, mmf, spelling):
    row = join(session, spelling, joined="2025-06-24")
    assert row.nation_code == "DNK"


def test_turkiye_is_found_under_its_former_name(session, mmf):
    assert join(session, "Turkey").nation_code == "TUR"


def test_join_records_the_spell_and_its_change(session, mmf):
    row = join(session, "NLD", role="lead", instrument="agreement", cost_share="20.2")
    session.commit()
    assert (row.role, row.instrument, row.cost_share_bp) == ("lead", "agreement", 2020)
    assert row.joined_on.isoformat() == "2014-11"
    change = session.exec(select(Change).where(Change.entity == "participation")).one()
    assert (change.action, change.key, change.actor) == ("create", "mmf/NLD", ACTOR)
    assert change.after is not None
    assert change.after["nation_code"] == "NLD"


def test_members_on_a_date_follow_joined_and_left(session, mmf):
    join(session, "NLD", joined="2014-11")
    join(session, "DEU", joined="2017-06")
    join(session, "BEL", joined="2018-02-14")
    leave_programme(session, programme="mmf", nation="BEL", left="2020-03-01", actor=ACTOR)
    session.commit()
    assert codes(members_on(session, "mmf", date(2014, 10, 31))) == []
    assert codes(members_on(session, "mmf", date(2014, 11, 1))) == ["NLD"]
    assert codes(members_on(session, "mmf", date(2018, 2, 13))) == ["DEU", "NLD"]
    assert codes(members_on(session, "mmf", date(2018, 2, 14))) == ["BEL", "DEU", "NLD"]
    assert codes(members_on(session, "mmf", date(2020, 2, 29))) == ["BEL", "DEU", "NLD"]
    # The day a nation leaves it is no longer a member.
    assert codes(members_on(session, "mmf", date(2020, 3, 1))) == ["DEU", "NLD"]


def test_rejoining_adds_a_new_spell_and_keeps_the_old(session, mmf):
    join(session, "BEL", joined="2018-02-14")
    leave_programme(session, programme="mmf", nation="BEL", left="2020", actor=ACTOR)
    join(session, "BEL", joined="2022-05")
    session.commit()
    spells = participation_history(session, "mmf")
    assert [(p.joined_on.isoformat(), p.left_on and p.left_on.isoformat()) for p, _ in spells] == [
        ("2018-02-14", "2020"),
        ("2022-05", None),
    ]
    assert codes(members_on(session, "mmf", date(2021, 1, 1))) == []
    assert codes(members_on(session, "mmf", date(2023, 1, 1))) == ["BEL"]


def test_a_nation_already_active_cannot_join_again(session, mmf, refused):
    join(session, "NLD")
    session.commit()
    error = refused(Conflict, lambda s: join(s, "Netherlands", joined="2016"))
    assert error.status == 409
    assert error.fields == ["nation"]


def test_rejoining_before_the_last_leave_is_refused(session, mmf, refused):
    join(session, "BEL", joined="2018-02-14")
    leave_programme(session, programme="mmf", nation="BEL", left="2020-06-01", actor=ACTOR)
    session.commit()
    error = refused(InvalidValue, lambda s: join(s, "BEL", joined="2019"))
    assert error.fields == ["joined"]


@pytest.mark.parametrize(
    ("nation", "fields", "field"),
    [
        ("XXX", {}, "nation"),
        ("Atlantis", {}, "nation"),
        ("BRA", {}, "nation"),  # a real country, but not in the registry
        ("NLD", {"role": "boss"}, "role"),
        ("NLD", {"instrument": "handshake"}, "instrument"),
        ("NLD", {"joined": "2014-02-30"}, "joined"),
        ("NLD", {"cost_share": "120"}, "cost_share"),
        ("NLD", {"cost_share": "-5"}, "cost_share"),
        ("NLD", {"cost_share": "12.345"}, "cost_share"),
        ("NLD", {"cost_share": 12.5}, "cost_share"),
    ],
)
def test_join_refuses_bad_fields(mmf, refused, nation, fields, field):
    error = refused(InvalidValue, lambda s: join(s, nation, **fields))
    assert error.status == 422
    assert error.fields == [field]


def test_join_reports_every_bad_field_at_once(mmf, refused):
    error = refused(
        InvalidValue, lambda s: join(s, "XXX", role="boss", joined="soon", cost_share="x")
    )
    assert error.fields == ["nation", "role", "joined", "cost_share"]


def test_join_an_unknown_programme_is_not_found(nations, refused):
    error = refused(
        NotFound,
        lambda s: join_programme(s, programme="nope", nation="NLD", joined="2020", actor=ACTOR),
    )
    assert error.fields == ["programme"]


def test_active_cost_shares_may_not_exceed_100_percent(session, mmf, refused):
    join(session, "DEU", cost_share="55.56")
    join(session, "NLD", cost_share="44.44")
    session.commit()
    error = refused(InvalidValue, lambda s: join(s, "NOR", cost_share="0.01"))
    assert error.fields == ["cost_share"]
    assert "100.01" in error.errors[0].message


def test_shares_count_only_while_their_holders_are_members(session, mmf, refused):
    join(session, "DEU", cost_share="60", joined="2014-11")
    leave_programme(session, programme="mmf", nation="DEU", left="2020", actor=ACTOR)
    row = join(session, "NLD", cost_share="100", joined="2020")
    assert row.cost_share_bp == 10_000
    session.commit()
    # Overlapping DEU's membership (2014-11 to 2019-12-31) would hold 160 % in 2019.
    error = refused(InvalidValue, lambda s: join(s, "BEL", cost_share="41", joined="2019-06"))
    assert error.fields == ["cost_share"]


def test_a_future_leave_does_not_free_a_share_today(session, mmf, refused):
    """Guards a fixed bug: a spell with a future `left` dropped out of the sum at once."""
    join(session, "DEU", cost_share="60", joined="2014-11")
    leave_programme(session, programme="mmf", nation="DEU", left="2035", actor=ACTOR)
    session.commit()
    error = refused(InvalidValue, lambda s: join(s, "NOR", cost_share="60", joined="2025"))
    assert "2025-01-01" in error.errors[0].message


def test_a_share_can_pass_to_a_nation_joining_as_another_leaves(session, mmf):
    join(session, "DEU", cost_share="60", joined="2014-11")
    leave_programme(session, programme="mmf", nation="DEU", left="2030-01-01", actor=ACTOR)
    assert join(session, "BEL", cost_share="100", joined="2030-01-01").cost_share_bp == 10_000


def test_peak_share_counts_leavers_before_joiners_on_a_day():
    from registry.participation import peak_share

    spells = [(date(2020, 1, 1), date(2021, 1, 1), 6000), (date(2021, 1, 1), None, 4000)]
    assert peak_share(spells) == (6000, date(2020, 1, 1))
    spells.append((date(2020, 6, 1), None, 4000))
    assert peak_share(spells) == (10_000, date(2020, 6, 1))


def test_changing_a_share_counts_the_others_only(session, mmf, refused):
    join(session, "DEU", cost_share="60")
    join(session, "NLD", cost_share="40")
    session.commit()
    updated = update_participation(
        session, programme="mmf", nation="DEU", changes={"cost_share": "55"}, actor=ACTOR
    )
    assert updated.cost_share_bp == 5500
    session.commit()
    error = refused(
        InvalidValue,
        lambda s: update_participation(
            s, programme="mmf", nation="NLD", changes={"cost_share": "45.01"}, actor=ACTOR
        ),
    )
    assert error.fields == ["cost_share"]


def test_change_role_records_before_and_after(session, mmf):
    join(session, "NLD")
    session.commit()
    row = update_participation(
        session, programme="mmf", nation="nl", changes={"role": "lead"}, actor="editor",
        expected_version=1,
    )  # fmt: skip
    session.commit()
    assert (row.role, row.version) == ("lead", 2)
    change = session.exec(select(Change).where(Change.action == "update")).one()
    assert change.before is not None
    assert change.after is not None
    assert (change.before["role"], change.after["role"]) == ("participant", "lead")


def test_a_leave_known_to_the_year_cannot_start_before_joining(session, mmf, refused):
    """Guards a fixed bug: "2025" passed for a spell joined 2025-06-24, and stored as 2025-01-01
    it ended the spell before it began (a rejoin could then overlap it)."""
    join(session, "BEL", joined="2025-06-24")
    session.commit()
    error = refused(
        InvalidValue,
        lambda s: leave_programme(s, programme="mmf", nation="BEL", left="2025", actor=ACTOR),
    )
    assert error.fields == ["left"]


def test_left_before_joined_is_refused(session, mmf, refused):
    join(session, "BEL", joined="2018-02-14")
    session.commit()
    error = refused(
        InvalidValue,
        lambda s: leave_programme(s, programme="mmf", nation="BEL", left="2018-02-13", actor=ACTOR),
    )
    assert error.status == 422
    assert error.fields == ["left"]


def test_leaving_a_programme_one_is_not_in_is_not_found(mmf, refused):
    error = refused(
        NotFound,
        lambda s: leave_programme(s, programme="mmf", nation="SWE", left="2025", actor="a"),
    )
    assert error.fields == ["nation"]


def test_editing_a_spell_changed_since_it_was_read_is_refused(session, mmf, refused):
    join(session, "NLD")
    update_participation(
        session, programme="mmf", nation="NLD", changes={"role": "lead"}, actor="a"
    )
    session.commit()
    error = refused(
        StaleVersion,
        lambda s: leave_programme(
            s, programme="mmf", nation="NLD", left="2024", actor="b", expected_version=1
        ),
    )
    assert error.status == 412


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"role": "boss"}, "role"),
        ({"left": "yesterday"}, "left"),
        ({"joined": "2010"}, "joined"),
        ({"cost_share": "101"}, "cost_share"),
    ],
)
def test_update_refuses_bad_fields(session, mmf, refused, changes, field):
    join(session, "NLD")
    session.commit()
    error = refused(
        InvalidValue,
        lambda s: update_participation(
            s, programme="mmf", nation="NLD", changes=changes, actor="a"
        ),
    )
    assert error.fields == [field]


def test_a_nations_programmes_on_a_date(session, mmf):
    make_programme(session, slug="innovation-ranges", name="NATO Innovation Ranges",
                   category="innovation")  # fmt: skip
    join(session, "NLD", joined="2014-11")
    join_programme(session, programme="innovation-ranges", nation="NLD", joined="2025-06-24",
                   actor=ACTOR)  # fmt: skip
    session.commit()
    on = lambda d: [p.slug for p, _ in nation_programmes_on(session, "Netherlands", d)]  # noqa: E731
    assert on(date(2020, 1, 1)) == ["mmf"]
    assert on(date(2025, 6, 24)) == ["mmf", "innovation-ranges"]


@pytest.mark.parametrize(
    ("start", "end"), [(date(2020, 1, 1), None), (date(2010, 1, 1), date(2015, 1, 1))]
)
def test_the_database_refuses_a_held_term_overlapping_another(session, mmf, start, end):
    """The trigger holds even when a caller bypasses the rules; a closed term may overlap."""
    from sqlalchemy.exc import IntegrityError

    row = join(session, "NLD", joined="2014-11")
    session.commit()
    number = session.exec(select(MembershipTerm.recorded_in)).one()
    session.add(MembershipTerm(participation_id=row.id, valid_from=start, valid_to=end,
                               role="observer", recorded_in=number, superseded_in=number))  # fmt: skip
    session.flush()  # a term closed in record time is history, not a clash
    session.add(MembershipTerm(participation_id=row.id, valid_from=start, valid_to=end,
                               role="observer", recorded_in=number))  # fmt: skip
    with pytest.raises(IntegrityError):
        session.flush()


def test_the_database_allows_one_open_term_per_spell(session, mmf):
    """The partial unique index holds even when a caller bypasses the rule."""
    from sqlalchemy.exc import IntegrityError

    row = join(session, "NLD")
    session.commit()
    number = session.exec(select(MembershipTerm.recorded_in)).one()
    session.add(MembershipTerm(participation_id=row.id, valid_from=date(2020, 1, 1),
                               role="participant", recorded_in=number))  # fmt: skip
    with pytest.raises(IntegrityError):
        session.flush()


@pytest.mark.parametrize("left", ["", "  "])
def test_a_leave_without_a_date_is_refused(session, mmf, refused, left):
    """Guards a fixed bug: a blank date recorded no leave yet reported success."""
    join(session, "BEL")
    session.commit()
    error = refused(
        InvalidValue,
        lambda s: leave_programme(s, programme="mmf", nation="BEL", left=left, actor=ACTOR),
    )
    assert error.fields == ["left"]
