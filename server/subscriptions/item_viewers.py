"""Who has a work item open, from the live side: each employee's `workItemUpdated` operation is
recorded while it runs (server/domain/item_viewers.py), and this process vouches for its rows.

`Tracked` is what `serve` (server/schema/live/__init__.py) does for a source that records its
members: `opened` once the subscription's arguments are checked (before its snapshot, so the
snapshot lists the subscriber too), again after a scope change (a no-op for a key already open),
and `closed` once when the operation ends, however it ends.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator

from server.domain import item_viewers
from server.subscriptions.process import PROCESS_ID

log = logging.getLogger(__name__)

_closing: set[asyncio.Task] = set()  # closes in flight (kept referenced until they finish)


def operation_key(connection_id: str, operation_id: str) -> str:
    """The row key of one operation: the connection's id and the client's operation id (hashed
    when long: a client picks its ids)."""
    if len(operation_id) > 64:
        operation_id = "#" + hashlib.sha256(operation_id.encode()).hexdigest()[:32]
    return f"{connection_id}:{operation_id}"


class Tracked:
    """One operation's row: written at most once, removed once."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.open = False

    async def opened(self, work_item_id: int, user_id: int) -> None:
        await item_viewers.opened(work_item_id, user_id, PROCESS_ID, self.key)
        self.open = True

    async def closed(self) -> None:
        """Remove the row, even when the operation is being cancelled (the removal is shielded:
        a second cancellation leaves it running)."""
        task = self.close_soon()
        if task is not None:
            await asyncio.shield(task)

    def close_soon(self) -> asyncio.Task | None:
        """Start removing the row (once); the task doing it, kept until it is done."""
        if not self.open:
            return None
        self.open = False
        task = asyncio.ensure_future(_close(self.key))
        _closing.add(task)
        task.add_done_callback(_closing.discard)
        return task


async def _close(key: str) -> None:
    try:
        await item_viewers.closed(key)
    except Exception:  # noqa: BLE001 - the row is swept once this process stops vouching for it
        log.exception("Could not remove the open-item row %s", key)


async def beat(stale_after=item_viewers.STALE_AFTER) -> None:
    """Vouch for this process's rows, then sweep everyone's stale ones."""
    await item_viewers.heartbeat(PROCESS_ID)
    await item_viewers.sweep(stale_after)


async def _beating(interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await beat()
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - tried again next time
            log.exception("Open-item heartbeat failed")


@asynccontextmanager
async def running_heartbeat(interval: float = item_viewers.HEARTBEAT_EVERY.total_seconds()) -> AsyncIterator[None]:
    task = asyncio.create_task(_beating(interval), name="item-viewers heartbeat")
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        if _closing:
            await asyncio.gather(*list(_closing), return_exceptions=True)
