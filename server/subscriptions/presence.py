"""This process's side of presence (server/domain/presence.py): its random process id, the users'
connections it holds, and the task that keeps their rows alive and sweeps those of dead processes.

The WebSocket transport reports each user's connection when its connection_init is accepted, each
`ping` whose payload says `{"presence": "AWAY"}` or `{"presence": "ONLINE"}`, and the end of the
connection. A failure to record presence is logged, never fatal to the connection: presence is a
hint, and the heartbeat writes back any row this process holds that went missing.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import AsyncIterator

from server.domain import presence, team_bar
from server.subscriptions.process import PROCESS_ID

log = logging.getLogger(__name__)

DEFAULT_HEARTBEAT = 20.0


@dataclass
class Held:
    user_id: int
    away: bool = False


# connection id → what this process holds of it
_held: dict[str, Held] = {}
_running = 0  # keepers running in this process


async def connected(user_id: int, connection_id: str) -> None:
    _held[connection_id] = Held(user_id)
    try:
        await presence.connected(user_id, PROCESS_ID, connection_id)
    except Exception:  # noqa: BLE001 - the heartbeat writes it again
        log.exception("Could not record a connection's presence")


async def disconnected(user_id: int, connection_id: str) -> None:
    try:
        await presence.disconnected(user_id, PROCESS_ID, connection_id)
    except Exception:  # noqa: BLE001 - the sweep removes it within the timeout
        log.exception("Could not record the end of a connection's presence")
    finally:
        _held.pop(connection_id, None)


def held() -> int:
    """The connections this process holds (one whose end is being recorded still counts)."""
    return len(_held)


async def set_away(user_id: int, connection_id: str, away: bool) -> None:
    held = _held.get(connection_id)
    if held is None:
        return
    held.away = away
    try:
        await presence.set_away(user_id, PROCESS_ID, connection_id, away)
    except Exception:  # noqa: BLE001 - a hint; the next ping says it again
        log.exception("Could not record a connection's away state")


async def beat(timeout: timedelta) -> None:
    """One round: keep this process's rows alive (writing back any swept while it stalled), then
    sweep the rows of processes that stopped."""
    held = await presence.heartbeat(PROCESS_ID)
    if held < len(_held):
        for connection_id, connection in list(_held.items()):
            await presence.connected(connection.user_id, PROCESS_ID, connection_id, away=connection.away)
    await presence.sweep(timeout)


@asynccontextmanager
async def running_presence(heartbeat: float = DEFAULT_HEARTBEAT, timeout: float = presence.DEFAULT_TIMEOUT.total_seconds()) -> AsyncIterator[None]:
    """Install presence as the team bar's provider and run this process's heartbeat and sweep."""
    stale_after = timedelta(seconds=timeout)

    async def run() -> None:
        while True:
            await asyncio.sleep(heartbeat)
            try:
                await beat(stale_after)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - tried again next round
                log.exception("Presence heartbeat failed")

    global _running
    _running += 1
    team_bar.use_presence(presence.statuses)
    task = asyncio.create_task(run(), name="presence")
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        _running -= 1
        if not _running:  # several apps may run in one process (tests): the last one out
            team_bar.use_presence(None)
