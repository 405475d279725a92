"""The API against its own OpenAPI document (issue 9 item 8): schemathesis with every check and
every phase — examples, coverage, fuzzing and stateful — against the app in-process, on the
seeded registry with an admin token, finds nothing.

A request the document calls valid may still meet a 422 when a rule over stored data refuses it
(a nation or organisation the registry does not hold, a fleet that would go below zero): no
schema can say that. Those answers are allowed for exactly the fields such rules name; any other
422 to a valid request means the document leaves out a constraint the server enforces.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

from api.app import use_settings
from tests.conftest import auth

EXAMPLES = 6
SEED = 9

DATA_RULE_FIELDS = {
    "nation", "country", "signatories",  # nations the registry holds (a table, not ISO 3166)
    "user",  # an active user the registry holds (a token for them)
    "convert_to",  # a currency with an exchange rate on the day (rates are data)
    "currency",  # converted, a contract's currency needs a rate on the day too
    "managing_organisation", "contractor", "awarding_organisation",  # organisations held
    "contract",  # a contract of this programme
    "count", "asset_type",  # the fleet's running totals; the programme's own asset type
    "joined", "left", "cost_share",  # the spells and shares already recorded
    "effective",  # a change's date, bound by the record's own (joined, signed)
    "min_value",  # decimals allowed by the `currency` given beside it
    "slug", "reference",  # taken already (409) or freed by the rule on history
    "file",  # an import file's columns and rows, which the document describes only as text
    # Pairs of parameters that must come in order (a diff's `to` not before its `from`) or not
    # together (dates and moments): no schema says how one parameter bounds another.
    "from", "to", "known_to", "since",
    "signed",  # a span of signing dates whose `to` falls before its `from`
}  # fmt: skip


PHASES = ("examples", "coverage", "fuzzing", "stateful")


def _config(token: str, phase: str) -> SchemathesisConfig:
    """One phase per run, so the phases run side by side on the test workers."""
    phases: dict[str, Any] = {name: {"enabled": name == phase} for name in PHASES}
    phases["stateful"]["max-steps"] = 10
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "headers": auth(token),
            "workers": 1,
            "generation": {"max-examples": EXAMPLES, "database": "none", "deterministic": True},
            "phases": phases,
        }
    )  # fmt: skip


def _data_rule(field: str) -> bool:
    """A field named above, or one of a change request's commands: a proposal is checked by
    applying its commands to the registry as it stands (a dry run, rolled back), so any rule
    over stored data may refuse a command the document describes."""
    return field in DATA_RULE_FIELDS or field.startswith("commands[")


def _refused_by_a_data_rule(body: str) -> bool:
    try:
        errors = json.loads(body).get("errors", [])
    except (ValueError, AttributeError):
        return False
    return bool(errors) and all(_data_rule(str(e.get("field"))) for e in errors)


def run_schemathesis(app: Any, token: str, phase: str) -> list[str]:
    """Every failure of a run of one phase, one line each."""
    config = _config(token, phase)
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app, config=config)
    found: list[str] = []
    for event in from_schema(schema).execute():
        if isinstance(event, events.NonFatalError):
            found.append(f"error in {event.label}: {event.value!r}")
        if not isinstance(event, events.ScenarioFinished):
            continue
        for case_id, checks in event.recorder.checks.items():
            for check in checks:
                info = check.failure_info
                if info is None:
                    continue
                failure = info.failure
                interaction = event.recorder.interactions.get(case_id)
                answer = interaction.response if interaction else None
                text = answer.content.decode(errors="replace") if answer and answer.content else ""
                if check.name == "positive_data_acceptance" and _refused_by_a_data_rule(text):
                    continue
                found.append(f"{event.recorder.label}: {check.name}: {failure.title} {text[:300]}")
    return sorted(set(found))


@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_api_keeps_to_its_document(shared_app, app_settings, seeded, tokens, phase) -> None:
    use_settings(shared_app, app_settings)
    assert run_schemathesis(shared_app, tokens["admin"], phase) == []
