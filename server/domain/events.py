"""Typed domain events: what changed, with what a live client needs to react.

Each event is a msgspec Struct tagged with its wire `type`. Decoding is strict (unknown types,
unknown or missing fields, wrong value types are errors), so a producer and a consumer that
disagree fail loudly instead of silently dropping data; encoding and decoding are msgspec's, once
per message however many subscribers receive it. No strawberry here: the domain emits these.

A work item event carries the item's header as it stands after the change (`item`): enough for
`visibility.visible_event` to decide who may be told of it without reading the item again.
"""

from __future__ import annotations

from typing import Any, ClassVar, Union

import msgspec

from models.enums import WorkItemType


class EventFormatError(ValueError):
    pass


class DomainEvent(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, tag_field="type"):
    type: ClassVar[str]

    def channels(self) -> list[str]:
        """Channels this event is delivered on (without the deployment prefix); each is also an
        index of the log for replay by cursor."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        return msgspec.to_builtins(self)


class ItemHeader(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A work item's state after the change: who may see it, and what a list row shows."""

    type: WorkItemType
    status: str
    title: str | None
    assignee_id: int | None = None
    owner_id: int | None = None
    created_by_id: int | None = None
    requester_id: int | None = None
    company_id: int | None = None
    team_id: int | None = None
    queue_id: int | None = None
    has_new_info: bool = False

    @classmethod
    def of(cls, item: Any) -> "ItemHeader":
        """The header of a work item (models.work_item.WorkItem) as it stands now."""
        return cls(
            type=item.type,
            status=item.status.value,
            title=item.title,
            assignee_id=item.assignee_id,
            owner_id=item.owner_id,
            created_by_id=item.created_by_id,
            requester_id=item.requester_id,
            company_id=item.company_id,
            team_id=item.team_id,
            queue_id=item.queue_id,
            has_new_info=item.has_new_info,
        )


class WorkItemEvent(DomainEvent, frozen=True, kw_only=True):
    work_item_id: int
    ref: str
    department_id: int
    version: int
    item: ItemHeader
    actor_kind: str | None = None  # USER, CONTACT, API_KEY, or None for the system
    actor_id: int | None = None
    actor_name: str | None = None

    def people(self) -> set[int]:
        """The users whose workload this event may change (their team bar, their flags)."""
        return {u for u in (self.item.assignee_id,) if u is not None}

    def channels(self) -> list[str]:
        return [work_item_channel(self.work_item_id), *(assignee_channel(u) for u in sorted(self.people()))]


class WorkItemCreated(WorkItemEvent, frozen=True, kw_only=True, tag="work_item.created"):
    item_type: str
    status: str


class WorkItemFieldsChanged(WorkItemEvent, frozen=True, kw_only=True, tag="work_item.updated"):
    fields: tuple[str, ...]
    # the new values of the changed fields (API names), where they are plain values
    values: dict[str, Any] = {}


class WorkItemSubmitted(WorkItemEvent, frozen=True, kw_only=True, tag="work_item.submitted"):
    status: str
    queue_id: int | None
    due_at: str | None


class WorkItemStatusChanged(WorkItemEvent, frozen=True, kw_only=True, tag="work_item.status_changed"):
    from_status: str
    to_status: str
    wait_type: str | None
    resolution_method: str | None


class WorkItemAssigned(WorkItemEvent, frozen=True, kw_only=True, tag="work_item.assigned"):
    from_user_id: int | None
    to_user_id: int | None

    def people(self) -> set[int]:
        return {u for u in (self.item.assignee_id, self.from_user_id, self.to_user_id) if u is not None}


class WorkItemDueMissed(WorkItemEvent, frozen=True, kw_only=True, tag="work_item.due_missed"):
    due_at: str


class EmailShared(WorkItemEvent, frozen=True, kw_only=True, tag="work_item.email_shared"):
    """An email of another (linked) item was shared to this one; its team sees it live."""

    email_id: int
    team_id: int | None
    shared_from: str

    def channels(self) -> list[str]:
        return super().channels() + ([team_channel(self.team_id)] if self.team_id is not None else [])


class EmailUnshared(WorkItemEvent, frozen=True, kw_only=True, tag="work_item.email_unshared"):
    """A shared email was taken off this item (its own item keeps it); its team sees it go."""

    email_id: int
    team_id: int | None
    shared_from: str
    shared_at: str  # when it had been shared (ISO 8601)

    def channels(self) -> list[str]:
        return super().channels() + ([team_channel(self.team_id)] if self.team_id is not None else [])


class TimelineEntryAdded(WorkItemEvent, frozen=True, kw_only=True, tag="work_item.timeline_entry_added"):
    entry_id: int
    kind: str
    public: bool = False  # shown on the portal

    def channels(self) -> list[str]:
        return [work_item_channel(self.work_item_id)]


class NotificationCreated(DomainEvent, frozen=True, kw_only=True, tag="notification.created"):
    user_id: int
    notification_id: int
    kind: str
    text: str
    work_item_id: int | None
    ref: str | None
    created_at: str = ""

    def channels(self) -> list[str]:
        return [user_channel(self.user_id)]


class NotificationsRead(DomainEvent, frozen=True, kw_only=True, tag="notification.read"):
    """Some of a user's notifications were marked read (all of them when `all`)."""

    user_id: int
    notification_ids: tuple[int, ...]
    all: bool = False
    read_at: str = ""

    def channels(self) -> list[str]:
        return [user_channel(self.user_id)]


class OutboxEmailChanged(DomainEvent, frozen=True, kw_only=True, tag="outbox.email_changed"):
    """An outgoing email entered the outbox or changed state (QUEUED, SENT, FAILED, ...)."""

    email_id: int
    work_item_id: int | None
    ref: str | None
    department_id: int | None
    status: str
    created_by_id: int | None
    error: str | None = None

    def channels(self) -> list[str]:
        channels = [outbox_channel()]
        if self.created_by_id is not None:
            channels.append(user_channel(self.created_by_id))
        return channels


class PresenceChanged(DomainEvent, frozen=True, kw_only=True, tag="presence.changed"):
    """A user's presence (ONLINE, AWAY, OFFLINE) over all their live connections changed."""

    user_id: int
    presence: str

    def channels(self) -> list[str]:
        return [presence_channel(self.user_id)]


class ItemViewersChanged(DomainEvent, frozen=True, kw_only=True, tag="work_item.viewers_changed"):
    """Who has a work item open (and who of them is editing) changed."""

    work_item_id: int
    department_id: int

    def channels(self) -> list[str]:
        return [work_item_channel(self.work_item_id)]


class AccessRevoked(DomainEvent, frozen=True, kw_only=True):
    """An identity's access changed: every live connection authenticated as it checks it again at
    once (and closes when it may no longer act).

    Published on `access:<subject>:<id>` (`access:api_key:7`, `access:user:3`), the channel each
    such connection watches (server/subscriptions/access.py)."""

    subject: ClassVar[str]  # "api_key", "user"

    @staticmethod
    def channel(subject: str, subject_id: int) -> str:
        return f"access:{subject}:{subject_id}"

    def subject_ids(self) -> tuple[int, ...]:
        raise NotImplementedError

    def channels(self) -> list[str]:
        return [self.channel(self.subject, i) for i in self.subject_ids()]


class ApiKeyRevoked(AccessRevoked, frozen=True, kw_only=True, tag="access.api_key_revoked"):
    subject: ClassVar[str] = "api_key"
    api_key_id: int

    def subject_ids(self) -> tuple[int, ...]:
        return (self.api_key_id,)


class UserAccessChanged(AccessRevoked, frozen=True, kw_only=True, tag="access.user_changed"):
    """Users' departments, groups or active flag changed: what they may see is read again."""

    subject: ClassVar[str] = "user"
    user_ids: tuple[int, ...]

    def subject_ids(self) -> tuple[int, ...]:
        return self.user_ids


def team_channel(team_id: int) -> str:
    return f"team:{team_id}"


def user_channel(user_id: int) -> str:
    return f"user:{user_id}"


def assignee_channel(user_id: int) -> str:
    return f"assignee:{user_id}"


def presence_channel(user_id: int) -> str:
    return f"presence:{user_id}"


def outbox_channel() -> str:
    return "outbox"


def work_item_channel(work_item_id: int) -> str:
    return f"work_item:{work_item_id}"


class ContactAccessChanged(AccessRevoked, frozen=True, kw_only=True, tag="access.contact_changed"):
    """Portal contacts' sessions ended (logout, revocation): their connections check again."""

    subject: ClassVar[str] = "contact"
    contact_ids: tuple[int, ...]

    def subject_ids(self) -> tuple[int, ...]:
        return self.contact_ids


def team_members_channel(team_id: int) -> str:
    return f"team_members:{team_id}"


class TeamMembershipChanged(DomainEvent, frozen=True, kw_only=True, tag="team.membership_changed"):
    """A team's name, members or leaders changed: its live team bars read it again."""

    team_id: int

    def channels(self) -> list[str]:
        return [team_members_channel(self.team_id)]


def import_job_channel(job_id: int) -> str:
    return f"import_job:{job_id}"


class ImportJobProgressed(DomainEvent, frozen=True, kw_only=True, tag="import_job.progressed"):
    """An import job started, got further through its rows, or finished (server/domain/imports)."""

    job_id: int
    kind: str
    status: str
    total_rows: int
    done_rows: int
    imported: int
    updated: int
    failed: int
    created_by_id: int | None = None
    api_key_id: int | None = None

    def channels(self) -> list[str]:
        return [import_job_channel(self.job_id)]


def _tagged(cls: type[DomainEvent]) -> list[type[DomainEvent]]:
    found = []
    for sub in cls.__subclasses__():
        tag = sub.__struct_config__.tag
        if isinstance(tag, str) and "." in tag:  # bases (WorkItemEvent) get their class name
            sub.type = tag
            found.append(sub)
        found.extend(_tagged(sub))
    return found


EVENT_TYPES: dict[str, type[DomainEvent]] = {cls.type: cls for cls in _tagged(DomainEvent)}
AnyEvent = Union[tuple(EVENT_TYPES.values())]  # type: ignore[valid-type]


class Envelope(msgspec.Struct, frozen=True):
    """An event as stored and published: its cursor (event log id, in commit order) and the event."""

    cursor: int
    occurred_at: str
    event: AnyEvent  # type: ignore[valid-type]

    def to_json(self) -> bytes:
        return _encoder.encode(self)

    @classmethod
    def from_json(cls, data: bytes | str) -> "Envelope":
        try:
            return _envelope_decoder.decode(data)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise EventFormatError(str(exc)) from None


_encoder = msgspec.json.Encoder()
_envelope_decoder = msgspec.json.Decoder(Envelope)
_batch_decoder = msgspec.json.Decoder(list[Envelope])


def encode_batch(envelopes: list[Envelope]) -> bytes:
    """One broker message for the events of one transaction."""
    return _encoder.encode(envelopes)


def decode_batch(data: bytes | str) -> list[Envelope]:
    try:
        return _batch_decoder.decode(data)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise EventFormatError(str(exc)) from None


def from_dict(data: dict[str, Any]) -> DomainEvent:
    """An event from its logged form (`to_dict`), checked as strictly as from the wire."""
    try:
        return msgspec.convert(data, AnyEvent, strict=True)
    except msgspec.ValidationError as exc:
        raise EventFormatError(str(exc)) from None


def plain(value: Any) -> Any:
    """A field's value as an event carries it: JSON values as they are, dates as ISO strings,
    enums by value, sets and tuples as lists."""
    return msgspec.to_builtins(value)


def replace(event: DomainEvent, **changes: Any) -> DomainEvent:
    return msgspec.structs.replace(event, **changes)

