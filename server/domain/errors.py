"""Expected failures of domain actions, each with a stable machine-readable code.

The API layer turns them into GraphQL errors with `extensions.code`; anything else that escapes a
resolver is unexpected, masked for clients and logged.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str


class DomainError(Exception):
    code = "ERROR"

    def __init__(self, message: str, *, field: str | None = None, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details

    def extensions(self) -> dict[str, object]:
        ext: dict[str, object] = {"code": self.code}
        if self.field:
            ext["field"] = self.field
        ext.update(self.details)
        return ext


class ValidationError(DomainError):
    """Input that breaks a rule; lists every problem at once."""

    code = "VALIDATION"

    def __init__(self, message: str, problems: list[FieldProblem] | None = None, *, field: str | None = None) -> None:
        problems = problems or ([FieldProblem(field, message)] if field else [])
        super().__init__(message, field=field or (problems[0].field if len(problems) == 1 else None))
        self.problems = problems

    @classmethod
    def single(cls, field: str, message: str) -> "ValidationError":
        return cls(message, [FieldProblem(field, message)], field=field)

    def extensions(self) -> dict[str, object]:
        ext = super().extensions()
        ext["fields"] = [{"field": p.field, "message": p.message} for p in self.problems]
        return ext


class NotFound(DomainError):
    """Missing — or outside the viewer's scope, which must look exactly the same."""

    code = "NOT_FOUND"


class Forbidden(DomainError):
    code = "FORBIDDEN"


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"


class Conflict(DomainError):
    code = "CONFLICT"


class InvalidTransition(DomainError):
    code = "INVALID_TRANSITION"


class RateLimited(DomainError):
    code = "RATE_LIMITED"


class LimitExceeded(DomainError):
    code = "LIMIT_EXCEEDED"
