"""From the names and emails of a work items sheet to the ids the importer may use: departments
and queues they may create work in, categories and case types, contacts of the job's mode,
employees their directory shows. Look-ups are kept for the job while the importer's access stays
what it was."""

from __future__ import annotations

from typing import Any

from models.contact import Contact
from models.org import Department, Queue, User
from server.domain import directory, visibility
from server.domain.contacts import changes as contact_changes
from server.domain.contacts import lookup as contact_lookup
from server.domain.imports.jobs import Run
from server.domain.imports.sheets import Row
from server.domain.work_item_import import cells


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


async def find_department(run: Run, row: Row) -> int | None:
    name = cells.cell(row, "department")
    if name is None:
        return None
    found = (await _departments(run)).get(name.casefold())
    if found is None:
        raise cells.refuse("department", f"no department named {name[:200]!r} that you may create work in")
    return found


async def find_queue(run: Run, row: Row, department_id: int | None) -> tuple[int | None, int | None]:
    """(the queue, its department) the row names; the department alone when no queue is named."""
    name = cells.cell(row, "queue")
    if name is None:
        return None, department_id
    queues = await _cached(run, "queues", lambda: Queue.all().values("id", "name", "department_id"))
    allowed = set((await _departments(run)).values()) if department_id is None else {department_id}
    found = [q for q in queues if q["name"].casefold() == name.casefold() and q["department_id"] in allowed]
    if not found:
        where = "in the department" if department_id is not None else "in a department you may create work in"
        raise cells.refuse("queue", f"no queue named {name[:200]!r} {where}")
    if len(found) > 1:
        raise cells.refuse("queue", f"several queues are named {name[:200]!r}" + ("" if department_id is not None else ": name the Department too"))
    return found[0]["id"], found[0]["department_id"]


async def find_named(run: Run, row: Row, column: str, model: Any, active: str) -> int | None:
    name = cells.cell(row, column)
    if name is None:
        return None
    rows = await _cached(run, column, lambda: model.all().values("id", "name", active))
    found = next((r for r in rows if r["name"].casefold() == name.casefold()), None)
    what = cells.HEADERS[column].casefold()
    if found is None:
        raise cells.refuse(column, f"no {what} named {name[:200]!r}")
    if not found[active]:
        raise cells.refuse(column, f"the {what} {found['name']} is inactive")
    return found["id"]


def _email(column: str, written: str) -> str:
    email = contact_changes.normal_email(written)
    if email is None:
        raise cells.refuse(column, f"{written[:80]!r} is not an email address")
    return email


async def _contact(run: Run, column: str, written: str, emails: dict[int, str]) -> int:
    email = _email(column, written)
    contact = await contact_lookup.visible(run.viewer, test_mode=run.job.test_mode).filter(email=email).only("id").first()
    if contact is None:
        mode = "test-mode " if run.job.test_mode else ""
        other = await Contact.exists(email=email)
        raise cells.refuse(column, f"no {mode}contact with the email {email}" + (" (it is a contact of the other mode)" if other else ""))
    emails[contact.id] = email
    return contact.id


async def find_employee(run: Run, column: str, written: str) -> int:
    email = _email(column, written)
    user = await User.filter(email=email, is_active=True).only("id").first()
    visible = await _cached(run, "users", directory.scope(run.viewer).user_ids)
    if user is None or (visible is not None and user.id not in visible):
        raise cells.refuse(column, f"no active employee with the email {email} among those you may see")
    return user.id


async def find_contacts(run: Run, row: Row, fields: dict[str, Any]) -> dict[int, str]:
    emails: dict[int, str] = {}
    for column, name in (("primaryContact", "primary_contact_id"), ("requester", "requester_id")):
        written = cells.cell(row, column)
        if written is not None:
            fields[name] = await _contact(run, column, written, emails)
    others = cells.cell(row, "otherContacts")
    if others is not None:
        ids: list[int] = []
        for written in (p.strip() for p in cells.SEPARATORS.split(others)):
            if written:
                found = await _contact(run, "otherContacts", written, emails)
                if found not in ids:
                    ids.append(found)
        fields["contact_ids"] = ids
    return emails
