"""Typed domain events: what changed, with what a live client needs to react.

Each event is a frozen dataclass registered under a `type` literal. Parsing is strict (unknown
types, unknown or missing fields, wrong value types are errors), so a producer and a consumer that
disagree fail loudly instead of silently dropping data. No strawberry here: the domain emits these.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

E = TypeVar("E", bound="DomainEvent")
_REGISTRY: dict[str, type["DomainEvent"]] = {}


class EventFormatError(ValueError):
    pass


def event(type_name: str):
    """Register a DomainEvent subclass under its wire `type`."""

    def register(cls: type[E]) -> type[E]:
        if type_name in _REGISTRY:
            raise ValueError(f"duplicate event type {type_name}")
        cls = dataclass(frozen=True, kw_only=True)(cls)
        cls.type = type_name
        _REGISTRY[type_name] = cls
        return cls

    return register


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    type: ClassVar[str]

    def channels(self) -> list[str]:
        """Broker channels (without the deployment prefix) this event is published on."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, **dataclasses.asdict(self)}


@dataclass(frozen=True, kw_only=True)
class WorkItemEvent(DomainEvent):
    work_item_id: int
    ref: str
    department_id: int
    version: int
    actor_kind: str | None = None  # USER, CONTACT, API_KEY, or None for the system
    actor_id: int | None = None
    actor_name: str | None = None

    def channels(self) -> list[str]:
        return [work_item_channel(self.work_item_id)]


@event("work_item.created")
class WorkItemCreated(WorkItemEvent):
    item_type: str
    status: str


@event("work_item.updated")
class WorkItemFieldsChanged(WorkItemEvent):
    fields: tuple[str, ...]


@event("work_item.submitted")
class WorkItemSubmitted(WorkItemEvent):
    status: str
    queue_id: int | None
    due_at: str | None


@event("work_item.status_changed")
class WorkItemStatusChanged(WorkItemEvent):
    from_status: str
    to_status: str
    wait_type: str | None
    resolution_method: str | None


@event("work_item.assigned")
class WorkItemAssigned(WorkItemEvent):
    from_user_id: int | None
    to_user_id: int | None


@event("work_item.due_missed")
class WorkItemDueMissed(WorkItemEvent):
    due_at: str


@event("work_item.email_shared")
class EmailShared(WorkItemEvent):
    """An email of another (linked) item was shared to this one; its team sees it live."""

    email_id: int
    team_id: int | None
    shared_from: str

    def channels(self) -> list[str]:
        channels = [work_item_channel(self.work_item_id)]
        if self.team_id is not None:
            channels.append(team_channel(self.team_id))
        return channels


@event("work_item.timeline_entry_added")
class TimelineEntryAdded(WorkItemEvent):
    entry_id: int
    kind: str


@event("notification.created")
class NotificationCreated(DomainEvent):
    user_id: int
    notification_id: int
    kind: str
    text: str
    work_item_id: int | None
    ref: str | None

    def channels(self) -> list[str]:
        return [user_channel(self.user_id)]


@dataclass(frozen=True, kw_only=True)
class AccessRevoked(DomainEvent):
    """An identity may no longer act: every live connection authenticated as it closes at once.

    Published on `access:<subject>:<id>` (`access:api_key:7`, later `access:user:3`), the channel
    each such connection watches (server/subscriptions/access.py)."""

    subject: ClassVar[str]  # "api_key", "user", "contact"

    @staticmethod
    def channel(subject: str, subject_id: int) -> str:
        return f"access:{subject}:{subject_id}"

    def subject_id(self) -> int:
        raise NotImplementedError

    def channels(self) -> list[str]:
        return [self.channel(self.subject, self.subject_id())]


@event("access.api_key_revoked")
class ApiKeyRevoked(AccessRevoked):
    subject: ClassVar[str] = "api_key"
    api_key_id: int

    def subject_id(self) -> int:
        return self.api_key_id


def team_channel(team_id: int) -> str:
    return f"team:{team_id}"


def user_channel(user_id: int) -> str:
    return f"user:{user_id}"


def work_item_channel(work_item_id: int) -> str:
    return f"work_item:{work_item_id}"


def _check(value: Any, hint: Any, name: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        for option in typing.get_args(hint):
            try:
                return _check(value, option, name)
            except EventFormatError:
                continue
        raise EventFormatError(f"field {name}: {value!r} does not match {hint}")
    if hint is type(None):
        if value is None:
            return None
        raise EventFormatError(f"field {name}: expected null")
    if origin is tuple:
        (item_hint, _ellipsis) = typing.get_args(hint)
        if not isinstance(value, (list, tuple)):
            raise EventFormatError(f"field {name}: expected a list")
        return tuple(_check(v, item_hint, name) for v in value)
    if hint is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise EventFormatError(f"field {name}: expected an integer")
    if hint in (str, bool) and not isinstance(value, hint):
        raise EventFormatError(f"field {name}: expected {hint.__name__}")
    return value


def from_dict(data: dict[str, Any]) -> DomainEvent:
    data = dict(data)
    cls = _REGISTRY.get(data.pop("type", None))
    if cls is None:
        raise EventFormatError("unknown event type")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(data) - set(fields)
    if unknown:
        raise EventFormatError(f"unknown fields {sorted(unknown)} for {cls.type}")
    values = {}
    for name, f in fields.items():
        if name not in data:
            if f.default is dataclasses.MISSING:
                raise EventFormatError(f"missing field {name} for {cls.type}")
            continue
        values[name] = _check(data[name], hints[name], name)
    return cls(**values)


@dataclass(frozen=True)
class Envelope:
    """An event as stored and published: its cursor (event log id) and the event."""

    cursor: int
    occurred_at: str
    event: DomainEvent

    def to_json(self) -> str:
        return json.dumps(
            {"cursor": self.cursor, "occurred_at": self.occurred_at, "event": self.event.to_dict()},
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> "Envelope":
        try:
            data = json.loads(text)
            return cls(int(data["cursor"]), str(data["occurred_at"]), from_dict(data["event"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise EventFormatError(str(exc)) from None
