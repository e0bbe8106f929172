"""Running the scheduler of timed transitions (server/domain/scheduler.py) in the background.

The server's lifespan and `switchboard worker` both use `running_scheduler`: the sweep loop runs
as a task of this process while the block is open, and is cancelled (and awaited) when it closes,
before the database and the event bus it uses go down.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator

from datetime import timedelta

from server.domain import clock, event_log, scheduler

log = logging.getLogger(__name__)


PRUNE_EVERY = 3600.0  # seconds between two prunings of the event log


async def prune_forever(retention_days: float, every: float = PRUNE_EVERY) -> None:
    """Delete events older than the retention, now and then every `every` seconds (several
    processes pruning at once delete the same rows; that is harmless)."""
    while True:
        try:
            deleted = await event_log.prune(clock.now() - timedelta(days=retention_days))
            if deleted:
                log.info("pruned %d events older than %g days", deleted, retention_days)
        except Exception:  # noqa: BLE001 - tried again at the next round
            log.exception("pruning the event log failed")
        await asyncio.sleep(every)


@asynccontextmanager
async def running_scheduler(interval: float, retention_days: float | None = None) -> AsyncIterator[asyncio.Task[None]]:
    """Sweep every `interval` seconds while the block runs (and prune the event log when given a
    retention); the tasks are held here (strong references, so they cannot be garbage-collected
    mid-flight) and the sweep's is yielded for inspection."""
    task = asyncio.create_task(scheduler.run_forever(interval), name="switchboard-scheduler")
    pruner = asyncio.create_task(prune_forever(retention_days), name="event-log-pruner") if retention_days else None
    log.info("scheduler started (every %g s)", interval)
    try:
        yield task
    finally:
        if pruner is not None:
            pruner.cancel()
            await asyncio.gather(pruner, return_exceptions=True)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            # the task's own cancellation; if *we* are being cancelled, keep propagating it
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise
        except Exception:  # noqa: BLE001 - run_forever logs its sweeps; anything else is reported here
            log.exception("scheduler stopped with an error")
        log.info("scheduler stopped")
