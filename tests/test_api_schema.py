"""The API against its own OpenAPI document: generated requests find no 5xx and no answer that
breaks the documented schema (schemathesis, a bounded number of examples per operation)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from api.app import create_app
from tests.conftest import auth

EXAMPLES = 12


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
def test_the_api_keeps_to_its_schema(app_settings, seeded, tokens, method):
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", create_app(app_settings))
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    chosen = [op for op in operations if op.method.upper() == method]
    assert chosen, f"no {method} operation in the schema"
    headers = auth(tokens["admin"])  # writes get past authorisation and meet the rules
    checks = [not_a_server_error, response_schema_conformance]
    for operation in chosen:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
            suppress_health_check=list(HealthCheck),
        )  # fmt: skip
        def run(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
            case.call_and_validate(headers=headers, checks=checks)

        run()
