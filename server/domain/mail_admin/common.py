"""What the mail administration's areas share: the admin check, bounded keyset pages, checks of
addresses and of the values every input carries, and the rule that an address belongs to at most
one of a mailbox, an alias and a route."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tortoise.queryset import QuerySet

from models.case_flow import CaseType
from models.email import Mailbox, MailRoute
from models.enums import SmtpSecurity, WorkItemType
from models.org import Department, DepartmentAlias, Queue
from server.domain import permissions
from server.domain.errors import Conflict, FieldProblem, ValidationError
from server.mail import addresses

T = TypeVar("T")

MAX_PAGE = 100
MAX_HOST = 255
MAX_USERNAME = 320
MAX_PASSWORD = 1024
_HOSTNAME = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?")


require_admin = permissions.admin_check("manage mail connectors, mailboxes, addresses and mail settings")


raise_problems = permissions.raise_problems


def unknown_fields(fields: dict[str, Any], allowed: frozenset[str], what: str) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"not {what} fields: {sorted(unknown)}")


# ------------------------------------------------------------------------------------------ pages


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list ordered by a unique text key; `rows[-1]`'s key continues it."""

    rows: list[T]
    has_next: bool


async def page_of(query: QuerySet, key: str, first: int, after: str | None) -> Page:
    """`first` (1 to MAX_PAGE) rows of `query` ordered by the unique `key`, from after `after`."""
    if not 1 <= first <= MAX_PAGE:
        raise ValidationError.single("first", f"first must be between 1 and {MAX_PAGE}, got {first}")
    if after is not None:
        query = query.filter(**{f"{key}__gt": after})
    rows = list(await query.order_by(key).limit(first + 1))
    return Page(rows[:first], len(rows) > first)


# ---------------------------------------------------------------------------------------- values


def address(value: Any, field: str, problems: list[FieldProblem]) -> str | None:
    """`value` as Switchboard stores addresses (lower-case addr-spec), or a problem on `field`."""
    normal = addresses.normalise(value) if isinstance(value, str) else None
    if normal is None:
        problems.append(FieldProblem(field, f"{field} must be an email address, got {str(value)[:80]!r}"))
    return normal


def host(value: Any, field: str, problems: list[FieldProblem]) -> str | None:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        problems.append(FieldProblem(field, f"{field} is required"))
        return None
    if len(text) > MAX_HOST or not (_HOSTNAME.fullmatch(text) or _is_ipv6(text)):
        problems.append(FieldProblem(field, f"{field} must be a host name or an IP address, got {text[:80]!r}"))
        return None
    return text.lower()


def _is_ipv6(text: str) -> bool:
    try:
        return ipaddress.ip_address(text.removeprefix("[").removesuffix("]")).version == 6
    except ValueError:
        return False


def port(value: Any, field: str, problems: list[FieldProblem]) -> int | None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 65535:
        problems.append(FieldProblem(field, f"{field} must be between 1 and 65535"))
        return None
    return value


def optional_text(value: Any, field: str, limit: int, problems: list[FieldProblem]) -> str | None:
    """Trimmed text, None for null or blank; a problem when longer than `limit` or holding a line
    break or another control character (these values go into protocol commands)."""
    if value is None:
        return None
    text = str(value).strip()
    if len(text) > limit:
        problems.append(FieldProblem(field, f"{field} must be at most {limit} characters"))
    elif any(ord(c) < 32 or ord(c) == 127 for c in text):
        problems.append(FieldProblem(field, f"{field} must not contain line breaks or control characters"))
    return text or None


def security(value: Any, field: str, problems: list[FieldProblem]) -> SmtpSecurity | None:
    try:
        return SmtpSecurity(value)
    except ValueError:
        problems.append(FieldProblem(field, f"{field} must be NONE, STARTTLS or TLS"))
        return None


def flag(changes: dict[str, Any], name: str, field: str, problems: list[FieldProblem]) -> None:
    if name in changes and not isinstance(changes[name], bool):
        problems.append(FieldProblem(field, f"{field} must be true or false"))


def password(value: Any, field: str, problems: list[FieldProblem]) -> str | None:
    """The password to seal: None (or "") clears it."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_PASSWORD:
        problems.append(FieldProblem(field, f"{field} must be at most {MAX_PASSWORD} characters"))
        return None
    if "\r" in value or "\n" in value or "\0" in value:
        problems.append(FieldProblem(field, f"{field} must not contain line breaks or NUL"))
        return None
    return value


# ------------------------------------------------------------------- where a new item goes


async def department(department_id: Any, problems: list[FieldProblem]) -> Department | None:
    found = await Department.get_or_none(id=department_id) if department_id is not None else None
    if found is None:
        problems.append(FieldProblem("departmentId", f"no department {department_id}" if department_id is not None else "departmentId is required"))
    return found


async def department_queue(queue_id: int | None, dept: Department | None, problems: list[FieldProblem]) -> int | None:
    """`queue_id` when it is a queue of `dept` (None stays None: the department's first queue)."""
    if queue_id is None or dept is None:
        return None
    if not await Queue.exists(id=queue_id, department_id=dept.id):
        problems.append(FieldProblem("queueId", f"queue {queue_id} is not a queue of {dept.name}"))
    return queue_id


async def creates_and_case_type(changes: dict[str, Any], row: Any, problems: list[FieldProblem]) -> None:
    """Check `creates` and `case_type_id` of `changes` (for a new row or a change to `row`, a
    mailbox or a route): a CASE needs a case type — the one the row has when none is given — and
    a TICKET has none (turning a row to TICKET drops its case type)."""
    if row is not None and not {"creates", "case_type_id"} & set(changes):
        return
    creates = changes.get("creates", row.creates if row is not None else WorkItemType.TICKET)
    if "case_type_id" in changes:
        case_type_id = changes["case_type_id"]
    elif creates == WorkItemType.TICKET:
        case_type_id = None
    else:
        case_type_id = row.case_type_id if row is not None else None
    changes["creates"] = creates
    changes["case_type_id"] = await _case_type(creates, case_type_id, problems)


async def _case_type(creates: Any, case_type_id: int | None, problems: list[FieldProblem]) -> int | None:
    if creates not in (WorkItemType.TICKET, WorkItemType.CASE):
        problems.append(FieldProblem("creates", "creates must be TICKET or CASE"))
        return None
    if creates == WorkItemType.TICKET:
        if case_type_id is not None:
            problems.append(FieldProblem("caseTypeId", "caseTypeId is only for mail that creates a CASE"))
        return None
    if case_type_id is None:
        problems.append(FieldProblem("caseTypeId", "caseTypeId is required when creates is CASE"))
    else:
        case_type = await CaseType.get_or_none(id=case_type_id)
        if case_type is None:
            problems.append(FieldProblem("caseTypeId", f"no case type {case_type_id}"))
        elif not case_type.active:
            problems.append(FieldProblem("caseTypeId", f"the case type {case_type.name} is inactive: it starts no new cases"))
    return case_type_id


# ------------------------------------------------------------------ one address, one meaning


async def address_owner(address: str, *, mailbox_id: int | None = None, alias_id: int | None = None, route_id: int | None = None) -> str | None:
    """What already has `address` — "the mailbox of UK Operations", "an alias of ...", "a route
    to ..." — leaving out the row being changed; None when it is free."""
    mailbox = await Mailbox.filter(address=address).exclude(id=mailbox_id or 0).prefetch_related("department").first()
    if mailbox is not None:
        return f"the mailbox of {mailbox.department.name}"
    alias = await DepartmentAlias.filter(address=address).exclude(id=alias_id or 0).prefetch_related("department").first()
    if alias is not None:
        return f"an alias of {alias.department.name}"
    route = await MailRoute.filter(address=address).exclude(id=route_id or 0).prefetch_related("department").first()
    if route is not None:
        return f"a route to {route.department.name}"
    return None


async def require_free(address: str, **own: int | None) -> None:
    owner = await address_owner(address, **own)
    if owner is not None:
        raise Conflict(f"{address} is already {owner}; an address is one mailbox, alias or route.", field="address", address=address)


def taken_at_once() -> Conflict:
    # two admins saving the same address or name at the same moment: the database kept one
    return Conflict("Another change used the same name or address at the same moment; nothing was changed, try again.")
