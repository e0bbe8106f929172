"""Timed transitions (SPEC §2.2 rules 4, 5, 7 and 12): follow-up reached, days to wait passed
(with or without close if no response), feedback window ended, due date missed, wait for
sub-cases satisfied, a case action's reply not come in time.

`run_due` fires everything due at the injectable clock's now. Each firing is its
own unit of work that first locks the item and re-checks its condition — `SELECT … FOR UPDATE SKIP
LOCKED` on PostgreSQL, serialised transactions on SQLite — so with several processes sweeping at
once every transition happens exactly once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Awaitable, Callable

from tortoise import Tortoise
from tortoise.expressions import Q

from models.enums import ActionKind, NotificationKind, ResolutionMethod, Status, WaitType, WorkItemType
from models.org import Department, Team
from models.work_item import WorkItem
from server.domain import clock, notifications, sla, timeline, workflow
from server.domain import cases
from server.domain.cases import running_sub_cases
from server.domain.lifecycle import change_status, set_flags
from server.domain.uow import UnitOfWork, unit_of_work
from server.domain.item_store import event_base, save_changes
from server.domain.events import WorkItemDueMissed

log = logging.getLogger(__name__)


@dataclass
class SweepReport:
    back_from_waiting: int = 0
    closed_without_response: int = 0
    feedback_closed: int = 0
    due_missed: int = 0
    sub_case_waits_closed: int = 0
    reply_waits_closed: int = 0

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))


async def _fire(item_id: int, condition: Q, fire: Callable[[UnitOfWork, WorkItem], Awaitable[str | None]]) -> str | None:
    """Lock the item if it still meets `condition` and nobody else holds it, then fire."""
    async with unit_of_work() as uow:
        query = WorkItem.filter(Q(id=item_id) & condition)
        if Tortoise.get_connection("default").capabilities.dialect == "postgres":
            query = query.select_for_update(skip_locked=True)
        item = await query.first()
        if item is None:
            return None
        return await fire(uow, item)


def _wait_ended(now: datetime) -> Q:
    return Q(status=Status.WAITING, wait_type__in=[WaitType.FOLLOW_UP, WaitType.MORE_INFO], wait_until__lte=now)


async def _end_wait(uow: UnitOfWork, item: WorkItem) -> str:
    if await cases.reply_wait_ended(uow, item):  # a case action's reply did not come: it closes anyway
        return "reply_waits_closed"
    if item.type is WorkItemType.TICKET and item.wait_type is WaitType.MORE_INFO and item.close_if_no_response:
        # closed at once: no feedback window
        await change_status(
            uow, item, None, Status.CLOSED, reason=f"No response within {item.days_to_wait} day(s).",
            fields={"resolution_method": ResolutionMethod.NO_CUSTOMER_RESPONSE},
        )
        return "closed_without_response"
    why = "Follow-up time reached." if item.wait_type is WaitType.FOLLOW_UP else f"No answer within {item.days_to_wait} day(s)."
    await change_status(uow, item, None, Status.IN_PROGRESS, assignee=item.assignee_id or item.last_assignee_id, reason=why)
    await set_flags(uow, item, None, has_new_info=True)
    await notifications.notify(uow, item.assignee_id, NotificationKind.BACK_FROM_WAITING, item, f"{item.ref} is back: {why}")
    return "back_from_waiting"


def _feedback_over(now: datetime) -> Q:
    return Q(status=Status.RESOLVED, feedback_until__lte=now)


async def _close_after_feedback(uow: UnitOfWork, item: WorkItem) -> str:
    await change_status(uow, item, None, Status.CLOSED, reason="The feedback window ended.")
    return "feedback_closed"


def _due_missed(now: datetime) -> Q:
    # strictly past, as sla.is_overdue: at the due moment itself it is not missed yet
    return Q(status__in=sorted(workflow.OPEN), due_at__lt=now, due_missed_at=None)


def _record_missed(now: datetime):
    async def fire(uow: UnitOfWork, item: WorkItem) -> str | None:
        department = await Department.get(id=item.department_id)
        if not sla.is_overdue(item, department, now):
            return None  # its clock stopped before the due date
        await save_changes(item, {"due_missed_at": now})
        uow.emit(WorkItemDueMissed(**event_base(item, None), due_at=item.due_at.isoformat()))
        await timeline.due_missed(uow, item)
        recipients = [item.assignee_id] if item.assignee_id else []
        if not recipients and item.team_id:
            recipients = list(await Team.filter(id=item.team_id).values_list("leaders__id", flat=True))
        for user_id in recipients:
            if user_id is not None:
                await notifications.notify(uow, user_id, NotificationKind.DUE_MISSED, item, f"{item.ref} missed its due date")
        return "due_missed"

    return fire


def _sub_case_waits() -> Q:
    return Q(status=Status.WAITING, wait_type=WaitType.SUB_CASES, action_kind=ActionKind.WAIT_FOR_SUB_CASES)


async def _close_sub_case_wait(uow: UnitOfWork, item: WorkItem) -> str | None:
    if await running_sub_cases(await WorkItem.get(id=item.parent_id)):
        return None
    await change_status(uow, item, None, Status.CLOSED, reason="Every sub-case is finished.",
                        fields={"resolution_method": ResolutionMethod.COMPLETE})
    return "sub_case_waits_closed"


async def run_due(*, batch: int = 500) -> SweepReport:
    """Fire every timed transition due now (the domain clock's now); how many of each fired here.

    Candidates are read `batch` ids at a time, in id order, until none is left: some stay
    candidates without firing (a clock stopped before its due date, sub-cases still running), and
    they must not keep the ones behind them from their turn. An item that fails to fire is logged
    and skipped, so one bad row cannot hold up every timer; it is tried again next sweep."""
    now = clock.now()
    report = SweepReport()
    timers: list[tuple[Q, Callable[[UnitOfWork, WorkItem], Awaitable[str | None]]]] = [
        (_wait_ended(now), _end_wait),
        (_feedback_over(now), _close_after_feedback),
        (_due_missed(now), _record_missed(now)),
        (_sub_case_waits(), _close_sub_case_wait),
    ]
    for condition, fire in timers:
        after = 0
        while True:
            ids = await WorkItem.filter(condition & Q(id__gt=after)).order_by("id").limit(batch).values_list("id", flat=True)
            for item_id in ids:
                try:
                    fired = await _fire(item_id, condition, fire)
                except Exception:
                    log.exception("timed transition of work item %s failed", item_id)
                    continue
                if fired:
                    setattr(report, fired, getattr(report, fired) + 1)
            if len(ids) < batch:
                break
            after = ids[-1]
    return report


async def run_forever(interval: float) -> None:
    """Sweep every `interval` seconds until cancelled; a failing sweep is logged and retried."""
    while True:
        try:
            report = await run_due()
            if report.total:
                log.info("scheduler fired %s", report)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("scheduler sweep failed")
        await asyncio.sleep(interval)
