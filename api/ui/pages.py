"""The staff pages that only read: programmes, one programme, the nations, one nation, the change
log, the reports."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect
from sqlmodel import Session, col, func, select

from api.routes.diff import days_between
from api.routes.params import as_of_day
from api.routes.reports import ReportFormat, report_response
from api.ui.render import page
from registry.audit import Change
from registry.checks import MAX_INT
from registry.choices import Category, ProgrammeStatus
from registry.diff import between_dates
from registry.errors import NotFound
from registry.fleet import fleet_timeline
from registry.history import in_force
from registry.instruments import instruments_of
from registry.nations import get_nation, list_nations, nation_code
from registry.organisations import list_organisations
from registry.participation import (
    MembershipTerm,
    Participation,
    members_on,
    nation_programmes_on,
    participation_history,
)
from registry.programmes import get_programme
from registry.search import ACCOUNT_ENTITIES, changes_page, contracts_page, programmes_page
from registry.views import programme_view

PER_PAGE = 50
HISTORY_SHOWN = 20
"""The programme page shows its most recent changes; the change log pages through the rest."""
PageNumber = Annotated[int, QueryParameter(name="page", ge=1, le=100_000)]


def _offset(number: int) -> int:
    return (number - 1) * PER_PAGE


@get("/", sync_to_thread=False)
def home() -> Redirect:
    """The programmes are where staff start."""
    return Redirect("/ui/programmes", status_code=303)


@get("/programmes", sync_to_thread=False)
def programmes(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    q: FromQuery[str | None] = None,
    category: FromQuery[str | None] = None,
    status: FromQuery[str | None] = None,
    nation: FromQuery[str | None] = None,
    number: PageNumber = 1,
) -> Response[str]:
    """Find a programme by name, acronym or slug; filter by category, status, member today."""
    found = programmes_page(
        session, q=q or None, category=category or None, status=status or None,
        nation=nation or None, limit=PER_PAGE, offset=_offset(number),
    )  # fmt: skip
    filters = {"q": q, "category": category, "status": status, "nation": nation}
    return page(
        request, "programmes.html", found=found, number=number, per_page=PER_PAGE,
        filters={name: value or "" for name, value in filters.items()},
        categories=list(Category), statuses=list(ProgrammeStatus),
        nations=list_nations(session), names=organisation_names(session),
    )  # fmt: skip


def organisation_names(session: Session) -> dict[str, str]:
    """Each organisation's name by its slug: pages name agencies and contractors as people do."""
    return {o.slug: o.name for o in list_organisations(session)}


def _saved(session: Session, saved: int | None, slug: str) -> Change | None:
    """The change a form just made, to confirm it (only one of this programme's)."""
    if not saved or not 0 < saved <= MAX_INT:  # a larger id is no row, and no column holds it
        return None
    change = session.get(Change, saved)
    if change is None or change.entity in ACCOUNT_ENTITIES:
        return None
    return change if change.key == slug or change.key.startswith(f"{slug}/") else None


DayParam = Annotated[
    str | None,
    QueryParameter(description="The date to show (YYYY-MM-DD, YYYY-MM or YYYY); default today."),
]


@get("/programmes/{slug:str}", sync_to_thread=False)
def programme(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    saved: FromQuery[int | None] = None,
    as_of: DayParam = None,
    compare_from: Annotated[str | None, QueryParameter(name="from")] = None,
    compare_to: Annotated[str | None, QueryParameter(name="to")] = None,
) -> Response[str]:
    """Members on a date (default today) and at other times, contracts, fleet, the programme's
    history and its report; with `from` and `to`, what changed between the two dates."""
    today = as_of_day(as_of or None)
    view = programme_view(session, slug, today)
    programme_ = get_programme(session, slug)
    current = {spell.id for spell, _ in members_on(session, slug, today)}
    others = [  # spells that ended by then, or had not begun
        (spell, nation)
        for spell, nation in participation_history(session, slug)
        if spell.id not in current
    ]
    compared = None
    if compare_from or compare_to:
        first, last = days_between(compare_from or None, compare_to or None)
        compared = (first, last, between_dates(session, slug, first, last))
    return page(
        request, "programme.html", view=view, others=others, today=today,
        picked=as_of or "", compared=compared,
        compare={"from": compare_from or "", "to": compare_to or ""},
        contracts=contracts_page(session, programme=slug, sort="-signed", limit=PER_PAGE),
        fleet=fleet_timeline(session, slug),
        instruments=instruments_of(session, programme_, today),
        history=changes_page(session, within=slug, hide=ACCOUNT_ENTITIES, limit=HISTORY_SHOWN),
        per_page=PER_PAGE, names=organisation_names(session),
        saved=_saved(session, saved, slug), nothing_saved=saved == 0,
        review=programme_.review,
    )  # fmt: skip


def programmes_per_nation(session: Session, on: date) -> dict[str, int]:
    """How many programmes each nation takes part in on `on`, by the terms then in force (those
    that `nation_programmes_on` lists); nations in none are left out."""
    rows = session.exec(
        select(Participation.nation_code, func.count(func.distinct(Participation.programme_id)))
        .join(MembershipTerm, col(MembershipTerm.participation_id) == col(Participation.id))
        .where(in_force(MembershipTerm, on))
        .group_by(col(Participation.nation_code))
    )
    return dict(rows.all())


@get("/nations", sync_to_thread=False)
def nations(
    request: Request[Any, Any, Any], session: NamedDependency[Session], as_of: DayParam = None
) -> Response[str]:
    """Every nation of the registry: its kind, NATO accession and how many programmes it takes
    part in on a date (default today)."""
    today = as_of_day(as_of or None)
    return page(
        request, "nations.html", nations=list_nations(session),
        counts=programmes_per_nation(session, today), today=today, picked=as_of or "",
    )  # fmt: skip


@get("/nations/{code:str}", sync_to_thread=False)
def nation(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    code: FromPath[str],
    as_of: DayParam = None,
) -> Response[str]:
    """The programmes a nation takes part in on a date (default today), and its history in the
    change log."""
    today = as_of_day(as_of or None)
    nation_ = get_nation(session, code)
    memberships = nation_programmes_on(session, nation_.code, today)
    changes = session.exec(
        select(Change)
        .where(Change.entity == "participation", col(Change.key).endswith(f"/{nation_.code}"))
        .order_by(col(Change.id).desc())
        .limit(PER_PAGE)
    ).all()
    return page(
        request, "nation.html", nation=nation_, memberships=memberships, changes=changes,
        today=today, picked=as_of or "",
    )  # fmt: skip


@get("/changes", sync_to_thread=False)
def changes(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    entity: FromQuery[str | None] = None,
    actor: FromQuery[str | None] = None,
    within: FromQuery[str | None] = None,
    number: PageNumber = 1,
) -> Response[str]:
    """Every change, newest first: who, when, what, before and after."""
    found = changes_page(
        session, entity=entity or None, actor=actor or None, within=within or None,
        hide=ACCOUNT_ENTITIES, limit=PER_PAGE, offset=_offset(number),
    )  # fmt: skip
    return page(
        request, "changes.html", found=found, number=number, per_page=PER_PAGE,
        filters={"entity": entity or "", "actor": actor or "", "within": within or ""},
    )  # fmt: skip


@get("/reports/programmes/{slug:str}")
async def programme_report(
    request: Request[Any, Any, Any], slug: FromPath[str], format: ReportFormat = None
) -> Response[bytes]:
    """The programme's membership report, as /reports serves it, for whoever is signed in
    (even where the API's reads need a token)."""
    return await report_response(request, "programme", slug, None, format)


@get("/reports/nations/{code:str}")
async def nation_report(
    request: Request[Any, Any, Any], code: FromPath[str], format: ReportFormat = None
) -> Response[bytes]:
    """The nation's participation report, as /reports serves it."""
    alpha3 = nation_code(code)
    if alpha3 is None:
        raise NotFound("code", f"unknown nation {code!r}")
    return await report_response(request, "nation", alpha3, None, format)


@get("/reports/membership")
async def membership_report(
    request: Request[Any, Any, Any], format: ReportFormat = None
) -> Response[bytes]:
    """The alliance membership matrix, as /reports serves it."""
    return await report_response(request, "membership", "", None, format)


@get("/reports/contracts")
async def contracts_report(
    request: Request[Any, Any, Any], format: ReportFormat = None
) -> Response[bytes]:
    """The contracts summary, as /reports serves it."""
    return await report_response(request, "contracts", "", None, format)
