"""Every choice set of the registry, in one place."""

from enum import StrEnum


class NationKind(StrEnum):
    ALLY = "ally"
    PARTNER = "partner"


class OrganisationKind(StrEnum):
    AGENCY = "agency"
    CONTRACTOR = "contractor"
    GOVERNING_BODY = "governing_body"


class Category(StrEnum):
    HIGH_VISIBILITY_PROJECT = "high-visibility-project"
    MULTINATIONAL_FLEET = "multinational-fleet"
    INNOVATION = "innovation"
    FRAMEWORK_CONTRACTS = "framework-contracts"
    PARTNERSHIP = "partnership"


class ProgrammeStatus(StrEnum):
    INTENT = "intent"
    """Nations have signed a letter of intent; nothing is bought or run yet."""
    ANNOUNCED = "announced"
    """Announced, not yet set up."""
    PLANNED = "planned"
    ACTIVE = "active"
    CLOSED = "closed"


class Role(StrEnum):
    LEAD = "lead"
    PARTICIPANT = "participant"
    OBSERVER = "observer"
    PARTNER = "partner"
    HOST = "host"
    """Hosts part of what the programme runs (e.g. an innovation range)."""


class Instrument(StrEnum):
    LETTER_OF_INTENT = "letter_of_intent"
    MOU = "mou"
    ACCESSION = "accession"
    AGREEMENT = "agreement"


class ContractKind(StrEnum):
    ACQUISITION = "acquisition"
    FRAMEWORK = "framework"
    SUPPORT = "support"
    AMENDMENT = "amendment"


class FleetEventKind(StrEnum):
    ORDERED = "ordered"
    DELIVERED = "delivered"
    RETIRED = "retired"


class Confidence(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class UserRole(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"


class RequestStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPLIED = "applied"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class ReviewSetting(StrEnum):
    OPTIONAL = "optional"
    REQUIRED = "required"


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    CORRECT = "correct"
    VOID = "void"


_SPOKEN = {"mou": "MoU", "high-visibility-project": "high-visibility project"}


def label(code: str | None) -> str:
    """A code as people read it (`letter_of_intent` → "letter of intent", `mou` → "MoU"), for
    the reports and the staff pages; no code reads as a dash."""
    if code is None or code == "":
        return "—"
    return _SPOKEN.get(code) or code.replace("_", " ").replace("-", " ")
