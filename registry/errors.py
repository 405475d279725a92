"""Domain errors. Each names the fields it concerns; callers map `status` to their medium."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    row: int | None = None
    """For bulk imports: the file's row (1 = the first data row)."""


class RegistryError(Exception):
    """A request the registry refuses; nothing has been written."""

    status = 400
    title = "Bad request"

    def __init__(self, errors: list[FieldError] | FieldError | str, message: str | None = None):
        if isinstance(errors, str):
            errors = [FieldError(errors, message or self.title)]
        elif isinstance(errors, FieldError):
            errors = [errors]
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))

    @property
    def fields(self) -> list[str]:
        return [e.field for e in self.errors]


class InvalidValue(RegistryError):
    """A value breaks a rule (bad code, bad date, bad money, shares over 100 %...)."""

    status = 422
    title = "Rule broken"


class BadParameter(RegistryError):
    """A query parameter that is not a value of its kind (a date that is not one)."""

    title = "Bad query parameter"


class NotFound(RegistryError):
    status = 404
    title = "Not found"


class Conflict(RegistryError):
    """The record exists already (slug taken, nation already active)."""

    status = 409
    title = "Conflict"


class StaleVersion(RegistryError):
    """The record changed since the caller read it."""

    status = 412
    title = "Record changed since it was read"


class Unauthorized(RegistryError):
    status = 401
    title = "Not signed in"


class Forbidden(RegistryError):
    status = 403
    title = "Not allowed"


class Unavailable(RegistryError):
    """The registry cannot answer now (database busy or unreachable); try again shortly."""

    status = 503
    title = "Service unavailable"
