"""Contracts signed within programmes; value as integer minor units and a currency."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import BigInteger, BindParameter, ColumnElement, Index, UniqueConstraint, or_
from sqlmodel import Field, Session, SQLModel, col, select

from registry.audit import record_change, snapshot
from registry.checks import Checks
from registry.choices import Action, ContractKind
from registry.database import pk
from registry.dates import PartialDate
from registry.errors import Conflict
from registry.history import Known, created_after, dated_by
from registry.money import currency_code, format_minor, to_minor
from registry.organisations import Organisation, check_organisation, find_organisation
from registry.programmes import Programme, lock_programme, resolve_programme


class Contract(SQLModel, table=True):
    __tablename__ = "contract"
    __table_args__ = (
        UniqueConstraint("programme_id", "reference"),
        # Lists filtered by currency (and value) walk this index in date order, and count their
        # rows from it alone.
        Index("ix_contract_currency_signed_value", "currency", "signed", "value_minor"),
    )

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    contractor_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    awarding_organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    reference: str | None = Field(default=None, max_length=100)
    """The awarding body's reference, unique within the programme when given."""
    title: str = Field(max_length=300)
    kind: str = Field(max_length=12)
    signed: date | None = Field(default=None, index=True)
    signed_precision: str | None = Field(default=None, max_length=5)
    signed_until: date | None = None
    """The latest day it may have been signed: the end of its period (a span's latest day), so
    a filter takes in every contract that may fall in its range."""
    value_minor: int | None = Field(default=None, sa_type=BigInteger)
    """Value in the currency's minor units (cents); None when not published."""
    currency: str | None = Field(default=None, max_length=3)
    quantity: int | None = None
    item: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=2000)
    version: int = 1
    voided_in: int | None = Field(default=None, foreign_key="change_set.id")
    """The change set that voided it (recorded by mistake); None while it stands."""

    @property
    def signed_on(self) -> PartialDate | None:
        return PartialDate.stored(self.signed, self.signed_precision, self.signed_until)

    @property
    def amount(self) -> str | None:
        """The value as the decimal string clients see ("4700000000.00")."""
        if self.value_minor is None or self.currency is None:
            return None
        return format_minor(self.value_minor, self.currency)


def check_value(checks: Checks, amount: Any, currency: Any) -> tuple[int | None, str | None]:
    if amount in (None, "") and currency in (None, ""):
        return None, None
    if currency in (None, ""):
        checks.fail("currency", "is required with an amount")
        return None, None
    try:
        code = currency_code(currency)
    except ValueError as error:
        checks.fail("currency", str(error))
        return None, None
    if amount in (None, ""):
        checks.fail("amount", "is required with a currency")
        return None, None
    try:
        return to_minor(amount, code), code
    except ValueError as error:
        checks.fail("amount", str(error))
        return None, None


def contract_columns(
    session: Session,
    programme: Programme,
    *,
    title: str,
    kind: str,
    reference: str | None = None,
    signed: PartialDate | date | str | None = None,
    amount: Any = None,
    currency: str | None = None,
    contractor: str | None = None,
    awarding_organisation: str | None = None,
    quantity: Any = None,
    item: str | None = None,
    note: str | None = None,
    find: Callable[[Session, Any], Organisation | None] = find_organisation,
) -> dict[str, Any]:
    """Check a contract's fields, each refusal naming its field; the columns of its row."""
    checks = Checks()
    title_ = checks.text(title, "title", max_length=300)
    kind_ = checks.choice(ContractKind, kind, "kind")
    reference_ = checks.optional_text(reference, "reference", max_length=100)
    signed_ = checks.optional_date(signed, "signed", spans=True)
    value_minor, currency_ = check_value(checks, amount, currency)
    contractor_ = check_organisation(session, checks, contractor, "contractor", find)
    awarding = check_organisation(session, checks, awarding_organisation, "awarding_organisation",
                                  find)  # fmt: skip
    quantity_ = checks.optional_positive_int(quantity, "quantity")
    item_ = checks.optional_text(item, "item", max_length=200)
    note_ = checks.optional_text(note, "note")
    checks.done()
    return {
        "programme_id": pk(programme),
        "contractor_id": contractor_.id if contractor_ else None,
        "awarding_organisation_id": awarding.id if awarding else None,
        "reference": reference_,
        "title": title_,
        "kind": kind_.value,
        "signed": signed_.start if signed_ else None,
        "signed_precision": signed_.precision.value if signed_ else None,
        "signed_until": signed_.end if signed_ else None,
        "value_minor": value_minor,
        "currency": currency_,
        "quantity": quantity_,
        "item": item_,
        "note": note_,
        "version": 1,
    }


def reference_taken(programme: Programme, reference: str) -> Conflict:
    return Conflict("reference", f"{programme.slug} has a contract {reference!r} already")


def contract_key(programme: Programme, columns: dict[str, Any]) -> str:
    """The readable key of a contract's audit rows."""
    return f"{programme.slug}/{columns['reference'] or columns['id']}"


def add_contract(session: Session, *, programme: str, actor: str, **fields: Any) -> Contract:
    """Record a contract signed in a programme; the amount is a decimal string, never a float.
    The fields are `contract_columns`'s."""
    programme_ = lock_programme(session, programme, field="programme")
    columns = contract_columns(session, programme_, **fields)
    reference = columns["reference"]
    if reference and find_contract(session, programme_, reference) is not None:
        raise reference_taken(programme_, reference)
    contract = Contract(**columns)
    session.add(contract)
    session.flush()
    record_change(
        session, actor=actor, action=Action.CREATE, entity="contract",
        key=contract_key(programme_, snapshot(contract)), before=None, after=snapshot(contract),
    )  # fmt: skip
    return contract


def find_contract(session: Session, programme: Programme, reference: str) -> Contract | None:
    return session.exec(
        select(Contract).where(
            Contract.programme_id == programme.id, Contract.reference == reference
        )
    ).first()


def programme_contracts(session: Session, programme: str | Programme) -> list[Contract]:
    programme_ = resolve_programme(session, programme)
    query = (
        select(Contract)
        .where(Contract.programme_id == programme_.id)
        .order_by(col(Contract.signed), col(Contract.id))
    )
    return list(session.exec(query))


def signed_by(on: Any) -> ColumnElement[bool]:
    """Contracts signed on or before `on`; one without a known date counts as always signed."""
    return dated_by(Contract.signed, on)


def held(known: Known | BindParameter[Any] = None) -> list[ColumnElement[bool]]:
    """The contracts the registry held at `known` (default now): recorded by then and not
    voided by then. Every read of contracts filters with this."""
    voided = col(Contract.voided_in)
    if known is None:
        return [voided.is_(None)]
    return [
        col(Contract.id).not_in(created_after("contract", known)),
        or_(voided.is_(None), voided > known),
    ]
