"""Typed commands: each kind of write as data, so a write can be applied now or proposed in a
change request and applied later by the same rule functions.

A command is a mapping `{"command": KIND, ...fields}`. Each kind names the rule function that
applies it, the fields it takes, the fields that say which record it touches, and how to read
that record as it stands (its version and its values, as the fields name them), which a change
request keeps as its base and compares when it is applied.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from registry.amendments import amend_contract, void_contract
from registry.checks import MAX_INT
from registry.contracts import add_contract
from registry.errors import FieldError, InvalidValue, NotFound, RegistryError
from registry.fleet import (
    FleetEvent,
    correct_fleet_event,
    record_fleet_event,
    void_fleet_event,
)
from registry.instruments import Instrument, add_instrument, void_instrument
from registry.money import format_minor
from registry.participation import current_participation, join_programme, update_participation
from registry.programmes import get_programme, update_programme
from registry.search import contracts_page
from registry.views import programme_view

Command = Mapping[str, Any]


@dataclass(frozen=True)
class Record:
    """A record as it stands: its version and its values, named as the command's fields."""

    key: str
    version: int
    values: dict[str, str | None]


@dataclass(frozen=True)
class Kind:
    name: str
    summary: str
    fields: tuple[str, ...]
    """Every field the command takes besides `command` (the first ones name the record)."""
    names: tuple[str, ...]
    """The fields that say which record it touches (not shown as changes)."""
    apply: Callable[[Session, Command, str, int | None], object]
    read: Callable[[Session, Command], Record | None]
    """The record it touches as it stands; None for a record it creates."""


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _percent(bp: int | None) -> str | None:
    return None if bp is None else format_minor(bp, "EUR")


def _spell(session: Session, command: Command) -> Record | None:
    try:
        spell, nation = current_participation(
            session, str(command.get("programme")), str(command.get("nation"))
        )
    except NotFound:
        return None
    values = {
        "role": spell.role, "instrument": spell.instrument, "joined": spell.joined_on.isoformat(),
        "left": spell.left_on.isoformat() if spell.left_on else None,
        "cost_share": _percent(spell.cost_share_bp), "note": spell.note,
    }  # fmt: skip
    return Record(f"{command.get('programme')}/{nation.code}", spell.version, values)


def _contract(session: Session, command: Command) -> Record | None:
    number = command.get("id")
    if not isinstance(number, int) or not 1 <= number <= MAX_INT:
        return None
    rows = contracts_page(session, id=number, limit=None).items
    if not rows:
        return None
    contract, programme, contractor, _ = rows[0]
    values = {
        "title": contract.title, "amount": contract.amount, "currency": contract.currency,
        "quantity": _text(contract.quantity), "note": contract.note, "contractor": contractor,
    }  # fmt: skip
    return Record(f"{programme}/contract {number}", contract.version, values)


def _event(session: Session, command: Command) -> Record | None:
    number = command.get("id")
    if not isinstance(number, int) or not 1 <= number <= MAX_INT:
        return None
    event = session.get(FleetEvent, number)
    if event is None or event.superseded_in is not None:
        return None
    values = {
        "date": event.date_on.isoformat(), "kind": event.kind, "count": str(event.count),
        "asset_type": event.asset_type, "note": event.note, "contract": _text(event.contract_id),
    }  # fmt: skip
    return Record(f"{command.get('programme')}/fleet event {number}", event.version, values)


def _instrument(session: Session, command: Command) -> Record | None:
    number = command.get("id")
    if not isinstance(number, int) or not 1 <= number <= MAX_INT:
        return None
    instrument = session.get(Instrument, number)
    if instrument is None or instrument.voided_in is not None:
        return None
    signed = instrument.signed_on
    values = {"kind": instrument.kind, "title": instrument.title, "note": instrument.note,
              "signed": signed.isoformat() if signed else None}  # fmt: skip
    # Never amended, only voided: its version is always the first.
    return Record(f"{command.get('programme')}/instrument {number}", 1, values)


def _programme(session: Session, command: Command) -> Record | None:
    slug = str(command.get("programme"))
    try:
        get_programme(session, slug)
    except NotFound:
        return None
    view = programme_view(session, slug, date.today())
    values = {
        "slug": view.slug, "name": view.name, "acronym": view.acronym, "category": view.category,
        "status": view.status, "managing_organisation": view.managing_organisation,
        "launched": view.launched.isoformat() if view.launched else None,
        "description": view.description, "capability_area": view.capability_area,
        "asset_type": view.asset_type,
    }  # fmt: skip
    return Record(slug, view.version, values)


def _new(session: Session, command: Command) -> Record | None:
    return None


def _given(command: Command, *skip: str) -> dict[str, Any]:
    return {k: v for k, v in command.items() if k != "command" and k not in skip}


def _changes(command: Command, kind_fields: tuple[str, ...], *skip: str) -> dict[str, Any]:
    return {k: command[k] for k in kind_fields if k in command and k not in skip}


_MEMBER = ("role", "instrument", "cost_share", "note", "left")
_CONTRACT = ("reference", "title", "kind", "signed", "contractor", "awarding_organisation",
             "amount", "currency", "quantity", "item", "note")  # fmt: skip
_AMENDED = ("title", "amount", "currency", "quantity", "note", "effective", "correction")
_EVENT = ("date", "kind", "count", "asset_type", "contract", "note")
_PROGRAMME = ("slug", "name", "acronym", "category", "status", "managing_organisation",
              "launched", "description", "capability_area", "asset_type")  # fmt: skip

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "join_programme",
            "a nation joins",
            ("programme", "nation", "role", "instrument", "joined", "left", "cost_share", "note"),
            ("programme", "nation"),
            lambda s, c, actor, _: join_programme(s, actor=actor, **_given(c)),
            _new,
        ),
        Kind(
            "change_membership",
            "a member's terms change, or it leaves",
            ("programme", "nation", *_MEMBER, "effective", "correction"),
            ("programme", "nation"),
            lambda s, c, actor, version: update_participation(
                s,
                programme=c["programme"],
                nation=c["nation"],
                changes=_changes(c, _MEMBER),
                actor=actor,
                expected_version=version,
                effective=c.get("effective"),
                correction=bool(c.get("correction")),
            ),
            _spell,
        ),
        Kind(
            "add_contract",
            "a contract is recorded",
            ("programme", *_CONTRACT),
            ("programme",),
            lambda s, c, actor, _: add_contract(s, actor=actor, **_given(c)),
            _new,
        ),
        Kind(
            "amend_contract",
            "a contract is amended or corrected",
            ("id", *_AMENDED),
            ("id",),
            lambda s, c, actor, version: amend_contract(
                s, contract_id=c["id"], actor=actor, expected_version=version, **_given(c, "id")
            ),
            _contract,
        ),
        Kind(
            "void_contract",
            "a contract recorded by mistake is voided",
            ("id", "reason"),
            ("id",),
            lambda s, c, actor, version: void_contract(
                s,
                contract_id=c["id"],
                reason=c.get("reason"),
                actor=actor,
                expected_version=version,
            ),
            _contract,
        ),
        Kind(
            "record_fleet_event",
            "units are ordered, delivered or retired",
            ("programme", *_EVENT),
            ("programme",),
            lambda s, c, actor, _: record_fleet_event(s, actor=actor, **_given(c)),
            _new,
        ),
        Kind(
            "correct_fleet_event",
            "a fleet event is corrected",
            ("programme", "id", *_EVENT, "reason"),
            ("programme", "id"),
            lambda s, c, actor, version: correct_fleet_event(
                s,
                programme=c["programme"],
                event_id=c["id"],
                changes=_changes(c, _EVENT),
                reason=c.get("reason"),
                actor=actor,
                expected_version=version,
            ),
            _event,
        ),
        Kind(
            "void_fleet_event",
            "a fleet event recorded by mistake is voided",
            ("programme", "id", "reason"),
            ("programme", "id"),
            lambda s, c, actor, version: void_fleet_event(
                s,
                programme=c["programme"],
                event_id=c["id"],
                reason=c.get("reason"),
                actor=actor,
                expected_version=version,
            ),
            _event,
        ),
        Kind(
            "add_instrument",
            "a document nations signed is recorded",
            ("programme", "kind", "title", "signed", "signatories", "note"),
            ("programme",),
            lambda s, c, actor, _: add_instrument(s, actor=actor, **_given(c)),
            _new,
        ),
        Kind(
            "void_instrument",
            "an instrument recorded by mistake is voided",
            ("programme", "id", "reason"),
            ("programme", "id"),
            lambda s, c, actor, _: void_instrument(
                s,
                programme=c["programme"],
                instrument_id=c["id"],
                reason=c.get("reason"),
                actor=actor,
            ),
            _instrument,
        ),
        Kind(
            "change_programme",
            "a programme's description, status or agency changes",
            ("programme", *_PROGRAMME, "effective", "correction"),
            ("programme",),
            lambda s, c, actor, version: update_programme(
                s,
                c["programme"],
                changes=_changes(c, _PROGRAMME),
                actor=actor,
                expected_version=version,
                effective=c.get("effective"),
                correction=bool(c.get("correction")),
            ),
            _programme,
        ),
    )
}


def checked(commands: Any) -> list[dict[str, Any]]:
    """The commands as plain dicts, each of a known kind with only its own fields; a 422 naming
    `commands[i].field` otherwise."""
    if not isinstance(commands, list) or not commands:
        raise InvalidValue("commands", "give at least one command")
    problems: list[FieldError] = []
    found: list[dict[str, Any]] = []
    for number, command in enumerate(commands):
        where = f"commands[{number}]"
        if not isinstance(command, Mapping):
            problems.append(FieldError(where, "must be an object with a `command`"))
            continue
        kind = KINDS.get(str(command.get("command")))
        if kind is None:
            problems.append(FieldError(f"{where}.command",
                                       f"{command.get('command')!r} is not one of: "
                                       + ", ".join(KINDS)))  # fmt: skip
            continue
        for name in sorted(set(command) - {"command", *kind.fields}):
            problems.append(FieldError(f"{where}.{name}", f"is not a field of {kind.name}"))
        for name in kind.names:
            if command.get(name) in (None, ""):
                problems.append(FieldError(f"{where}.{name}", "is required"))
        found.append(dict(command))
    if problems:
        raise InvalidValue(problems)
    return found


def programme_of(session: Session, command: Command) -> str | None:
    """The slug of the programme a command writes to."""
    if "programme" in command:
        return str(command["programme"])
    record = KINDS[command["command"]].read(session, command)
    return record.key.split("/")[0] if record else None


def apply(session: Session, command: Command, *, actor: str, version: int | None = None) -> object:
    """Apply one command through its rule function; a refusal names `commands[i]`'s fields by
    the caller (`numbered`)."""
    kind = KINDS[command["command"]]
    return kind.apply(session, command, actor, version)


def numbered(error: RegistryError, number: int) -> RegistryError:
    """The refusal of command `number`, its fields named `commands[number].field`."""
    from dataclasses import replace

    return type(error)([replace(e, field=f"commands[{number}].{e.field}") for e in error.errors])
