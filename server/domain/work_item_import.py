"""Creating work items in bulk from an .xlsx sheet (SPEC §8; seed 000 names the feature and an
appendix of its validation errors in its table of contents, without their text): one row is one
work item, made through the same actions as the API's createWorkItem → submitWorkItem →
assignWorkItem (server/domain/work_items.py, server/domain/lifecycle), so every rule, timeline
entry and event is the same as by hand. A row the rules refuse is reported with its column and
reason and leaves nothing (the import job's savepoint: server/domain/imports/jobs.py).

What a row means:
- Type (TICKET, CASE or ACTION; also in the template's languages) and Title are mandatory.
- Every item is submitted: TO_DO in its queue with its due date, so a ticket needs what submit
  needs (description, category, primary contact, requester) and a row lacking them is refused,
  naming them. Assignee (an employee's email): assigned as assignWorkItem does (the importer's own
  email: they start work on it); a department that takes assignees only from its staff refuses
  anyone else.
- Department, Queue, Category and Case type by name, ignoring case; only the departments (and their
  queues) the importer may create work in are found — any other answers like one that does not
  exist. A blank department is the importer's default one (as for createWorkItem); with a queue
  named and no department, the department of that queue.
- Contacts by email, among the contacts of the job's mode (test or live); Other contacts separated
  by commas or semicolons; contacts of two companies on one item are refused, as by hand.
  Owner (a case's) and Assignee by email among the employees the importer's directory shows.
- Priority: LOW, NORMAL, HIGH or URGENT (or the template's translations). Due date: a date, or a
  date and time (UTC), within a year — the item's SLA override, so it is due then (a date alone:
  by the end of that day), to the hour. Custom data: a JSON object of key → text, number,
  boolean or null.
- ACTION: an action is started on a case (the Case column: its reference) by someone who manages
  that case, as startAction does; it takes Title, Queue (of the case's department) and Assignee,
  and a row giving it anything else is refused.
- testMode: the items are test-mode items, with test-mode contacts only.

Who may import: whoever may create work items — employees with a department to create in, and
read-write API keys (which start no actions: those are a person's).
"""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from models.case_flow import CaseType
from models.contact import Contact
from models.enums import ActionKind, Priority, WorkItemType
from models.org import Category, Department, Queue, User
from server.domain import cases, clock, directory, lifecycle, limits, visibility, work_items
from server.domain.contacts import changes as contact_changes
from server.domain.contacts import lookup as contact_lookup
from server.domain.errors import DomainError, FieldProblem, Forbidden, ValidationError
from server.domain.imports.jobs import IMPORTED, Run
from server.domain.imports.sheets import Column, Row, text
from server.domain.viewer import Viewer

_SEPARATORS = re.compile(r"[;,]")
TYPES = {
    WorkItemType.TICKET: ("ticket", "zgłoszenie", "zgloszenie", "bilet", "тикет", "заявка"),
    WorkItemType.CASE: ("case", "sprawa", "proces", "cas", "dossier", "кейс", "дело"),
    WorkItemType.ACTION: ("action", "czynność", "czynnosc", "действие"),
}
PRIORITIES = {
    Priority.LOW: ("low", "niski", "basse", "faible", "низкий"),
    Priority.NORMAL: ("normal", "normalny", "normale", "обычный", "нормальный", "средний"),
    Priority.HIGH: ("high", "wysoki", "haute", "élevée", "elevee", "высокий"),
    Priority.URGENT: ("urgent", "pilny", "urgente", "срочный"),
}
_TYPE_OF = {name: kind for kind, names in TYPES.items() for name in names}
_PRIORITY_OF = {name: p for p, names in PRIORITIES.items() for name in names}
# the item fields the rules name (domain and API names) → the column they come from
_COLUMN_OF = {
    "type": "type", "title": "title", "description": "description",
    "category_id": "category", "categoryId": "category", "primary_contact_id": "primaryContact", "primaryContactId": "primaryContact",
    "requester_id": "requester", "requesterId": "requester", "contact_ids": "otherContacts", "contactIds": "otherContacts",
    "priority": "priority", "custom_data": "customData", "customData": "customData", "queue_id": "queue", "queueId": "queue",
    "sla_hours": "dueDate", "slaHours": "dueDate", "owner_id": "owner", "ownerId": "owner", "department_id": "department",
    "departmentId": "department", "case_type_id": "caseType", "caseTypeId": "caseType", "userId": "assignee",
}
# the columns an action takes; any other one filled in refuses an ACTION row
ACTION_COLUMNS = frozenset({"type", "title", "case", "queue", "assignee"})
DATE_FORMATS = ("%d.%m.%Y", "%d.%m.%Y %H:%M", "%d/%m/%Y", "%d/%m/%Y %H:%M")  # besides ISO 8601
MAX_DUE_HOURS = 24 * 365


COLUMNS = (
    Column("type", "Type", {"pl": "Typ", "fr": "Type", "ru": "Тип"}, aliases=("item type", "work item type", "typ elementu"), required=True,
           example="TICKET", note="Mandatory: TICKET, CASE or ACTION (an action is started on the case given in the Case column)."),
    Column("title", "Title", {"pl": "Tytuł", "fr": "Titre", "ru": "Заголовок"}, aliases=("subject", "short description", "temat", "objet", "тема"),
           required=True, example="Payslip missing for November", note="Mandatory; at most 500 characters."),
    Column("description", "Description", {"pl": "Opis", "fr": "Description", "ru": "Описание"},
           example="My November payslip has not arrived.", note="A ticket's initial submission note (a ticket needs one)."),
    Column("department", "Department", {"pl": "Dział", "fr": "Département", "ru": "Отдел"}, aliases=("dzial", "service", "департамент"),
           example="UK Operations", note="A department you may create work in, by name; blank: your default department."),
    Column("queue", "Queue", {"pl": "Kolejka", "fr": "File d'attente", "ru": "Очередь"}, aliases=("file",),
           example="Team A queue", note="A queue of the department, by name; blank: the department's first queue of your team."),
    Column("category", "Category", {"pl": "Kategoria", "fr": "Catégorie", "ru": "Категория"}, aliases=("categorie",),
           example="Payroll", note="An active category, by name (a ticket needs one)."),
    Column("priority", "Priority", {"pl": "Priorytet", "fr": "Priorité", "ru": "Приоритет"}, aliases=("priorite",),
           example="HIGH", note="LOW, NORMAL (the default), HIGH or URGENT."),
    Column("dueDate", "Due date", {"pl": "Termin", "fr": "Date d'échéance", "ru": "Срок"}, aliases=("due", "due at", "termin realizacji", "échéance"),
           note="A date (due by its end) or a date and time in UTC, e.g. 2027-01-31 or 31.01.2027 17:00, within a year; blank: the department's SLA."),
    Column("primaryContact", "Primary contact", {"pl": "Kontakt główny", "fr": "Contact principal", "ru": "Основной контакт"},
           aliases=("primary contact email",), example="bob@client.example", note="A contact's email (a ticket needs one)."),
    Column("requester", "Requester", {"pl": "Zgłaszający", "fr": "Demandeur", "ru": "Заявитель"}, aliases=("requester email", "zglaszajacy"),
           example="bob@client.example", note="A contact's email (a ticket needs one)."),
    Column("otherContacts", "Other contacts", {"pl": "Inne kontakty", "fr": "Autres contacts", "ru": "Другие контакты"}, aliases=("contacts",),
           example="piotr@client.example", note="Contacts' emails separated by commas or semicolons; all of one company (or World)."),
    Column("assignee", "Assignee", {"pl": "Osoba przypisana", "fr": "Assigné à", "ru": "Исполнитель"}, aliases=("assigned to", "przypisany"),
           example="jane@example.com", note="An employee's email: the item is assigned to them (your own: you start work on it); blank: it waits in its queue."),
    Column("caseType", "Case type", {"pl": "Typ sprawy", "fr": "Type de cas", "ru": "Тип кейса"},
           note="Cases only: an active case type, by name; its first step's actions start on submit."),
    Column("owner", "Owner", {"pl": "Właściciel", "fr": "Propriétaire", "ru": "Владелец"}, aliases=("case owner",),
           note="Cases only: an employee's email; blank: you."),
    Column("customData", "Custom data", {"pl": "Dane niestandardowe", "fr": "Données personnalisées", "ru": "Пользовательские данные"},
           aliases=("custom fields",), example='{"employeeId": "E-1042"}', note='A JSON object of key → text, number, true/false or null, e.g. {"employeeId": "E-1042"}.'),
    Column("case", "Case", {"pl": "Sprawa", "fr": "Cas", "ru": "Кейс"}, aliases=("parent case", "case reference"),
           note="Actions only: the reference of the case the action is started on, e.g. C-311."),
)
_HEADERS = {c.field: c.header for c in COLUMNS}


def _refuse(column: str, message: str) -> ValidationError:
    return ValidationError.single(column, f"{_HEADERS[column]}: {message}")


def _cell(row: Row, column: str) -> str | None:
    return text(row.get(column))


def _choice(row: Row, column: str, table: dict[str, Any], allowed: str, *, required: bool = False) -> Any:
    """The value a cell names (in any of the template's languages, ignoring case)."""
    value = _cell(row, column)
    if value is None:
        if required:
            raise _refuse(column, f"required: {allowed}")
        return None
    found = table.get(value.casefold())
    if found is None:
        raise _refuse(column, f"{value[:80]!r} is not {allowed}")
    return found


def _sla_hours(row: Row) -> int | None:
    """The SLA override that makes the item, submitted now, due when the Due date cell says (to the
    hour after); a date alone is due by the end of that day."""
    value = row.get("dueDate")
    if value is None:
        return None
    written = text(value) or ""
    if isinstance(value, (datetime, date)):  # a date cell (openpyxl reads a date as midnight)
        moment = value if isinstance(value, datetime) else datetime.combine(value, time())
        whole_day = moment.time() == time()
    else:
        moment, whole_day = _parsed(written)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    hours = math.ceil(((moment + timedelta(days=1) if whole_day else moment) - clock.now()).total_seconds() / 3600)
    if hours < 1:
        raise _refuse("dueDate", f"{written[:80]!r} is past")
    if hours > MAX_DUE_HOURS:
        raise _refuse("dueDate", f"{written[:80]!r} is more than a year away")
    return hours


def _parsed(written: str) -> tuple[datetime, bool]:
    """A date written as text: (the moment, whether it is a date alone)."""
    try:
        return datetime.fromisoformat(written), ":" not in written
    except ValueError:
        pass
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(written, pattern), "%H" not in pattern
        except ValueError:
            continue
    raise _refuse("dueDate", f"{written[:80]!r} is not a date: write it as 2027-01-31 or 31.01.2027, with 17:00 after it for a time")


def _custom_data(row: Row) -> dict[str, Any] | None:
    written = _cell(row, "customData")
    if written is None:
        return None
    try:
        data = json.loads(written)
    except ValueError as error:
        raise _refuse("customData", f"is not JSON ({error.msg} at character {error.pos + 1})") from None
    if not isinstance(data, dict):
        raise _refuse("customData", 'must be a JSON object of key → value, e.g. {"employeeId": "E-1042"}')
    return data


async def _cached(run: Run, key: str, load) -> Any:
    """A look-up kept for the job — while the importer's access stays what it was (the job reads
    the viewer again before every chunk)."""
    if run.cache.get("viewer") != run.viewer:
        run.cache.clear()
        run.cache["viewer"] = run.viewer
    if key not in run.cache:
        run.cache[key] = await load()
    return run.cache[key]


async def _departments(run: Run) -> dict[str, int]:
    """The departments the importer may create work in, by name (casefolded)."""
    async def load() -> dict[str, int]:
        rows = await Department.all().values("id", "name")
        return {r["name"].casefold(): r["id"] for r in rows if visibility.sees_department(run.viewer, r["id"])}
    return await _cached(run, "departments", load)


async def _department_id(run: Run, row: Row) -> int | None:
    name = _cell(row, "department")
    if name is None:
        return None
    found = (await _departments(run)).get(name.casefold())
    if found is None:
        raise _refuse("department", f"no department named {name[:200]!r} that you may create work in")
    return found


async def _queue(run: Run, row: Row, department_id: int | None) -> tuple[int | None, int | None]:
    """(the queue, its department) the row names; the department alone when no queue is named."""
    name = _cell(row, "queue")
    if name is None:
        return None, department_id
    queues = await _cached(run, "queues", lambda: Queue.all().values("id", "name", "department_id"))
    allowed = set((await _departments(run)).values()) if department_id is None else {department_id}
    found = [q for q in queues if q["name"].casefold() == name.casefold() and q["department_id"] in allowed]
    if not found:
        where = "in the department" if department_id is not None else "in a department you may create work in"
        raise _refuse("queue", f"no queue named {name[:200]!r} {where}")
    if len(found) > 1:
        raise _refuse("queue", f"several queues are named {name[:200]!r}" + ("" if department_id is not None else ": name the Department too"))
    return found[0]["id"], found[0]["department_id"]


async def _named(run: Run, row: Row, column: str, model: Any, active: str) -> int | None:
    name = _cell(row, column)
    if name is None:
        return None
    rows = await _cached(run, column, lambda: model.all().values("id", "name", active))
    found = next((r for r in rows if r["name"].casefold() == name.casefold()), None)
    what = _HEADERS[column].casefold()
    if found is None:
        raise _refuse(column, f"no {what} named {name[:200]!r}")
    if not found[active]:
        raise _refuse(column, f"the {what} {found['name']} is inactive")
    return found["id"]


def _email(column: str, written: str) -> str:
    email = contact_changes.normal_email(written)
    if email is None:
        raise _refuse(column, f"{written[:80]!r} is not an email address")
    return email


async def _contact(run: Run, column: str, written: str, emails: dict[int, str]) -> int:
    email = _email(column, written)
    contact = await contact_lookup.visible(run.viewer, test_mode=run.job.test_mode).filter(email=email).only("id").first()
    if contact is None:
        mode = "test-mode " if run.job.test_mode else ""
        other = await Contact.exists(email=email)
        raise _refuse(column, f"no {mode}contact with the email {email}" + (" (it is a contact of the other mode)" if other else ""))
    emails[contact.id] = email
    return contact.id


async def _employee(run: Run, column: str, written: str) -> int:
    email = _email(column, written)
    user = await User.filter(email=email, is_active=True).only("id").first()
    visible = await _cached(run, "users", directory.scope(run.viewer).user_ids)
    if user is None or (visible is not None and user.id not in visible):
        raise _refuse(column, f"no active employee with the email {email} among those you may see")
    return user.id


async def _contacts(run: Run, row: Row, fields: dict[str, Any]) -> dict[int, str]:
    emails: dict[int, str] = {}
    for column, name in (("primaryContact", "primary_contact_id"), ("requester", "requester_id")):
        written = _cell(row, column)
        if written is not None:
            fields[name] = await _contact(run, column, written, emails)
    others = _cell(row, "otherContacts")
    if others is not None:
        ids: list[int] = []
        for written in (p.strip() for p in _SEPARATORS.split(others)):
            if written:
                found = await _contact(run, "otherContacts", written, emails)
                if found not in ids:
                    ids.append(found)
        fields["contact_ids"] = ids
    return emails


def _submission_problems(item_type: WorkItemType, fields: dict[str, Any]) -> None:
    """What submit would refuse, said in the sheet's columns, before anything is created."""
    missing = [_COLUMN_OF[name] for name, _field, _label in work_items.REQUIRED_TO_SUBMIT[item_type] if fields.get(name) in (None, "")]
    if missing:
        headers = [_HEADERS[c] for c in missing]
        listed = headers[0] if len(headers) == 1 else ", ".join(headers[:-1]) + " and " + headers[-1]
        message = f"a {item_type.value.lower()} needs {listed} to be submitted"
        raise ValidationError(message, [FieldProblem(c, message) for c in missing], field=missing[0])


def _renamed(error: DomainError, emails: dict[int, str], default: str) -> ValidationError:
    """The rules' error, naming the sheet's columns (`default` when it names none of them) and the
    row's contacts by email, not by id."""
    def said(message: str) -> str:
        for contact_id, email in emails.items():
            message = message.replace(f"contact {contact_id} ", f"contact {email} ")
        return message

    problems = getattr(error, "problems", None) or [FieldProblem(error.field or default, error.message)]
    renamed = [FieldProblem(p.field if p.field in _HEADERS else _COLUMN_OF.get(p.field, default), said(p.message)) for p in problems]
    return ValidationError(said(error.message), renamed, field=renamed[0].field)


class WorkItemImporter:
    kind = "work_items"
    title = "Work items"
    columns = COLUMNS
    chunk = 25  # an item is a dozen writes and their events: shorter transactions than contacts'
    again = ("its first {done_rows} rows were tried (those refused are in its failures): import the file again "
             "without them, or they make their work items twice")

    def authorize(self, viewer: Viewer) -> None:
        if viewer.is_contact:
            raise Forbidden("Portal contacts submit tickets through the portal.")
        if not viewer.can_write:
            raise Forbidden("This API key is read-only.")
        if not (viewer.is_admin or viewer.department_ids or viewer.public_department_ids):
            raise Forbidden("You have no department to create work items in.")

    async def import_row(self, run: Run, row: Row) -> str:
        item_type = _choice(row, "type", _TYPE_OF, "TICKET, CASE or ACTION", required=True)
        title = _cell(row, "title")
        if title is None:
            raise _refuse("title", "required")
        if item_type is WorkItemType.ACTION:
            return await self._action(run, row, title)
        fields: dict[str, Any] = {"title": title}
        limits.check(fields)
        if (description := _cell(row, "description")) is not None:
            fields["description"] = description
        department_id = await _department_id(run, row)
        queue_id, department_id = await _queue(run, row, department_id)
        if queue_id is not None:
            fields["queue_id"] = queue_id
        if (category_id := await _named(run, row, "category", Category, "is_active")) is not None:
            fields["category_id"] = category_id
        if (priority := _choice(row, "priority", _PRIORITY_OF, "LOW, NORMAL, HIGH or URGENT")) is not None:
            fields["priority"] = priority
        if (sla_hours := _sla_hours(row)) is not None:
            fields["sla_hours"] = sla_hours
        emails = await _contacts(run, row, fields)
        assignee_id = await _employee(run, "assignee", written) if (written := _cell(row, "assignee")) else None
        case_type_id = await _named(run, row, "caseType", CaseType, "active")
        if (written := _cell(row, "owner")) is not None:
            fields["owner_id"] = await _employee(run, "owner", written)
        if (data := _custom_data(row)) is not None:
            fields["custom_data"] = data
        if _cell(row, "case") is not None:
            raise _refuse("case", "only an action is started on a case; leave it blank")
        _submission_problems(item_type, fields)
        try:
            item = await work_items.create_draft(run.viewer, item_type, department_id, fields, case_type_id=case_type_id,
                                                 test_mode=run.job.test_mode)
            await work_items.submit(run.viewer, item.ref, None)
        except DomainError as error:
            raise _renamed(error, emails, "type") from None
        await self._assign(run, item.ref, assignee_id)
        return IMPORTED

    async def _action(self, run: Run, row: Row, title: str) -> str:
        given = [c.field for c in COLUMNS if c.field not in ACTION_COLUMNS and row.get(c.field) is not None]
        if given:
            raise _refuse(given[0], "an action takes only Title, Case, Queue and Assignee (its case has the rest); leave it blank")
        ref = _cell(row, "case")
        if ref is None:
            raise _refuse("case", "an action is started on a case: give the case's reference")
        limits.check({"title": title})
        if len(ref) > limits.REFERENCE:
            raise _refuse("case", f"{ref[:40]!r}… is not a work item reference")
        try:
            case = await visibility.get_work_item(run.viewer, ref)
        except DomainError as error:
            raise _renamed(error, {}, "case") from None
        queue_id, _ = await _queue(run, row, case.department_id)
        assignee_id = await _employee(run, "assignee", written) if (written := _cell(row, "assignee")) else None
        try:
            outcome = await cases.start_action(run.viewer, case.ref, None, title=title, kind=ActionKind.MANUAL, queue_id=queue_id, copy_of_ref=None)
        except DomainError as error:
            raise _renamed(error, {}, "case") from None
        await self._assign(run, outcome.created[0].ref, assignee_id)
        return IMPORTED

    async def _assign(self, run: Run, ref: str, assignee_id: int | None) -> None:
        if assignee_id is None:
            return
        try:
            await lifecycle.assign(run.viewer, ref, None, assignee_id)
        except DomainError as error:
            raise _renamed(error, {}, "assignee") from None


IMPORTER = WorkItemImporter()
