"""Contracts: per programme and across the registry."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from litestar import Request, Response, Router, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlmodel import Session

from api import wire
from api.cache import answer, serve_cached
from api.deps import BEARER, EDITOR, actor, etag, expected_version
from api.docs import LIST_ERRORS, READ_ERRORS, documented
from api.exports import Format, export_records, wanted
from api.routes.change_requests import PROPOSING, proposed_instead
from api.routes.params import (
    AsKnownOn,
    AsOf,
    ContractSort,
    ConvertTo,
    Currency,
    FormatParam,
    Limit,
    MinValue,
    Offset,
    Reason,
    as_of_day,
    read_when,
)
from registry.amendments import amend_contract, amendments, void_contract
from registry.checks import MAX_INT
from registry.contracts import add_contract
from registry.conversion import converted_total, rate_currency
from registry.errors import NotFound, RegistryError
from registry.programmes import get_programme
from registry.search import contracts_page


def _list(
    request: Request[Any, Any, Any], session: Session, name: str, limit: int, offset: int,
    format: str | None, convert_to: str | None, **filters: Any,
) -> Any:  # fmt: skip
    kind = wanted(request, format)
    target = rate_currency(session, convert_to) if convert_to else None
    if kind is not Format.JSON:
        every = contracts_page(session, limit=None, **filters)
        items = [wire.contract_out(*row) for row in every.items]
        return export_records(session, "contracts", items, kind, name, convert_to=target)

    def build() -> tuple[wire.Page[wire.ContractOut], dict[str, str]]:
        page = contracts_page(session, limit=limit, offset=offset, **filters)
        items = [wire.contract_out(*row) for row in page.items]
        if target:
            _convert(session, [row[0] for row in page.items], items, target, filters.get("on"))
        return wire.Page(items, page.total, limit, offset), {}

    return answer(request, build)


def _convert(session: Session, contracts: list[Any], items: list[wire.ContractOut],
             target: str, on: date | None) -> None:  # fmt: skip
    """Each item's value in `target`, at the rate of its contract's signing date."""
    parts = dict(converted_total(session, contracts, target, on or date.today()).parts)
    for item in items:
        if item.id in parts:
            item.converted = wire.converted_out(parts[item.id])


@get(
    "/api/contracts",
    sync_to_thread=False,
    summary="Contracts across all programmes",
    before_request=serve_cached,
    responses=LIST_ERRORS,
    operation_class=documented(files=True),
)
def all_contracts(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    programme: FromQuery[str | None] = None,
    contractor: FromQuery[str | None] = None,
    currency: Currency = None,
    signed_from: FromQuery[date | None] = None,
    signed_to: FromQuery[date | None] = None,
    min_value: MinValue = None,
    as_of: AsOf = None,
    as_known_on: AsKnownOn = None,
    sort: ContractSort = None,
    limit: Limit = 50,
    offset: Offset = 0,
    format: FormatParam = None,
    convert_to: ConvertTo = None,
) -> wire.Page[wire.ContractOut]:
    """Filters: programme and contractor slugs, currency, signed range, `min_value` (decimal, in
    `currency` when given). Each contract shows its title, value and quantity on `as_of`
    (default today: the latest amendment in force then), and with `as_of` only the contracts
    signed by then; `as_known_on` keeps the contracts and amendments recorded by then. Sort:
    signed (default), value, title, reference, id."""
    return _list(  # type: ignore[no-any-return]
        request, session, "contracts", limit, offset, format, convert_to, programme=programme,
        contractor=contractor, currency=currency, signed_from=signed_from, signed_to=signed_to,
        min_value=min_value, sort=sort, on=None if as_of is None else as_of_day(as_of),
        recorded_by=read_when(session, None, as_known_on).known,
    )  # fmt: skip


@get(
    "/api/programmes/{slug:str}/contracts",
    before_request=serve_cached,
    sync_to_thread=False,
    summary="A programme's contracts",
    responses=LIST_ERRORS,
    operation_class=documented(files=True),
)
def programme_contracts(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    contractor: FromQuery[str | None] = None,
    currency: Currency = None,
    signed_from: FromQuery[date | None] = None,
    signed_to: FromQuery[date | None] = None,
    min_value: MinValue = None,
    as_of: AsOf = None,
    as_known_on: AsKnownOn = None,
    sort: ContractSort = None,
    limit: Limit = 50,
    offset: Offset = 0,
    format: FormatParam = None,
    convert_to: ConvertTo = None,
) -> wire.Page[wire.ContractOut]:
    """The same filters as /api/contracts, within one programme (404 when there is none)."""
    get_programme(session, slug)
    return _list(  # type: ignore[no-any-return]
        request, session, f"{slug}-contracts", limit, offset, format, convert_to, programme=slug,
        contractor=contractor, currency=currency, signed_from=signed_from, signed_to=signed_to,
        min_value=min_value, sort=sort, on=None if as_of is None else as_of_day(as_of),
        recorded_by=read_when(session, None, as_known_on).known,
    )  # fmt: skip


@post("/api/programmes/{slug:str}/contracts", sync_to_thread=False, opt=EDITOR,
      security=BEARER, summary="Record a contract", responses=PROPOSING,
      operation_class=documented(body=wire.ContractIn))  # fmt: skip
def create(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    data: JSONBody[wire.ContractIn],
) -> Response[wire.ContractOut]:
    """`value.amount` is a decimal string in `value.currency` (ISO 4217); never a float."""
    command = {"command": "add_contract", "programme": slug, **_money_flat(wire.plain(data))}
    if (proposed := proposed_instead(request, session, command)) is not None:
        return proposed  # type: ignore[return-value]
    try:
        contract = add_contract(
            session, programme=slug, actor=actor(request), **_money_flat(wire.plain(data))
        )
    except RegistryError as error:
        raise on_the_wire(error) from None
    body = wire.contract_out(contract, slug, data.contractor, data.awarding_organisation)
    return Response(body, status_code=201, headers=etag(contract.version))


def _money_flat(fields: dict[str, Any]) -> dict[str, Any]:
    """A body's `value` object as the rule functions' `amount` and `currency` (and a span of
    signing dates as the rules read one)."""
    if "signed" in fields:
        fields["signed"] = wire.span_text(fields["signed"])
    value = fields.pop("value", None)
    return {**fields, "amount": value.amount if value else None,
            "currency": value.currency if value else None}  # fmt: skip


def on_the_wire(error: RegistryError) -> RegistryError:
    """Name money fields as the body does: `value.amount`, `value.currency`."""
    renamed = {"amount": "value.amount", "currency": "value.currency"}
    return type(error)([replace(e, field=renamed.get(e.field, e.field)) for e in error.errors])


def _one(session: Session, contract_id: int, on: date | None, known: int | None) -> Any:
    """The contracts_page row of one contract, with its values on `on` (default today)."""
    within = 1 <= contract_id <= MAX_INT
    found = within and contracts_page(session, id=contract_id, on=on, recorded_by=known,
                                      limit=None).items  # fmt: skip
    if not found:
        raise NotFound("id", f"no contract {contract_id}")
    return found[0]


@get("/api/contracts/{contract_id:int}", sync_to_thread=False, summary="One contract",
     responses=READ_ERRORS)  # fmt: skip
def contract(
    session: NamedDependency[Session],
    contract_id: FromPath[int],
    as_of: AsOf = None,
    as_known_on: AsKnownOn = None,
) -> Response[wire.ContractOut]:
    """With its title, value and quantity on `as_of` (default today: the latest amendment in
    force then); 404 when it was not signed by `as_of` or not recorded by `as_known_on`."""
    on = None if as_of is None else as_of_day(as_of)
    row = _one(session, contract_id, on, read_when(session, None, as_known_on).known)
    return Response(wire.contract_out(*row), headers=etag(row[0].version))


@patch("/api/contracts/{contract_id:int}", sync_to_thread=False, opt=EDITOR, security=BEARER,
       summary="Amend a contract from a date, or correct it", responses=PROPOSING,
       operation_class=documented(body=wire.AmendmentIn))  # fmt: skip
def amend(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    contract_id: FromPath[int],
    data: JSONBody[wire.AmendmentIn],
) -> Response[wire.ContractOut]:
    """A new title, value or quantity from `effective` (default today; earlier dates keep the
    values before). With `"correction": true` it fixes what was recorded, from the signing
    unless `effective` is given. The signed values stay; reads `as_known_on` before this answer
    without it. `If-Match` guards against stale edits. Answers the contract as it reads today."""
    command = {"command": "amend_contract", "id": contract_id, **_money_flat(wire.given(data))}
    command = {k: v for k, v in command.items() if v is not None}
    if (proposed := proposed_instead(request, session, command)) is not None:
        return proposed  # type: ignore[return-value]
    try:
        amend_contract(
            session, contract_id=contract_id, actor=actor(request),
            expected_version=expected_version(request), **_money_flat(wire.given(data)),
        )  # fmt: skip
    except RegistryError as error:
        raise on_the_wire(error) from None
    row = _one(session, contract_id, None, None)
    return Response(wire.contract_out(*row), headers=etag(row[0].version))


@delete("/api/contracts/{contract_id:int}", sync_to_thread=False, opt=EDITOR, security=BEARER,
        summary="Void a contract recorded by mistake", responses=PROPOSING)  # fmt: skip
def void(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    contract_id: FromPath[int],
    reason: Reason,
) -> None:
    """It leaves every list, total and report; reads `as_known_on` before this still show it,
    and the change log keeps it with the reason. `If-Match` guards against stale edits. Refused
    (409 on `id`) while fleet events name it."""
    command = {"command": "void_contract", "id": contract_id, "reason": reason}
    if (proposed := proposed_instead(request, session, command)) is not None:
        return proposed  # type: ignore[return-value]
    void_contract(
        session, contract_id=contract_id, reason=reason, actor=actor(request),
        expected_version=expected_version(request),
    )  # fmt: skip
    return None


@get("/api/contracts/{contract_id:int}/amendments", sync_to_thread=False,
     summary="A contract's amendments", responses=READ_ERRORS)  # fmt: skip
def list_amendments(
    session: NamedDependency[Session], contract_id: FromPath[int], as_known_on: AsKnownOn = None
) -> list[wire.AmendmentOut]:
    """By effective date; with `as_known_on`, those recorded by then."""
    known = read_when(session, None, as_known_on).known
    _one(session, contract_id, None, known)
    return [wire.amendment_out(a) for a in amendments(session, contract_id, known)]


router = Router(
    "/",
    route_handlers=[
        all_contracts,
        programme_contracts,
        create,
        contract,
        amend,
        void,
        list_amendments,
    ],
    tags=["contracts"],
)
