"""The staff pages that fix records: correct or void a fleet event, amend or void a contract.

Each form calls the registry function the API calls, with a reason where one is required; the
record replaced stays in the history and in reads as known before.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlmodel import Session

from api.deps import EDITOR
from api.ui.auth import Form
from api.ui.forms import Intended, Show, Values, _form, _submit, _version
from registry.choices import FleetEventKind
from registry.contracts import Contract
from registry.errors import NotFound
from registry.fleet import EDITABLE, FleetEvent
from registry.money import format_minor
from registry.programmes import get_programme


def _event(session: Session, slug: str, event_id: int) -> FleetEvent:
    programme = get_programme(session, slug)
    event = session.get(FleetEvent, event_id)
    if event is None or event.programme_id != programme.id or event.superseded_in is not None:
        raise NotFound("id", f"no fleet event {event_id} held in {slug}")
    return event


def _event_form(
    request: Request[Any, Any, Any], session: Session, slug: str, event_id: int
) -> Show:
    event = _event(session, slug, event_id)
    return _form(request, session, slug, "fleet_edit.html",
                 lambda: {"event": event, "kinds": list(FleetEventKind)})  # fmt: skip


def _event_values(event: FleetEvent) -> Values:
    return {
        "date": event.date_on.isoformat(), "kind": event.kind, "count": str(event.count),
        "asset_type": event.asset_type, "note": event.note, "version": str(event.version),
    }  # fmt: skip


@get("/programmes/{slug:str}/fleet/{event_id:int}/edit", sync_to_thread=False, opt=EDITOR)
def fleet_edit(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    event_id: FromPath[int],
) -> Response[str]:
    """Correct an event's date, kind, count, asset type or note, or void it; with a reason."""
    show = _event_form(request, session, slug, event_id)
    return show(_event_values(_event(session, slug, event_id)), {}, 200)


@post("/programmes/{slug:str}/fleet/{event_id:int}/edit", sync_to_thread=False, opt=EDITOR)
def fleet_correct(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    event_id: FromPath[int],
    data: Form,
) -> Response[Any]:
    show = _event_form(request, session, slug, event_id)
    was = _event_values(_event(session, slug, event_id))

    def write(form: Values) -> Intended:
        changes = {name: form.get(name) for name in EDITABLE if name != "contract"
                   and form.get(name) != was.get(name)}  # fmt: skip
        event = {"programme": slug, "id": event_id, "reason": form.get("reason")}
        if form.get("action") == "void":
            return Intended({"command": "void_fleet_event", **event}, _version(form))
        return Intended({"command": "correct_fleet_event", **event, **changes}, _version(form))

    return _submit(request, session, slug, data, write, show)


def _contract(session: Session, slug: str, contract_id: int) -> Contract:
    programme = get_programme(session, slug)
    contract = session.get(Contract, contract_id)
    if contract is None or contract.programme_id != programme.id or contract.voided_in:
        raise NotFound("id", f"no contract {contract_id} in {slug}")
    return contract


def _amend_form(
    request: Request[Any, Any, Any], session: Session, slug: str, contract_id: int
) -> Show:
    contract = _contract(session, slug, contract_id)
    signed = (
        format_minor(contract.value_minor, contract.currency)
        if contract.value_minor is not None and contract.currency
        else None
    )
    return _form(request, session, slug, "contract_amend.html",
                 lambda: {"contract": contract, "signed_value": signed})  # fmt: skip


@get("/programmes/{slug:str}/contracts/{contract_id:int}/amend", sync_to_thread=False, opt=EDITOR)
def contract_amend_form(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    contract_id: FromPath[int],
) -> Response[str]:
    """A new title, value or quantity from a date, or a correction of what was recorded."""
    contract = _contract(session, slug, contract_id)
    defaults: Values = {"kind": "change", "currency": contract.currency,
                        "version": str(contract.version)}  # fmt: skip
    return _amend_form(request, session, slug, contract_id)(defaults, {}, 200)


@post("/programmes/{slug:str}/contracts/{contract_id:int}/amend", sync_to_thread=False, opt=EDITOR)
def contract_amend(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    contract_id: FromPath[int],
    data: Form,
) -> Response[Any]:
    def write(form: Values) -> Intended:
        amount = form.get("amount")
        return Intended({
            "command": "amend_contract", "id": contract_id, "effective": form.get("effective"),
            "title": form.get("title"), "amount": amount,
            "currency": form.get("currency") if amount else None,
            "quantity": form.get("quantity"), "note": form.get("note"),
            "correction": form.get("kind") == "correction",
        }, _version(form))  # fmt: skip

    return _submit(request, session, slug, data, write,
                   _amend_form(request, session, slug, contract_id))  # fmt: skip


def _void_form(
    request: Request[Any, Any, Any], session: Session, slug: str, contract_id: int
) -> Show:
    contract = _contract(session, slug, contract_id)
    return _form(request, session, slug, "contract_void.html", lambda: {"contract": contract})


@get("/programmes/{slug:str}/contracts/{contract_id:int}/void", sync_to_thread=False, opt=EDITOR)
def contract_void_form(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    contract_id: FromPath[int],
) -> Response[str]:
    """Void a contract recorded by mistake, with a reason; it stays in the history."""
    contract = _contract(session, slug, contract_id)
    show = _void_form(request, session, slug, contract_id)
    return show({"version": str(contract.version)}, {}, 200)


@post("/programmes/{slug:str}/contracts/{contract_id:int}/void", sync_to_thread=False, opt=EDITOR)
def contract_void(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    contract_id: FromPath[int],
    data: Form,
) -> Response[Any]:
    show = _void_form(request, session, slug, contract_id)

    def write(form: Values) -> Intended:
        command = {"command": "void_contract", "id": contract_id, "reason": form.get("reason")}
        return Intended(command, _version(form))

    return _submit(request, session, slug, data, write, show)
