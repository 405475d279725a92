"""Nations: the 32 Allies and the partners the data needs, keyed by ISO 3166-1 alpha-3."""

from __future__ import annotations

from datetime import date
from typing import Any

import pycountry
from sqlalchemy import func
from sqlmodel import Field, Session, SQLModel, select

from registry.audit import begin_write, record_change, snapshot
from registry.checks import Checks
from registry.choices import Action, NationKind
from registry.errors import Conflict, NotFound

# Names people still write that ISO 3166 no longer lists.
_ALIASES = {
    "turkey": "TUR",
    "czech republic": "CZE",
    "great britain": "GBR",
    "britain": "GBR",
    "uk": "GBR",
    "usa": "USA",
    "united states of america": "USA",
    "macedonia": "MKD",
}


class Nation(SQLModel, table=True):
    __tablename__ = "nation"

    code: str = Field(primary_key=True, max_length=3)
    """ISO 3166-1 alpha-3, the canonical code everywhere (`DNK`)."""
    name: str = Field(max_length=100)
    kind: str = Field(max_length=10)
    """A NationKind: `ally` or `partner`."""
    nato_member_since: date | None = None
    """NATO accession date; null for partners."""


def nation_code(value: Any) -> str | None:
    """The alpha-3 code for an alpha-3 / alpha-2 code or English name, also as running text
    spells it ("the Netherlands", "the United Kingdom"); None when unknown."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.casefold().startswith("the ") and len(text) > 4:
        text = text[4:].strip()
    if text.casefold() in _ALIASES:
        return _ALIASES[text.casefold()]
    try:
        return str(pycountry.countries.lookup(text).alpha_3)
    except LookupError:
        return None


def nation_number(code: str) -> int:
    """A nation's ISO 3166-1 numeric code (NLD -> 528): the integer that names it where a record
    is named by number (a citation's `entity_id`). LookupError for a code ISO 3166 lacks."""
    country = pycountry.countries.get(alpha_3=code.upper()) if isinstance(code, str) else None
    if country is None:
        raise LookupError(f"no ISO 3166 country {code!r}")
    return int(country.numeric)


def nation_of_number(number: int) -> str | None:
    """The alpha-3 code of an ISO 3166-1 numeric code (528 -> NLD); None when none has it."""
    if isinstance(number, bool) or not isinstance(number, int) or not 0 < number < 1000:
        return None
    country = pycountry.countries.get(numeric=f"{number:03d}")
    return str(country.alpha_3) if country else None


def find_nation(session: Session, value: Any) -> Nation | None:
    """The registry's nation for a code or name, or None."""
    code = nation_code(value)
    if code is None and isinstance(value, str):
        return session.exec(
            select(Nation).where(func.lower(Nation.name) == value.strip().casefold())
        ).first()
    return session.get(Nation, code) if code else None


def get_nation(session: Session, value: Any, *, field: str = "code") -> Nation:
    """The registry's nation named by an address or parameter; 404 naming `field` otherwise."""
    checks = Checks()
    nation = check_nation(session, checks, value, field)
    if nation is None:
        raise NotFound(checks.errors)
    return nation


def check_nation(
    session: Session, checks: Checks, value: Any, field: str = "nation"
) -> Nation | None:
    """Resolve `value` to a registry nation, or note a field error naming what is accepted."""
    nation = find_nation(session, value)
    if nation is None:
        code = nation_code(value)
        if code:
            checks.fail(field, f"{code} is not a nation of the registry")
        else:
            checks.fail(
                field,
                f"unknown nation {value!r}: give an ISO 3166 alpha-3 or alpha-2 code "
                "or an English name",
            )
    return nation


def add_nation(
    session: Session,
    *,
    code: str,
    kind: str,
    nato_member_since: date | None = None,
    name: str | None = None,
    actor: str,
) -> Nation:
    """Add a nation to the registry (reference data, normally loaded by `registry seed`)."""
    begin_write(session)
    checks = Checks()
    alpha3 = nation_code(code)
    if alpha3 is None:
        checks.fail("code", f"unknown nation {code!r}")
    kind_ = checks.choice(NationKind, kind, "kind")
    if kind == NationKind.ALLY and nato_member_since is None:
        checks.fail("nato_member_since", "an ally needs its NATO accession date")
    checks.done()
    assert alpha3 is not None
    if session.get(Nation, alpha3) is not None:
        raise Conflict("code", f"{alpha3} is already in the registry")
    country = pycountry.countries.get(alpha_3=alpha3)
    nation = Nation(
        code=alpha3,
        name=name or getattr(country, "common_name", None) or str(getattr(country, "name", alpha3)),
        kind=kind_.value,
        nato_member_since=nato_member_since,
    )
    session.add(nation)
    session.flush()
    record_change(
        session, actor=actor, action=Action.CREATE, entity="nation", key=alpha3,
        before=None, after=snapshot(nation),
    )  # fmt: skip
    return nation


def update_nation(
    session: Session, *, code: str, nato_member_since: date | None, actor: str
) -> Nation:
    """Change an Ally's accession day (a partner has none). Nations are reference data, held
    as they are now and not on the two time axes: the change log keeps the day replaced."""
    begin_write(session)
    nation = get_nation(session, code)
    checks = Checks()
    if nation.kind == NationKind.ALLY and nato_member_since is None:
        checks.fail("nato_member_since", "an ally needs its NATO accession date")
    if nation.kind != NationKind.ALLY and nato_member_since is not None:
        checks.fail("nato_member_since", f"{nation.code} is a partner: it has no accession date")
    checks.done()
    if nation.nato_member_since == nato_member_since:
        return nation
    before = snapshot(nation)
    nation.nato_member_since = nato_member_since
    session.add(nation)
    session.flush()
    record_change(
        session, actor=actor, action=Action.UPDATE, entity="nation", key=nation.code,
        before=before, after=snapshot(nation),
    )  # fmt: skip
    return nation


def list_nations(session: Session, *, kind: str | None = None) -> list[Nation]:
    query = select(Nation).order_by(Nation.name)
    if kind:
        query = query.where(Nation.kind == kind)
    return list(session.exec(query))
