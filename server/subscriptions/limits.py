"""How much of the live transport one identity (a user, a portal contact, an API key) may hold:
open WebSocket connections, and operations running over them.

Counted in this process: behind N server processes an identity may hold up to N times each cap.
A slot is taken when a connection is accepted or an operation starts, and released exactly once
when it ends, however it ends (the transport releases on every exit path, abrupt disconnects
included).

    slot = limits.take_connection(viewer)   # None: the identity is at its cap
    ...
    slot.release()                          # idempotent
"""

from __future__ import annotations

from collections import Counter

from server.domain.viewer import Viewer

Principal = tuple[str, int]


def principal_of(viewer: Viewer) -> Principal:
    return (viewer.kind.value, viewer.id)


class Slot:
    """One connection or operation counted against its principal; `release` gives it back once."""

    __slots__ = ("_counts", "_principal")

    def __init__(self, counts: Counter[Principal], principal: Principal) -> None:
        self._counts: Counter[Principal] | None = counts
        self._principal = principal

    def release(self) -> None:
        counts, self._counts = self._counts, None
        if counts is None:
            return
        counts[self._principal] -= 1
        if counts[self._principal] <= 0:
            del counts[self._principal]


def _take(counts: Counter[Principal], principal: Principal, cap: int) -> Slot | None:
    if counts[principal] >= cap:
        return None
    counts[principal] += 1
    return Slot(counts, principal)


class PrincipalLimits:
    def __init__(self, max_connections: int, max_operations: int) -> None:
        self.max_connections = max_connections
        self.max_operations = max_operations
        self._connections: Counter[Principal] = Counter()
        self._operations: Counter[Principal] = Counter()

    def take_connection(self, viewer: Viewer) -> Slot | None:
        return _take(self._connections, principal_of(viewer), self.max_connections)

    def take_operation(self, viewer: Viewer) -> Slot | None:
        return _take(self._operations, principal_of(viewer), self.max_operations)

    def connections(self, principal: Principal) -> int:
        return self._connections[principal]

    def operations(self, principal: Principal) -> int:
        return self._operations[principal]
