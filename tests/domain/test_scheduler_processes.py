"""Several schedulers at once: every timed transition fires exactly once (server/domain/scheduler.py).

Forty tickets are put, through the domain functions, into states whose timers are already due
(their wait_until / feedback_until / due_at then set in the past). Two `switchboard worker --once`
processes are started against the run's PostgreSQL and Redis and held at a barrier — this test
holds `LOCK TABLE work_item IN EXCLUSIVE MODE`, which lets them read the candidates but not lock
any row — until both wait for it; then both go at once. Only the PostgreSQL + Redis backend is
shared across processes; with SQLite + memory those tests skip (and so does the one that checks a
live client sees, through Redis, what a worker process fired). Two `run_due()` coroutines in this
process, the `worker` command's report, and a `switchboard serve` process running the scheduler in
its lifespan (or not, with SWITCHBOARD_SCHEDULER=false) are checked on both backends.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import AsyncIterator

import asyncpg
import pytest

from models.contact import Contact
from models.enums import NotificationKind, ResolutionMethod, Status, TimelineKind, WaitType, WorkItemType
from models.event import EventRecord
from models.notification import Notification
from models.org import Category, User
from models.timeline import TimelineEntry
from models.work_item import WorkItem
from server.domain import clock, lifecycle, scheduler, work_items
from server.domain.scheduler import SweepReport
from server.domain.viewer import user_viewer
from server.settings import Settings
from tests.support import backends
from tests.support.processes import STARTUP_TIMEOUT, ServerProcess
from tests.support.client import ws_session

PER_TIMER = 10
WORKER_TIMEOUT = 60.0
BARRIER_TIMEOUT = 30.0
REPORT_LINE = re.compile(r"^switchboard: scheduler fired (\d+) \((.*)\)$")

# each timer, the status its items end in (None: unchanged) and the timeline entry it writes
EXPECTED = {
    "back_from_waiting": (Status.IN_PROGRESS, TimelineKind.STATUS_CHANGED),
    "closed_without_response": (Status.CLOSED, TimelineKind.STATUS_CHANGED),
    "feedback_closed": (Status.CLOSED, TimelineKind.STATUS_CHANGED),
    "due_missed": (None, TimelineKind.DUE_MISSED),
}


@dataclass
class DueItems:
    """Items whose timers are due, by the report counter each should add to, and where the
    timeline and the event log stood before any of them fired."""

    by_timer: dict[str, list[WorkItem]]
    timeline_before: int
    events_before: int

    @property
    def count(self) -> int:
        return sum(len(items) for items in self.by_timer.values())


async def due_items(per_timer: int = PER_TIMER) -> DueItems:
    jane = await user_viewer(await User.get(email="jane@example.com"))
    payroll = await Category.get(name="Payroll")
    bob = await Contact.get(email="bob@client.example")
    now = clock.now()
    past = now - timedelta(minutes=1)
    by_timer: dict[str, list[WorkItem]] = {timer: [] for timer in EXPECTED}
    for timer, items in by_timer.items():
        for n in range(per_timer):
            fields = {
                "title": f"{timer} {n}", "description": "Timed transition under test.",
                "category_id": payroll.id, "primary_contact_id": bob.id, "requester_id": bob.id,
            }
            ref = (await work_items.create_draft(jane, WorkItemType.TICKET, None, fields)).ref
            await work_items.submit(jane, ref, None)
            await lifecycle.start_work(jane, ref, None)
            if timer == "back_from_waiting":
                await lifecycle.wait(jane, ref, None, WaitType.FOLLOW_UP, until=now + timedelta(hours=1))
                await WorkItem.filter(ref=ref).update(wait_until=past)
            elif timer == "closed_without_response":
                await lifecycle.wait(jane, ref, None, WaitType.MORE_INFO, days_to_wait=1, close_if_no_response=True)
                await WorkItem.filter(ref=ref).update(wait_until=past)
            elif timer == "feedback_closed":
                await lifecycle.resolve(jane, ref, None, ResolutionMethod.WITH_CUSTOMER_RESPONSE, note="Done.")
                await WorkItem.filter(ref=ref).update(feedback_until=past)
            else:
                await WorkItem.filter(ref=ref).update(due_at=past)
            items.append(await WorkItem.get(ref=ref))
    timeline_before = (await TimelineEntry.all().order_by("-id").first()).id
    events_before = (await EventRecord.all().order_by("-id").first()).id
    return DueItems(by_timer, timeline_before, events_before)


def report_total(reports: list[SweepReport]) -> SweepReport:
    total = SweepReport()
    for report in reports:
        for name, count in asdict(report).items():
            setattr(total, name, getattr(total, name) + count)
    return total


async def assert_each_fired_once(due: DueItems) -> None:
    new_entries = TimelineEntry.filter(id__gt=due.timeline_before)
    new_events = EventRecord.filter(id__gt=due.events_before)
    for timer, items in due.by_timer.items():
        status, kind = EXPECTED[timer]
        for before in items:
            after = await WorkItem.get(id=before.id)
            assert after.status is (status or before.status), (timer, after.ref, after.status)
            entries = await new_entries.filter(work_item_id=before.id, kind__in=[TimelineKind.STATUS_CHANGED, TimelineKind.DUE_MISSED])
            assert [e.kind for e in entries] == [kind], (timer, after.ref, [(e.kind, e.data) for e in entries])
            changes = await new_events.filter(work_item_id=before.id, type="work_item.status_changed")
            missed = await new_events.filter(work_item_id=before.id, type="work_item.due_missed")
            if kind is TimelineKind.STATUS_CHANGED:
                assert [e.payload["to_status"] for e in changes] == [status.value], (timer, after.ref)
                assert missed == [], (timer, after.ref)
            else:
                assert changes == [] and len(missed) == 1, (timer, after.ref)
                assert after.due_missed_at is not None
    # and nothing else fired
    assert await new_entries.filter(kind=TimelineKind.STATUS_CHANGED).count() == 3 * PER_TIMER
    assert await new_entries.filter(kind=TimelineKind.DUE_MISSED).count() == PER_TIMER
    assert await new_events.filter(type="work_item.status_changed").count() == 3 * PER_TIMER
    assert await new_events.filter(type="work_item.due_missed").count() == PER_TIMER
    back = [i.id for i in due.by_timer["back_from_waiting"]]
    assert await Notification.filter(kind=NotificationKind.BACK_FROM_WAITING, work_item_id__in=back).count() == PER_TIMER
    late = [i.id for i in due.by_timer["due_missed"]]
    assert await Notification.filter(kind=NotificationKind.DUE_MISSED, work_item_id__in=late).count() == PER_TIMER


def expected_report() -> SweepReport:
    return SweepReport(**{timer: PER_TIMER for timer in EXPECTED})


def parse_report(stdout: str) -> SweepReport:
    lines = stdout.strip().splitlines()
    assert len(lines) == 1, stdout
    match = REPORT_LINE.match(lines[0])
    assert match, lines[0]
    counts = dict(part.split("=") for part in match.group(2).split(", "))
    report = SweepReport(**{name: int(value) for name, value in counts.items()})
    assert report.total == int(match.group(1)), lines[0]
    return report


def worker_env(backend: backends.TestBackend, settings: Settings) -> dict[str, str]:
    return {**os.environ, **backend.environ(), "SWITCHBOARD_SECRET_KEY": settings.secret_key}


async def run_worker_once(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", "worker", "--once",
        env=env, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


def asyncpg_url(backend: backends.TestBackend) -> str:
    return backend.database_url.replace("postgres://", "postgresql://", 1)


@asynccontextmanager
async def work_items_held(backend: backends.TestBackend) -> AsyncIterator[None]:
    """While open, nobody can lock or change a work_item row (plain reads go through)."""
    connection = await asyncpg.connect(asyncpg_url(backend))
    transaction = connection.transaction()
    await transaction.start()
    try:
        await connection.execute("LOCK TABLE work_item IN EXCLUSIVE MODE")
        yield
    finally:
        await transaction.rollback()
        await connection.close()


async def wait_until_blocked(backend: backends.TestBackend, count: int, processes: list[asyncio.subprocess.Process]) -> None:
    """Until `count` sessions of the test database wait for a lock (the workers at the barrier)."""
    connection = await asyncpg.connect(asyncpg_url(backend))
    try:
        deadline = time.monotonic() + BARRIER_TIMEOUT
        while time.monotonic() < deadline:
            for process in processes:
                if process.returncode is not None:
                    out, err = await process.communicate()
                    raise AssertionError(f"a worker ended before the barrier ({process.returncode}): {out!r} {err!r}")
            waiting = await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if waiting >= count:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"fewer than {count} workers reached the barrier within {BARRIER_TIMEOUT:.0f} s")
    finally:
        await connection.close()


# ---------------------------------------------------------------------------------------- the tests


async def test_two_worker_processes_at_once_fire_each_transition_exactly_once(
    shared_backend: backends.TestBackend, settings: Settings, demo: None
):
    due = await due_items()
    assert due.count == 4 * PER_TIMER
    env = worker_env(shared_backend, settings)

    async with work_items_held(shared_backend):
        workers = [await run_worker_once(env), await run_worker_once(env)]
        try:
            await wait_until_blocked(shared_backend, 2, workers)
        except BaseException:
            for worker in workers:
                if worker.returncode is None:
                    worker.kill()
            raise
    # released: both go at the same moment
    try:
        outputs = await asyncio.wait_for(asyncio.gather(*(w.communicate() for w in workers)), WORKER_TIMEOUT)
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.kill()
                await worker.wait()

    reports = []
    for worker, (out, err) in zip(workers, outputs):
        assert worker.returncode == 0, err.decode(errors="replace")
        assert b"Traceback" not in err, err.decode(errors="replace")
        reports.append(parse_report(out.decode()))
    print("worker reports:", reports)
    assert report_total(reports) == expected_report()
    assert sum(r.total for r in reports) == due.count
    await assert_each_fired_once(due)


async def test_two_sweeps_at_once_in_one_process_fire_each_transition_exactly_once(settings: Settings, demo: None):
    """Two `run_due()` coroutines interleaving on one connection pool (PostgreSQL: SKIP LOCKED;
    SQLite: one transaction at a time)."""
    due = await due_items()
    reports = await asyncio.gather(scheduler.run_due(), scheduler.run_due())
    print("sweep reports:", reports)
    assert report_total(list(reports)) == expected_report()
    await assert_each_fired_once(due)
    assert await scheduler.run_due() == SweepReport()


async def test_worker_once_fires_what_is_due_and_prints_its_report(
    backend: backends.TestBackend, settings: Settings, demo: None
):
    await WorkItem.filter(ref="T-1003").update(due_at=clock.now() - timedelta(minutes=5))
    process = await run_worker_once(worker_env(backend, settings))
    out, err = await asyncio.wait_for(process.communicate(), WORKER_TIMEOUT)
    assert process.returncode == 0, err.decode(errors="replace")
    assert out.decode().splitlines() == [
        "switchboard: scheduler fired 1 (back_from_waiting=0, closed_without_response=0, feedback_closed=0, "
        "due_missed=1, sub_case_waits_closed=0, reply_waits_closed=0)"
    ]
    late = await WorkItem.get(ref="T-1003")
    assert late.due_missed_at is not None
    assert await TimelineEntry.filter(work_item_id=late.id, kind=TimelineKind.DUE_MISSED).count() == 1


SUBSCRIBE = """subscription($ref: String!) {
  workItemUpdated(ref: $ref) { kind workItem { ref status } }
}"""


async def test_a_live_client_sees_what_a_worker_process_fires(
    shared_backend: backends.TestBackend, settings: Settings, live_server, signed_in
):
    """The worker publishes on Redis: a subscriber on a server process (this one) receives it."""
    jane = await signed_in("jane@example.com")
    await WorkItem.filter(ref="T-1003").update(due_at=clock.now() - timedelta(minutes=5))
    async with ws_session(live_server.url, jane.token) as session:
        op = await session.subscribe(SUBSCRIBE, {"ref": "T-1003"})
        snapshot = (await session.next_for(op))["payload"]["data"]["workItemUpdated"]
        assert snapshot["kind"] == "SNAPSHOT"
        process = await run_worker_once(worker_env(shared_backend, settings))
        out, err = await asyncio.wait_for(process.communicate(), WORKER_TIMEOUT)
        assert process.returncode == 0, err.decode(errors="replace")
        kinds = []
        while "DUE_MISSED" not in kinds:
            message = await session.next_for(op, timeout=10)
            assert message["type"] == "next", message
            kinds.append(message["payload"]["data"]["workItemUpdated"]["kind"])
    assert kinds.count("DUE_MISSED") == 1


@pytest.mark.parametrize("enabled", [True, False])
async def test_a_server_process_runs_the_scheduler_unless_told_not_to(
    backend: backends.TestBackend, settings: Settings, demo: None, tmp_path: Path, enabled: bool
):
    await WorkItem.filter(ref="T-1003").update(due_at=clock.now() - timedelta(minutes=5))
    env = {
        **worker_env(backend, settings),
        "SWITCHBOARD_SCHEDULER": "true" if enabled else "false",
        "SWITCHBOARD_SCHEDULER_INTERVAL": "0.2",
    }
    server = ServerProcess("S", env, tmp_path / "server.log")
    try:
        await server.start()
        await server.wait_healthy(time.monotonic() + STARTUP_TIMEOUT)
        deadline = time.monotonic() + (10.0 if enabled else 2.0)  # 2 s: ten sweeps' worth
        while time.monotonic() < deadline and (await WorkItem.get(ref="T-1003")).due_missed_at is None:
            await asyncio.sleep(0.1)
    finally:
        await server.stop()
        print(server.output())
    log = server.log_path.read_text()
    assert "Application shutdown complete" in log and "Traceback" not in log  # uvicorn then re-raises SIGTERM
    late = await WorkItem.get(ref="T-1003")
    assert (late.due_missed_at is not None) is enabled
    assert await TimelineEntry.filter(work_item_id=late.id, kind=TimelineKind.DUE_MISSED).count() == int(enabled)
    assert ("scheduler started" in log) is enabled and ("scheduler stopped" in log) is enabled


async def test_the_in_process_test_server_runs_no_scheduler(live_server):
    """manage_resources=False: the harness owns the resources and runs no scheduler."""
    running = [t for t in asyncio.all_tasks() if t.get_name() == "switchboard-scheduler"]
    assert running == []
