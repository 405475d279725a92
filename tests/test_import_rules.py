"""An import checks each row against the registry and the rows accepted before it, as single
writes one after another would; fleet totals count every row at once, in time order."""

import pytest
from sqlmodel import Session, col, select

from registry import imports
from registry.audit import Change
from registry.contracts import programme_contracts
from registry.database import unit_of_work
from registry.errors import InvalidValue
from registry.fleet import fleet_timeline
from registry.participation import join_programme, participation_history
from tests.conftest import dump, fresh_engine


def run(engine, kind, text, dry_run=False):
    with unit_of_work(engine) as session:
        return imports.import_rows(
            session, kind, imports.read_table(text.encode()), actor="editor", dry_run=dry_run
        )


def refused(engine, kind, text):
    before = dump(engine)
    with pytest.raises(InvalidValue) as error:
        run(engine, kind, text)
    assert dump(engine) == before
    return [(e.row, e.field, e.message) for e in error.value.errors]


def test_a_nation_joined_earlier_in_the_file_is_a_member_for_the_rows_after(engine, seeded):
    problems = refused(
        engine,
        "participations",
        "programme,nation,joined,left\n"
        "innovation-ranges,DEU,2024,\n"
        "innovation-ranges,DEU,2025,\n"  # still a member: row 1 joined for good
        "innovation-ranges,POL,2020,2021\n"
        "innovation-ranges,POL,2020-06,\n",  # before row 3's spell ended
    )
    assert [(row, field) for row, field, _ in problems] == [(2, "nation"), (4, "joined")]
    assert "already a member" in problems[0][2]
    assert "cannot rejoin earlier" in problems[1][2]


def test_cost_shares_of_the_rows_before_count_on_every_date(engine, seeded):
    problems = refused(
        engine,
        "participations",
        "programme,nation,joined,left,cost_share\n"
        "innovation-ranges,DEU,2020,2022,60\n"
        "innovation-ranges,POL,2023,,60\n"  # after DEU's spell: fine
        "innovation-ranges,NOR,2021,,40\n"  # 100 % with DEU in 2021: fine
        "innovation-ranges,DNK,2021-06,,1\n",  # 101 % in 2021-06
    )
    assert [(row, field) for row, field, _ in problems] == [(4, "cost_share")]
    assert "101.00 % on 2021-06-01" in problems[0][2]


def test_an_import_writes_what_single_writes_would(engine, seeded, backend, request, tmp_path):
    """The same spells written by the importer and by `join_programme` one by one read the
    same, audit rows included."""
    rows = [
        ("DEU", "2019-03", "2020", "observer", "5"),
        ("DEU", "2021", "", "participant", "7.5"),
        ("POL", "2018-02-01", "", "participant", ""),
    ]
    text = "programme,nation,joined,left,role,cost_share\n" + "".join(
        f"innovation-ranges,{n},{j},{left},{r},{s}\n" for n, j, left, r, s in rows
    )
    result = run(engine, "participations", text)
    assert [(o.row, o.key) for o in result.rows] == [
        (1, "innovation-ranges/DEU"), (2, "innovation-ranges/DEU"), (3, "innovation-ranges/POL"),
    ]  # fmt: skip
    other = fresh_engine(backend, request, tmp_path / "other.db", kind="seeded")
    single = next(other)
    with unit_of_work(single) as session:
        for nation, joined, left, role, share in rows:
            join_programme(
                session, programme="innovation-ranges", nation=nation, joined=joined,
                left=left or None, role=role, cost_share=share or None, actor="editor",
            )  # fmt: skip
    assert _history(engine) == _history(single)
    next(other, None)  # disposes of it


def _history(engine):
    with Session(engine) as session:
        spells = [s.snapshot() for s, _ in participation_history(session, "innovation-ranges")]
        changes = session.exec(
            select(Change.action, Change.key, Change.after)
            .where(col(Change.entity) == "participation")
            .order_by(col(Change.id))
        ).all()
    for spell in spells:
        spell.pop("id")
    return spells, [
        (a, k, {n: v for n, v in (after or {}).items() if n != "id"}) for a, k, after in changes
    ]


def test_a_dry_run_checks_the_rows_together_and_writes_nothing(engine, seeded):
    before = dump(engine)
    result = run(
        engine,
        "contracts",
        "programme,reference,title,kind\nmmf,R-1,One,support\nmmf,R-2,Two,support\n",
        dry_run=True,
    )
    assert [o.row for o in result.rows] == [1, 2]
    assert dump(engine) == before


def test_a_reference_is_unique_in_the_file_too(engine, seeded):
    with Session(engine) as session:
        taken = next(c.reference for c in programme_contracts(session, "mmf") if c.reference)
    problems = refused(
        engine,
        "contracts",
        "programme,reference,title,kind\n"
        "mmf,NEW-1,One,support\n"
        "mmf,NEW-1,Again,support\n"
        f"mmf,{taken},Taken,support\n"
        "innovation-ranges,NEW-1,Elsewhere,support\n",  # another programme: fine
    )
    assert [(row, field) for row, field, _ in problems] == [(2, "reference"), (3, "reference")]


def test_fleet_rows_count_in_time_order_whatever_their_order_in_the_file(engine, seeded):
    result = run(
        engine,
        "fleet-events",
        "programme,date,kind,count,asset_type\n"
        "innovation-ranges,2031-06,delivered,2,Range\n"  # the order comes on the next row
        "innovation-ranges,2031-01,ordered,3,Range\n",
    )
    assert len(result.rows) == 2
    with Session(engine) as session:
        last = fleet_timeline(session, "innovation-ranges")[-1]
    assert (last.ordered, last.in_service, last.on_order) == (3, 2, 1)


def test_a_fleet_row_that_takes_a_total_below_zero_is_named(engine, seeded):
    run(
        engine,
        "fleet-events",
        "programme,date,kind,count,asset_type\n"
        "innovation-ranges,2031-01,ordered,3,Range\n"
        "innovation-ranges,2033-01,delivered,3,Range\n",
    )
    problems = refused(
        engine,
        "fleet-events",
        "programme,date,kind,count,asset_type\n"
        "innovation-ranges,2031-02,ordered,1,Other\n"
        # Not below zero itself (2 of 3 on order), but the stored delivery of 3 in 2033 then is.
        "innovation-ranges,2032-01,delivered,1,Range\n",
    )
    assert [(row, field) for row, field, _ in problems] == [(2, "count")]
    assert "more Range delivered than ordered by 2033-01" in problems[0][2]


def test_the_api_forms_and_files_share_one_field_list_per_write():
    """A field added to a write's checking function reaches files and forms by itself; the
    API's bodies are checked here to carry the same fields (money travels as one object)."""
    import msgspec

    from api import wire
    from api.ui.forms import CONTRACT_FIELDS
    from registry.checks import fields_of
    from registry.contracts import contract_columns
    from registry.fleet import fleet_event_columns
    from registry.participation import joining

    def body(struct):
        names = {f.name for f in msgspec.structs.fields(struct)}
        return names - {"value"} | ({"amount", "currency"} if "value" in names else set())

    def every(check):
        return set().union(*fields_of(check))

    assert body(wire.MemberIn) == every(joining) - {"left"}  # a past spell: PATCH `left`
    assert body(wire.ContractIn) == every(contract_columns) == set(CONTRACT_FIELDS)
    assert body(wire.FleetEventIn) == every(fleet_event_columns)
    assert imports.KINDS["fleet-events"][1] == ("programme", "date", "kind", "count")
