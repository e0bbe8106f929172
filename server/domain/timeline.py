"""Timeline entries, one function per kind of entry (SPEC §4).

Each writes the entry inside the caller's unit of work and emits `TimelineEntryAdded`.
`actor` is the viewer who acted, or None for the system. An action emits its change's event first,
then records the entry: workItemUpdated pushes a change with the entry logged right after it as
one message (server/schema/live/work_item.py).

`data` is stored as the API shows it: camelCase keys, ids as strings (like GraphQL IDs) with the
name next to each id (`fromUserId`, `fromUserName`), other work items by reference. The keys per
kind are listed in README.md ("Timeline entry data").
"""

from __future__ import annotations

from typing import Any, Iterable

from tortoise.models import Model

from models.email import Email
from models.enums import TimelineKind
from models.org import Queue, User
from models.timeline import TimelineEntry
from models.work_item import WorkItem
from server.domain import clock
from server.domain.uow import UnitOfWork
from server.domain.viewer import Viewer, ViewerKind
from server.domain.events import ItemHeader, TimelineEntryAdded


def actor_event_fields(actor: Viewer | None) -> dict[str, Any]:
    if actor is None:
        return {"actor_kind": None, "actor_id": None, "actor_name": None}
    return {"actor_kind": actor.kind.value, "actor_id": actor.id, "actor_name": actor.name}


def _id(value: int | None) -> str | None:
    return None if value is None else str(value)


async def _names(model: type[Model], ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return dict(await model.filter(id__in=wanted).values_list("id", "name"))


async def _named(model: type[Model], **ids: int | None) -> dict[str, Any]:
    """`{"<role>Id": "3", "<role>Name": "Jane Cooper"}` for each role, in one query."""
    names = await _names(model, ids.values())
    data: dict[str, Any] = {}
    for role, value in ids.items():
        data[f"{role}Id"] = _id(value)
        data[f"{role}Name"] = names.get(value) if value is not None else None
    return data


async def _add(
    uow: UnitOfWork,
    item: WorkItem,
    kind: TimelineKind,
    actor: Viewer | None,
    *,
    body: str | None = None,
    data: dict[str, Any] | None = None,
    is_public: bool = False,
    system_generated: bool = False,
    is_resolution: bool = False,
    email_id: int | None = None,
) -> TimelineEntry:
    entry = await TimelineEntry.create(
        work_item_id=item.id,
        kind=kind,
        actor_user_id=actor.id if actor and actor.kind is ViewerKind.USER else None,
        actor_contact_id=actor.id if actor and actor.kind is ViewerKind.CONTACT else None,
        actor_api_key_id=actor.id if actor and actor.kind is ViewerKind.API_KEY else None,
        body=body,
        data=data or {},
        is_public=is_public,
        system_generated=system_generated,
        is_resolution=is_resolution,
        email_id=email_id,
        created_at=clock.now(),
    )
    uow.emit(
        TimelineEntryAdded(
            work_item_id=item.id,
            ref=item.ref,
            department_id=item.department_id,
            version=item.version,
            item=ItemHeader.of(item),
            entry_id=entry.id,
            kind=kind.value,
            public=is_public,
            **actor_event_fields(actor),
        )
    )
    return entry


async def created(uow: UnitOfWork, item: WorkItem, actor: Viewer | None) -> TimelineEntry:
    return await _add(uow, item, TimelineKind.CREATED, actor, data={"status": item.status.value})


async def submitted(uow: UnitOfWork, item: WorkItem, actor: Viewer | None) -> TimelineEntry:
    return await _add(
        uow,
        item,
        TimelineKind.SUBMITTED,
        actor,
        data={
            "from": "DRAFT",
            "to": item.status.value,
            **await _named(Queue, queue=item.queue_id),
            "dueAt": item.due_at.isoformat() if item.due_at else None,
        },
    )


async def initial_description(uow: UnitOfWork, item: WorkItem, actor: Viewer | None) -> TimelineEntry:
    """A ticket's description becomes the initial submission note when it is submitted."""
    return await _add(uow, item, TimelineKind.INITIAL_DESCRIPTION, actor, body=item.description, is_public=True)


async def status_changed(
    uow: UnitOfWork,
    item: WorkItem,
    actor: Viewer | None,
    *,
    from_status: str,
    reason: str | None = None,
) -> TimelineEntry:
    """A status change, with the wait type or resolution method it came with and the reason."""
    return await _add(
        uow,
        item,
        TimelineKind.STATUS_CHANGED,
        actor,
        body=reason,
        data={
            "from": from_status,
            "to": item.status.value,
            "waitType": item.wait_type.value if item.wait_type else None,
            "resolutionMethod": item.resolution_method.value if item.resolution_method else None,
        },
    )


async def assigned(uow: UnitOfWork, item: WorkItem, actor: Viewer | None, *, from_user_id: int | None) -> TimelineEntry:
    data = await _named(User, fromUser=from_user_id, toUser=item.assignee_id)
    return await _add(uow, item, TimelineKind.ASSIGNED, actor, data=data)


async def note(
    uow: UnitOfWork, item: WorkItem, actor: Viewer | None, body: str, *, is_public: bool, is_resolution: bool = False,
    mentions: list[int] | None = None,
) -> TimelineEntry:
    names = await _names(User, mentions or [])
    return await _add(
        uow, item, TimelineKind.NOTE, actor, body=body, is_public=is_public, is_resolution=is_resolution,
        data={"mentions": [{"userId": _id(i), "userName": names.get(i)} for i in mentions or []]},
    )


async def outgoing_email(uow: UnitOfWork, item: WorkItem, actor: Viewer | None, email_id: int, subject: str, *,
                         is_resolution: bool = False, system_generated: bool = False) -> TimelineEntry:
    return await _add(
        uow, item, TimelineKind.EMAIL_OUT, actor, body=subject, data={"emailId": _id(email_id)}, is_public=True,
        is_resolution=is_resolution, system_generated=system_generated, email_id=email_id,
    )


async def incoming_email(uow: UnitOfWork, item: WorkItem, actor: Viewer | None, email: Email) -> TimelineEntry:
    """An email that arrived for `item` (public: the requester's own message); an automatic one
    (out of office, a bounce) is marked system-generated, hidden unless asked for."""
    return await _add(
        uow, item, TimelineKind.EMAIL_IN, actor, body=email.subject, is_public=True, email_id=email.id,
        system_generated=email.is_auto_reply,
        data={"emailId": _id(email.id), "from": email.from_address, "automatic": email.auto_reply_reason},
    )


async def queue_changed(uow: UnitOfWork, item: WorkItem, actor: Viewer | None, *, from_queue_id: int | None) -> TimelineEntry:
    data = await _named(Queue, fromQueue=from_queue_id, toQueue=item.queue_id)
    return await _add(uow, item, TimelineKind.QUEUE_CHANGED, actor, data=data)


async def due_missed(uow: UnitOfWork, item: WorkItem) -> TimelineEntry:
    return await _add(uow, item, TimelineKind.DUE_MISSED, None, data={"dueAt": item.due_at.isoformat() if item.due_at else None})


async def merged(uow: UnitOfWork, source: WorkItem, target: WorkItem, actor: Viewer | None) -> None:
    await _add(uow, source, TimelineKind.MERGED, actor, data={"into": target.ref, "role": "source"})
    await _add(uow, target, TimelineKind.MERGED, actor, data={"from": source.ref, "role": "target"})


async def split(uow: UnitOfWork, source: WorkItem, parts: list[WorkItem], actor: Viewer | None) -> None:
    await _add(uow, source, TimelineKind.SPLIT, actor, data={"parts": [p.ref for p in parts], "role": "source"})
    for part in parts:
        await _add(uow, part, TimelineKind.SPLIT, actor, data={"from": source.ref, "role": "part"})


async def case_started(uow: UnitOfWork, source: WorkItem, case: WorkItem, actor: Viewer | None, *, relation: str) -> None:
    """`relation`: SUB_CASE, INDEPENDENT or CONVERTED (a ticket turned into a case)."""
    await _add(uow, source, TimelineKind.CASE_STARTED, actor, data={"case": case.ref, "relation": relation})
    await _add(uow, case, TimelineKind.CASE_STARTED, actor, data={"from": source.ref, "relation": relation})


async def action_started(uow: UnitOfWork, case: WorkItem, action: WorkItem, actor: Viewer | None) -> TimelineEntry:
    data = {"action": action.ref, "title": action.title, "kind": action.action_kind.value if action.action_kind else None, "step": action.step}
    return await _add(uow, case, TimelineKind.ACTION_STARTED, actor, data=data)


async def case_problem(uow: UnitOfWork, case: WorkItem, action: WorkItem, reason: str | None) -> TimelineEntry:
    return await _add(uow, case, TimelineKind.CASE_PROBLEM, None, body=reason, data={"action": action.ref})


async def case_reworked(uow: UnitOfWork, case: WorkItem, actor: Viewer | None, *, step: int) -> TimelineEntry:
    return await _add(uow, case, TimelineKind.CASE_REWORKED, actor, data={"step": step})


async def peer_review(uow: UnitOfWork, action: WorkItem, actor: Viewer | None, *, stage: str, comment: str | None = None) -> TimelineEntry:
    """A peer review stage: IN_PEER_REVIEW, PASSED, FAILED or UNABLE_TO_REVIEW."""
    data = {"stage": stage, **await _named(User, doer=action.doer_id, reviewer=action.reviewer_id)}
    return await _add(uow, action, TimelineKind.PEER_REVIEW, actor, body=comment, data=data)


async def linked(uow: UnitOfWork, item: WorkItem, other: WorkItem, actor: Viewer | None, *, linked: bool) -> TimelineEntry:
    kind = TimelineKind.LINKED if linked else TimelineKind.UNLINKED
    return await _add(uow, item, kind, actor, data={"other": other.ref, "otherType": other.type.value})


async def email_shared(uow: UnitOfWork, target: WorkItem, source: WorkItem, email: Email, actor: Viewer | None) -> TimelineEntry:
    """An email of `source` shown on `target`'s timeline, marked shared, with its origin."""
    return await _add(
        uow, target, TimelineKind.EMAIL_SHARED, actor, body=email.subject, email_id=email.id,
        data={"sharedFrom": source.ref, "emailId": _id(email.id), "direction": email.direction.value},
    )


async def fields_changed(uow: UnitOfWork, item: WorkItem, actor: Viewer | None, changes: list[dict[str, Any]]) -> TimelineEntry:
    """The field edits of one change, each {"field", "from", "to"} by the field's API name, with
    "fromName"/"toName" ("fromNames"/"toNames" for lists) next to ids of people and categories."""
    return await _add(uow, item, TimelineKind.FIELDS_CHANGED, actor, data={"changes": changes})


async def department_changed(
    uow: UnitOfWork,
    item: WorkItem,
    actor: Viewer | None,
    *,
    from_department: tuple[int, str],
    to_department: tuple[int, str],
    from_queue: tuple[int, str] | None,
    to_queue: tuple[int, str],
) -> TimelineEntry:
    """The item moved to another department (and one of its queues); each (id, name)."""
    return await _add(
        uow, item, TimelineKind.DEPARTMENT_CHANGED, actor,
        data={
            "fromDepartmentId": str(from_department[0]), "fromDepartmentName": from_department[1],
            "toDepartmentId": str(to_department[0]), "toDepartmentName": to_department[1],
            "fromQueueId": str(from_queue[0]) if from_queue else None, "fromQueueName": from_queue[1] if from_queue else None,
            "toQueueId": str(to_queue[0]), "toQueueName": to_queue[1],
        },
    )


async def portal_message(uow: UnitOfWork, item: WorkItem, actor: Viewer, body: str, *, attachments: int = 0) -> TimelineEntry:
    """The requester's message on the portal (public: it is theirs)."""
    return await _add(uow, item, TimelineKind.PORTAL_MESSAGE, actor, body=body, is_public=True, data={"attachments": attachments})


async def feedback(uow: UnitOfWork, item: WorkItem, actor: Viewer, rating: int, comment: str | None) -> TimelineEntry:
    """The requester's rating (1 to 5) and comment on the resolved ticket."""
    return await _add(uow, item, TimelineKind.FEEDBACK, actor, body=comment, is_public=True, data={"rating": rating})
