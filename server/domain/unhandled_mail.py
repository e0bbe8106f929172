"""The messages no rule could place (SPEC §5.2), for admins: unhandled ones (no address routed
them, they could not be read, or automatic mail about nothing we know) and those from blocked
senders — listed, and what an admin does with one:

- route it: a route for one of its recipient addresses (the first, unless another is named) to a
  department and queue, then the message is processed again, as every later one to that address
  will be;
- open a work item from it in a chosen department and queue;
- reject it as misaddressed: it stays on record as a CLOSED ticket with the system-set method
  REJECTED_UNKNOWN_ADDRESS (seeds 002/004);
- process it again (after a route, an alias or a mailbox was added);
- restore a blocked one (processed as if its sender were not blocked).

Every message keeps its raw bytes (server/domain/mail_access.py `source`).
"""

from __future__ import annotations

from models.email import Email, Mailbox, MailRoute
from models.enums import EmailDirection, EmailStatus, ResolutionMethod, Status, WorkItemType
from models.org import DepartmentAlias, Queue
from models.work_item import WorkItem
from server.domain import audit, inbound
from server.domain.cases import check_case_type
from server.domain.departments import require_admin
from server.domain.errors import Conflict, NotFound, ValidationError
from server.domain.mail_routing import Route, recipients
from server.domain.transitions import change_status
from server.domain.uow import unit_of_work
from server.domain.viewer import Viewer
from server.mail import addresses
from server.mail.parsing import UnparseableMessage, parse

KINDS = {"UNHANDLED": EmailStatus.UNHANDLED, "BLOCKED": EmailStatus.BLOCKED}
REJECTED = "Rejected as sent to an unknown address."


def listed(viewer: Viewer, kind: str):
    require_admin(viewer)
    return Email.filter(direction=EmailDirection.INBOUND, status=KINDS[kind], work_item_id__isnull=True).order_by("-id")


async def _held(email_id: int, *statuses: EmailStatus) -> Email:
    email = await Email.get_or_none(id=email_id, direction=EmailDirection.INBOUND, work_item_id__isnull=True).select_for_update()
    if email is None or email.status not in statuses:
        raise NotFound(f"No unhandled message {email_id}.")
    return email


async def _place(department_id: int, queue_id: int | None) -> Queue:
    queue = await Queue.get_or_none(id=queue_id) if queue_id else await Queue.filter(department_id=department_id).order_by("id").first()
    if queue is None or queue.department_id != department_id:
        raise ValidationError.single("queueId", "the queue must belong to the department (and the department needs one)")
    return queue


async def route(viewer: Viewer, email_id: int, department_id: int, queue_id: int | None, address: str | None = None) -> Email:
    require_admin(viewer)
    async with unit_of_work() as uow:
        email = await _held(email_id, EmailStatus.UNHANDLED)
        parsed = _parsed(email)
        if address is None:
            found = [a for a in (addresses.plus_tag(r)[0] for r in recipients(parsed)) if a]
            if not found:
                raise ValidationError.single("address", "the message names no recipient to route; give the address")
            address = found[0]
        address = addresses.normalise(address) or ""
        if not address:
            raise ValidationError.single("address", "not an email address")
        if await Mailbox.exists(address=address) or await DepartmentAlias.exists(address=address) or await MailRoute.exists(address=address):
            raise Conflict(f"{address} already routes mail.")
        queue = await _place(department_id, queue_id)
        route = await MailRoute.create(address=address, department_id=department_id, queue_id=queue.id)
        await audit.record(viewer, "mail_route.created", route, changes=audit.created(
            {"address": address, "department_id": department_id, "queue_id": queue.id, "creates": route.creates, "from_email_id": email_id}
        ))
        email.status = EmailStatus.RECEIVED
        return await inbound.process(uow, email, parsed, first_collection=False)


async def open_item(viewer: Viewer, email_id: int, department_id: int, queue_id: int | None, item_type: WorkItemType = WorkItemType.TICKET,
                    case_type_id: int | None = None) -> WorkItem:
    require_admin(viewer)
    if item_type is WorkItemType.CASE and case_type_id is None:
        raise ValidationError.single("caseTypeId", "a case needs its case type")
    await check_case_type(case_type_id)
    async with unit_of_work() as uow:
        email = await _held(email_id, EmailStatus.UNHANDLED)
        _parsed(email)
        queue = await _place(department_id, queue_id)
        item = await inbound.open_from(uow, email, Route(email.routed_by or "", None, department_id, queue.id, item_type, case_type_id))
        return item


async def reject(viewer: Viewer, email_id: int, department_id: int) -> WorkItem:
    """Kept on record as a CLOSED ticket (method REJECTED_UNKNOWN_ADDRESS) of `department_id`."""
    require_admin(viewer)
    async with unit_of_work() as uow:
        email = await _held(email_id, EmailStatus.UNHANDLED)
        _parsed(email)
        queue = await _place(department_id, None)
        item = await inbound.open_from(uow, email, Route(email.routed_by or "", None, department_id, queue.id, WorkItemType.TICKET, None),
                                       confirm=False)
        await change_status(uow, item, viewer, Status.CLOSED, reason=REJECTED,
                            fields={"resolution_method": ResolutionMethod.REJECTED_UNKNOWN_ADDRESS})
        return item


async def reprocess(viewer: Viewer, email_id: int) -> Email:
    require_admin(viewer)
    async with unit_of_work() as uow:
        email = await _held(email_id, EmailStatus.UNHANDLED)
        parsed = _parsed(email)
        email.parse_error = "; ".join(parsed.defects)[:4000] or None
        return await inbound.process(uow, email, parsed, first_collection=False)


async def restore(viewer: Viewer, email_id: int) -> Email:
    require_admin(viewer)
    await _held(email_id, EmailStatus.BLOCKED)
    return await inbound.restore(email_id)


def _parsed(email: Email):
    if not email.raw_message:
        raise ValidationError.single("emailId", "the message was not kept (it was over the size limit); it stays on the mail server")
    try:
        return parse(bytes(email.raw_message))
    except UnparseableMessage as unparseable:
        raise ValidationError.single("emailId", f"the message cannot be read: {unparseable.reason}") from None
