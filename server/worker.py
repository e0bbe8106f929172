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

from server.domain import scheduler

log = logging.getLogger(__name__)


@asynccontextmanager
async def running_scheduler(interval: float) -> AsyncIterator[asyncio.Task[None]]:
    """Sweep every `interval` seconds while the block runs; the task is held here (a strong
    reference, so it cannot be garbage-collected mid-flight) and yielded for inspection."""
    task = asyncio.create_task(scheduler.run_forever(interval), name="switchboard-scheduler")
    log.info("scheduler started (every %g s)", interval)
    try:
        yield task
    finally:
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
