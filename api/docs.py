"""What the OpenAPI document says: every error a problem details body, every body and answer as
the server really takes and gives it (tests/test_api_schema.py holds the two to each other)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

import msgspec
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import OpenAPI, OpenAPIType, Operation, Schema
from msgspec import Struct

from api.exports import MEDIA_TYPES, Format
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
UNAVAILABLE = _problems(503)
"""The database is busy or unreachable, or every report worker is taken: try again shortly."""
WRITE_ERRORS = _problems(400, 401, 403, 404, 409, 412, 413, 422)


LIST_ERRORS = _problems(400, 401, 404, 422)
CONVERTING = _problems(422)
"""A read with `convert_to` is refused (422 on `convert_to` or `currency`) without a rate."""
"""Lists also refuse filter and sort values a rule checks (an unknown nation or currency)."""

BINARY = {"type": "string", "format": "binary"}
_FILES = {
    media_type: {"schema": {"type": "string"} if kind is Format.CSV else BINARY}
    for kind, media_type in MEDIA_TYPES.items()
}


def _struct_types(type_: Any) -> Iterator[type[Struct]]:
    """The struct types a body is made of, itself first."""
    info = msgspec.inspect.type_info(type_)
    seen: set[type[Struct]] = set()
    stack: list[msgspec.inspect.Type] = [info]
    while stack:
        node = stack.pop()
        if isinstance(node, msgspec.inspect.StructType):
            if node.cls in seen:
                continue
            seen.add(node.cls)
            yield node.cls
            stack.extend(field.type for field in node.fields)
        for name in ("type", "item_type", "types", "key_type", "value_type"):
            value = getattr(node, name, None)
            if isinstance(value, msgspec.inspect.Type):
                stack.append(value)
            elif isinstance(value, tuple):
                stack.extend(v for v in value if isinstance(v, msgspec.inspect.Type))


NO_NUL = "^[^\\x00]*$"
"""No text carries NUL (refused at the edge, api/edge.py): said of every string without a pattern
of its own (the wire patterns leave NUL out themselves)."""


def parameters_without_nul(document: OpenAPI) -> None:
    """Say of every text parameter (path and query) what the edge enforces: no NUL."""
    for item in (document.paths or {}).values():
        for operation in (item.get, item.put, item.post, item.patch, item.delete):
            for parameter in (operation.parameters or []) if operation else []:
                schema = getattr(parameter, "schema", None)  # a Reference has none
                for one in [schema, *(getattr(schema, "one_of", None) or [])]:
                    if (
                        isinstance(one, Schema) and one.type == OpenAPIType.STRING
                        and not (one.pattern or one.enum or one.format or one.const)
                    ):  # fmt: skip
                        one.pattern = NO_NUL


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    if isinstance(schema, list):
        return [_inline(item, defs) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        return _inline(defs[schema["$ref"].rsplit("/", 1)[-1]], defs) | _inline(rest, defs)
    inlined = {key: _inline(value, defs) for key, value in schema.items()}
    if inlined.get("type") == "string" and "pattern" not in inlined and "anyOf" not in inlined:
        inlined["pattern"] = NO_NUL
    return inlined


def body_schema(body: type[Struct]) -> dict[str, Any]:
    """What the body's decoder accepts, in msgspec's own words (unknown fields refused, choices,
    formats), with the constraints the wire types state for the registry's rules."""
    generated = msgspec.json.schema(body)
    defs: dict[str, Any] = generated.pop("$defs", {})
    for struct in _struct_types(body):
        defs[struct.__name__] |= getattr(struct, "json_schema_extra", {})
    inlined: dict[str, Any] = _inline(generated, defs)
    return inlined


def documented(
    *, body: type[Struct] | None = None, files: bool = False, answers: dict[str, Any] | None = None
) -> type[Operation]:
    """An OpenAPI operation that documents what the handler really takes and gives.

    `body`: the JSON body as its decoder reads it (Litestar's own schema of a struct leaves out
    `additionalProperties: false` and the rules' patterns). `files`: the 200 answer may also be
    CSV, Parquet or Excel (`format=` or Accept). `answers`: other media types of the 200 answer.
    """
    request = body_schema(body) if body is not None else None
    extra = (_FILES if files else {}) | {
        media_type: {"schema": schema} for media_type, schema in (answers or {}).items()
    }

    class Documented(Operation):
        def to_schema(self) -> dict[str, Any]:
            result = super().to_schema()
            if request is not None:
                result["requestBody"]["content"]["application/json"]["schema"] = request
            if extra:
                content = result["responses"]["200"].setdefault("content", {})
                content.update(copy.deepcopy(extra))
            return result

    return Documented
