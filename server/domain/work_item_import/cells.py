"""The work items sheet's columns, and what one cell says: a choice, a due date, custom data
(refused with the column's header and a reason)."""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from models.enums import Priority, WorkItemType
from server.domain import clock
from server.domain.errors import ValidationError
from server.domain.imports.sheets import Column, Row, text


SEPARATORS = re.compile(r"[;,]")
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
TYPE_OF = {name: kind for kind, names in TYPES.items() for name in names}
PRIORITY_OF = {name: p for p, names in PRIORITIES.items() for name in names}
# the item fields the rules name (domain and API names) → the column they come from
COLUMN_OF = {
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
HEADERS = {c.field: c.header for c in COLUMNS}


def refuse(column: str, message: str) -> ValidationError:
    return ValidationError.single(column, f"{HEADERS[column]}: {message}")


def cell(row: Row, column: str) -> str | None:
    return text(row.get(column))


def choice(row: Row, column: str, table: dict[str, Any], allowed: str, *, required: bool = False) -> Any:
    """The value a cell names (in any of the template's languages, ignoring case)."""
    value = cell(row, column)
    if value is None:
        if required:
            raise refuse(column, f"required: {allowed}")
        return None
    found = table.get(value.casefold())
    if found is None:
        raise refuse(column, f"{value[:80]!r} is not {allowed}")
    return found


def sla_hours(row: Row) -> int | None:
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
        raise refuse("dueDate", f"{written[:80]!r} is past")
    if hours > MAX_DUE_HOURS:
        raise refuse("dueDate", f"{written[:80]!r} is more than a year away")
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
    raise refuse("dueDate", f"{written[:80]!r} is not a date: write it as 2027-01-31 or 31.01.2027, with 17:00 after it for a time")


def custom_data(row: Row) -> dict[str, Any] | None:
    written = cell(row, "customData")
    if written is None:
        return None
    try:
        data = json.loads(written)
    except ValueError as error:
        raise refuse("customData", f"is not JSON ({error.msg} at character {error.pos + 1})") from None
    if not isinstance(data, dict):
        raise refuse("customData", 'must be a JSON object of key → value, e.g. {"employeeId": "E-1042"}')
    return data
