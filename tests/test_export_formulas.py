"""CSV exports escape cells a spreadsheet would run as formulas (CSV injection); XLSX stores text
as text. Guards a red-team finding: `=`, `+`, `-`, `@` cells were written raw."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner
from litestar.testing import TestClient
from sqlalchemy import Engine
from sqlmodel import select

from registry.cli import main
from registry.contracts import Contract, add_contract
from registry.database import unit_of_work
from registry.export import FileFormat, file_bytes

TITLES = ['=HYPERLINK("http://x","y")', "+1+2", "-2+3", "@SUM(A1)", "Plain title"]


def add_dangerous(engine: Engine) -> None:
    """Contracts of the MMF whose titles a spreadsheet would run as formulas."""
    with unit_of_work(engine) as session:
        for number, title in enumerate(TITLES):
            add_contract(
                session, programme="mmf", title=title, kind="support",
                reference=f"danger-{number}", actor="fixture",
            )  # fmt: skip


@pytest.fixture
def dangerous(engine: Engine, seeded: None) -> None:
    add_dangerous(engine)


def cells(data: bytes, column: str) -> set[str]:
    return set(pl.read_csv(io.BytesIO(data), infer_schema=False)[column].to_list())


@pytest.mark.usefixtures("dangerous")
def test_api_csv_escapes_formula_cells(client: TestClient[Any]) -> None:
    response = client.get("/api/contracts", params={"format": "csv", "limit": 500})
    found = cells(response.content, "title")
    assert {'\'=HYPERLINK("http://x","y")', "'+1+2", "'-2+3", "'@SUM(A1)"} <= found
    assert "Plain title" in found
    assert not any(title in found for title in TITLES[:4])


@pytest.mark.usefixtures("dangerous")
def test_cli_export_escapes_formula_cells_and_keeps_plain_numbers(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main, ["export", "contracts"], env={"REGISTRY_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    found = cells(result.stdout_bytes, "title")
    assert "'@SUM(A1)" in found
    assert "@SUM(A1)" not in found
    amounts = cells(result.stdout_bytes, "amount") - {None}
    assert amounts
    assert not any(str(a).startswith("'") for a in amounts)


def test_xlsx_keeps_formula_like_text_as_text() -> None:
    table = pl.DataFrame({"title": TITLES}, schema={"title": pl.String})
    data = file_bytes(table, FileFormat.XLSX, sheet="contracts")
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        strings = book.read("xl/sharedStrings.xml").decode()
    assert "<f>" not in sheet  # no cell is a formula
    assert "@SUM(A1)" in strings  # the text itself, unescaped: XLSX has a type for text


def test_an_escaped_export_imports_back_as_it_was(engine, second_engine, tmp_path) -> None:
    """The escape is for spreadsheets only: `registry import` takes it off again."""
    from tests.test_export import programmes, run

    programmes(engine)
    programmes(second_engine)
    add_dangerous(engine)
    path = tmp_path / "contracts.csv"
    assert run(engine, "export", "contracts", "--out", str(path)).exit_code == 0
    assert "'@SUM(A1)" in path.read_text()
    imported = run(second_engine, "import", "contracts", str(path))
    assert imported.exit_code == 0, imported.output
    with unit_of_work(second_engine) as session:
        titles = set(session.exec(select(Contract.title)).all())
    assert titles == set(TITLES)
