"""What the "state + events == refetch" tests share (tests/subscriptions/test_state_plus_events*.py):
a client-side mirror that takes each subscription's snapshot and then applies every pushed
message, and the loops that feed it while a random sequence of mutations runs."""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Iterable

from tests.support.client import HttpClient, WsSession

QUIET = 1.5  # no message for this long: everything has arrived (the hub polls the log every second)
BETWEEN_STEPS = 0.05  # after each mutation, apply what has come so far


class Mirror:
    """What a client shows, from the snapshots and every message after them; `apply` is the
    client's rule for each operation, named by its label in `ops`: the subscription field, or
    `field:qualifier` when one socket follows a field twice (`sharedEmails:Team A`)."""

    def __init__(self) -> None:
        self.kinds: list[str] = []  # field.kind of every message after the snapshots

    def apply(self, field: str, update: dict) -> None:
        raise NotImplementedError


def kind_of(update: dict) -> str:
    return update.get("kind", "SNAPSHOT" if update.get("snapshot") else "UPDATE")


def is_snapshot(update: dict) -> bool:
    return update.get("kind", "SNAPSHOT") == "SNAPSHOT" and update.get("snapshot", True)


async def take_snapshots(session: WsSession, ops: dict[str, str], mirror: Mirror) -> int:
    """Apply each operation's first message, which must be its snapshot (later ones are applied
    too, should a change beat a slower snapshot); how many of those later ones there were."""
    pending, later = set(ops), 0
    while pending:
        message = await session.receive()
        assert message["type"] == "next" and not message["payload"].get("errors"), message
        field = ops[message["id"]]
        update = message["payload"]["data"][field.split(":")[0]]
        if message["id"] in pending:
            assert is_snapshot(update), update
            pending.discard(message["id"])
        else:
            mirror.kinds.append(f"{field}.{kind_of(update)}")
            later += 1
        mirror.apply(field, update)
    return later


async def drain(session: WsSession, ops: dict[str, str], mirror: Mirror, timeout: float) -> int:
    """Apply messages until none came for `timeout` seconds; how many were applied."""
    applied = 0
    while True:
        try:
            message = await session.receive(timeout=timeout)
        except (asyncio.TimeoutError, TimeoutError):
            return applied
        assert message["type"] == "next" and not message["payload"].get("errors"), message
        field = ops[message["id"]]
        update = message["payload"]["data"][field.split(":")[0]]
        mirror.apply(field, update)
        mirror.kinds.append(f"{field}.{kind_of(update)}")
        applied += 1


async def drain_all(followers: Iterable[tuple[WsSession, dict[str, str], Mirror]], timeout: float) -> int:
    """`drain` every follower at once; how many messages they applied in all."""
    return sum(await asyncio.gather(*(drain(s, ops, m, timeout) for s, ops, m in followers)))


Step = tuple[str, str, dict[str, Any]]  # (actor, document, variables)


async def run_steps(
    users: dict[str, HttpClient],
    next_step: Callable[[], Step],
    count: int,
    followers: list[tuple[WsSession, dict[str, str], Mirror]],
    on_result: Callable[[Step, dict], Awaitable[None]] | None = None,
) -> tuple[int, int]:
    """Run `count` steps (each chosen when its turn comes, so it may depend on what came before),
    applying the pushes after each; (mutations that succeeded, messages applied). Refused
    mutations are part of the sequence: each refusal must carry its rule's code."""
    succeeded = pushed = 0
    for _ in range(count):
        step = next_step()
        actor, document, variables = step
        result = await users[actor].post(document, variables)
        assert all(e.get("extensions", {}).get("code") for e in result.get("errors", [])), result
        if not result.get("errors"):
            succeeded += 1
            if on_result is not None:
                await on_result(step, result["data"])
        pushed += await drain_all(followers, BETWEEN_STEPS)
    pushed += await drain_all(followers, QUIET)
    return succeeded, pushed
