"""DataLoaders, one per model, created per operation so related rows load in one query per kind.

A list resolver may also load its rows' relations up front (`prefetch`): fields then read them
with `loaded` and resolve at once, without a task and a trip through the event loop per field.
"""

from __future__ import annotations

import asyncio
from typing import Any, Iterable, Mapping, TypeVar

from strawberry.dataloader import DataLoader
from tortoise.models import Model

M = TypeVar("M", bound=Model)


def _batch_by_id(model: type[M]):
    async def load(ids: list[int]) -> list[M | None]:
        rows = {row.pk: row for row in await model.filter(id__in=set(ids))}
        return [rows.get(i) for i in ids]

    return load


async def _children(parent_ids: list[int]) -> list[list[Any]]:
    from models.work_item import WorkItem

    rows = await WorkItem.filter(parent_id__in=set(parent_ids)).order_by("id")
    grouped: dict[int, list[Any]] = {i: [] for i in parent_ids}
    for row in rows:
        grouped[row.parent_id].append(row)
    return [grouped[i] for i in parent_ids]


async def _contacts(item_ids: list[int]) -> list[list[Any]]:
    from models.work_item import WorkItem

    items = {i.id: i for i in await WorkItem.filter(id__in=set(item_ids)).prefetch_related("contacts")}
    return [sorted(items[i].contacts, key=lambda c: c.id) if i in items else [] for i in item_ids]


async def _links(item_ids: list[int]) -> list[list[int]]:
    from server.domain.links import linked_ids

    found = await linked_ids(list(set(item_ids)))
    return [found[i] for i in item_ids]


async def _emails(item_ids: list[int]) -> list[list[tuple[Any, str | None]]]:
    """Each item's emails — its own, then those shared to it with the ref they come from."""
    from models.email import Email, EmailShare
    from models.work_item import WorkItem

    wanted = set(item_ids)
    own = await Email.filter(work_item_id__in=wanted).order_by("id")
    shares = await EmailShare.filter(work_item_id__in=wanted).order_by("id").prefetch_related("email")
    sources = {w.id: w.ref for w in await WorkItem.filter(id__in={s.email.work_item_id for s in shares})}
    grouped: dict[int, list[tuple[Any, str | None]]] = {i: [] for i in wanted}
    for email in own:
        grouped[email.work_item_id].append((email, None))
    for share in shares:
        grouped[share.work_item_id].append((share.email, sources.get(share.email.work_item_id)))
    return [grouped[i] for i in item_ids]


async def _email_attachments(email_ids: list[int]) -> list[list[dict[str, Any]]]:
    """Each email's attachments, oldest first, without their content."""
    from models.email import EmailAttachment

    rows = await EmailAttachment.filter(email_id__in=set(email_ids)).order_by("id").values(
        "id", "email_id", "filename", "content_type", "size", "content_id"
    )
    found: dict[int, list[dict[str, Any]]] = {i: [] for i in email_ids}
    for row in rows:
        found[row["email_id"]].append(row)
    return [found[i] for i in email_ids]


# what a timeline entry shows of an outgoing email's state (not its bodies, nor raw inbound bytes)
EMAIL_STATE_FIELDS = (
    "id", "direction", "status", "scheduled_for", "scheduled_by_id", "next_attempt_at", "sent_at", "cancelled_at",
    "cancelled_by_id", "last_error", "attempts",
)


async def _email_states(email_ids: list[int]) -> list[Any]:
    from models.email import Email

    rows = {e.id: e for e in await Email.filter(id__in=set(email_ids)).only(*EMAIL_STATE_FIELDS)}
    return [rows.get(i) for i in email_ids]


async def _portal_timelines(item_ids: list[int]) -> list[list[Any]]:
    """Each portal ticket's public timeline (server/domain/portal/views.py)."""
    from models.work_item import WorkItem
    from server.domain.portal.views import public_timelines

    found = await public_timelines(await WorkItem.filter(id__in=set(item_ids)))
    return [found.get(i, []) for i in item_ids]


async def _portal_feedback(item_ids: list[int]) -> list[Any]:
    from models.portal import PortalFeedback

    found = {f.work_item_id: f for f in await PortalFeedback.filter(work_item_id__in=set(item_ids))}
    return [found.get(i) for i in item_ids]


class Loaders:
    def __init__(self) -> None:
        self._by_model: dict[type[Model], DataLoader] = {}
        self.children = DataLoader(load_fn=_children)  # work items by parent id
        self.contacts = DataLoader(load_fn=_contacts)  # a work item's extra contacts
        self.links = DataLoader(load_fn=_links)  # ids of the items linked to a work item
        self.emails = DataLoader(load_fn=_emails)  # a work item's emails, own and shared to it
        self.email_attachments = DataLoader(load_fn=_email_attachments)  # an email's attachments, without their content
        self.email_states = DataLoader(load_fn=_email_states)  # emails by id, their delivery state only
        self.portal_feedback = DataLoader(load_fn=_portal_feedback)  # a ticket's portal feedback, by work item id
        self.portal_timelines = DataLoader(load_fn=_portal_timelines)  # a portal ticket's public timeline
        # pages of a contact's work items as the operation's viewer sees them (server.resolvers.contacts)
        self.contact_activity: DataLoader | None = None

    def of(self, model: type[M]) -> DataLoader[int, M | None]:
        loader = self._by_model.get(model)
        if loader is None:
            loader = self._by_model[model] = DataLoader(load_fn=_batch_by_id(model))
        return loader

    async def get(self, model: type[M], pk: int | None) -> M | None:
        return None if pk is None else await self.of(model).load(pk)

    def loaded(self, model: type[M], pk: int) -> tuple[bool, M | None]:
        """(True, row or None when there is no such row) once this operation has loaded `pk`;
        (False, None) when it has not, or its load is still running."""
        loader = self._by_model.get(model)
        future = loader.cache_map.get(pk) if loader is not None else None
        if future is None or not future.done() or future.cancelled():
            return False, None
        return True, future.result()

    async def prefetch(self, wanted: Mapping[type[Model], Iterable[int | None]]) -> None:
        """Load these rows, one query per model, all at once; rows already loaded are skipped."""
        loads = []
        for model, pks in wanted.items():
            loader = self.of(model)
            missing = {pk for pk in pks if pk is not None and loader.cache_map.get(pk) is None}
            if missing:
                loads.append(loader.load_many(sorted(missing)))
        if loads:
            await asyncio.gather(*loads)
