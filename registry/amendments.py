"""Contract amendments: a new title, value or quantity from an effective date.

A contract's row keeps what was signed and is never rewritten. An amendment holds from its
effective date on: a contract's value (title, quantity) on a date is that of the latest
amendment in force then that sets it, else the signed one (`amended`, the one rule every read
uses). A correction is an amendment that fixes what was recorded rather than a change in the
world: by default it holds from the signing. Amendments are recorded in a change set, so reads
`as_known_on` before one answer without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import BigInteger, ColumnElement, Index, Select, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Field, Session, SQLModel, col

from registry.audit import begin_write, change_set, record_change, snapshot
from registry.checks import MAX_INT, Checks, check_version
from registry.choices import Action
from registry.contracts import Contract, check_value, contract_key, held, signed_by
from registry.database import pk
from registry.dates import PartialDate
from registry.errors import Conflict, InvalidValue, NotFound
from registry.fleet import FleetEvent
from registry.history import Known, recorded_by
from registry.programmes import Programme, lock_programme, resolve_programme

AMENDED = ("title", "value_minor", "currency", "quantity")
"""The contract columns an amendment may set."""


class ContractAmendment(SQLModel, table=True):
    """From `effective` on, the contract's title, value or quantity (those not null here)."""

    __tablename__ = "contract_amendment"
    __table_args__ = (Index("ix_contract_amendment_contract", "contract_id", "effective"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id")
    effective: date
    effective_precision: str = Field(default="day", max_length=5)
    title: str | None = Field(default=None, max_length=300)
    value_minor: int | None = Field(default=None, sa_type=BigInteger)
    currency: str | None = Field(default=None, max_length=3)
    quantity: int | None = None
    note: str | None = Field(default=None, max_length=2000)
    correction: bool = False
    recorded_in: int = Field(foreign_key="change_set.id")
    superseded_in: int | None = Field(default=None, foreign_key="change_set.id")


def amended(field: str, on: Any, known: Any = None) -> ColumnElement[Any]:
    """The contract's `field` on `on` as known at `known` (bind parameters welcome): the latest
    amendment in force then that sets it, else the signed value."""
    a = aliased(ContractAmendment)
    column = getattr(a, field)
    latest = (
        select(column)
        .where(
            col(a.contract_id) == col(Contract.id),
            col(a.effective) <= on,
            recorded_by(a, known),
            column.is_not(None),
        )
        .order_by(col(a.effective).desc(), col(a.id).desc())
        .limit(1)
        .correlate(Contract)
        .scalar_subquery()
    )
    return func.coalesce(latest, getattr(Contract, field))


def amended_frame(contracts: pl.DataFrame, amendments: pl.DataFrame, on: date) -> pl.DataFrame:
    """`amended` for frames (the reports): `contracts` (signed values, by `id`) with each of
    `AMENDED` taken from the latest of `amendments` (held at the frames' point in record time,
    by `contract_id`) in force on `on` that sets it."""
    held = amendments.filter(pl.col("effective") <= on).sort("effective", "id")
    if held.is_empty():
        return contracts
    held = held.filter(pl.col("contract_id").is_in(contracts["id"].implode()))
    for field in (name for name in AMENDED if name in contracts.columns):
        latest = (
            held.filter(pl.col(field).is_not_null())
            .group_by("contract_id")
            .agg(pl.col(field).last().alias("amended"))
        )
        contracts = (
            contracts.join(latest, left_on="id", right_on="contract_id", how="left")
            .with_columns(pl.coalesce("amended", field).alias(field))
            .drop("amended")
        )
    return contracts


def values_on(session: Session, on: Any, known: Any = None) -> dict[str, ColumnElement[Any]]:
    """Each amendable column as a list reads it on `on` as known at `known`: `amended`, or the
    signed column itself while no contract has an amendment (so filters keep their index)."""
    if session.execute(select(col(ContractAmendment.id)).limit(1)).first() is None:
        return {name: getattr(Contract, name) for name in AMENDED}
    return {name: amended(name, on, known) for name in AMENDED}


def as_amended(contract: Contract, values: Sequence[Any]) -> Contract:
    """The contract with the amendable columns read (`values_on`, in `AMENDED` order): itself
    when they are as signed, else an unsaved copy carrying them."""
    changed = {n: v for n, v in zip(AMENDED, values, strict=True) if getattr(contract, n) != v}
    return Contract(**{**contract.model_dump(), **changed}) if changed else contract


def amended_totals(
    where: list[Any], on: Any, known: Any = None, *, signed: bool = True
) -> Select[Any]:
    """(currency, total in minor units, contracts without a value) of the contracts matching
    `where` (and signed by `on`, unless `signed` is false), each at its value on `on` as known
    at `known`, per currency; those without a value form a row with no currency
    (`split_totals` reads the rows)."""
    rows = (
        select(
            amended("currency", on, known).label("currency"),
            amended("value_minor", on, known).label("value"),
        )
        .where(*where, *([signed_by(on)] if signed else []))
        .subquery()
    )
    return select(
        rows.c.currency, func.sum(rows.c.value), func.count() - func.count(rows.c.value)
    ).group_by(rows.c.currency)


def split_totals(rows: Sequence[Sequence[Any]]) -> tuple[list[tuple[str, int]], int]:
    """`amended_totals`' rows as the totals per currency, by currency, and the number of
    contracts with no value (counted once, in the same query as the totals)."""
    totals = sorted(
        (str(currency), int(total)) for currency, total, _ in rows
        if currency is not None and total is not None
    )  # fmt: skip
    return totals, sum(int(unvalued) for *_, unvalued in rows)


def contract_totals(
    session: Session, programme: str | Programme | None = None, on: date | None = None
) -> list[tuple[str, int]]:
    """Sum of known contract values per currency, as (currency, minor units), by currency:
    of the contracts signed by `on` at their value then (default: every contract, today)."""
    where = held(None) if programme is None else [
        col(Contract.programme_id) == resolve_programme(session, programme).id, *held(None)
    ]  # fmt: skip
    query = amended_totals(where, on or date.today(), signed=on is not None)
    return split_totals(session.execute(query).all())[0]


def amended_between(
    session: Session, programme: Programme, *when: ColumnElement[bool], known: Known = None
) -> list[tuple[Contract, ContractAmendment]]:
    """The programme's contracts with each amendment matching `when` (held at `known`), by
    effective date."""
    rows = session.execute(
        select(Contract, ContractAmendment)
        .join(ContractAmendment, col(ContractAmendment.contract_id) == col(Contract.id))
        .where(col(Contract.programme_id) == programme.id, recorded_by(ContractAmendment, known),
               *when)
        .order_by(col(ContractAmendment.effective), col(ContractAmendment.id))
    ).all()  # fmt: skip
    return [(contract, amendment) for contract, amendment in rows]


def amendments(session: Session, contract_id: int, known: Known = None) -> list[ContractAmendment]:
    """The contract's amendments the registry holds (held at `known`), by effective date."""
    return list(
        session.scalars(
            select(ContractAmendment)
            .where(
                col(ContractAmendment.contract_id) == contract_id,
                recorded_by(ContractAmendment, known),
            )
            .order_by(col(ContractAmendment.effective), col(ContractAmendment.id))
        )
    )


def _held_contract(
    session: Session, contract_id: Any, programme: str | None
) -> tuple[Contract, Programme]:
    """The contract the registry holds (not voided), with its programme locked for the write;
    with `programme`, only a contract of that programme (404 on `id` otherwise)."""
    begin_write(session)
    known = isinstance(contract_id, int) and 1 <= contract_id <= MAX_INT
    contract = session.get(Contract, contract_id, populate_existing=True) if known else None
    owner = session.get(Programme, contract.programme_id) if contract else None
    if (contract is None or owner is None or contract.voided_in is not None
            or programme not in (None, owner.slug)):  # fmt: skip
        raise NotFound(
            "id", f"no contract {contract_id}" + (f" in {programme}" if programme else "")
        )
    return contract, lock_programme(session, owner.slug, field="programme")


def amend_contract(
    session: Session,
    *,
    contract_id: Any,
    programme: str | None = None,
    effective: PartialDate | date | str | None = None,
    title: Any = None,
    amount: Any = None,
    currency: Any = None,
    quantity: Any = None,
    note: Any = None,
    correction: bool = False,
    actor: str,
    expected_version: int | None = None,
) -> Contract:
    """Amend a contract from `effective` (default today; a correction: from the signing); with
    `programme`, only a contract of that programme."""
    contract, programme_ = _held_contract(session, contract_id, programme)
    check_version(contract.version, expected_version)
    checks = Checks()
    effective_ = checks.optional_date(effective, "effective")
    # A title given must not be blank: an amendment cannot take the title away.
    title_ = None if title is None else checks.text(title, "title", max_length=300)
    value_minor, currency_ = check_value(checks, amount, currency)
    quantity_ = checks.optional_positive_int(quantity, "quantity")
    note_ = checks.optional_text(note, "note")
    checks.done()
    if title_ is None and value_minor is None and quantity_ is None:
        raise InvalidValue("value", "give a new title, value or quantity")
    signed = contract.signed_on
    when = effective_ or (signed if correction and signed else PartialDate(date.today()))
    if signed is not None and when.start < signed.start:
        raise InvalidValue("effective", f"{when} is before the contract was signed ({signed})")
    number = change_set(session, actor)
    amendment = ContractAmendment(
        contract_id=pk(contract), effective=when.start, effective_precision=when.precision.value,
        title=title_, value_minor=value_minor, currency=currency_, quantity=quantity_,
        note=note_, correction=correction, recorded_in=number,
    )  # fmt: skip
    session.add(amendment)
    before = snapshot(contract)
    contract.version += 1  # If-Match compares it; the signed values stay as they were
    session.add(contract)
    session.flush()
    record_change(
        session, actor=actor, action=Action.CORRECT if correction else Action.UPDATE,
        entity="contract", entity_id=pk(contract), key=contract_key(programme_, before),
        before=before, after={**snapshot(contract), "amendment": snapshot(amendment)},
    )  # fmt: skip
    return contract


def void_contract(
    session: Session,
    *,
    contract_id: Any,
    reason: Any,
    actor: str,
    programme: str | None = None,
    expected_version: int | None = None,
) -> None:
    """Void a contract recorded by mistake: it leaves every total and list, and stays readable
    `as_known_on` before. Refused (409 on `id`) while fleet events the registry holds name it:
    correct those first."""
    contract, programme_ = _held_contract(session, contract_id, programme)
    check_version(contract.version, expected_version)
    checks = Checks()
    reason_ = checks.text(reason, "reason", max_length=2000)
    checks.done()
    linked = (
        session.execute(
            select(col(FleetEvent.id)).where(
                col(FleetEvent.contract_id) == contract.id, recorded_by(FleetEvent, None)
            )
        )
        .scalars()
        .all()
    )
    if linked:
        events = ", ".join(str(e) for e in linked)
        raise Conflict("id", f"fleet events {events} name this contract; correct them first")
    number = change_set(session, actor)
    before = snapshot(contract)
    contract.voided_in = number
    contract.version += 1
    session.add(contract)
    session.flush()
    record_change(
        session, actor=actor, action=Action.VOID, entity="contract", entity_id=pk(contract),
        key=contract_key(programme_, before), before=before, after={"reason": reason_},
    )  # fmt: skip
