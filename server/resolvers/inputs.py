"""Turning GraphQL input values into domain values, with errors that name the field."""

from __future__ import annotations

import base64
import re
from typing import Any, Iterable

import strawberry

from server.domain import limits
from server.domain.errors import LimitExceeded, ValidationError
from server.resolvers.context import scope_of

MAX_PAGE = 100
# bounds the size of one response: every list of work items or timeline entries an operation
# resolves charges its `first` (so three aliased lists of 100 fit; a fourth, or a list of 100
# entries inside each item of a list, does not)
MAX_LISTED_PER_OPERATION = 300
_INTEGER = re.compile(r"-?[0-9]+")
_MAX_DIGITS = 20  # more names no stored number, and int() of a long text is slow


def to_id(value: Any, field: str) -> int:
    text = str(value).strip()
    if not _INTEGER.fullmatch(text):
        raise ValidationError.single(field, f"{field} must be a numeric id, got {str(value)[:40]!r}")
    if len(text) > _MAX_DIGITS or int(text) > limits.MAX_DB_INT:
        raise ValidationError.single(field, f"{field} must be an id of at most {limits.MAX_DB_INT}")
    number = int(text)
    if number <= 0:
        raise ValidationError.single(field, f"{field} must be a positive id")
    return number


def to_db_int(text: str, field: str) -> int:
    """A whole number carried by a cursor, checked to fit the database's integers (ValueError)."""
    if not _INTEGER.fullmatch(text) or len(text) > _MAX_DIGITS or not limits.fits_db_int(int(text)):
        raise ValueError(f"{field} holds no stored integer")
    return int(text)


def to_ids(values: Iterable[Any], field: str) -> list[int]:
    return [to_id(v, field) for v in values]


def provided(input_object: Any) -> dict[str, Any]:
    """The fields of an input object the client actually sent (UNSET ones left out)."""
    return {
        name: value
        for name, value in vars(input_object).items()
        if value is not strawberry.UNSET and not name.startswith("_")
    }


def page_size(first: int, info: Any = None) -> int:
    """`first` checked; with `info`, charged to the operation's MAX_LISTED_PER_OPERATION."""
    if not 1 <= first <= MAX_PAGE:
        raise ValidationError.single("first", f"first must be between 1 and {MAX_PAGE}, got {first}")
    if info is not None:
        scope = scope_of(info)
        scope.listed += first
        if scope.listed > MAX_LISTED_PER_OPERATION:
            raise LimitExceeded(
                f"One operation may list at most {MAX_LISTED_PER_OPERATION} items in all (the sum of `first` "
                "over its lists, a nested list counted for each parent); ask for fewer, or page.",
                field="first",
            )
    return first


def encode_cursor(kind: str, key: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode()


def decode_cursor(cursor: str, kind: str, field: str = "after") -> int:
    try:
        decoded = base64.urlsafe_b64decode(cursor.encode()).decode()
        prefix, _, key = decoded.partition(":")
        if prefix != kind:
            raise ValueError
        return to_db_int(key, field)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError.single(field, f"{field} is not a cursor this list gave out") from None
