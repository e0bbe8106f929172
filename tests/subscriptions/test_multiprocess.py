"""Live updates across server processes (SPEC: a client subscribed to `workItemUpdated` on one
server process receives the submit made through another process sharing Redis).

Each test starts two real `switchboard serve` processes on the run's PostgreSQL database and Redis
channel prefix, with the harness's secret key so a token from one is good on the other. Only the
PostgreSQL + Redis backend is shared across processes; with SQLite + memory these tests skip.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any


from server.settings import Settings
from tests.support import backends
from tests.support.client import HttpClient, WsSession, signed_in_on, ws_session
from tests.support.processes import two_servers

UPDATE_TIMEOUT = 10.0

SUBSCRIPTION = 'subscription { workItemUpdated(ref: "T-1001") { kind workItem { ref status version } } }'
FILL_DESCRIPTION = (
    'mutation($d: String!) { updateWorkItem(ref: "T-1001", input: {description: $d}) { ref status version } }'
)
SUBMIT = 'mutation { submitWorkItem(ref: "T-1001") { ref status version } }'


async def subscribe_to_draft(session: WsSession) -> str:
    """Subscribe to T-1001 and check its SNAPSHOT: the broker subscription is then live."""
    op_id = await session.subscribe(SUBSCRIPTION)
    message = await session.next_for(op_id)
    assert message["type"] == "next", message
    update = message["payload"]["data"]["workItemUpdated"]
    assert update["kind"] == "SNAPSHOT", update
    assert update["workItem"]["ref"] == "T-1001"
    assert update["workItem"]["status"] == "DRAFT", update
    return op_id


async def next_changes(session: WsSession, op_id: str, count: int, timeout: float = UPDATE_TIMEOUT) -> list[dict[str, Any]]:
    """The next `count` updates that are not TIMELINE_ENTRY_ADDED, all within `timeout`."""
    deadline = time.monotonic() + timeout
    seen: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    while len(changes) < count:
        remaining = deadline - time.monotonic()
        try:
            message = await session.next_for(op_id, timeout=max(remaining, 0.01))
        except asyncio.TimeoutError:
            raise AssertionError(f"only {len(changes)} of {count} updates within {timeout:.0f} s; received {seen}") from None
        assert message["type"] == "next", (message, seen)
        assert not message["payload"].get("errors"), (message, seen)
        update = message["payload"]["data"]["workItemUpdated"]
        seen.append(update)
        if update["kind"] != "TIMELINE_ENTRY_ADDED":
            changes.append(update)
    return changes


def assert_fill_then_submit(changes: list[dict[str, Any]]) -> None:
    updated, submitted = changes
    assert [c["kind"] for c in changes] == ["UPDATED", "SUBMITTED"], changes
    assert updated["workItem"]["ref"] == submitted["workItem"]["ref"] == "T-1001"
    # every push carries the item as it stands when it is pushed: the fill shows it still DRAFT, or
    # already TO_DO when the submit committed before the fill's push went out
    assert updated["workItem"]["status"] in ("DRAFT", "TO_DO"), changes
    assert submitted["workItem"]["status"] == "TO_DO", changes
    assert submitted["workItem"]["version"] >= updated["workItem"]["version"], changes


async def fill_and_submit(author: HttpClient) -> dict[str, Any]:
    filled = await author.data(FILL_DESCRIPTION, {"d": "Please change the sort code to 12-34-56 before the March run."})
    assert filled["updateWorkItem"]["status"] == "DRAFT", filled
    submitted = await author.data(SUBMIT)
    assert submitted["submitWorkItem"]["status"] == "TO_DO", submitted
    return submitted["submitWorkItem"]


async def test_subscriber_on_one_process_receives_submit_made_through_another(
    shared_backend: backends.TestBackend, settings: Settings, demo: None, tmp_path: Path
) -> None:
    async with AsyncExitStack() as stack:
        server_a, server_b = await stack.enter_async_context(two_servers(shared_backend, settings, tmp_path))
        jane_b = await signed_in_on(stack, server_b.url)

        session_a = await stack.enter_async_context(ws_session(server_a.url, jane_b.token))
        op_id = await subscribe_to_draft(session_a)

        submitted = await fill_and_submit(jane_b)

        changes = await next_changes(session_a, op_id, 2)
        assert_fill_then_submit(changes)
        assert changes[1]["workItem"]["version"] == submitted["version"]


async def test_subscribers_on_both_processes_receive_submit_made_through_one(
    shared_backend: backends.TestBackend, settings: Settings, demo: None, tmp_path: Path
) -> None:
    async with AsyncExitStack() as stack:
        server_a, server_b = await stack.enter_async_context(two_servers(shared_backend, settings, tmp_path))
        jane_a = await signed_in_on(stack, server_a.url)

        session_a = await stack.enter_async_context(ws_session(server_a.url, jane_a.token))
        session_b = await stack.enter_async_context(ws_session(server_b.url, jane_a.token))
        op_a = await subscribe_to_draft(session_a)
        op_b = await subscribe_to_draft(session_b)

        submitted = await fill_and_submit(jane_a)

        changes_a, changes_b = await asyncio.gather(next_changes(session_a, op_a, 2), next_changes(session_b, op_b, 2))
        for changes in (changes_a, changes_b):
            assert_fill_then_submit(changes)
            assert changes[1]["workItem"]["version"] == submitted["version"]
        assert changes_a == changes_b
