"""Unit of work: one database transaction per domain action, with its events.

    async with unit_of_work() as uow:
        ... write rows ...
        uow.emit(SomethingHappened(...))

Events emitted inside are written to the durable event log at the end of the same transaction
(taking their cursors in commit order: server/domain/event_log.py) and published
on the bus only after the transaction commits; if anything raises, the transaction rolls back and
no event leaves. Where they are published is injected (`install_publisher`; the event bus of
server/subscriptions installs itself when it starts): the domain knows no transport. A unit of
work opened inside another joins it. A transaction PostgreSQL aborts
to break a deadlock with a simultaneous change is reported as CONFLICT: nothing was written.

What every change implies whoever makes it — followers of a changed item are told of it — is a
hook registered with `before_commit` by the module that knows it (server.domain.search.following),
so this module imports none of them: each hook runs once per outermost unit of work, after its
body and inside its transaction, reading the events emitted so far; what it writes and emits
commits (or rolls back) with the change.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import AsyncIterator, Awaitable, Callable, Protocol

from asyncpg.exceptions import TransactionRollbackError
from tortoise.transactions import in_transaction

from server.domain import event_log
from server.domain.errors import Conflict
from server.domain.events import DomainEvent, Envelope

_current: ContextVar["UnitOfWork | None"] = ContextVar("switchboard_unit_of_work", default=None)


class Publisher(Protocol):
    async def publish(self, envelopes: list[Envelope]) -> None:
        """Hand committed events (in commit order) to whoever delivers them."""


_publisher: Publisher | None = None


def install_publisher(publisher: Publisher | None) -> None:
    """Where committed events go from now on (None: nowhere; they stay in the event log)."""
    global _publisher
    _publisher = publisher


class UnitOfWork:
    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    def emit(self, event: DomainEvent) -> None:
        self.events.append(event)

    async def _record(self) -> list[Envelope]:
        return await event_log.append(self.events)


BeforeCommit = Callable[[UnitOfWork], Awaitable[None]]

_before_commit: list[BeforeCommit] = []


def before_commit(hook: BeforeCommit) -> BeforeCommit:
    """Register `hook` to run at the end of every unit of work, before it commits (in the order
    hooks registered; registering one twice keeps one)."""
    if hook not in _before_commit:
        _before_commit.append(hook)
    return hook


def before_commit_hooks() -> tuple[BeforeCommit, ...]:
    return tuple(_before_commit)


@asynccontextmanager
async def unit_of_work() -> AsyncIterator[UnitOfWork]:
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    uow = UnitOfWork()
    token = _current.set(uow)
    try:
        async with in_transaction():
            yield uow
            for hook in tuple(_before_commit):
                await hook(uow)
            envelopes = await uow._record()
    except TransactionRollbackError:
        # PostgreSQL aborted the transaction (a deadlock with a simultaneous change, or a
        # serialisation failure): nothing was written, and trying again will work
        raise Conflict("Another change to the same work collided with this one; nothing was changed, try again.") from None
    finally:
        _current.reset(token)
    publisher = _publisher
    if publisher is not None and envelopes:
        await publisher.publish(envelopes)
