"""The change log reads as people read: money, dates at their precision, shares, words."""

from typing import Any

from api.ui.changelog import changed_fields
from tests.staff import Html, sign_in

CONTRACT = {
    "id": 7, "programme_id": 4, "contractor_id": None, "awarding_organisation_id": 1,
    "reference": "nspa-2025", "title": "Munitions", "kind": "framework", "signed": "2025-01-01",
    "signed_precision": "year", "value_minor": 60000000000, "currency": "EUR", "version": 1,
}  # fmt: skip


def test_a_new_record_shows_its_values_as_people_read_them():
    fields = {name: before for name, before, _ in changed_fields(None, CONTRACT)}
    assert fields == {
        "reference": "nspa-2025", "title": "Munitions", "kind": "framework", "signed": "2025",
        "value": "EUR 600,000,000.00",
    }  # fmt: skip


def test_an_update_shows_what_moved_before_and_after():
    after = CONTRACT | {"value_minor": 65000000000, "signed": "2025-03-01",
                        "signed_precision": "month", "version": 2}  # fmt: skip
    assert changed_fields(CONTRACT, after) == [
        ("signed", "2025", "March 2025"), ("value", "EUR 600,000,000.00", "EUR 650,000,000.00"),
    ]  # fmt: skip


def test_a_spells_terms_shares_and_codes_read_as_words():
    before: dict[str, Any] = {"nation_code": "NLD", "role": "lead", "instrument": "letter_of_intent",
              "joined": "2014-11", "cost_share_bp": 2020,
              "terms": [{"valid_from": "2014-11", "role": "lead", "instrument": "letter_of_intent",
                         "cost_share_bp": 2020}]}  # fmt: skip
    after = before | {"role": "participant", "cost_share_bp": 1000, "terms": [
        *before["terms"], {"valid_from": "2018", "role": "participant", "instrument": None,
                           "cost_share_bp": 1000}]}  # fmt: skip
    fields = {name: (old, new) for name, old, new in changed_fields(before, after)}
    assert fields["role"] == ("lead", "participant")
    assert fields["cost share"] == ("20.20 %", "10.00 %")
    assert fields["terms"][1] == (
        "from November 2014: lead, letter of intent, 20.20 %; from 2018: participant, 10.00 %"
    )


def test_the_change_log_page_shows_no_stored_columns(client, seeded, staff):
    sign_in(client, "viewer")
    page = Html(client.get("/ui/changes", params={"entity": "contract"}).text)
    assert "EUR 265,000,000.00" in page.words
    for stored in ("value_minor", "signed_precision", "programme_id", "recorded_in"):
        assert stored not in page.words
