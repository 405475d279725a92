"""The staff pages that write: each form makes the typed command the API makes, applied by
the same registry function.

A refused write shows the form again with the user's input and each message beside its field;
nothing of it is kept. A write that succeeds goes back to the programme page, which confirms it.
Where the programme needs review (and the person is not an admin), the form proposes: the command
becomes a submitted change request, checked at once, and the browser goes to its page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect
from sqlmodel import Session

from api.deps import EDITOR
from api.ui.auth import Form, posted
from api.ui.render import errors_by_field, page, share_text
from registry.audit import begin_write, recorded
from registry.change_requests import propose, review_required
from registry.checks import fields_of
from registry.choices import ContractKind, FleetEventKind, Instrument, Role, UserRole
from registry.commands import apply
from registry.contracts import Contract, contract_columns
from registry.errors import InvalidValue, RegistryError, StaleVersion
from registry.nations import get_nation, list_nations
from registry.organisations import list_organisations
from registry.participation import (
    current_participation,
)
from registry.programmes import get_programme
from registry.search import contracts_page

Values = dict[str, str | None]
Show = Callable[[Values, dict[str, str], int], Response[str]]


def _user(request: Request[Any, Any, Any]) -> str:
    return str(request.state.user.username)


def _version(form: Values) -> int:
    text = form.get("version") or ""
    if not (text.isascii() and text.isdigit()):
        raise InvalidValue("version", "the form lost the record's version; reload the page")
    return int(text)


@dataclass(frozen=True)
class Intended:
    """What a form asks for: a typed command (`registry.commands`) and the version of the
    record as the form showed it."""

    command: dict[str, Any]
    version: int | None = None


def proposing(request: Request[Any, Any, Any], session: Session, slug: str) -> bool:
    """Whether this person's writes to the programme are proposed rather than applied."""
    return request.state.user.role != UserRole.ADMIN and review_required(session, slug)


def _propose(request: Request[Any, Any, Any], session: Session, intended: Intended) -> int:
    made = propose(session, commands=[intended.command], author=_user(request), submit=True)
    base = made.base[0]
    if intended.version is not None and base is not None and base["version"] != intended.version:
        raise StaleVersion("version", "someone changed this record after you opened the page")
    return made.id or 0


def _unnumbered(error: RegistryError) -> RegistryError:
    """A proposal's refusal names `commands[0].field`: the form has only `field`."""
    return type(error)(
        [replace(e, field=e.field.removeprefix("commands[0].")) for e in error.errors]
    )


def _submit(
    request: Request[Any, Any, Any],
    session: Session,
    slug: str,
    data: dict[str, Any],
    write: Callable[[Values], Intended],
    show: Show,
) -> Response[Any]:
    """Apply (or propose) the command a form asks for; show the form again if it is refused."""
    form = posted(request, data)
    recorded(session).clear()
    try:
        begin_write(session)  # before any read (SQLite: a later lock would find it stale)
        intended = write(form)
        if proposing(request, session, slug):
            number = _propose(request, session, intended)
            return Redirect(f"/ui/requests/{number}?proposed=1", status_code=303)
        apply(session, intended.command, actor=_user(request), version=intended.version)
    except RegistryError as error:
        session.rollback()  # whatever the refused call did is dropped before anything commits
        # A version sent in a form is no HTTP precondition (If-Match): a stale one is a conflict.
        status = 409 if isinstance(error, StaleVersion) else error.status
        return show(form, errors_by_field(_unnumbered(error)), status)
    return Redirect(f"/ui/programmes/{quote(slug)}?saved={_made(session)}", status_code=303)


def _made(session: Session) -> int:
    """The change this request's write recorded (0 when it changed nothing)."""
    session.flush()
    changes = recorded(session)
    return changes[-1].id or 0 if changes else 0


# ---- Members -------------------------------------------------------------------------------


def _form(
    request: Request[Any, Any, Any],
    session: Session,
    slug: str,
    template: str,
    context: Callable[[], dict[str, Any]],
) -> Show:
    """How a form page is shown: first empty or filled, again with the input and the messages."""

    def show(values: Values, errors: dict[str, str], status: int = 200) -> Response[str]:
        return page(
            request, template, status=status, programme=get_programme(session, slug),
            values=values, errors=errors, proposing=proposing(request, session, slug),
            **context(),
        )  # fmt: skip

    return show


def _member_form(request: Request[Any, Any, Any], session: Session, slug: str) -> Show:
    return _form(request, session, slug, "member_new.html", lambda: {
        "nations": [(n.code, f"{n.name} ({n.code})") for n in list_nations(session)],
        "roles": list(Role), "instruments": list(Instrument),
    })  # fmt: skip


@get("/programmes/{slug:str}/members/new", sync_to_thread=False, opt=EDITOR)
def member_new(
    request: Request[Any, Any, Any], session: NamedDependency[Session], slug: FromPath[str]
) -> Response[str]:
    """Add a member: nation, role, instrument, date joined, cost share."""
    return _member_form(request, session, slug)({"role": Role.PARTICIPANT.value}, {}, 200)


@post("/programmes/{slug:str}/members/new", sync_to_thread=False, opt=EDITOR)
def member_add(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    data: Form,
) -> Response[Any]:
    def write(form: Values) -> Intended:
        return Intended({
            "command": "join_programme", "programme": slug, "nation": form.get("nation") or "",
            "role": form.get("role") or "", "instrument": form.get("instrument"),
            "joined": form.get("joined") or "", "cost_share": form.get("cost_share"),
            "note": form.get("note"),
        })  # fmt: skip

    return _submit(request, session, slug, data, write, _member_form(request, session, slug))


def _spell_form(
    request: Request[Any, Any, Any], session: Session, slug: str, nation: str, template: str
) -> Show:
    get_nation(session, nation)  # a 404 page for an address naming no nation

    def context() -> dict[str, Any]:
        spell, nation_ = current_participation(session, slug, nation)
        return {"spell": spell, "nation": nation_, "roles": list(Role),
                "instruments": list(Instrument)}  # fmt: skip

    return _form(request, session, slug, template, context)


@get("/programmes/{slug:str}/members/{nation:str}/edit", sync_to_thread=False, opt=EDITOR)
def member_edit(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    nation: FromPath[str],
) -> Response[str]:
    """Change a member's role, instrument, cost share or note."""
    show = _spell_form(request, session, slug, nation, "member_edit.html")
    spell, _ = current_participation(session, slug, nation)
    shown: Values = {
        "role": spell.role, "instrument": spell.instrument,
        "cost_share": share_text(spell.cost_share_bp), "note": spell.note,
    }  # fmt: skip
    # The values as shown go back too, so only what the person changed is written: a field
    # left as it was must not overwrite the other dated values it holds over time.
    was = {f"was_{name}": value for name, value in shown.items()}
    return show({**shown, **was, "version": str(spell.version), "kind": "change"}, {}, 200)


@post("/programmes/{slug:str}/members/{nation:str}/edit", sync_to_thread=False, opt=EDITOR)
def member_change(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    nation: FromPath[str],
    data: Form,
) -> Response[Any]:
    def write(form: Values) -> Intended:
        changes = {
            name: form.get(name)
            for name in ("role", "instrument", "cost_share", "note")
            if form.get(name) != form.get(f"was_{name}")
        }
        kind = form.get("kind") or "change"
        if kind not in ("change", "correction"):
            raise InvalidValue("kind", "choose a change or a correction")
        return Intended({
            "command": "change_membership", "programme": slug, "nation": nation, **changes,
            "effective": form.get("effective") or None, "correction": kind == "correction",
        }, _version(form))  # fmt: skip

    show = _spell_form(request, session, slug, nation, "member_edit.html")
    return _submit(request, session, slug, data, write, show)


@get("/programmes/{slug:str}/members/{nation:str}/leave", sync_to_thread=False, opt=EDITOR)
def member_leave_form(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    nation: FromPath[str],
) -> Response[str]:
    """Record the date a member left; its history stays."""
    show = _spell_form(request, session, slug, nation, "member_leave.html")
    spell, _ = current_participation(session, slug, nation)
    return show({"left": None, "version": str(spell.version)}, {}, 200)


@post("/programmes/{slug:str}/members/{nation:str}/leave", sync_to_thread=False, opt=EDITOR)
def member_leave(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    nation: FromPath[str],
    data: Form,
) -> Response[Any]:
    def write(form: Values) -> Intended:
        left = form.get("left")
        if not left:
            raise InvalidValue(
                "left", "give the date the nation left (YYYY, YYYY-MM or YYYY-MM-DD)"
            )
        command = {"command": "change_membership", "programme": slug, "nation": nation,
                   "left": left}  # fmt: skip
        return Intended(command, _version(form))

    show = _spell_form(request, session, slug, nation, "member_leave.html")
    return _submit(request, session, slug, data, write, show)


# ---- Contracts and fleet -------------------------------------------------------------------


def _contract_form(request: Request[Any, Any, Any], session: Session, slug: str) -> Show:
    return _form(request, session, slug, "contract_new.html", lambda: {
        "organisations": [(o.slug, o.name) for o in list_organisations(session)],
        "kinds": list(ContractKind),
    })  # fmt: skip


@get("/programmes/{slug:str}/contracts/new", sync_to_thread=False, opt=EDITOR)
def contract_new(
    request: Request[Any, Any, Any], session: NamedDependency[Session], slug: FromPath[str]
) -> Response[str]:
    """Add a contract: title, kind, reference, date signed, value, contractor."""
    defaults: Values = {"kind": ContractKind.ACQUISITION.value, "currency": "EUR"}
    return _contract_form(request, session, slug)(defaults, {}, 200)


CONTRACT_FIELDS = [name for names in fields_of(contract_columns) for name in names]


@post("/programmes/{slug:str}/contracts/new", sync_to_thread=False, opt=EDITOR)
def contract_add(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    data: Form,
) -> Response[Any]:
    def write(form: Values) -> Intended:
        fields = {name: form.get(name) for name in CONTRACT_FIELDS}
        fields["title"] = fields["title"] or ""
        fields["kind"] = fields["kind"] or ""
        return Intended({"command": "add_contract", "programme": slug, **fields})

    return _submit(request, session, slug, data, write, _contract_form(request, session, slug))


def _contract_label(contract: Contract) -> str:
    signed = f", {contract.signed_on.label()}" if contract.signed_on else ""
    return f"{contract.reference or contract.title}{signed}"


def _fleet_form(request: Request[Any, Any, Any], session: Session, slug: str) -> Show:
    def context() -> dict[str, Any]:
        contracts = contracts_page(session, programme=slug, sort="-signed", limit=500)
        return {"contracts": [(str(c.id), _contract_label(c)) for c, *_ in contracts.items],
                "kinds": list(FleetEventKind)}  # fmt: skip

    return _form(request, session, slug, "fleet_new.html", context)


@get("/programmes/{slug:str}/fleet/new", sync_to_thread=False, opt=EDITOR)
def fleet_new(
    request: Request[Any, Any, Any], session: NamedDependency[Session], slug: FromPath[str]
) -> Response[str]:
    """Record units ordered, delivered or retired."""
    programme = get_programme(session, slug)
    defaults: Values = {"kind": FleetEventKind.DELIVERED.value, "asset_type": programme.asset_type}
    return _fleet_form(request, session, slug)(defaults, {}, 200)


@post("/programmes/{slug:str}/fleet/new", sync_to_thread=False, opt=EDITOR)
def fleet_add(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    data: Form,
) -> Response[Any]:
    def write(form: Values) -> Intended:
        contract = form.get("contract")
        if contract is not None and not (contract.isascii() and contract.isdigit()):
            raise InvalidValue("contract", "choose one of the programme's contracts")
        return Intended({
            "command": "record_fleet_event", "programme": slug, "kind": form.get("kind") or "",
            "date": form.get("date") or "", "count": form.get("count") or "",
            "asset_type": form.get("asset_type"), "contract": int(contract) if contract else None,
            "note": form.get("note"),
        })  # fmt: skip

    return _submit(request, session, slug, data, write, _fleet_form(request, session, slug))
