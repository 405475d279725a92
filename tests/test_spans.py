"""Dates known only as a span ("since January 2025", reported by 24 June 2025): kept as their
earliest and latest day, taken in by filters wherever they may fall, and shown as spans."""

from __future__ import annotations

from datetime import date

import pytest

from registry.dates import PartialDate, Precision
from tests.conftest import auth, dump

pytestmark = pytest.mark.usefixtures("seeded")

MUNITIONS = "nspa-munitions-2025"


def test_a_span_reads_writes_and_labels_as_its_bounds():
    span = PartialDate.parse("2025-01/2025-06-24", spans=True)
    assert (span.start, span.end, span.precision) == (date(2025, 1, 1), date(2025, 6, 24),
                                                     Precision.SPAN)  # fmt: skip
    assert span.isoformat() == "2025-01-01/2025-06-24"
    assert PartialDate.parse(span.isoformat(), spans=True) == span
    assert span.label() == "between 1 January 2025 and 24 June 2025"
    assert PartialDate.parse("2024/2025", spans=True).end == date(2025, 12, 31)
    with pytest.raises(ValueError, match="ends before it begins"):
        PartialDate.parse("2025-06/2025-01", spans=True)
    with pytest.raises(ValueError, match="a span of dates: give one date here"):
        PartialDate.parse("2025-01/2025-06-24")


def _references(client, **params: str) -> list[str]:
    answer = client.get("/api/contracts", params={"limit": "500", **params})
    assert answer.status_code == 200, answer.text
    return [c["reference"] for c in answer.json()["items"]]


@pytest.mark.parametrize(
    ("params", "included"),
    [
        ({"signed_from": "2025-03-01"}, True),  # it may have been signed after 1 March
        ({"signed_from": "2025-06-24"}, True),
        ({"signed_from": "2025-06-25"}, False),  # reported by 24 June: not after
        ({"signed_to": "2025-01-01"}, True),
        ({"signed_to": "2024-12-31"}, False),
        ({"signed_from": "2025-02-01", "signed_to": "2025-02-28"}, True),
        ({"as_of": "2025-02-01"}, True),  # it may have been signed by then
        ({"as_of": "2024-12-31"}, False),
    ],
)
def test_filters_take_in_a_span_wherever_it_may_fall(client, params, included):
    assert (MUNITIONS in _references(client, **params)) == included


def test_a_contract_is_recorded_with_a_span_and_shown_as_one(client, tokens, engine):
    body = {"title": "Spares framework", "kind": "framework",
            "signed": {"from": "2024-10", "to": "2025-01-15"}}  # fmt: skip
    made = client.post("/api/programmes/mmf/contracts", json=body, headers=auth(tokens["editor"]))
    assert made.status_code == 201, made.text
    assert made.json()["signed"] == "2024-10-01/2025-01-15"
    before = dump(engine)
    for signed, message in [({"from": "2025-02", "to": "2025-01"}, "ends before it begins"),
                            ("2024-10/2025-01", None)]:  # fmt: skip
        body = {"title": "Backwards", "kind": "framework", "signed": signed}
        refused = client.post("/api/programmes/mmf/contracts", json=body,
                              headers=auth(tokens["editor"]))  # fmt: skip
        assert refused.status_code in (400, 422), refused.text
        if message:
            assert refused.json()["errors"][0]["field"] == "signed"
            assert message in refused.json()["errors"][0]["message"]
    assert dump(engine) == before


def test_only_signing_dates_take_a_span(client, tokens, engine):
    before = dump(engine)
    body = {"nation": "FIN", "role": "observer", "joined": "2025-01/2025-06"}
    refused = client.post("/api/programmes/mmf/participants", json=body,
                          headers=auth(tokens["editor"]))  # fmt: skip
    assert refused.status_code in (400, 422)
    assert dump(engine) == before


def test_a_span_imports_exports_and_prints(client, tokens):
    csv = "programme,title,kind,signed\nmmf,Support package,framework,2023-11/2024-02-15\n"
    imported = client.post("/api/import/contracts", content=csv.encode(),
                           headers={**auth(tokens["editor"]), "Content-Type": "text/csv"})  # fmt: skip
    assert imported.status_code == 200, imported.text
    exported = client.get("/api/programmes/mmf/contracts", params={"format": "csv"}).text
    assert "Support package,framework,,2023-11-01/2024-02-15" in exported
    report = client.get("/reports/programmes/nspa-munitions-frameworks").text
    assert "between 1 January 2025 and 24 June 2025" in report
