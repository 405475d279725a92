"""Plain factory functions with overrides, writing through the registry's own rules."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from registry.organisations import Organisation, create_organisation
from registry.programmes import Programme, create_programme

ACTOR = "tester"


def make_organisation(session: Session, **overrides: Any) -> Organisation:
    fields: dict[str, Any] = {"slug": "nspa", "name": "NSPA", "kind": "agency"}
    return create_organisation(session, actor=ACTOR, **(fields | overrides))


def make_programme(session: Session, **overrides: Any) -> Programme:
    fields: dict[str, Any] = {
        "slug": "mmf",
        "name": "Multinational Multi Role Tanker Transport Fleet",
        "category": "multinational-fleet",
        "asset_type": "A330 MRTT",
        "launched": "2012",
    }
    return create_programme(session, actor=ACTOR, **(fields | overrides))
