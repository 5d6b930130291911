"""Domain errors. The API's exception handler maps each to an HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused the request; nothing was changed."""

    http_status = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details


class IllegalTransition(DomainError):
    """The requested state change is not allowed from the current state (HTTP 409)."""

    http_status = 409
    code = "illegal_transition"


class InsufficientFunds(DomainError):
    http_status = 402
    code = "insufficient_funds"


class NotAllowed(DomainError):
    http_status = 403
    code = "not_allowed"


class Conflict(DomainError):
    http_status = 409
    code = "conflict"


class NothingChanged(DomainError):
    """A change that changes nothing: nothing is started and nothing is charged (HTTP 400)."""

    code = "nothing_changed"
