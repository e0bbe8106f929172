"""One row of a work items sheet made into a work item (see the package's docstring): the rules
said in the sheet's columns, then the API's own actions."""

from __future__ import annotations

from typing import Any

from models.case_flow import CaseType
from models.enums import ActionKind, WorkItemType
from models.org import Category
from server.domain import cases, lifecycle, limits, visibility, work_items
from server.domain.errors import DomainError, FieldProblem, Forbidden, ValidationError
from server.domain.imports.jobs import IMPORTED, Run
from server.domain.imports.sheets import Row
from server.domain.viewer import Viewer
from server.domain.work_item_import import cells, lookups


def _submission_problems(item_type: WorkItemType, fields: dict[str, Any]) -> None:
    """What submit would refuse, said in the sheet's columns, before anything is created."""
    missing = [cells.COLUMN_OF[name] for name, _field, _label in work_items.REQUIRED_TO_SUBMIT[item_type] if fields.get(name) in (None, "")]
    if missing:
        headers = [cells.HEADERS[c] for c in missing]
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
    renamed = [FieldProblem(p.field if p.field in cells.HEADERS else cells.COLUMN_OF.get(p.field, default), said(p.message)) for p in problems]
    return ValidationError(said(error.message), renamed, field=renamed[0].field)


class WorkItemImporter:
    kind = "work_items"
    title = "Work items"
    columns = cells.COLUMNS
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
        item_type = cells.choice(row, "type", cells.TYPE_OF, "TICKET, CASE or ACTION", required=True)
        title = cells.cell(row, "title")
        if title is None:
            raise cells.refuse("title", "required")
        if item_type is WorkItemType.ACTION:
            return await self._action(run, row, title)
        fields: dict[str, Any] = {"title": title}
        limits.check(fields)
        if (description := cells.cell(row, "description")) is not None:
            fields["description"] = description
        department_id = await lookups.find_department(run, row)
        queue_id, department_id = await lookups.find_queue(run, row, department_id)
        if queue_id is not None:
            fields["queue_id"] = queue_id
        if (category_id := await lookups.find_named(run, row, "category", Category, "is_active")) is not None:
            fields["category_id"] = category_id
        if (priority := cells.choice(row, "priority", cells.PRIORITY_OF, "LOW, NORMAL, HIGH or URGENT")) is not None:
            fields["priority"] = priority
        if (sla_hours := cells.sla_hours(row)) is not None:
            fields["sla_hours"] = sla_hours
        emails = await lookups.find_contacts(run, row, fields)
        assignee_id = await lookups.find_employee(run, "assignee", written) if (written := cells.cell(row, "assignee")) else None
        case_type_id = await lookups.find_named(run, row, "caseType", CaseType, "active")
        if (written := cells.cell(row, "owner")) is not None:
            fields["owner_id"] = await lookups.find_employee(run, "owner", written)
        if (data := cells.custom_data(row)) is not None:
            fields["custom_data"] = data
        if cells.cell(row, "case") is not None:
            raise cells.refuse("case", "only an action is started on a case; leave it blank")
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
        given = [c.field for c in cells.COLUMNS if c.field not in cells.ACTION_COLUMNS and row.get(c.field) is not None]
        if given:
            raise cells.refuse(given[0], "an action takes only Title, Case, Queue and Assignee (its case has the rest); leave it blank")
        ref = cells.cell(row, "case")
        if ref is None:
            raise cells.refuse("case", "an action is started on a case: give the case's reference")
        limits.check({"title": title})
        if len(ref) > limits.REFERENCE:
            raise cells.refuse("case", f"{ref[:40]!r}… is not a work item reference")
        try:
            case = await visibility.get_work_item(run.viewer, ref)
        except DomainError as error:
            raise _renamed(error, {}, "case") from None
        queue_id, _ = await lookups.find_queue(run, row, case.department_id)
        assignee_id = await lookups.find_employee(run, "assignee", written) if (written := cells.cell(row, "assignee")) else None
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
