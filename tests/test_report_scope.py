"""A report read through the API reads only the rows it shows, and draws the same document."""

from datetime import UTC, date, datetime

import pytest

from registry.choices import Role
from registry.contracts import add_contract
from registry.database import unit_of_work
from registry.participation import update_participation
from reports.build import render
from reports.frames import EVERYTHING, load_frames, report_scope
from reports.render import Stamp
from tests.factories import ACTOR

DAYS = [date(2019, 12, 31), date(2025, 7, 1)]
ON = date(2026, 6, 1)


def reports(frames) -> list[tuple[str, str]]:
    """Every programme's report, the matrix, the summary, and the reports of nations in one
    programme, in several, with a lead role and as a partner."""
    programmes = [("programme", slug) for slug in frames.programmes["slug"]]
    nations = [("nation", code) for code in ("NLD", "DEU", "DNK", "FIN", "AUS")]
    return [("membership", ""), ("contracts", ""), *programmes, *nations]


@pytest.mark.parametrize("day", DAYS)
def test_each_report_drawn_from_its_own_rows_is_the_one_drawn_from_everything(engine, seeded, day):
    whole = load_frames(engine)
    stamp = Stamp(day, datetime(2026, 1, 1, tzinfo=UTC), "fingerprint", since=date(2015, 1, 1))
    for report, key in reports(whole):
        scoped = load_frames(engine, scope=report_scope(engine, report, key, day))
        assert render(scoped, stamp, report, key) == render(whole, stamp, report, key), key


def test_a_programmes_report_reads_its_rows_only(engine, seeded):
    whole = load_frames(engine)
    scope = report_scope(engine, "programme", "mmf")
    frames = load_frames(engine, scope=scope)
    (mmf,) = scope.programmes or ()
    assert frames.programmes["slug"].to_list() == ["mmf"]
    for name in ("spells", "standings", "contracts", "fleet_events"):
        rows = getattr(frames, name)
        assert rows.height > 0, name
        assert set(rows["programme_id"]) == {mmf}, name
        if name != "fleet_events":  # the seed has mmf's fleet only
            assert getattr(whole, name).height > rows.height, name
    assert frames.nations.is_empty()  # the programme report does not show the nations list
    assert 0 < frames.citations.height < whole.citations.height


def test_a_nations_report_reads_its_spells_and_their_programmes(engine, seeded):
    frames = load_frames(engine, scope=report_scope(engine, "nation", "NLD"))
    assert set(frames.spells["nation"]) == {"NLD"}
    assert frames.nations["code"].to_list() == ["NLD"]
    assert set(frames.contracts["programme_id"]) <= set(frames.programmes["id"])
    assert frames.fleet_events.is_empty()
    # the sources of its memberships only
    assert set(frames.citations["entity"]) == {"participation"}
    assert set(frames.citations["entity_id"]) <= set(frames.spells["id"])


def fingerprints(engine) -> dict[str, str]:
    return {
        key or report: load_frames(
            engine, scope=report_scope(engine, report, key, ON)
        ).fingerprint()
        for report, key in [
            ("programme", "mmf"),
            ("programme", "nspo-australia"),
            ("nation", "NLD"),
            ("nation", "AUS"),
            ("membership", ""),
            ("contracts", ""),
        ]
    }


def test_a_reports_fingerprint_changes_with_its_data_and_only_then(engine, seeded):
    before = fingerprints(engine)
    with unit_of_work(engine) as session:
        add_contract(session, programme="mmf", title="Spares", kind="support", actor=ACTOR)
    after = fingerprints(engine)
    changed = {key for key in before if before[key] != after[key]}
    # mmf's contracts are in its report, the summary and its members' reports (NLD is one);
    # the matrix shows no contracts.
    assert changed == {"mmf", "NLD", "contracts"}
    assert "nspo-australia" not in changed
    assert "AUS" not in changed
    with unit_of_work(engine) as session:
        update_participation(session, programme="mmf", nation="NLD", effective="2026-01-01",
                             changes={"note": "new"}, actor=ACTOR)  # fmt: skip
    again = fingerprints(engine)
    changed = {key for key in after if after[key] != again[key]}
    assert changed == {"mmf", "NLD", "membership"}


def test_everything_is_every_frame(engine, seeded):
    assert load_frames(engine).fingerprint() == load_frames(engine, scope=EVERYTHING).fingerprint()


def test_a_nation_and_the_matrix_read_narrow_rows_and_draw_the_same(engine, seeded):
    """The nation's report reads its contracts' sums only, the matrix the terms in force: an
    amended value and a change of role still show as from the whole frames."""
    from registry.amendments import amend_contract

    with unit_of_work(engine) as session:
        amend_contract(session, contract_id=5, effective="2024-01-01", amount="300000000",
                       currency="EUR", actor=ACTOR)  # fmt: skip
        update_participation(session, programme="mmf", nation="NLD", effective="2024-06-01",
                             changes={"role": "participant"}, actor=ACTOR)  # fmt: skip
    whole = load_frames(engine)
    stamp = Stamp(ON, datetime(2026, 1, 1, tzinfo=UTC), "fingerprint")
    for report, key in [("nation", "NLD"), ("membership", "")]:
        scope = report_scope(engine, report, key, ON)
        scoped = load_frames(engine, scope=scope)
        html = render(scoped, stamp, report, key)
        assert html == render(whole, stamp, report, key), report
    nation = render(load_frames(engine, scope=report_scope(engine, "nation", "NLD")), stamp,
                    "nation", "NLD")  # fmt: skip
    assert "EUR 300,000,000.00" in nation
    matrix = load_frames(engine, scope=report_scope(engine, "membership", "", ON))
    assert "joined" not in matrix.spells.columns  # no window over every term
    assert set(matrix.spells["role"]) <= set(Role)


def test_the_matrix_and_the_summary_read_only_the_citations_of_what_they_show(engine, seeded):
    """The matrix shows memberships and the summary contracts: citing another kind of record
    leaves their fingerprints as they were."""
    from sqlalchemy import text

    from registry.sources import cite

    with engine.connect() as connection:
        source = connection.execute(text("SELECT key FROM source LIMIT 1")).scalar_one()
    before = fingerprints(engine)
    with unit_of_work(engine) as session:
        cite(session, source=source, entity="contract", entity_id=1, confidence="low",
             actor=ACTOR)  # fmt: skip
    after = fingerprints(engine)
    assert after["membership"] == before["membership"]
    assert after["contracts"] != before["contracts"]
