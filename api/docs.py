"""What the OpenAPI document says about errors: every one is a problem details body."""

from __future__ import annotations

from http import HTTPStatus

from litestar.openapi import ResponseSpec
from msgspec import Struct

from api.problems import PROBLEM_JSON


class FieldProblem(Struct):
    field: str
    message: str
    row: int | None = None
    """For imports: the file's row (1 = the first data row)."""


class Problem(Struct):
    """RFC 9457 problem details with the fields at fault."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldProblem]


def _problems(*codes: int) -> dict[int, ResponseSpec]:
    return {
        code: ResponseSpec(
            data_container=Problem,
            description=HTTPStatus(code).phrase,
            media_type=PROBLEM_JSON,
            generate_examples=False,
        )
        for code in codes
    }


READ_ERRORS = _problems(400, 401, 404)
WRITE_ERRORS = _problems(400, 401, 403, 404, 409, 412, 413, 422)
