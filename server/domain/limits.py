"""The size limits of what clients send, in one place for every caller (GraphQL, mail, portal).

Every text field has a maximum length in characters (TEXT_MAXIMA by the API's field name; a name
not listed gets DEFAULT_TEXT_MAX); a JSON value (custom data, a filter value) must be standard
JSON — finite numbers only — and at most MAX_JSON_BYTES once encoded. Domain actions call
`check(...)` first thing with what they were given; it lists every problem at once.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any, Mapping

from server.domain.errors import FieldProblem, ValidationError

LONG_TEXT = 100_000  # a description, a note, an email body, a comment
REFERENCE = 32  # a work item reference such as T-1002, given to point at an item
ADDRESS = 320  # an email address (RFC 5321: 64 + 1 + 255)

TEXT_MAXIMA: dict[str, int] = {
    "title": 500,
    "label": 500,  # a checklist line
    "name": 200,  # a department, user group or API key
    "senderName": 200,
    "description": LONG_TEXT,
    "body": LONG_TEXT,
    "note": LONG_TEXT,
    "comment": LONG_TEXT,
    "reason": 10_000,
    "signature": 10_000,
    "subject": 1_000,
    "textBody": LONG_TEXT,  # an email's (server/domain/compose.py), a template's
    "htmlBody": 500_000,  # before it is sanitised
    "address": 998,  # a recipient as written, display name and all (one header line); also a mailbox's, an alias's, a route's
    "contentId": 250,  # an inline attachment's Content-ID
    "language": 35,  # a BCP 47 tag
    "email": ADDRESS,
    "to": ADDRESS,
    "cc": ADDRESS,
    "aliases": ADDRESS,
    "password": 1_024,
    "addresses": 998,  # recipients as written, to ask which are other teams' mailboxes
    # the mail administration: servers, accounts, addresses (an "address" as above)
    "fromAddress": ADDRESS,
    "host": 255,
    "imapHost": 255,
    "username": ADDRESS,
    "imapUsername": ADDRESS,
    "imapPassword": 1_024,
    "imapFolder": 200,
    "search": ADDRESS,  # what blocked addresses are searched by
    "text": 500,  # the title text a list is filtered by
    "key": 200,  # a custom data key
    "ref": REFERENCE,
    "refs": REFERENCE,
    "into": REFERENCE,
    "linkTo": REFERENCE,
    "copyOf": REFERENCE,
    "otherRef": REFERENCE,
    "toRef": REFERENCE,
    "fromRef": REFERENCE,
    "after": 4_096,  # a cursor
    # what the audit log is filtered by (models.audit.AuditEntry's columns)
    "targetType": 32,
    "targetId": 64,
    "action": 64,
    "kind": 32,  # an import's kind (server/domain/imports/jobs.py KINDS; models.imports.ImportJob.kind)
    "token": 200,  # an invitation token (server/domain/organisation/users.py)
    "timeZone": 64,  # a contact's IANA zone name
    "office": 200,
    "phone": 64,
    "tags": 100,  # one tag's name
    "tag": 100,  # the tag contacts are listed by
}
DEFAULT_TEXT_MAX = LONG_TEXT
JSON_FIELDS = frozenset({"customData", "value"})
MAX_JSON_BYTES = 64 * 1024

# ids and stored counts are 32-bit `integer` columns: a larger number names nothing that exists,
# and PostgreSQL refuses it as a query parameter
MAX_DB_INT = 2**31 - 1
MIN_DB_INT = -(2**31)

MAX_JSON_DEPTH = 32


def fits_db_int(value: int) -> bool:
    return MIN_DB_INT <= value <= MAX_DB_INT


def json_problem(value: Any, depth: int = 0) -> str | None:
    """What makes `value` not standard JSON (a non-finite number, a non-string key, a value
    nested too deep), or None."""
    if depth > MAX_JSON_DEPTH:
        return f"values may be nested at most {MAX_JSON_DEPTH} levels deep"
    if isinstance(value, float) and not math.isfinite(value):
        return "numbers must be finite: NaN, Infinity and -Infinity are not JSON"
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return "object keys must be strings"
            problem = json_problem(item, depth + 1)
            if problem is not None:
                return problem
    elif isinstance(value, list):
        for item in value:
            problem = json_problem(item, depth + 1)
            if problem is not None:
                return problem
    return None


def _api_name(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def text_max(field: str) -> int:
    return TEXT_MAXIMA.get(_api_name(field), DEFAULT_TEXT_MAX)


def problems_of(values: Mapping[str, Any], prefix: str = "") -> list[FieldProblem]:
    """What is too long or not JSON in `values` (API or Python field names → what was given:
    text, lists of text, JSON values, dataclasses of those); other values are not looked at."""
    found: list[FieldProblem] = []
    for raw_name, value in values.items():
        name = _api_name(raw_name)
        field = f"{prefix}{name}"
        if value is None:
            continue
        if name in JSON_FIELDS:
            found.extend(_json_problems(field, value))
        elif isinstance(value, str):
            found.extend(_text_problems(field, name, value))
        elif isinstance(value, (list, tuple)):
            for item in value:
                if isinstance(item, str):
                    found.extend(_text_problems(field, name, item))
                elif isinstance(item, Mapping) or dataclasses.is_dataclass(item):
                    found.extend(problems_of(_fields_of(item), f"{field}."))
        elif isinstance(value, Mapping) or dataclasses.is_dataclass(value):
            found.extend(problems_of(_fields_of(value), f"{field}."))
    return found


def check(values: Mapping[str, Any]) -> None:
    """ValidationError naming every field of `values` past its maximum."""
    found = problems_of(values)
    if found:
        raise ValidationError("; ".join(p.message for p in found), found)


def _fields_of(value: Any) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return {k: v for k, v in value.items() if isinstance(k, str)}
    return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}


def _text_problems(field: str, name: str, value: str) -> list[FieldProblem]:
    maximum = TEXT_MAXIMA.get(name, DEFAULT_TEXT_MAX)
    if len(value) > maximum:
        return [FieldProblem(field, f"{field} must be at most {maximum} characters, got {len(value)}")]
    return []


def _json_problems(field: str, value: Any) -> list[FieldProblem]:
    problem = json_problem(value)
    if problem is not None:
        return [FieldProblem(field, f"{field} is not JSON: {problem}")]
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    if size > MAX_JSON_BYTES:
        return [FieldProblem(field, f"{field} must be at most {MAX_JSON_BYTES} bytes as JSON, got {size}")]
    return []
