"""Bulk import (all or nothing, dry run) and exports that parse back with polars."""

import io

import polars as pl
import pytest
from click.testing import CliRunner

from registry.cli import main
from tests.conftest import auth, dump

CSV = "text/csv"
PARTICIPATIONS = (
    "programme,nation,joined,role,cost_share,left\n"
    "mmf,Finland,2025-07,observer,,\n"
    "innovation-ranges,DEU,2026-01-01,participant,10,2026-06\n"
)


def post(client, kind, body, token, dry_run=False, content_type=CSV):
    headers = auth(token) | {"Content-Type": content_type}
    params = {"dry_run": "true"} if dry_run else {}
    return client.post(f"/api/import/{kind}", content=body, headers=headers, params=params)


def test_import_applies_every_row_with_its_change(client, seeded, tokens, engine):
    response = post(client, "participations", PARTICIPATIONS, tokens["editor"])
    assert response.status_code == 200, response.text
    assert [(r["row"], r["action"], r["key"]) for r in response.json()["rows"]] == [
        (1, "create", "mmf/FIN"),
        (2, "create", "innovation-ranges/DEU"),  # joined and left, one write
    ]
    members = client.get("/api/programmes/mmf/participants", params={"as_of": "2025-08-01"})
    assert "FIN" in [m["nation"] for m in members.json()["items"]]
    changes = client.get("/api/changes", params={"actor": "editor"}).json()
    assert changes["total"] == 2
    past = client.get("/api/programmes/innovation-ranges/participants",
                      params={"include_past": "true"}).json()["items"]  # fmt: skip
    assert [(m["joined"], m["left"]) for m in past if m["nation"] == "DEU"][-1] == (
        "2026-01-01", "2026-06",
    )  # fmt: skip


def test_dry_run_reports_and_writes_nothing(client, seeded, tokens, engine):
    before = dump(engine)
    response = post(client, "participations", PARTICIPATIONS, tokens["editor"], dry_run=True)
    assert response.status_code == 200
    assert response.json()["dry_run"] is True
    assert len(response.json()["rows"]) == 2
    assert dump(engine) == before


def test_a_file_with_bad_rows_imports_nothing_and_names_every_bad_row(
    client, seeded, tokens, engine
):
    body = (
        "programme,nation,joined,role\n"
        "mmf,FIN,2025-07,observer\n"
        "mmf,XXX,2025,\n"
        "mmf,NLD,2025,\n"  # already a member
        "nope,DEU,2025,\n"
        "mmf,NOR,someday,boss\n"
    )
    before = dump(engine)
    response = post(client, "participations", body, tokens["editor"])
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = [(e["row"], e["field"]) for e in response.json()["errors"]]
    assert errors == [(2, "nation"), (3, "nation"), (4, "programme"), (5, "role"), (5, "joined")]
    assert dump(engine) == before


def test_contracts_and_fleet_events_import_from_xlsx(client, seeded, tokens):
    contracts = pl.DataFrame(
        {"programme": ["mmf"], "reference": ["mmf-order-2027"], "title": ["Two more"],
         "kind": ["acquisition"], "amount": ["500000000.00"], "currency": ["EUR"],
         "contractor": ["airbus-defence-and-space"], "quantity": ["2"]}
    )  # fmt: skip
    buffer = io.BytesIO()
    contracts.write_excel(buffer)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = post(client, "contracts", buffer.getvalue(), tokens["editor"], content_type=xlsx)
    assert response.status_code == 200, response.text
    fleet = "programme,date,kind,count,contract\nmmf,2027-01-15,ordered,2,mmf-order-2027\n"
    response = post(client, "fleet-events", fleet, tokens["editor"])
    assert response.status_code == 200, response.text
    detail = client.get("/api/programmes/mmf", params={"as_of": "2027-02-01"}).json()
    assert detail["fleet"]["ordered"] == 14
    assert {"currency": "EUR", "amount": "765000000.00"} in detail["contract_totals"]


@pytest.mark.parametrize(
    ("kind", "body", "field", "status"),
    [
        ("participations", "programme,nation\nmmf,FIN\n", "joined", 422),
        ("participations", "programme,nation,joined,colour\nmmf,FIN,2025,red\n", "colour", 422),
        ("participations", "programme,nation,joined\n", "file", 422),
        ("contracts", "programme,title,kind,amount,currency\nmmf,X,acquisition,-1500,EUR\n", "amount", 422),
        ("fleet-events", "programme,date,kind,count,contract\nmmf,2027,ordered,1,nope\n", "contract", 422),
        ("fleet-events", "programme,date,kind,count\nmmf,2019,delivered,5\n", "count", 422),
        ("aircraft", "a,b\n1,2\n", "kind", 404),
    ],
)  # fmt: skip
def test_bad_files_are_refused_with_the_field_named(
    client, seeded, tokens, engine, kind, body, field, status
):
    before = dump(engine)
    response = post(client, kind, body, tokens["editor"])
    assert response.status_code == status, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert dump(engine) == before


def test_import_needs_an_editor(client, seeded, tokens, engine):
    before = dump(engine)
    assert post(client, "participations", PARTICIPATIONS, tokens["viewer"]).status_code == 403
    assert client.post("/api/import/participations", content=PARTICIPATIONS).status_code == 401
    assert dump(engine) == before


def test_cli_import_reports_rows_and_refuses_bad_files(engine, seeded, tmp_path):
    url = engine.url.render_as_string(hide_password=False)
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(PARTICIPATIONS)
    bad.write_text("programme,nation,joined\nmmf,XXX,2025\n")
    before = dump(engine)
    result = CliRunner().invoke(main, ["import", "participations", str(bad)],
                                env={"REGISTRY_DATABASE_URL": url})  # fmt: skip
    assert result.exit_code == 1
    assert "error: row 1: nation:" in result.stderr
    assert dump(engine) == before
    result = CliRunner().invoke(main, ["import", "participations", str(good), "--dry-run"],
                                env={"REGISTRY_DATABASE_URL": url})  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "would change 2 records" in result.stdout
    assert dump(engine) == before
    result = CliRunner().invoke(main, ["import", "participations", str(good)],
                                env={"REGISTRY_DATABASE_URL": url})  # fmt: skip
    assert result.exit_code == 0
    assert dump(engine) != before


EXPORTS = [
    ("/api/programmes", "programmes", 7),
    ("/api/contracts", "contracts", 9),
    ("/api/nations", "nations", 33),
    ("/api/organisations", "organisations", 8),
    ("/api/programmes/mmf/participants", "mmf-participants", 8),
    ("/api/programmes/mmf/fleet", "mmf-fleet", 15),
    ("/api/changes", "changes", None),
]


@pytest.mark.parametrize(("path", "name", "rows"), EXPORTS)
@pytest.mark.parametrize(
    ("format", "media_type", "read"),
    [
        ("csv", "text/csv", lambda b: pl.read_csv(io.BytesIO(b), infer_schema=False)),
        ("parquet", "application/vnd.apache.parquet", lambda b: pl.read_parquet(io.BytesIO(b))),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         lambda b: pl.read_excel(io.BytesIO(b), infer_schema_length=0)),
    ],
)  # fmt: skip
def test_every_list_exports_and_parses_back(
    client, seeded, path, name, rows, format, media_type, read
):
    response = client.get(path, params={"format": format, "as_of": "2025-07-01"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert f'filename="{name}.{format}"' in response.headers["content-disposition"]
    table = read(response.content)
    json_items = client.get(path, params={"as_of": "2025-07-01", "limit": 500}).json()["items"]
    assert table.height == (rows if rows is not None else len(json_items))
    # Contracts and fleet events come in the importer's columns (no `id`), in their own order.
    key = next(k for k in ("slug", "code", "nation", "title", "kind", "id")
               if k in json_items[0] and k in table.columns)  # fmt: skip
    assert sorted(str(item[key]) for item in json_items) == sorted(map(str, table[key]))


def test_exports_flatten_money_and_keep_every_matching_row(client, seeded):
    table = pl.read_csv(
        io.BytesIO(
            client.get("/api/contracts", params={"format": "csv", "currency": "EUR"}).content
        ),
        infer_schema=False,
    )
    assert sorted(table["amount"].to_list()) == ["265000000.00", "4700000000.00"]
    assert set(table["currency"].to_list()) == {"EUR"}


def test_the_accept_header_asks_for_a_format(client, seeded):
    response = client.get("/api/nations", headers={"Accept": "text/csv"})
    assert response.headers["content-type"].startswith("text/csv")
    assert pl.read_csv(io.BytesIO(response.content)).height == 33


def test_an_unknown_format_is_refused(client, seeded):
    response = client.get("/api/nations", params={"format": "pdf"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "format"


def test_a_refused_leave_takes_its_join_back_before_the_next_row(client, seeded, tokens, engine):
    body = "programme,nation,joined,left\nmmf,FIN,2025,2020\nmmf,FIN,2026,\n"
    before = dump(engine)
    response = post(client, "participations", body, tokens["editor"])
    assert response.status_code == 422
    # Row 2 is checked against the registry without row 1's join: no "already a member".
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [(1, "left")]
    assert dump(engine) == before


def test_every_imported_row_has_its_audit_row_in_one_change_set(client, seeded, tokens):
    """Guards a fixed bug: the importer let go of each row's audit row before writing it, so
    all but the first were lost. An import is one change set."""
    rows = "programme,nation,joined,role\n" + "".join(
        f"mmf,{code},2025-0{n + 7},observer\n" for n, code in enumerate(["FIN", "EST", "LVA"])
    )
    response = post(client, "participations", rows.encode(), tokens["editor"])
    assert response.status_code == 200, response.text
    changes = client.get("/api/changes", params={"actor": "editor"}).json()["items"]
    assert sorted(c["key"] for c in changes) == ["mmf/EST", "mmf/FIN", "mmf/LVA"]
    assert len({c["change_set"] for c in changes}) == 1
