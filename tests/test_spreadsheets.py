"""Spreadsheets that add up: an XLSX export holds numbers, dates and a frozen bold header; the
API's list exports have the importer's columns, so any export (API or CLI, CSV or XLSX) imports
into an empty registry and exports the same again."""

from __future__ import annotations

import inspect
import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec
import openpyxl  # type: ignore[import-untyped]
import polars as pl
import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine
from sqlmodel import select

from api.exports import Format, export
from registry.contracts import Contract, add_contract
from registry.database import unit_of_work
from registry.export import CELLS, Cell, columns
from registry.organisations import create_organisation
from registry.participation import update_participation
from registry.programmes import create_programme
from registry.settings import Settings
from registry.users import add_user, create_token
from seed.load import load_nations, read
from tests.conftest import auth
from tests.test_export import KINDS, run
from tests.test_export_formulas import TITLES, add_dangerous

FILES = {
    "participations": "/api/programmes/{slug}/participants",
    "contracts": "/api/programmes/{slug}/contracts",
    "fleet-events": "/api/programmes/{slug}/fleet",
}
XLSX_FORMATS = [
    "csv",
    "xlsx",
]


def sheet(data: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(data)).active


def records(data: bytes, format: str) -> list[dict[str, Any]]:
    """A file's rows as the values a reader sees: text for CSV, typed cells for XLSX."""
    if format == "csv":
        return pl.read_csv(io.BytesIO(data), infer_schema=False).to_dicts()
    rows = list(sheet(data).iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def api_file(client: TestClient[Any], kind: str, slug: str, format: str) -> bytes:
    params = {"format": format, "include_past": "true"}
    response = client.get(FILES[kind].format(slug=slug), params=params)
    assert response.status_code == 200, response.text
    return response.content


def slugs(client: TestClient[Any]) -> list[str]:
    return [p["slug"] for p in client.get("/api/programmes", params={"limit": 500}).json()["items"]]


# The header, the cells' types


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize("kind", KINDS)
def test_an_api_xlsx_export_has_a_bold_frozen_header_in_the_importers_columns(client, kind):
    page = sheet(api_file(client, kind, "mmf", "xlsx"))
    header = next(page.iter_rows(max_row=1))
    assert [cell.value for cell in header] == columns(kind)
    assert all(cell.font.b for cell in header)
    assert page.freeze_panes == "A2"


@pytest.mark.usefixtures("seeded")
def test_cli_xlsx_has_a_bold_frozen_header(engine, tmp_path):
    path = tmp_path / "contracts.xlsx"
    assert run(engine, "export", "contracts", "--format", "xlsx", "--out", str(path)).exit_code == 0
    page = openpyxl.load_workbook(path).active
    header = next(page.iter_rows(max_row=1))
    assert [cell.value for cell in header] == columns("contracts")
    assert all(cell.font.b for cell in header)
    assert page.freeze_panes == "A2"


def typed_cells(data: bytes) -> dict[str, list[Any]]:
    """Each column's non-empty cells (header excluded), as openpyxl reads them."""
    page = sheet(data)
    names = [cell.value for cell in next(page.iter_rows(max_row=1))]
    found: dict[str, list[Any]] = {name: [] for name in names}
    for row in page.iter_rows(min_row=2):
        for name, cell in zip(names, row, strict=True):
            if cell.value is not None:
                found[name].append(cell)
    return found


@pytest.mark.usefixtures("seeded")
def test_xlsx_amounts_counts_and_shares_are_numbers_and_days_are_dates(client, engine, tmp_path):
    add_contract_with_cents(engine)
    contracts = typed_cells(api_file(client, "contracts", "mmf", "xlsx"))
    assert contracts["amount"]
    assert all(c.data_type == "n" for c in contracts["amount"])
    assert 12345678.91 in {c.value for c in contracts["amount"]}
    assert {c.number_format for c in contracts["amount"]} == {"#,##0.00"}
    assert all(c.data_type == "s" for c in contracts["currency"])
    assert all(isinstance(c.value, int) for c in contracts["quantity"])
    fleet = typed_cells(api_file(client, "fleet-events", "mmf", "xlsx"))
    assert all(c.data_type == "n" and isinstance(c.value, int) for c in fleet["count"])
    days = [c.value for c in fleet["date"] if c.is_date]
    months = [c.value for c in fleet["date"] if not c.is_date]
    assert days
    assert all(isinstance(v, datetime) and v.time() == datetime.min.time() for v in days)
    # A date known only to the month or year stays text: no made-up first day.
    assert "2016-07" in months
    assert "2018" in months
    # The seed's MMF shares hold from 2023 until 24 June 2025.
    members = client.get(FILES["participations"].format(slug="mmf"),
                         params={"format": "xlsx", "as_of": "2024-01-01"})  # fmt: skip
    assert members.status_code == 200, members.text
    shares = typed_cells(members.content)["cost_share"]
    assert shares, "no share on that day in the seed: pick another"
    assert all(c.data_type == "n" for c in shares)
    assert 20.2 in {c.value for c in shares}
    cli = tmp_path / "fleet.xlsx"
    assert (
        run(engine, "export", "fleet-events", "--format", "xlsx", "--out", str(cli)).exit_code == 0
    )
    counts = typed_cells(cli.read_bytes())["count"]
    assert counts
    assert all(isinstance(c.value, int) for c in counts)


@pytest.mark.usefixtures("seeded")
def test_csv_keeps_amounts_as_decimal_strings(client):
    rows = records(api_file(client, "contracts", "mmf", "csv"), "csv")
    assert "265000000.00" in {r["amount"] for r in rows}


def test_every_importer_column_that_holds_a_number_or_a_day_is_typed():
    """A new number or date field of an import kind must be added to CELLS."""
    from registry.checks import fields_of
    from registry.imports import KINDS as IMPORT_KINDS
    from registry.participation import joining

    assert {name for kind in IMPORT_KINDS for name in columns(kind) if name in CELLS} == {
        "amount", "cost_share", "count", "quantity", "joined", "left", "signed", "date",
    }  # fmt: skip
    dated = [n for n, p in inspect.signature(joining).parameters.items() if "PartialDate" in str(p)]
    assert all(CELLS[name] is Cell.DAY for name in dated)
    assert fields_of(joining)


# Sums


def add_contract_with_cents(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        for number, amount in enumerate(["12345678.91", "0.10", "1999.99"]):
            add_contract(session, programme="mmf", title=f"Spares {number}", kind="support",
                         reference=f"cents-{number}", amount=amount, currency="EUR",
                         actor="fixture")  # fmt: skip


def sums(data: bytes) -> dict[str, Decimal]:
    """The amount column summed per currency as a spreadsheet sums it (binary floating point),
    shown to the cent."""
    totals: dict[str, float] = {}
    for row in records(data, "xlsx"):
        if row["amount"] is not None:
            assert isinstance(row["amount"], int | float)
            totals[row["currency"]] = totals.get(row["currency"], 0.0) + row["amount"]
    return {currency: Decimal(f"{total:.2f}") for currency, total in totals.items()}


@pytest.mark.usefixtures("seeded")
def test_the_sum_of_the_amounts_is_the_programmes_total(client, engine):
    add_contract_with_cents(engine)
    for slug in slugs(client):
        detail = client.get(f"/api/programmes/{slug}").json()
        totals = {t["currency"]: Decimal(t["amount"]) for t in detail["contract_totals"]}
        assert sums(api_file(client, "contracts", slug, "xlsx")) == totals, slug
    assert sums(api_file(client, "contracts", "mmf", "xlsx"))["EUR"] > Decimal("12347679")


@pytest.mark.usefixtures("seeded")
def test_the_sum_of_the_amounts_is_the_contract_lists_total(client, engine):
    add_contract_with_cents(engine)
    listed = client.get("/api/contracts", params={"limit": 500}).json()["items"]
    totals: dict[str, Decimal] = {}
    for item in listed:
        if item["value"]:
            money = item["value"]
            totals[money["currency"]] = totals.get(money["currency"], Decimal(0)) + Decimal(
                money["amount"]
            )
    data = client.get("/api/contracts", params={"format": "xlsx"}).content
    assert sums(data) == totals


# Columns


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize("kind", KINDS)
def test_an_api_csv_export_has_the_importers_columns(client, kind):
    rows = pl.read_csv(io.BytesIO(api_file(client, kind, "mmf", "csv")), infer_schema=False)
    assert rows.columns == columns(kind)
    assert "value" not in rows.columns
    assert rows.height > 0


@pytest.mark.usefixtures("seeded")
def test_the_api_and_the_cli_export_the_same_contracts(client, engine):
    from_api = client.get("/api/contracts", params={"format": "csv"}).content.decode()
    from_cli = run(engine, "export", "contracts").stdout
    assert sorted(from_api.splitlines()) == sorted(from_cli.splitlines())


class _Money(msgspec.Struct):
    amount: str
    currency: str


class _Priced(msgspec.Struct):
    id: int
    value: _Money | None
    note: str | None


@pytest.mark.parametrize("format", [Format.CSV, Format.XLSX])
def test_a_nested_field_becomes_its_parts_not_an_empty_column(format):
    items = [_Priced(1, _Money("10.50", "EUR"), None), _Priced(2, None, "none")]
    data = export(items, _Priced.__struct_fields__, format, "priced").content
    found = records(data, format.value)
    assert list(found[0]) == ["id", "value_amount", "value_currency", "note"]
    assert [row["value_currency"] for row in found] == ["EUR", None]


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize("path", ["/api/programmes", "/api/nations", "/api/organisations"])
def test_other_lists_keep_whole_numbers_and_days_as_such_in_xlsx(client, path):
    data = client.get(path, params={"format": "xlsx"}).content
    csv = records(client.get(path, params={"format": "csv"}).content, "csv")
    found = records(data, "xlsx")
    assert list(found[0]) == list(csv[0])
    assert len(found) == len(csv)
    for name in found[0]:
        assert any(row[name] is not None for row in found) or all(
            row[name] is None for row in csv
        ), name
    if "version" in found[0]:
        assert all(isinstance(row["version"], int) for row in found)
    if path == "/api/nations":
        assert any(isinstance(row["nato_member_since"], datetime) for row in found)


# Round trips into an empty registry


def seed_programmes(engine: Engine) -> None:
    """The first data set's nations, organisations and programmes, without members, cost shares,
    instruments, contracts or fleets: a registry to import exports into."""
    data = read("first_data_set.toml")

    programme_only = {"cites", "member", "contract", "fleet", "cost_shares", "instrument",
                      "members", "members_joined", "members_role", "members_instrument",
                      "members_cite"}  # fmt: skip
    with unit_of_work(engine) as session:
        load_nations(session, actor="fixture")
        for organisation in data["organisation"]:
            given = {k: v for k, v in organisation.items() if k != "cites"}
            create_organisation(session, actor="fixture", **given)
        for programme in data["programme"]:
            given = {k: v for k, v in programme.items() if k not in programme_only}
            create_programme(session, actor="fixture", **given)


def share_today(engine: Engine) -> None:
    """A cost share that holds today, for the exports to carry: the first data set's MMF shares
    are unknown since 24 June 2025."""
    with unit_of_work(engine) as session:
        update_participation(session, programme="mmf", nation="NLD", effective="2025-07-01",
                             changes={"cost_share": "20.2", "note": "a share that holds today"},
                             actor="test")  # fmt: skip


def shares_in(rows: list[dict[str, Any]]) -> list[Any]:
    return [row["cost_share"] for row in rows if row["cost_share"] not in (None, "")]


def editor_token(engine: Engine) -> str:
    with unit_of_work(engine) as session:
        add_user(session, username="editor", role="editor", actor="fixture")
        return create_token(session, username="editor", actor="fixture")[1]


Serve = Callable[[Engine], AbstractContextManager[TestClient[Any]]]


@pytest.fixture
def serve(client_with: Callable[..., AbstractContextManager[TestClient[Any]]]) -> Serve:
    """`serve(engine)`: a client of the API on that registry. One at a time: the application
    serves one registry (so these tests do not take the `client` fixture as well)."""

    def on(engine: Engine) -> AbstractContextManager[TestClient[Any]]:
        url = engine.url.render_as_string(hide_password=False)
        return client_with(Settings(database_url=url), base_url="https://testserver.local")

    return on


def every_file(
    client: TestClient[Any], format: str, names: list[str]
) -> dict[tuple[str, str], Any]:
    """Every programme's participations, contracts and fleet events, as a reader sees them."""
    return {
        (kind, slug): records(api_file(client, kind, slug, format), format)
        for kind in KINDS
        for slug in names
    }


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize("format", XLSX_FORMATS)
def test_api_exports_import_into_an_empty_registry_and_export_the_same(
    serve, engine, second_engine, format
):
    share_today(engine)
    with serve(engine) as client:
        names = slugs(client)
        files = {(kind, slug): api_file(client, kind, slug, format)
                 for kind in KINDS for slug in names}  # fmt: skip
        before = every_file(client, format, names)
    assert sum(len(rows) for rows in before.values()) > 30
    assert shares_in(before[("participations", "mmf")])
    seed_programmes(second_engine)
    token = editor_token(second_engine)
    media_type = "text/csv" if format == "csv" else "application/octet-stream"
    with serve(second_engine) as copy:
        for (kind, slug), data in files.items():
            if not records(data, format):
                continue  # the importer refuses a file without rows
            headers = auth(token) | {"Content-Type": media_type}
            response = copy.post(f"/api/import/{kind}", content=data, headers=headers)
            assert response.status_code == 200, (kind, slug, response.text)
        assert every_file(copy, format, names) == before


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize("format", XLSX_FORMATS)
def test_cli_exports_import_into_an_empty_registry_and_export_the_same(
    engine, second_engine, tmp_path, format
):
    share_today(engine)
    seed_programmes(second_engine)
    for kind in KINDS:
        path = tmp_path / f"{kind}.{format}"
        written = run(engine, "export", kind, "--format", format, "--out", str(path))
        assert written.exit_code == 0, written.output
        if kind == "participations":
            assert shares_in(records(path.read_bytes(), format))
        imported = run(second_engine, "import", kind, str(path))
        assert imported.exit_code == 0, imported.output
        again = tmp_path / f"again-{kind}.{format}"
        assert (
            run(second_engine, "export", kind, "--format", format, "--out", str(again)).exit_code
            == 0
        )
        assert records(again.read_bytes(), format) == records(path.read_bytes(), format), kind


# Formula escaping


@pytest.mark.usefixtures("seeded")
def test_text_cells_stay_text_in_xlsx_and_are_escaped_in_csv(client, engine):
    add_dangerous(engine)
    cells = typed_cells(api_file(client, "contracts", "mmf", "xlsx"))["title"]
    assert set(TITLES) <= {c.value for c in cells}
    assert all(c.data_type == "s" for c in cells)  # never "f", a formula
    titles = {r["title"] for r in records(api_file(client, "contracts", "mmf", "csv"), "csv")}
    assert "'@SUM(A1)" in titles
    assert "@SUM(A1)" not in titles


@pytest.mark.usefixtures("seeded")
def test_an_escaped_api_csv_imports_back_as_it_was(serve, engine, second_engine):
    add_dangerous(engine)
    with serve(engine) as client:
        data = api_file(client, "contracts", "mmf", "csv")
    seed_programmes(second_engine)
    token = editor_token(second_engine)
    with serve(second_engine) as copy:
        headers = auth(token) | {"Content-Type": "text/csv"}
        response = copy.post("/api/import/contracts", content=data, headers=headers)
        assert response.status_code == 200, response.text
    with unit_of_work(second_engine) as session:
        titles = set(session.exec(select(Contract.title)).all())
    assert set(TITLES) <= titles
