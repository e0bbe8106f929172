"""What a requester does on the portal: submit a ticket, reply to it, give feedback (SPEC §7).

- Submitting opens a ticket and submits it at once (`work_items.create_submitted`, the same steps
  as create + submit): TO_DO in the queue of the portal route (settings.py), the contact its
  requester and primary contact, the description its initial submission note, files attached to
  that note.
- A reply is a PORTAL_MESSAGE on the timeline (public) and new information (SPEC §6): the
  new-information flag, a waiting ticket back IN_PROGRESS with its assignee, a RESOLVED ticket in
  its feedback window reopened (rule 7, `lifecycle.reopen_with_new_information`, as for an
  inbound email). A CLOSED ticket never reopens: the reply is refused, the requester submits a
  new ticket.
- Feedback (rating 1 to 5, an optional comment) once the ticket is resolved (RESOLVED, or CLOSED
  after a resolution), once per ticket (CONFLICT on a second); a FEEDBACK entry on the timeline,
  and `WorkItem.feedback` for staff. Feedback does not reopen the ticket: a reply does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from models.enums import NotificationKind, ResolutionMethod, Status, TimelineKind, WorkItemType
from models.portal import PortalAttachment, PortalFeedback
from models.timeline import TimelineEntry
from models.work_item import WorkItem
from server.domain import clock, limits, notifications, text, timeline, visibility
from server.domain.errors import Conflict, FieldProblem, Forbidden, InvalidTransition, ValidationError
from server.domain.lifecycle import reopen_with_new_information
from server.domain.portal.settings import portal_queue
from server.domain.transitions import change_status, set_flags
from server.domain.uow import UnitOfWork, unit_of_work
from server.domain.viewer import Viewer
from server.domain.work_item_fields import check_references
from server.domain.work_items import create_submitted

MAX_FILES = 10
MAX_FILE_BYTES = 10 * 1024 * 1024  # one file; the request itself is bounded by SWITCHBOARD_MAX_UPLOAD_BYTES
MAX_FILENAME = 200
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f\"\\/:*?<>|]")


@dataclass(frozen=True)
class NewFile:
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


def _require_contact(viewer: Viewer) -> None:
    if not viewer.is_contact:
        raise Forbidden("Only portal contacts use the portal.")


def _file_problems(files: list[NewFile]) -> list[FieldProblem]:
    found = []
    if len(files) > MAX_FILES:
        found.append(FieldProblem("attachments", f"at most {MAX_FILES} files, got {len(files)}"))
    for f in files:
        if len(f.content) > MAX_FILE_BYTES:
            found.append(FieldProblem("attachments", f"{f.filename!r} is {len(f.content)} bytes: a file may have at most {MAX_FILE_BYTES}"))
    return found


async def _attach(item: WorkItem, entry: TimelineEntry, files: list[NewFile]) -> None:
    rows = []
    for f in files:
        name = _UNSAFE_NAME.sub("_", f.filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]).strip()[:MAX_FILENAME] or "attachment"
        content_type = f.content_type.partition(";")[0].strip().lower()[:200] or "application/octet-stream"
        rows.append(PortalAttachment(work_item_id=item.id, timeline_entry_id=entry.id, filename=name,
                                     content_type=content_type, size=len(f.content), content=f.content))
    if rows:
        await PortalAttachment.bulk_create(rows)


async def submit(viewer: Viewer, title: str, description: str, category_id: int | None, files: list[NewFile]) -> WorkItem:
    """A new ticket from the requester, submitted (TO_DO) in the portal route's queue."""
    _require_contact(viewer)
    limits.check({"title": title, "description": description})
    problems: list[FieldProblem] = []
    if text.is_blank(title):
        problems.append(FieldProblem("title", "title is required to submit"))
    if text.is_blank(description):
        problems.append(FieldProblem("description", "description is required to submit"))
    if category_id is None:
        problems.append(FieldProblem("categoryId", "category is required to submit"))
    problems += _file_problems(files)
    fields = {"title": title.strip(), "description": description.strip(), "category_id": category_id,
              "primary_contact_id": viewer.id, "requester_id": viewer.id}
    queue = await portal_queue(viewer.company_id)
    company_id = await check_references(dict(fields), queue.department_id, None, problems)
    if problems:
        raise ValidationError("The ticket has invalid fields: " + "; ".join(p.message for p in problems), problems)
    async with unit_of_work() as uow:
        item = await create_submitted(uow, WorkItemType.TICKET, queue.department_id, queue, fields, company_id=company_id, actor=viewer)
        entry = await TimelineEntry.filter(work_item_id=item.id, kind=TimelineKind.INITIAL_DESCRIPTION).order_by("-id").first()
        await _attach(item, entry, files)
    return item


async def _new_information(uow: UnitOfWork, item: WorkItem) -> None:
    """The requester wrote: flagged; a waiting ticket comes back to its assignee; a resolved one
    reopens within its feedback window; a closed one (or one past its window) refuses."""
    if item.status is Status.CLOSED or (
        item.status is Status.RESOLVED and not await reopen_with_new_information(uow, item, "The requester replied on the portal.")
    ):
        raise InvalidTransition(
            f"{item.ref} is closed and cannot be reopened; submit a new ticket.", field="ref",
            **{"from": item.status.value, "to": Status.IN_PROGRESS.value},
        )
    if item.status is Status.RESOLVED:
        return
    if item.status is Status.WAITING:
        await change_status(uow, item, None, Status.IN_PROGRESS, assignee=item.assignee_id or item.last_assignee_id,
                            reason="The requester replied on the portal.")
        await notifications.notify(uow, item.assignee_id, NotificationKind.BACK_FROM_WAITING, item,
                                   f"{item.ref} is back: the requester replied on the portal")
    elif item.status is Status.IN_PROGRESS:
        await notifications.notify(uow, item.assignee_id, NotificationKind.NEW_INFORMATION, item, f"New portal message on {item.ref}")
    await set_flags(uow, item, None, has_new_info=True)


async def reply(viewer: Viewer, ref: str, body: str, files: list[NewFile]) -> tuple[WorkItem, TimelineEntry]:
    """The requester's message on their ticket."""
    _require_contact(viewer)
    limits.check({"ref": ref, "body": body})
    problems = _file_problems(files)
    if text.is_blank(body):
        problems.insert(0, FieldProblem("body", "a reply needs some text"))
    if problems:
        raise ValidationError("The reply has invalid fields: " + "; ".join(p.message for p in problems), problems)
    async with unit_of_work() as uow:
        item = await visibility.get_portal_ticket(viewer, ref, for_update=True)
        await _new_information(uow, item)
        entry = await timeline.portal_message(uow, item, viewer, body.strip(), attachments=len(files))
        await _attach(item, entry, files)
    return item, entry


def may_give_feedback(item: WorkItem) -> bool:
    return item.status is Status.RESOLVED or (
        item.status is Status.CLOSED and item.resolution_method not in (None, ResolutionMethod.MERGED)
    )


async def give_feedback(viewer: Viewer, ref: str, rating: int, comment: str | None) -> tuple[WorkItem, PortalFeedback]:
    _require_contact(viewer)
    limits.check({"ref": ref, "comment": comment})
    if not 1 <= rating <= 5:
        raise ValidationError.single("rating", f"rating must be between 1 and 5, got {rating}")
    comment = None if comment is None or text.is_blank(comment) else comment.strip()
    async with unit_of_work() as uow:
        item = await visibility.get_portal_ticket(viewer, ref, for_update=True)
        if not may_give_feedback(item):
            raise InvalidTransition(
                f"{item.ref} is {item.status.value}: feedback is given once it is resolved.", field="ref",
                **{"from": item.status.value, "to": item.status.value},
            )
        if await PortalFeedback.exists(work_item_id=item.id):
            raise Conflict(f"Feedback on {item.ref} has been given already.", field="ref")
        feedback = await PortalFeedback.create(work_item_id=item.id, contact_id=viewer.id, rating=rating, comment=comment, at=clock.now())
        await timeline.feedback(uow, item, viewer, rating, comment)
        await notifications.notify(uow, item.last_assignee_id or item.assignee_id, NotificationKind.NEW_INFORMATION, item,
                                   f"Feedback on {item.ref}: {rating}/5")
    return item, feedback
