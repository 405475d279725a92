"""Request bodies of the organisation writes (the answers are `api.wire.OrganisationOut`)."""

from __future__ import annotations

from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType

from api.wire import Name, Slug
from registry.choices import OrganisationKind

KindChoice = Annotated[
    str, Meta(extra_json_schema={"enum": [kind.value for kind in OrganisationKind]})
]
Country = Annotated[
    str,
    Meta(
        description="A nation the registry holds (alpha-3, alpha-2 or English name; answered "
        "as alpha-3); empty or null for none",
        examples=["ITA"],
    ),
]


class OrganisationIn(Struct, forbid_unknown_fields=True):
    slug: Slug
    name: Name
    kind: KindChoice
    country: Country | None = None


class OrganisationPatch(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Only the fields given change; the slug stays as created."""

    name: Name | UnsetType = UNSET
    kind: KindChoice | UnsetType = UNSET
    country: Country | UnsetType | None = UNSET
