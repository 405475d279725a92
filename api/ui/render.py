"""Jinja2 for the staff pages: the report filters, autoescaping, strict about missing values."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from litestar import Request, Response
from litestar.enums import MediaType
from sqlmodel import Session

from api.ui.changelog import changed_fields
from registry.change_requests import open_count
from registry.choices import UserRole, label
from registry.errors import RegistryError
from registry.export import percent_text
from registry.users import User
from reports.render import money, percent, when


def share_text(bp: int | None) -> str:
    """Basis points as the percentage a form field shows: 1250 → "12.5"."""
    return percent_text(bp) or ""


def options(choices: Iterable[StrEnum]) -> list[tuple[str, str]]:
    """A choice set as (value, label) pairs for a select."""
    return [(choice.value, label(choice.value)) for choice in choices]


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("api", "templates/ui"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        when=when, money=money, percent=percent, share=share_text, options=options, label=label
    )
    env.globals["changed_fields"] = changed_fields  # the change log as people read it
    return env


ENVIRONMENT = _environment()


def errors_by_field(error: RegistryError) -> dict[str, str]:
    """The messages of a refused write, one line per field."""
    found: dict[str, list[str]] = {}
    for item in error.errors:
        found.setdefault(item.field, []).append(item.message)
    return {field: "; ".join(messages) for field, messages in found.items()}


def _waiting(request: Request[Any, Any, Any]) -> int:
    """How many change requests wait for review (the menu shows it)."""
    with Session(request.app.state.engine) as session:
        return open_count(session)


def page(
    request: Request[Any, Any, Any], template: str, *, status: int = 200, **context: Any
) -> Response[str]:
    """A staff page; the layout learns who is signed in and the form token from the request."""
    user: User | None = getattr(request.state, "user", None)
    web_session = getattr(request.state, "web_session", None)
    html = ENVIRONMENT.get_template(template).render(
        user=user,
        waiting=_waiting(request) if user is not None else 0,
        can_edit=user is not None and user.role in (UserRole.EDITOR, UserRole.ADMIN),
        csrf_token=web_session.csrf_token if web_session is not None else "",
        here=request.url.path,
        status=status,
        **context,
    )
    return Response(html, media_type=MediaType.HTML, status_code=status)
