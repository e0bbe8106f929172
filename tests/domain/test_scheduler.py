"""Timed transitions (SPEC §2.2 rules 4, 5, 7 and 12) fired by `scheduler.run_due`, on the demo data,
with the clock frozen: the demo is loaded at T0, people act through the lifecycle functions, and
the clock is moved to one second before each timer (nothing fires) and then to the timer itself.

Every test first moves the timers of the demo items it does not use ten years away, so the
report `run_due` returns can be compared whole.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Iterator

import pytest

from models.enums import NotificationKind, ResolutionMethod, Status, TimelineKind, WaitType
from models.event import EventRecord
from models.notification import Notification
from models.org import User
from models.timeline import TimelineEntry
from models.work_item import WorkItem
from server.domain import clock, lifecycle, scheduler
from server.domain.clock import FrozenClock
from server.domain.errors import InvalidTransition
from server.domain.scheduler import SweepReport
from server.domain.viewer import Viewer, user_viewer
from server.worker import running_scheduler

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)  # when the demo is loaded
SECOND = timedelta(seconds=1)
FAR = T0 + timedelta(days=3650)
UK_SLA = timedelta(hours=24)  # UK Operations in the demo
UK_FEEDBACK_WINDOW = timedelta(hours=48)


@pytest.fixture
def frozen() -> Iterator[FrozenClock]:
    with clock.frozen(T0) as frozen_clock:
        yield frozen_clock


@pytest.fixture
async def now(frozen: FrozenClock, demo: None) -> FrozenClock:
    """The frozen clock, with the demo data loaded at T0 (the clock is frozen first)."""
    return frozen


async def viewer(email: str) -> Viewer:
    return await user_viewer(await User.get(email=email))


async def item(ref: str) -> WorkItem:
    return await WorkItem.get(ref=ref)


async def only_timers_of(*refs: str) -> None:
    """Move every other item's timers (due date, wait, feedback window) out of the way."""
    others = WorkItem.exclude(ref__in=list(refs))
    await others.filter(due_at__not_isnull=True).update(due_at=FAR)
    await others.filter(wait_until__not_isnull=True).update(wait_until=FAR)
    await others.filter(feedback_until__not_isnull=True).update(feedback_until=FAR)


async def sweep_at(frozen: FrozenClock, at: datetime) -> SweepReport:
    frozen.current = at
    return await scheduler.run_due()


async def last_status_change(work_item: WorkItem) -> TimelineEntry:
    entry = await TimelineEntry.filter(work_item_id=work_item.id, kind=TimelineKind.STATUS_CHANGED).order_by("-id").first()
    assert entry is not None
    return entry


async def status_events(work_item: WorkItem) -> list[dict]:
    records = await EventRecord.filter(work_item_id=work_item.id, type="work_item.status_changed").order_by("id")
    return [r.payload for r in records]


async def notifications(kind: NotificationKind, work_item: WorkItem) -> list[Notification]:
    return list(await Notification.filter(kind=kind, work_item_id=work_item.id).order_by("id"))


# ------------------------------------------------------------------------------ rule 4: follow-up


async def test_a_follow_up_reached_brings_the_item_back_to_its_assignee(now: FrozenClock):
    jane = await viewer("jane@example.com")
    await only_timers_of("T-1003")
    before = await item("T-1003")  # IN_PROGRESS, Jane's, UK Operations
    assert (before.status, before.assignee_id, before.due_at) == (Status.IN_PROGRESS, jane.id, T0 + UK_SLA)

    now.current = T0 + timedelta(hours=1)
    follow_up = T0 + timedelta(hours=5)
    await lifecycle.wait(jane, "T-1003", None, WaitType.FOLLOW_UP, until=follow_up, reason="Call back at two")
    assert (await item("T-1003")).status is Status.WAITING

    assert await sweep_at(now, follow_up - SECOND) == SweepReport()
    waiting = await item("T-1003")
    assert (waiting.status, waiting.wait_type, waiting.has_new_info) == (Status.WAITING, WaitType.FOLLOW_UP, False)
    assert await notifications(NotificationKind.BACK_FROM_WAITING, waiting) == []

    assert await sweep_at(now, follow_up) == SweepReport(back_from_waiting=1)
    back = await item("T-1003")
    assert back.status is Status.IN_PROGRESS
    assert back.assignee_id == jane.id
    assert back.has_new_info is True
    assert (back.wait_type, back.wait_until, back.wait_started_at) == (None, None, None)
    # UK Operations adds waiting time to the due date: 4 hours waited
    assert back.due_at == before.due_at + timedelta(hours=4)

    entry = await last_status_change(back)
    assert entry.data["from"] == "WAITING" and entry.data["to"] == "IN_PROGRESS"
    assert entry.actor_user_id is None and entry.created_at == follow_up
    back_notes = await notifications(NotificationKind.BACK_FROM_WAITING, back)
    assert [n.user_id for n in back_notes] == [jane.id]
    assert (await status_events(back))[-1]["to_status"] == "IN_PROGRESS"

    # fired once: nothing more to do
    assert await sweep_at(now, follow_up + timedelta(minutes=1)) == SweepReport()
    assert len(await notifications(NotificationKind.BACK_FROM_WAITING, back)) == 1


# ----------------------------------------------------------------- rule 4: days to wait for an answer


async def test_days_to_wait_passed_brings_the_ticket_back(now: FrozenClock):
    karina = await viewer("karina@example.com")
    await only_timers_of("T-1008")
    before = await item("T-1008")  # IN_PROGRESS, Karina's, PL Operations (adds waiting time too)

    now.current = T0 + timedelta(hours=2)
    await lifecycle.wait(karina, "T-1008", None, WaitType.MORE_INFO, days_to_wait=2)
    answer_by = T0 + timedelta(hours=2, days=2)
    assert (await item("T-1008")).wait_until == answer_by

    assert await sweep_at(now, answer_by - SECOND) == SweepReport()
    assert (await item("T-1008")).status is Status.WAITING

    assert await sweep_at(now, answer_by) == SweepReport(back_from_waiting=1)
    back = await item("T-1008")
    assert (back.status, back.assignee_id, back.has_new_info) == (Status.IN_PROGRESS, karina.id, True)
    assert (back.wait_type, back.days_to_wait, back.close_if_no_response) == (None, None, False)
    assert back.due_at == before.due_at + timedelta(days=2)
    assert back.resolution_method is None and back.closed_at is None
    assert [n.user_id for n in await notifications(NotificationKind.BACK_FROM_WAITING, back)] == [karina.id]
    assert (await last_status_change(back)).data["to"] == "IN_PROGRESS"


async def test_days_to_wait_passed_with_close_if_no_response_closes_the_ticket(now: FrozenClock):
    jane = await viewer("jane@example.com")
    await only_timers_of("T-1003")

    now.current = T0 + timedelta(hours=1)
    await lifecycle.wait(jane, "T-1003", None, WaitType.MORE_INFO, days_to_wait=1, close_if_no_response=True)
    answer_by = T0 + timedelta(hours=1, days=1)

    assert await sweep_at(now, answer_by - SECOND) == SweepReport()
    assert (await item("T-1003")).status is Status.WAITING

    assert await sweep_at(now, answer_by) == SweepReport(closed_without_response=1)
    closed = await item("T-1003")
    assert closed.status is Status.CLOSED
    assert closed.resolution_method is ResolutionMethod.NO_CUSTOMER_RESPONSE
    assert closed.feedback_until is None  # no feedback window
    assert closed.closed_at == answer_by
    assert closed.wait_type is None and closed.has_new_info is False
    entry = await last_status_change(closed)
    assert entry.data == {"from": "WAITING", "to": "CLOSED", "waitType": None, "resolutionMethod": "NO_CUSTOMER_RESPONSE"}
    event = (await status_events(closed))[-1]
    assert (event["to_status"], event["resolution_method"]) == ("CLOSED", "NO_CUSTOMER_RESPONSE")
    # it does not come back to anyone's inbox
    assert await notifications(NotificationKind.BACK_FROM_WAITING, closed) == []

    # closed for good: nothing more fires for it, not even its (long past) due date
    assert await sweep_at(now, answer_by + timedelta(days=30)) == SweepReport()
    assert await TimelineEntry.filter(work_item_id=closed.id, kind=TimelineKind.DUE_MISSED).count() == 0
    with pytest.raises(InvalidTransition):
        await lifecycle.reopen(jane, "T-1003", None)


# --------------------------------------------------------------------------- rule 7: feedback window


async def test_a_resolved_ticket_closes_when_its_feedback_window_ends_and_not_before(now: FrozenClock):
    jane = await viewer("jane@example.com")
    await only_timers_of("T-1003")

    resolved_at = T0 + timedelta(hours=3)
    now.current = resolved_at
    await lifecycle.resolve(
        jane, "T-1003", None, ResolutionMethod.WITH_CUSTOMER_RESPONSE, note="Tax code corrected to 1257L."
    )
    resolved = await item("T-1003")
    window_end = resolved_at + UK_FEEDBACK_WINDOW
    assert (resolved.status, resolved.feedback_until) == (Status.RESOLVED, window_end)

    assert await sweep_at(now, window_end - SECOND) == SweepReport()
    assert (await item("T-1003")).status is Status.RESOLVED

    assert await sweep_at(now, window_end) == SweepReport(feedback_closed=1)
    closed = await item("T-1003")
    assert closed.status is Status.CLOSED
    assert closed.closed_at == window_end
    assert closed.resolved_at == resolved_at
    assert closed.resolution_method is ResolutionMethod.WITH_CUSTOMER_RESPONSE
    assert closed.feedback_until is None
    entry = await last_status_change(closed)
    assert (entry.data["from"], entry.data["to"], entry.actor_user_id) == ("RESOLVED", "CLOSED", None)
    assert [e["to_status"] for e in await status_events(closed)][-2:] == ["RESOLVED", "CLOSED"]

    assert await sweep_at(now, window_end + timedelta(hours=1)) == SweepReport()
    with pytest.raises(InvalidTransition):
        await lifecycle.reopen(jane, "T-1003", None)


async def test_new_information_in_the_feedback_window_reopens_for_the_last_assignee(now: FrozenClock):
    """Rule 7: an inbound email or portal feedback in the window reopens the item, highlighted, for
    whoever resolved it; after the window it changes nothing (the mail pipeline then starts a new item)."""
    from server.domain.uow import unit_of_work

    jane = await viewer("jane@example.com")
    await only_timers_of("T-1003")
    await lifecycle.resolve(jane, "T-1003", None, ResolutionMethod.WITH_CUSTOMER_RESPONSE, note="Tax code corrected.")
    resolved = await item("T-1003")
    assert (resolved.status, resolved.last_assignee_id) == (Status.RESOLVED, jane.id)

    now.current = resolved.feedback_until - SECOND
    async with unit_of_work() as uow:
        assert await lifecycle.reopen_with_new_information(uow, resolved, "the customer replied") is True
    reopened = await item("T-1003")
    assert (reopened.status, reopened.assignee_id, reopened.has_new_info) == (Status.IN_PROGRESS, jane.id, True)
    assert reopened.feedback_until is None and reopened.resolved_at is None
    entry = await last_status_change(reopened)
    assert (entry.data["from"], entry.data["to"], entry.actor_user_id) == ("RESOLVED", "IN_PROGRESS", None)
    notice = await Notification.filter(user_id=jane.id, kind=NotificationKind.NEW_INFORMATION).order_by("-id").first()
    assert notice is not None and notice.work_item_id == reopened.id and "the customer replied" in notice.text

    # resolved again; at the end of the window the same news no longer reopens it
    await lifecycle.resolve(jane, "T-1003", None, ResolutionMethod.WITH_CUSTOMER_RESPONSE, note="Done again.")
    again = await item("T-1003")
    now.current = again.feedback_until
    async with unit_of_work() as uow:
        assert await lifecycle.reopen_with_new_information(uow, again, "a late reply") is False
    late = await item("T-1003")
    assert (late.status, late.version, late.feedback_until) == (Status.RESOLVED, again.version, again.feedback_until)


async def test_the_demos_resolved_tickets_close_after_their_window(now: FrozenClock):
    """T-1005 (UK) and T-1010 (PL) were resolved at T0 with a 48 h window."""
    await only_timers_of("T-1005", "T-1010")
    assert await sweep_at(now, T0 + UK_FEEDBACK_WINDOW - SECOND) == SweepReport()
    assert await sweep_at(now, T0 + UK_FEEDBACK_WINDOW) == SweepReport(feedback_closed=2)
    assert {w.status for w in await WorkItem.filter(ref__in=["T-1005", "T-1010"])} == {Status.CLOSED}


# --------------------------------------------------------------------------- rule 5: due date missed


@pytest.mark.parametrize(
    "ref, recipient",
    [
        ("T-1003", "jane@example.com"),  # assigned: its assignee is told
        ("T-1002", "lena@example.com"),  # in the queue: the leader of the queue's team is told
    ],
)
async def test_a_missed_due_date_is_recorded_once(now: FrozenClock, ref: str, recipient: str):
    await only_timers_of(ref)
    due = (await item(ref)).due_at
    assert due == T0 + UK_SLA

    assert await sweep_at(now, due - SECOND) == SweepReport()
    assert (await item(ref)).due_missed_at is None

    missed_at = due + SECOND
    reports = [
        await sweep_at(now, missed_at),
        await sweep_at(now, missed_at + timedelta(minutes=1)),
        await sweep_at(now, missed_at + timedelta(hours=5)),
    ]
    assert reports == [SweepReport(due_missed=1), SweepReport(), SweepReport()]

    late = await item(ref)
    assert late.due_missed_at == missed_at
    assert late.status in (Status.TO_DO, Status.IN_PROGRESS)  # missing it changes no status
    entries = await TimelineEntry.filter(work_item_id=late.id, kind=TimelineKind.DUE_MISSED)
    assert len(entries) == 1
    assert entries[0].data == {"dueAt": due.isoformat()} and entries[0].created_at == missed_at
    told = await notifications(NotificationKind.DUE_MISSED, late)
    assert [n.user_id for n in told] == [(await User.get(email=recipient)).id]
    assert await EventRecord.filter(work_item_id=late.id, type="work_item.due_missed").count() == 1


async def test_an_item_waiting_since_before_its_due_date_is_not_missed_while_it_waits(now: FrozenClock):
    jane = await viewer("jane@example.com")
    await only_timers_of("T-1003")
    due = (await item("T-1003")).due_at  # T0 + 24 h

    # the clock stops at T0 + 1 h, 23 h before due; it waits until T0 + 3 days
    wait_started = T0 + timedelta(hours=1)
    now.current = wait_started
    follow_up = T0 + timedelta(days=3)
    await lifecycle.wait(jane, "T-1003", None, WaitType.FOLLOW_UP, until=follow_up)

    for moment in (due + SECOND, T0 + timedelta(days=2), follow_up - SECOND):
        assert await sweep_at(now, moment) == SweepReport(), moment
    waiting = await item("T-1003")
    assert waiting.status is Status.WAITING and waiting.due_missed_at is None
    assert await TimelineEntry.filter(work_item_id=waiting.id, kind=TimelineKind.DUE_MISSED).count() == 0
    assert await notifications(NotificationKind.DUE_MISSED, waiting) == []

    # back at the follow-up time, with the 23 h it had left
    assert await sweep_at(now, follow_up) == SweepReport(back_from_waiting=1)
    new_due = (await item("T-1003")).due_at
    assert new_due == due + (follow_up - wait_started) == follow_up + timedelta(hours=23)
    assert await sweep_at(now, new_due - SECOND) == SweepReport()
    assert await sweep_at(now, new_due + SECOND) == SweepReport(due_missed=1)
    assert await TimelineEntry.filter(work_item_id=waiting.id, kind=TimelineKind.DUE_MISSED).count() == 1


async def test_an_item_put_on_wait_after_its_due_date_is_missed(now: FrozenClock):
    """Paused late ("paused … after due"): it did miss its due date."""
    jane = await viewer("jane@example.com")
    await only_timers_of("T-1003")
    due = (await item("T-1003")).due_at
    now.current = due + timedelta(hours=2)
    await lifecycle.wait(jane, "T-1003", None, WaitType.FOLLOW_UP, until=due + timedelta(days=2))
    assert await sweep_at(now, due + timedelta(hours=3)) == SweepReport(due_missed=1)
    waiting = await item("T-1003")
    assert waiting.status is Status.WAITING and waiting.due_missed_at == due + timedelta(hours=3)


async def test_paused_items_past_their_due_date_do_not_starve_a_missed_one_behind_them(now: FrozenClock):
    """Items whose clocks stopped before their due dates stay candidates of the due-date query
    (they are checked and skipped); when more of them than one batch come first (by id), the
    missed item behind them must still be recorded in the same sweep."""
    jane = await viewer("jane@example.com")
    karina = await viewer("karina@example.com")
    await only_timers_of("T-1002", "T-1003", "T-1008")
    now.current = T0 + timedelta(hours=1)
    for ref in ("T-1002", "T-1003"):  # UK, due T0 + 24 h; clocks stopped 23 h before due
        await lifecycle.wait(jane, ref, None, WaitType.FOLLOW_UP, until=T0 + timedelta(days=30))
    late = await item("T-1008")  # PL, Karina's, due T0 + 48 h
    assert late.assignee_id == karina.id
    assert (await item("T-1002")).id < (await item("T-1003")).id < late.id

    now.current = T0 + timedelta(days=3)
    assert await scheduler.run_due(batch=2) == SweepReport(due_missed=1)
    assert (await item("T-1008")).due_missed_at == now.current
    assert [w.due_missed_at for w in await WorkItem.filter(ref__in=["T-1002", "T-1003"])] == [None, None]


# ------------------------------------------------------------------------ the loop (server/worker.py)


async def test_running_scheduler_sweeps_in_the_background_until_closed(now: FrozenClock):
    await only_timers_of("T-1003")
    missed_at = T0 + UK_SLA + SECOND
    now.current = missed_at
    async with running_scheduler(0.1) as task:
        for _ in range(200):
            if (await item("T-1003")).due_missed_at is not None:
                break
            await asyncio.sleep(0.05)
        assert not task.done()
    assert task.cancelled()
    assert (await item("T-1003")).due_missed_at == missed_at
    assert await TimelineEntry.filter(work_item_id=(await item("T-1003")).id, kind=TimelineKind.DUE_MISSED).count() == 1


async def test_one_failing_item_does_not_hold_up_the_sweep(demo, monkeypatch, caplog):
    """A row that fails to fire is logged and skipped; the others still fire."""
    from datetime import timedelta as _td

    from models.work_item import WorkItem as _WorkItem
    from server.domain import clock as _clock
    from server.domain import scheduler as _scheduler

    first = await _WorkItem.get(ref="T-1002")
    real_fire = _scheduler._fire

    async def failing_first(item_id, condition, fire):
        if item_id == first.id:
            raise RuntimeError("broken row")
        return await real_fire(item_id, condition, fire)

    monkeypatch.setattr(_scheduler, "_fire", failing_first)
    with _clock.frozen() as frozen:
        frozen.advance(_td(days=30))
        report = await _scheduler.run_due()
    assert report.due_missed >= 1
    assert (await _WorkItem.get(id=first.id)).due_missed_at is None
    assert "broken row" in caplog.text
