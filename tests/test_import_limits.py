"""Malformed and oversized import files: a 4xx naming the field (and row), nothing written."""

import io
import threading
import zipfile

import polars as pl
import pytest
from click.testing import CliRunner
from sqlmodel import Session, col, select

from registry import imports
from registry.audit import Change
from registry.cli import main
from registry.database import unit_of_work
from registry.errors import RegistryError
from tests.conftest import dump
from tests.test_api_bulk import post

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = b"programme,nation,joined,note\n"


def errors(response):
    return [(e.get("row"), e["field"]) for e in response.json()["errors"]]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(b"programme,nation,joined,Nation\nmmf,FIN,2025,FIN\n", [(None, "nation")],
                     id="duplicate header (was a 500)"),
        pytest.param(HEADER + b"mmf,FIN,,\nmmf,,2025,\n", [(1, "joined"), (2, "nation")],
                     id="blank required cells (was a TypeError)"),
        pytest.param(HEADER + b"mmf,FIN,2025,caf\xe9\n", [(None, "file")], id="invalid UTF-8"),
        pytest.param(b"", [(None, "file")], id="empty file"),
        pytest.param(HEADER, [(None, "file")], id="header only"),
        pytest.param(HEADER + b"mmf,FIN,2025,a\x00b\n", [(1, "note")], id="NUL in a cell"),
        pytest.param(HEADER + b"mmf,F\x00IN,2025,\n", [(1, "nation")], id="NUL in a key cell"),
        pytest.param(b"programme,nation,joined,no\x00te\nmmf,FIN,2025,x\n", [(None, "file")],
                     id="NUL in the header"),
        pytest.param(HEADER + b"mmf,FIN,2025,x,surplus\n", [(1, "file")], id="too many cells"),
        pytest.param(HEADER + b"mmf,FIN,2025," + b"x" * 10_001 + b"\n", [(1, "note")],
                     id="cell over 10,000 characters"),
        pytest.param(b"programme,nation,,joined\nmmf,FIN,,2025\n", [(None, "file")],
                     id="column without a name"),
        pytest.param(b",".join(b"c%d" % n for n in range(101)) + b"\n" + b"1," * 100 + b"1\n",
                     [(None, "file")], id="more than 100 columns"),
    ],
)  # fmt: skip
def test_malformed_csv_is_refused_naming_row_and_field(
    client, seeded, tokens, engine, body, expected
):
    before = dump(engine)
    response = post(client, "participations", body, tokens["editor"])
    assert response.status_code == 422, response.text
    assert errors(response) == expected
    assert dump(engine) == before


def test_more_than_the_row_limit_is_refused_naming_the_first_row_beyond(
    client, seeded, tokens, engine
):
    body = b"programme,nation,joined\n" + b"mmf,FIN,2025\n" * (imports.MAX_ROWS + 1)
    before = dump(engine)
    response = post(client, "participations", body, tokens["editor"])
    assert response.status_code == 422
    assert errors(response) == [(imports.MAX_ROWS + 1, "file")]
    assert dump(engine) == before


def xlsx(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_excel(buffer)
    return buffer.getvalue()


def test_an_xlsx_that_unpacks_beyond_the_limit_is_refused_before_parsing(
    client, seeded, tokens, engine
):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b" " * (imports.MAX_XLSX_BYTES + 1))
    assert len(buffer.getvalue()) < 100_000  # small on the wire, which the body limit sees
    before = dump(engine)
    response = post(client, "participations", buffer.getvalue(), tokens["editor"],
                    content_type=XLSX)  # fmt: skip
    assert response.status_code == 413
    assert errors(response) == [(None, "file")]
    assert dump(engine) == before


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        pytest.param(pl.DataFrame({"programme": ["mmf"], "nation": ["FIN"], "joined": ["2025"],
                                   "note": ["a\x00b"]}), [(1, "note")], id="NUL in a cell"),
        pytest.param(pl.DataFrame({"programme": ["mmf"], "nation": ["FIN"], "joined": [None]}),
                     [(1, "joined")], id="blank required cell"),
    ],
)  # fmt: skip
def test_malformed_xlsx_is_refused_naming_row_and_field(
    client, seeded, tokens, engine, frame, expected
):
    before = dump(engine)
    response = post(client, "participations", xlsx(frame), tokens["editor"], content_type=XLSX)
    assert response.status_code == 422, response.text
    assert errors(response) == expected
    assert dump(engine) == before


@pytest.mark.parametrize(
    "body",
    [b"PK\x03\x04 not really a zip", b"PK\x05\x06" + b"\x00" * 18],
    ids=["broken zip", "zip with no workbook"],
)
def test_an_unreadable_xlsx_is_refused_on_file(client, seeded, tokens, engine, body):
    before = dump(engine)
    response = post(client, "participations", body, tokens["editor"], content_type=XLSX)
    assert response.status_code == 422, response.text
    assert errors(response) == [(None, "file")]
    assert dump(engine) == before


def test_an_xlsx_over_the_row_limit_is_refused(client, seeded, tokens, engine, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 2)
    frame = pl.DataFrame({"programme": ["mmf"] * 3, "nation": ["FIN"] * 3, "joined": ["2025"] * 3})
    before = dump(engine)
    response = post(client, "participations", xlsx(frame), tokens["editor"], content_type=XLSX)
    assert response.status_code == 422
    assert errors(response) == [(3, "file")]
    assert dump(engine) == before


def test_the_cli_names_a_blank_required_cell_instead_of_a_traceback(engine, seeded, tmp_path):
    """Guards a fixed bug: the blank cell reached the rule function as a missing argument."""
    bad = tmp_path / "bad.csv"
    bad.write_text("programme,nation,joined\nmmf,FIN,\n")
    before = dump(engine)
    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main, ["import", "participations", str(bad)],
                                env={"REGISTRY_DATABASE_URL": url})  # fmt: skip
    assert result.exit_code == 1
    assert "error: row 1: joined: is required" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert dump(engine) == before


CONTRACTS = "programme,title,kind\n" + "mmf,Spares,support\n" * 5


def test_an_import_stopped_mid_file_rolls_everything_back(engine, seeded):
    stop = threading.Event()
    seen = []

    def progress(step: int) -> None:
        seen.append(step)
        if len(seen) == 2:
            stop.set()  # as the server's shutdown does, between two rows

    rows = imports.read_table(CONTRACTS.encode())
    before = dump(engine)
    with pytest.raises(imports.Stopping) as stopped, unit_of_work(engine) as session:
        imports.import_rows(
            session, "contracts", rows, actor="editor", progress=progress, stop=stop
        )
    assert stopped.value.status == 503
    assert len(seen) == 2
    assert dump(engine) == before


def test_a_stopped_flag_refuses_the_import_before_any_row(engine, seeded):
    stop = threading.Event()
    stop.set()
    before = dump(engine)
    with pytest.raises(RegistryError, match="stopping"):
        imports.import_file(engine, "contracts", CONTRACTS.encode(), actor="editor", stop=stop)
    assert dump(engine) == before


def test_imported_changes_carry_the_request_id(client, seeded, tokens, engine):
    headers = {"X-Request-ID": "bulk-import-7"}
    body = "programme,nation,joined\nmmf,FIN,2025\n"
    response = client.post(
        "/api/import/participations",
        content=body,
        headers=headers | {"Authorization": f"Bearer {tokens['editor']}"},
    )
    assert response.status_code == 200, response.text
    with Session(engine) as session:
        ids = session.exec(
            select(Change.request_id).where(col(Change.entity) == "participation")
        ).all()
    assert "bulk-import-7" in ids
