"""`registry export` writes the importer's own columns; `registry backup` copies everything."""

import io
from datetime import UTC, datetime

import polars as pl
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, text

from registry.amendments import amend_contract
from registry.backup import backup
from registry.cli import main
from registry.contracts import add_contract
from registry.database import make_engine, unit_of_work
from registry.errors import InvalidValue
from registry.export import FileFormat, columns, export_rows, write_table
from registry.fleet import record_fleet_event
from registry.migrate import current_revision, head_revision
from registry.participation import join_programme, leave_programme, update_participation
from registry.web_sessions import open_session
from seed.load import load_nations
from tests.conftest import dump
from tests.factories import ACTOR, make_organisation, make_programme

KINDS = ["participations", "contracts", "fleet-events"]


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def run(engine: Engine, *args: str):
    env = {"REGISTRY_DATABASE_URL": url_of(engine)}
    return CliRunner().invoke(main, list(args), env=env)


def programmes(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        load_nations(session, actor="fixture")
        make_organisation(session, slug="airbus", name="Airbus", kind="contractor")
        make_organisation(session)
        make_programme(session)
        make_programme(session, slug="stockpile", name="Stockpile", category="innovation")


def records(engine: Engine) -> None:
    """Values of every shape: partial dates, shares, a leave and a rejoin, money, links."""
    with unit_of_work(engine) as session:
        join = join_programme
        join(
            session,
            programme="mmf",
            nation="NLD",
            joined="2014-11",
            role="lead",
            instrument="mou",
            cost_share="20.2",
            note="First, with Luxembourg",
            actor=ACTOR,
        )
        join(session, programme="mmf", nation="BEL", joined="2017", actor=ACTOR)
        leave_programme(session, programme="mmf", nation="BEL", left="2019-06-30", actor=ACTOR)
        join(
            session,
            programme="mmf",
            nation="BEL",
            joined="2020-02-01",
            cost_share="0.01",
            actor=ACTOR,
        )
        join(
            session,
            programme="stockpile",
            nation="FIN",
            joined="2025",
            role="observer",
            actor=ACTOR,
        )
        add_contract(
            session,
            programme="mmf",
            title="Two A330 MRTT",
            kind="acquisition",
            reference="MMF-1",
            signed="2016-07",
            amount="1500000000.50",
            currency="EUR",
            contractor="airbus",
            awarding_organisation="nspa",
            quantity="2",
            item="A330 MRTT",
            actor=ACTOR,
        )
        add_contract(session, programme="mmf", title="Support", kind="support", actor=ACTOR)
        contract = add_contract(
            session,
            programme="stockpile",
            title="Rare earths",
            kind="framework",
            reference="S-1",
            amount="10",
            currency="JPY",
            actor=ACTOR,
        )
        record_fleet_event(
            session,
            programme="mmf",
            kind="ordered",
            date="2016-07",
            count="2",
            contract=1,
            actor=ACTOR,
        )
        record_fleet_event(
            session,
            programme="mmf",
            kind="delivered",
            date="2020",
            count="1",
            note="MMF1",
            actor=ACTOR,
        )
        record_fleet_event(
            session,
            programme="stockpile",
            kind="ordered",
            date="2025-01-02",
            count="5",
            asset_type="tonnes",
            contract=contract.id,
            actor=ACTOR,
        )


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_export_imported_into_another_registry_exports_the_same(
    engine, second_engine, tmp_path, file_format
):
    programmes(engine)
    records(engine)
    programmes(second_engine)
    for kind in KINDS:
        path = tmp_path / f"{kind}.{file_format}"
        written = run(engine, "export", kind, "--format", file_format, "--out", str(path))
        assert written.exit_code == 0, written.output
        imported = run(second_engine, "import", kind, str(path))
        assert imported.exit_code == 0, imported.output
    for kind in KINDS:
        assert run(second_engine, "export", kind).stdout == run(engine, "export", kind).stdout


def test_the_csv_has_the_importers_columns_and_every_value(engine):
    programmes(engine)
    records(engine)
    result = run(engine, "export", "participations")
    assert result.exit_code == 0, result.output
    table = pl.read_csv(io.BytesIO(result.stdout_bytes), infer_schema=False)
    assert table.columns == columns("participations")
    belgium = table.filter(pl.col("nation") == "BEL").to_dicts()
    assert [(r["joined"], r["left"], r["cost_share"]) for r in belgium] == [
        ("2017", "2019-06-30", None), ("2020-02-01", None, "0.01"),
    ]  # fmt: skip
    contracts = pl.read_csv(io.BytesIO(run(engine, "export", "contracts").stdout_bytes),
                            infer_schema=False)  # fmt: skip
    first = contracts.filter(pl.col("reference") == "MMF-1").row(0, named=True)
    assert first["amount"] == "1500000000.50"
    assert first["contractor"] == "airbus"
    assert first["signed"] == "2016-07"


def test_parquet_holds_the_same_rows(engine):
    programmes(engine)
    records(engine)
    with unit_of_work(engine) as session:
        rows = export_rows(session, "fleet-events")
    names = columns("fleet-events")
    data = write_table(rows, names, FileFormat.PARQUET, sheet="fleet")
    assert pl.read_parquet(io.BytesIO(data)).to_dicts() == [
        {name: row.get(name) for name in names} for row in rows
    ]


def test_a_binary_format_needs_a_file(engine):
    result = run(engine, "export", "contracts", "--format", "parquet")
    assert result.exit_code == 1
    assert result.stderr == "error: out: --format parquet writes a binary file: give --out FILE\n"
    assert result.stdout == ""


def test_a_backup_holds_every_row_at_the_newest_schema(engine, tmp_path):
    programmes(engine)
    records(engine)
    out = tmp_path / "out"
    out.mkdir()
    target = out / "copy.db"
    result = run(engine, "backup", str(target))
    assert result.exit_code == 0, result.output
    assert "backup written to" in result.output
    copy = make_engine(f"sqlite:///{target}")
    try:
        assert current_revision(copy) == head_revision()
        assert dump(copy) == dump(engine)
    finally:
        copy.dispose()
    assert sorted(p.name for p in out.iterdir()) == ["copy.db"]  # one file, no WAL left


def test_a_backup_leaves_out_sessions(engine, tmp_path, seeded, staff):
    from registry.users import find_user

    with unit_of_work(engine) as session:
        user = find_user(session, "editor")
        assert user is not None
        open_session(session, user)
    backup(engine, tmp_path / "copy.db")
    copy = make_engine(f"sqlite:///{tmp_path / 'copy.db'}")
    try:
        copied, original = dump(copy), dump(engine)
    finally:
        copy.dispose()
    assert copied["web_session"] == []
    assert len(original["web_session"]) == 1
    assert {k: v for k, v in copied.items() if k != "web_session"} == {
        k: v for k, v in original.items() if k != "web_session"
    }


def test_a_backup_never_overwrites_a_file(engine, tmp_path):
    target = tmp_path / "precious.db"
    target.write_bytes(b"keep me")
    result = run(engine, "backup", str(target))
    assert result.exit_code == 1
    assert "error: file:" in result.output
    assert target.read_bytes() == b"keep me"


def test_a_failed_backup_leaves_nothing_behind(engine, tmp_path):
    programmes(engine)

    def fail(table: str, rows: int) -> None:
        raise RuntimeError("disk full")

    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RuntimeError):
        backup(engine, out / "copy.db", progress=fail)
    assert list(out.iterdir()) == []


def test_a_backup_of_an_old_schema_is_refused(empty_database_url, tmp_path):
    from registry.migrate import upgrade

    old = make_engine(empty_database_url)
    try:
        upgrade(old, "0004")
        with pytest.raises(InvalidValue) as error:
            backup(old, tmp_path / "copy.db")
    finally:
        old.dispose()
    assert error.value.fields == ["database"]
    assert not (tmp_path / "copy.db").exists()


def test_an_export_as_known_on_a_moment_holds_what_the_registry_held_then(engine):
    programmes(engine)
    records(engine)
    with engine.connect() as connection:
        then = connection.execute(text("SELECT max(recorded_at) FROM change_set")).scalar_one()
    moment = then if isinstance(then, datetime) else datetime.fromisoformat(str(then))
    known_on = moment.replace(tzinfo=moment.tzinfo or UTC).isoformat()
    with unit_of_work(engine) as session:
        join_programme(session, programme="stockpile", nation="DNK", joined="2024", actor=ACTOR)
        add_contract(session, programme="mmf", title="Later", kind="support", reference="LATER",
                     actor=ACTOR)  # fmt: skip
        record_fleet_event(session, programme="mmf", kind="ordered", date="2024", count="1",
                           actor=ACTOR)  # fmt: skip

    def exported(kind: str, *extra: str) -> list[dict[str, str]]:
        result = run(engine, "export", kind, *extra)
        assert result.exit_code == 0, result.output
        return pl.read_csv(io.BytesIO(result.stdout_bytes), infer_schema=False).to_dicts()

    for kind, later in [("participations", {"programme": "stockpile", "nation": "DNK"}),
                        ("contracts", {"reference": "LATER"}),
                        ("fleet-events", {"date": "2024", "kind": "ordered"})]:  # fmt: skip
        matches = lambda rows: [r for r in rows if later.items() <= r.items()]  # noqa: B023, E731
        now, before = exported(kind), exported(kind, "--as-known-on", known_on)
        assert len(matches(now)) == 1, kind
        assert matches(before) == [], kind
        assert len(before) == len(now) - 1, kind


def test_an_export_as_known_on_no_date_is_refused_naming_the_option(engine):
    result = run(engine, "export", "contracts", "--as-known-on", "2026-02-30")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: as-known-on: ")
    assert result.stdout == ""


def changes_after_the_signing(engine: Engine) -> None:
    """The Netherlands hands the lead over from 2018; the first contract is worth more from 2018."""
    with unit_of_work(engine) as session:
        update_participation(session, programme="mmf", nation="NLD", effective="2018",
                             changes={"role": "participant", "cost_share": "10"}, actor=ACTOR)  # fmt: skip
        amend_contract(session, contract_id=1, effective="2018-03-01", amount="1600000000", currency="EUR",
                       title="Two A330 MRTT and spares", actor=ACTOR)  # fmt: skip


def exported_on(engine: Engine, kind: str, as_of: str) -> list[dict[str, str | None]]:
    result = run(engine, "export", kind, "--as-of", as_of)
    assert result.exit_code == 0, result.output
    return pl.read_csv(io.BytesIO(result.stdout_bytes), infer_schema=False).to_dicts()


def test_an_export_as_of_a_day_holds_the_spells_as_they_stood_then(engine):
    programmes(engine)
    records(engine)
    changes_after_the_signing(engine)

    def spells(as_of: str) -> list[tuple[str | None, ...]]:
        rows = exported_on(engine, "participations", as_of)
        return [(r["nation"], r["joined"], r["role"], r["cost_share"], r["left"]) for r in rows]

    assert spells("2016") == [("NLD", "2014-11", "lead", "20.2", None)]
    assert spells("2019-03") == [  # Belgium's first spell runs on: no left date yet
        ("BEL", "2017", "participant", None, None),
        ("NLD", "2014-11", "participant", "10", None),
    ]
    assert spells("2020-01") == [  # it ended in June; the second spell begins in February
        ("BEL", "2017", "participant", None, "2019-06-30"),
        ("NLD", "2014-11", "participant", "10", None),
    ]
    assert ("FIN", "2025", "observer", None, None) in spells("2025")
    assert spells("2013") == []


def test_an_export_as_of_a_day_holds_the_contracts_signed_by_then_at_their_value_then(engine):
    programmes(engine)
    records(engine)
    changes_after_the_signing(engine)

    def contracts(as_of: str) -> dict[str | None, tuple[str | None, ...]]:
        rows = exported_on(engine, "contracts", as_of)
        return {r["title"]: (r["reference"], r["signed"], r["amount"]) for r in rows}

    # Contracts with no signing date count as always signed (as every as-of read counts them).
    undated = {"Support": (None, None, None), "Rare earths": ("S-1", None, "10")}
    assert contracts("2016-06") == undated
    assert contracts("2017") == {"Two A330 MRTT": ("MMF-1", "2016-07", "1500000000.50"), **undated}
    assert contracts("2018-03") == {
        "Two A330 MRTT and spares": ("MMF-1", "2016-07", "1600000000.00"), **undated,
    }  # fmt: skip
    # Without --as-of, contracts are exported as signed, as the importer records a signing.
    plain = pl.read_csv(io.BytesIO(run(engine, "export", "contracts").stdout_bytes),
                        infer_schema=False).to_dicts()  # fmt: skip
    assert {r["title"] for r in plain} == {"Two A330 MRTT", "Support", "Rare earths"}


def test_an_export_as_of_a_day_holds_the_fleet_events_counted_by_then(engine):
    programmes(engine)
    records(engine)

    def events(as_of: str) -> list[tuple[str | None, ...]]:
        return [(r["programme"], r["date"], r["kind"]) for r in
                exported_on(engine, "fleet-events", as_of)]  # fmt: skip

    # An event dated to a month or a year counts from that period's last day.
    assert events("2016-07-30") == []
    assert events("2016-07") == [("mmf", "2016-07", "ordered")]
    assert events("2020-12-30") == [("mmf", "2016-07", "ordered")]
    assert events("2025") == [
        ("mmf", "2016-07", "ordered"), ("mmf", "2020", "delivered"),
        ("stockpile", "2025-01-02", "ordered"),
    ]  # fmt: skip


def test_an_export_as_of_a_day_imported_into_another_registry_exports_the_same(
    engine, second_engine, tmp_path
):
    programmes(engine)
    records(engine)
    changes_after_the_signing(engine)
    programmes(second_engine)
    for kind in KINDS:
        path = tmp_path / f"{kind}.csv"
        written = run(engine, "export", kind, "--as-of", "2020-01", "--out", str(path))
        assert written.exit_code == 0, written.output
        imported = run(second_engine, "import", kind, str(path))
        assert imported.exit_code == 0, imported.output
    for kind in KINDS:
        written = (tmp_path / f"{kind}.csv").read_text(encoding="utf-8")
        assert run(second_engine, "export", kind).stdout == written, kind


@pytest.mark.parametrize("as_of", ["2026-02-30", "yesterday", "2026-1-1"])
def test_an_export_as_of_no_date_is_refused_naming_the_option(engine, as_of):
    result = run(engine, "export", "participations", "--as-of", as_of)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: as-of: ")
    assert result.stdout == ""
