"""The SLA clock (SPEC §2.2 rule 5).

Due date = submit time + the department's SLA hours (or the item's own override). While an item
waits and its department adds waiting time to the due date, the clock stands still: the item
shows how long before (or after) its due date it was paused, and when the wait ends the due date
moves on by the time spent waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from models.enums import Status
from models.org import Department
from models.work_item import WorkItem
from server.domain.workflow import DONE


def due_date(department: Department, submitted_at: datetime, sla_hours: int | None = None) -> datetime:
    """When work submitted at `submitted_at` is due: after the item's own SLA hours (`sla_hours`,
    the override) or else its department's."""
    return submitted_at + timedelta(hours=sla_hours or department.sla_hours)


def is_paused(item: WorkItem, department: Department) -> bool:
    return (
        item.status is Status.WAITING
        and department.add_waiting_time_to_due
        and item.wait_started_at is not None
        and item.due_at is not None
    )


def clock_time(item: WorkItem, department: Department, now: datetime) -> datetime:
    """The moment the SLA clock shows: the start of the wait while paused, else now."""
    return item.wait_started_at if is_paused(item, department) else now  # type: ignore[return-value]


def is_overdue(item: WorkItem, department: Department, now: datetime) -> bool:
    if item.due_at is None or item.status in DONE or item.status is Status.DRAFT:
        return False
    return clock_time(item, department, now) > item.due_at


def resumed_due_date(item: WorkItem, department: Department, now: datetime) -> datetime | None:
    """The due date after a wait ends: moved by the time spent waiting when the clock stood still."""
    if is_paused(item, department):
        return item.due_at + (now - item.wait_started_at)  # type: ignore[operator]
    return item.due_at


@dataclass(frozen=True)
class Pause:
    """How far from its due date an item was when its clock stopped."""

    remaining: timedelta  # negative when it was already late

    @property
    def before_due(self) -> bool:
        return self.remaining >= timedelta(0)

    @property
    def minutes(self) -> int:
        return int(self.remaining.total_seconds() // 60) if self.before_due else -int(-self.remaining.total_seconds() // 60)

    @property
    def label(self) -> str:
        total = abs(self.minutes)
        hours, minutes = divmod(total, 60)
        return f"paused {hours} h {minutes} m {'before' if self.before_due else 'after'} due"


def pause(item: WorkItem, department: Department) -> Pause | None:
    if not is_paused(item, department):
        return None
    return Pause(item.due_at - item.wait_started_at)  # type: ignore[operator]
