"""Migrations build exactly the models' schema, on both databases, and keep data when upgrading."""

from datetime import date

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from registry.database import make_engine, unit_of_work
from registry.migrate import current_revision, downgrade, head_revision, upgrade
from registry.participation import members_on
from registry.schema import metadata
from seed.load import load_first_data_set
from tests.conftest import dump


def test_migrations_build_exactly_the_models_schema(empty_database_url):
    engine = make_engine(empty_database_url)
    upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    engine.dispose()
    assert differences == []


def test_upgrading_keeps_the_data(empty_database_url):
    engine = make_engine(empty_database_url)
    upgrade(engine, "0001")
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO nation (code, name, kind, nato_member_since) "
                 "VALUES ('NLD', 'Netherlands', 'ally', '1949-04-04')")
        )  # fmt: skip
        connection.execute(
            text("INSERT INTO programme (slug, name, category, status, version) "
                 "VALUES ('mmf', 'MMF', 'multinational-fleet', 'active', 1)")
        )  # fmt: skip
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT slug FROM programme")).scalars().all() == ["mmf"]
        assert connection.execute(text("SELECT code FROM nation")).scalars().all() == ["NLD"]
    engine.dispose()


def test_downgrading_a_seeded_database_and_upgrading_again_keeps_its_data(engine):
    with unit_of_work(engine) as session:
        load_first_data_set(session)
    before = dump(engine)
    # Down to the first revision of history on two axes: below it a membership is one row, so
    # its dated terms (the MMF cost shares) cannot be kept. The user tables are dropped on the
    # way (the seed leaves them empty).
    downgrade(engine, "0007")
    upgrade(engine)
    after = dump(engine)
    # Below 0020 there are no instruments: the table goes, and comes back empty.
    assert before["instrument"]
    assert before["instrument_signatory"]
    before["instrument"] = before["instrument_signatory"] = []
    # Below 0018 a contract has no latest signing day: a span comes back as its earliest day.
    before["contract"] = _spans_as_days(before["contract"])
    # Below 0019 no source is a general compilation and no citation quotes its source.
    before["source"] = _as_before(before["source"], "source", general=False)
    before["citation"] = _as_before(before["citation"], "citation", quote=None)
    # The data version is no data but a counter for readers' caches: made anew, it starts at
    # the number of changes, which is never below the transactions that made them.
    assert after.pop("data_version")[0][1] >= before.pop("data_version")[0][1]
    # Rows written before change sets existed get one each on the way up again (the seed run
    # was one), so only the record-time bookkeeping may differ.
    assert len(after.pop("change_set")) >= len(before.pop("change_set")) > 0
    assert _without_record_time(after) == _without_record_time(before)
    assert after == before


def test_below_two_axes_and_back_a_membership_keeps_its_terms_of_today(engine):
    """Down to 0001 a membership is one row with its latest terms; back up, those hold (the
    dated terms before them cannot come back), and the trail's partial dates are read."""
    with unit_of_work(engine) as session:
        load_first_data_set(session)
        today = {(s.nation_code, s.role, s.cost_share_bp, s.note)
                 for s, _ in members_on(session, "mmf", date(2026, 1, 1))}  # fmt: skip
    downgrade(engine, "0001")
    upgrade(engine)
    with unit_of_work(engine) as session:
        again = {(s.nation_code, s.role, s.cost_share_bp, s.note)
                 for s, _ in members_on(session, "mmf", date(2026, 1, 1))}  # fmt: skip
    assert again == today
    assert len(today) == 8


def _spans_as_days(rows):
    """Contract rows as a database that never had spans holds them: the earliest day, known to
    the day."""
    names = metadata.tables["contract"].columns.keys()
    precision, until, signed = (names.index(n) for n in ("signed_precision", "signed_until",
                                                          "signed"))  # fmt: skip
    fixed = []
    for row in rows:
        if row[precision] == "span":
            row = list(row)
            row[precision], row[until] = "day", row[signed]
            row = tuple(row)
        fixed.append(row)
    assert fixed != rows, "the first data set holds a span (the munitions contracts)"
    return fixed


def _as_before(rows, table, **values):
    """Rows as a database that lacked some columns holds them: those columns at `values`."""
    names = metadata.tables[table].columns.keys()
    at = {names.index(name): value for name, value in values.items()}
    return [tuple(at.get(i, v) for i, v in enumerate(row)) for row in rows]


def _order(row):
    """A row's sort key that also orders an empty value (a term still open) among dates."""
    return tuple((value is None, str(value)) for value in row)


def _without_record_time(rows):
    """Changes without their change set, terms and versions without their ids and change sets,
    fleet events without their change sets."""
    changes = metadata.tables["change"].columns.keys()
    keep_change = [i for i, name in enumerate(changes) if name != "change_set_id"]
    kept = [[tuple(row[i] for i in keep_change) for row in rows.pop("change")]]
    for table in ("membership_term", "programme_term", "programme_version"):
        names = metadata.tables[table].columns.keys()
        keep = [i for i, n in enumerate(names) if n not in ("id", "recorded_in", "superseded_in")]
        kept.append(sorted((tuple(row[i] for i in keep) for row in rows.pop(table)), key=_order))
    names = metadata.tables["fleet_event"].columns.keys()
    keep = [i for i, n in enumerate(names) if n not in ("recorded_in", "superseded_in")]
    kept.append([tuple(row[i] for i in keep) for row in rows.pop("fleet_event")])
    return kept


def test_downgrade_to_nothing_and_back(empty_database_url):
    engine = make_engine(empty_database_url)
    upgrade(engine)
    downgrade(engine, "base")
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_sources_and_citations_upgrade_to_0019_not_general_and_without_quotes(
    empty_database_url,
):
    """0019: a source held before is no general compilation, a citation quotes nothing; going
    down drops both columns and keeps the rows."""
    engine = make_engine(empty_database_url)
    upgrade(engine, "0018")
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO nation (code, name, kind) VALUES ('NLD', 'NL', 'ally')")
        )
        connection.execute(text("INSERT INTO source (id, key, title, version) "
                                "VALUES (1, 'summit', 'Summit', 1)"))  # fmt: skip
        connection.execute(text("INSERT INTO citation (source_id, entity, entity_id, confidence) "
                                "VALUES (1, 'nation', 528, 'high')"))  # fmt: skip
    upgrade(engine)
    with engine.begin() as connection:
        assert connection.execute(text("SELECT key, general FROM source")).all() == [
            ("summit", False)
        ]
        assert connection.execute(text("SELECT entity_id, quote FROM citation")).all() == [
            (528, None)
        ]
        connection.execute(text("UPDATE source SET general = :yes"), {"yes": True})
        connection.execute(text("UPDATE citation SET quote = 'the Netherlands'"))
    downgrade(engine, "0018")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT key FROM source")).scalars().all() == ["summit"]
        assert connection.execute(text("SELECT entity_id FROM citation")).scalars().all() == [528]
    engine.dispose()


# --- 0007: history on two axes ----------------------------------------------------------------

_OLD_SPELLS = [
    # id, nation, role, joined, joined precision, left, cost share (bp)
    (1, "NLD", "lead", "2014-11-01", "month", None, 2020),
    (2, "BEL", "participant", "2018-02-14", "day", "2020-03-01", None),
    (3, "BEL", "observer", "2022-05-01", "month", None, 500),
]


def _old_snapshot(spell, **changes):
    id_, nation, role, joined, precision, left, share = spell
    return {"id": id_, "programme_id": 1, "nation_code": nation, "role": role,
            "instrument": None, "joined": joined, "joined_precision": precision, "left": left,
            "left_precision": "day" if left else None, "cost_share_bp": share, "note": None,
            "version": 1, **changes}  # fmt: skip


def _database_at_0006_with_edits(url):
    """The rows the registry wrote before change sets: three spells, then the Netherlands'
    role overwritten in place (the old PATCH), each write with its audit row."""
    import json

    engine = make_engine(url)
    upgrade(engine, "0006")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO nation (code, name, kind) VALUES "
            "('NLD', 'Netherlands', 'ally'), ('BEL', 'Belgium', 'ally')"
        ))  # fmt: skip
        connection.execute(text(
            "INSERT INTO programme (id, slug, name, category, status, version) "
            "VALUES (1, 'mmf', 'MMF', 'multinational-fleet', 'active', 1)"
        ))  # fmt: skip
        insert_change = text(
            "INSERT INTO change (at, actor, action, entity, key, before, after, request_id) "
            "VALUES (:at, 'editor', :action, 'participation', :key, :before, :after, NULL)"
        )
        for n, spell in enumerate(_OLD_SPELLS):
            id_, nation, role, joined, precision, left, share = spell
            connection.execute(
                text('INSERT INTO participation (id, programme_id, nation_code, role, joined, '
                     'joined_precision, "left", left_precision, cost_share_bp, version) VALUES '
                     "(:id, 1, :nation, :role, :joined, :precision, :left, :lp, :share, 1)"),
                {"id": id_, "nation": nation, "role": role, "joined": joined,
                 "precision": precision, "left": left, "lp": "day" if left else None,
                 "share": share},
            )  # fmt: skip
            connection.execute(insert_change, {
                "at": f"2025-01-0{n + 1} 10:00:00", "action": "create", "key": f"mmf/{nation}",
                "before": None, "after": json.dumps(_old_snapshot(spell)),
            })  # fmt: skip
        connection.execute(text("UPDATE participation SET role = 'observer', version = 2 "
                                "WHERE id = 1"))  # fmt: skip
        connection.execute(insert_change, {
            "at": "2025-03-01 10:00:00", "action": "update", "key": "mmf/NLD",
            "before": json.dumps(_old_snapshot(_OLD_SPELLS[0])),
            "after": json.dumps(_old_snapshot(_OLD_SPELLS[0], role="observer", version=2)),
        })  # fmt: skip
    return engine


def _old_answer(on, *, nld_role):
    """Members on a date as the one-row-per-spell registry answered."""
    from datetime import date as day

    found = set()
    for _, nation, role, joined, _, left, share in _OLD_SPELLS:
        if day.fromisoformat(joined) <= on and (left is None or on < day.fromisoformat(left)):
            found.add((nation, nld_role if nation == "NLD" else role, share))
    return found


def test_upgrading_to_two_axes_keeps_every_answer_and_replays_the_trail(empty_database_url):
    from datetime import UTC, date, datetime

    from sqlmodel import Session

    from registry.history import known_at
    from registry.participation import members_on, participation_history

    engine = _database_at_0006_with_edits(empty_database_url)
    upgrade(engine)
    days = [date(year, month, 1) for year in range(2013, 2027) for month in (1, 3, 6, 11)]
    with Session(engine) as session:
        for on in days:
            answer = {(n.code, s.role, s.cost_share_bp) for s, n in members_on(session, "mmf", on)}
            assert answer == _old_answer(on, nld_role="observer"), on
        # What the registry said before the role was overwritten stays readable.
        before_edit = known_at(session, datetime(2025, 2, 1, tzinfo=UTC))
        for on in days:
            answer = {(n.code, s.role, s.cost_share_bp)
                      for s, n in members_on(session, "mmf", on, before_edit)}  # fmt: skip
            assert answer == _old_answer(on, nld_role="lead"), on
        spells = participation_history(session, "mmf")
        assert [(n.code, s.joined_on.isoformat(), s.left) for s, n in spells] == [
            ("NLD", "2014-11", None), ("BEL", "2018-02-14", date(2020, 3, 1)),
            ("BEL", "2022-05", None),
        ]  # fmt: skip
        assert known_at(session, datetime(2024, 12, 31, tzinfo=UTC)) == 0
        assert members_on(session, "mmf", date(2020, 1, 1), 0) == []
    with engine.connect() as connection:
        sets = connection.execute(text("SELECT count(*) FROM change_set")).scalar()
        missing = connection.execute(
            text("SELECT count(*) FROM change WHERE change_set_id IS NULL OR entity_id IS NULL")
        ).scalar()
    # Four writes in the trail; the programme, inserted without one, is held from change set
    # 0, which counts as known at every moment.
    assert (sets, missing) == (5, 0)
    with Session(engine) as session:
        from registry.views import programme_view

        assert programme_view(session, "mmf", date(2020, 1, 1)).status == "active"
        early = known_at(session, datetime(2024, 12, 31, tzinfo=UTC))
        assert programme_view(session, "mmf", date(2020, 1, 1), early).status == "active"
    engine.dispose()


def test_fleet_events_upgrade_recorded_in_the_change_set_of_their_audit_row(engine):
    """0010: each event is recorded in the change set of its create audit row; an event no audit
    row covers (built in bulk) is known at every moment (change set 0). Nothing is lost."""
    from sqlmodel import Session

    from registry.fleet import fleet_timeline

    with unit_of_work(engine) as session:
        load_first_data_set(session)
    downgrade(engine, "0009")
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM change WHERE entity = 'fleet_event' AND id = "
                                "(SELECT min(id) FROM change WHERE entity = 'fleet_event')"))  # fmt: skip
        before = connection.execute(text("SELECT * FROM fleet_event ORDER BY id")).all()
        created = dict(
            connection.execute(
                text(
                    "SELECT entity_id, change_set_id FROM change "
                    "WHERE entity = 'fleet_event' AND action = 'create'"
                )
            ).all()
        )
    upgrade(engine)
    with engine.connect() as connection:
        after = connection.execute(
            text("SELECT id, recorded_in, superseded_in, corrects FROM fleet_event ORDER BY id")
        ).all()
    assert len(after) == len(before) > len(created) > 0
    assert [tuple(row) for row in after] == [
        (row.id, created.get(row.id, 0), None, None) for row in before
    ]
    with Session(engine) as session:
        assert [p.event.id for p in fleet_timeline(session, "mmf", known=0)] == [
            row.id for row in before if row.id not in created
        ]


def test_programme_versions_upgrade_replaying_the_renames_in_the_audit_trail(engine):
    """0012: a programme renamed before the upgrade reads with its old name as known before the
    rename, and with the new one since; nothing else moves."""
    from datetime import date

    from sqlmodel import Session

    from registry.programmes import update_programme
    from registry.views import programme_view

    with unit_of_work(engine) as session:
        load_first_data_set(session)
    with unit_of_work(engine) as session:
        old = programme_view(session, "mmf", date.today()).name
        update_programme(session, "mmf", changes={"name": "Renamed fleet"}, actor="test")
    with engine.connect() as connection:
        renamed_in = connection.execute(text("SELECT max(id) FROM change_set")).scalar_one()
    downgrade(engine, "0011")
    upgrade(engine)
    with Session(engine) as session:
        assert programme_view(session, "mmf", date.today(), renamed_in - 1).name == old
        assert programme_view(session, "mmf", date.today(), renamed_in).name == "Renamed fleet"
        assert programme_view(session, "mmf", date.today()).name == "Renamed fleet"
    with engine.connect() as connection:
        versions = connection.execute(
            text("SELECT count(*) FROM programme_version WHERE superseded_in IS NULL")
        ).scalar_one()
        programmes = connection.execute(text("SELECT count(*) FROM programme")).scalar_one()
    assert versions == programmes > 0
