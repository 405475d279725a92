"""List queries with filters, sorting and paging, for the API and exports."""

# SQLModel types table attributes as their Python values (`str`), which SQLAlchemy's typed
# `select()` / `where()` overloads reject; the statements themselves are ordinary Core.
# mypy: disable-error-code="arg-type, call-overload"

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from registry.amendments import AMENDED, as_amended, values_on
from registry.audit import Change
from registry.checks import Checks
from registry.contracts import Contract, held, signed_by
from registry.history import Known, created_after, in_force
from registry.money import currency_code, to_minor
from registry.nations import check_nation
from registry.organisations import Organisation
from registry.paging import Page, paginate, sort_clause
from registry.participation import MembershipTerm, Participation
from registry.programme_terms import ProgrammeTerm, standing_on
from registry.programme_versions import ProgrammeVersion, as_described, version_known
from registry.programmes import Programme

Contractor = aliased(Organisation)
Awarding = aliased(Organisation)


def programmes_page(
    session: Session,
    *,
    q: str | None = None,
    category: str | None = None,
    status: str | None = None,
    nation: str | None = None,
    as_of: date | None = None,
    known: Known = None,
    agency: str | None = None,
    sort: str | None = None,
    limit: int | None = 50,
    offset: int = 0,
) -> Page[Any]:
    """Rows of (Programme, managing organisation slug, status), the last two as in force on
    `as_of` (default today) as known at `known`; programmes not recorded by then are left out."""
    on = as_of or date.today()
    # The description as known then: the programme's version held at `known`.
    d: Any = Programme if known is None else ProgrammeVersion
    query = (
        select(Programme, col(Organisation.slug), col(ProgrammeTerm.status))
        .join(
            ProgrammeTerm,
            and_(col(ProgrammeTerm.programme_id) == col(Programme.id), standing_on(on, known)),
        )
        .outerjoin(Organisation, col(ProgrammeTerm.managing_organisation_id) == Organisation.id)
    )
    if known is not None:
        query = query.add_columns(ProgrammeVersion).join(
            ProgrammeVersion,
            and_(col(ProgrammeVersion.programme_id) == col(Programme.id), version_known(known)),
        )
    if q:
        pattern = f"%{q.lower()}%"
        query = query.where(
            or_(col(d.name).ilike(pattern), col(d.acronym).ilike(pattern),
                col(Programme.slug).ilike(pattern))
        )  # fmt: skip
    if category:
        query = query.where(d.category == category)
    if status:
        query = query.where(col(ProgrammeTerm.status) == status)
    if agency:
        query = query.where(Organisation.slug == agency)
    if nation:
        checks = Checks()
        member = check_nation(session, checks, nation)
        checks.done()
        assert member is not None
        query = query.where(
            exists().where(
                col(Participation.programme_id) == col(Programme.id),
                col(Participation.nation_code) == member.code,
                col(MembershipTerm.participation_id) == col(Participation.id),
                in_force(MembershipTerm, on, known),
            )
        )
    order = sort_clause(
        sort,
        {"name": d.name, "slug": Programme.slug, "launched": d.launched,
         "category": d.category, "status": ProgrammeTerm.status},
        "name",
    )  # fmt: skip
    page = paginate(session, query.order_by(*order, Programme.id), limit=limit, offset=offset)
    if known is None:
        return page
    items = [(as_described(p, v), a, s) for p, a, s, v in page.items]
    return replace(page, items=items)


def contracts_page(
    session: Session,
    *,
    programme: str | None = None,
    id: int | None = None,
    contractor: str | None = None,
    currency: str | None = None,
    signed_from: date | None = None,
    signed_to: date | None = None,
    min_value: str | None = None,
    recorded_after: int | None = None,
    recorded_by: int | None = None,
    on: date | None = None,
    sort: str | None = None,
    limit: int | None = 50,
    offset: int = 0,
) -> Page[Any]:
    """Rows of (Contract, programme slug, contractor slug, awarding organisation slug), each
    contract with its title, value and quantity on `on` (default today; with `on`, only the
    contracts signed by then) as known at `recorded_by`; `recorded_after` / `recorded_by`
    (change-set numbers) keep the contracts first recorded after the one and by the other."""
    checks = Checks()
    code = None
    if currency:
        try:
            code = currency_code(currency)
        except ValueError as error:
            checks.fail("currency", str(error))
    minimum = None
    if min_value not in (None, ""):
        try:
            minimum = to_minor(str(min_value), code or "EUR")
        except ValueError as error:
            checks.fail("min_value", str(error))
    checks.done()
    # Filters on the contract's own columns, so the count needs no join.
    filters: list[ColumnElement[bool]] = [] if on is None else [signed_by(on)]
    value = values_on(session, on or date.today(), recorded_by)
    if programme:
        filters.append(col(Contract.programme_id) == _id_of(session, Programme, programme))
    if id is not None:
        filters.append(col(Contract.id) == id)
    if contractor:
        filters.append(col(Contract.contractor_id) == _id_of(session, Organisation, contractor))
    if code:
        filters.append(value["currency"] == code)
    if signed_from:  # every contract that may have been signed then: its latest possible day
        filters.append(func.coalesce(Contract.signed_until, Contract.signed) >= signed_from)
    if signed_to:
        filters.append(col(Contract.signed) <= signed_to)
    if minimum is not None:
        filters.append(value["value_minor"] >= minimum)
    filters.extend(held(recorded_by))
    if recorded_after is not None:
        filters.append(col(Contract.id).in_(created_after("contract", recorded_after)))
    order = sort_clause(
        sort,
        {"signed": Contract.signed, "value": value["value_minor"], "title": value["title"],
         "reference": Contract.reference, "id": Contract.id},
        "signed",
    )  # fmt: skip
    query = (
        select(
            Contract,
            col(Programme.slug),
            Contractor.slug,
            Awarding.slug,
            *(value[name].label(name) for name in AMENDED),
        )
        .join(Programme, Contract.programme_id == Programme.id)
        .outerjoin(Contractor, Contract.contractor_id == Contractor.id)
        .outerjoin(Awarding, Contract.awarding_organisation_id == Awarding.id)
        .where(*filters)
        .order_by(*order, Contract.id)
    )
    count = select(func.count(Contract.id)).where(*filters)
    page = paginate(session, query, limit=limit, offset=offset, count=count)
    return replace(page, items=[(as_amended(row[0], row[4:]), *row[1:4]) for row in page.items])


def _id_of(session: Session, table: type[Programme] | type[Organisation], slug: str) -> int:
    """The id for a slug filter; -1 (matches nothing) when no such record exists."""
    found = session.execute(select(table.id).where(table.slug == slug)).scalar()
    return int(found) if found is not None else -1


ACCOUNT_ENTITIES = ("user", "api_token")
"""Changes to accounts: kept out of the change log, shown to admins in the security log."""


def changes_page(
    session: Session,
    *,
    entity: str | None = None,
    key: str | None = None,
    within: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    hide: tuple[str, ...] = (),
    only: tuple[str, ...] = (),
    limit: int | None = 50,
    offset: int = 0,
) -> Page[Any]:
    """Rows of (Change,), newest first; changes to the `hide` entities are left out, and with
    `only`, changes to other entities.

    `within` keeps the changes to one record and to those under it: `mmf` and `mmf/DNK`.
    """
    query = select(Change)
    filters: list[ColumnElement[bool]] = []
    if entity:
        filters.append(col(Change.entity) == entity)
    if hide:
        filters.append(col(Change.entity).not_in(hide))
    if only:
        filters.append(col(Change.entity).in_(only))
    if key:
        filters.append(col(Change.key) == key)
    if within:
        under = col(Change.key).startswith(f"{within}/", autoescape=True)
        filters.append(or_(col(Change.key) == within, under))
    if actor:
        filters.append(col(Change.actor) == actor)
    if since:
        filters.append(col(Change.at) >= since)
    if filters:
        query = query.where(and_(*filters))
    return paginate(session, query.order_by(col(Change.id).desc()), limit=limit, offset=offset)
