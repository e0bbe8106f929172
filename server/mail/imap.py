"""Inbound mail collection: one `MailboxCollector` per mailbox hands every new message of an IMAP
folder, in UID order and one at a time, to a `MailSink` that stores the message and the new cursor
in one step.

    collector = MailboxCollector(ImapAccount("imap.example", 993, "TLS", "support", "pw"), sink)
    task = collector.start()        # or: await collector.run() in a task of your own
    ...
    collector.state, collector.last_error   # for an admin screen or a health check
    await collector.stop()          # ends IDLE, LOGOUT, run() returns

Where collection starts (read from `sink.position()` on every connection):
- no cursor yet: a **first collection** — the newest `first_collection_size` messages of the folder
  (UID SEARCH ALL, the last N), each with first_collection=True (the sink sends no notifications
  for them). Messages that arrive afterwards are not first_collection.
- a cursor with the folder's UIDVALIDITY: every UID above `last_uid`.
- a cursor with another UIDVALIDITY (the server rebuilt or re-created the folder; its old UIDs mean
  nothing now): treated like a first collection — the newest N with first_collection=True — and
  logged as a warning. The folder's old messages usually come back under new UIDs, so importing
  all of them, or notifying anyone, would replay history; the sink de-duplicates by Message-ID
  as its second guard, so the newest N (which usually include what arrived since the last
  collection) cost nothing twice. Anything older than those N that arrived after the last
  collection and before the change is not collected.
A first collection interrupted by a lost connection resumes with first_collection=True for the
UIDs it had chosen, as long as this collector object lives (a process restart cannot tell them
apart and delivers the rest as new mail).

Failures: a connection that fails (refused, timed out, closed, TLS, LOGIN refused, SELECT refused)
ends the session; the collector reconnects after a backoff that doubles from `backoff_initial` to
`backoff_max`, logging one warning when a streak of failures starts and one line when it recovers.
A `sink.accept` that raises is logged once per streak too, and the same message is offered again
after the same kind of backoff; nothing later is offered before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from dataclasses import dataclass
from typing import Protocol

from server.mail.imap_connection import ImapConnection, SECURITY_MODES

log = logging.getLogger(__name__)

SIZE_BATCH = 256   # UIDs per RFC822.SIZE fetch: bounded memory however many messages wait


@dataclass(frozen=True)
class ImapAccount:
    host: str
    port: int
    security: str   # "NONE" | "STARTTLS" | "TLS"
    username: str
    password: str
    folder: str = "INBOX"

    def __post_init__(self) -> None:
        if self.security not in SECURITY_MODES:
            raise ValueError(f"security must be one of {SECURITY_MODES}, not {self.security!r}")

    def __repr__(self) -> str:   # never the password, not even in a traceback
        return f"ImapAccount({self.username}@{self.host}:{self.port}/{self.folder}, {self.security})"


@dataclass(frozen=True)
class Cursor:
    uid_validity: int | None
    last_uid: int | None


class MailSink(Protocol):
    async def position(self) -> Cursor:
        """The cursor stored by the last successful accept (Cursor(None, None) before any)."""

    async def accept(self, uid_validity: int, uid: int, raw: bytes | None, size: int,
                     first_collection: bool) -> None:
        """Store the message and the cursor (uid_validity, uid) in one step. raw is None when the
        message is larger than the collector's max_message_bytes; size is the server's
        RFC822.SIZE. Raising makes the collector offer the same message again later."""


class _Stop(Exception):
    pass


class _Streak:
    """Consecutive failures of one kind: the backoff delay, and logging once per streak."""

    def __init__(self, initial: float, maximum: float) -> None:
        self.initial, self.maximum = initial, maximum
        self.failures = 0

    def fail(self) -> float:
        delay = min(self.maximum, self.initial * (2 ** self.failures))
        self.failures += 1
        return delay

    def succeed(self) -> int:
        failures, self.failures = self.failures, 0
        return failures


class MailboxCollector:
    def __init__(self, account: ImapAccount, sink: MailSink, *, poll_interval: float = 60.0,
                 idle_renew: float = 25 * 60, backoff_initial: float = 1.0, backoff_max: float = 60.0,
                 max_message_bytes: int = 25 * 1024 * 1024, first_collection_size: int = 100,
                 command_timeout: float = 30.0, use_idle: bool = True,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        if idle_renew >= 29 * 60:
            raise ValueError("idle_renew must stay under the 29 minutes of RFC 2177")
        self.account = account
        self.sink = sink
        self.poll_interval = poll_interval
        self.idle_renew = idle_renew
        self.max_message_bytes = max_message_bytes
        self.first_collection_size = first_collection_size
        self.command_timeout = command_timeout
        self.use_idle = use_idle
        self.ssl_context = ssl_context
        #: "stopped" | "connecting" | "collecting" | "idle" | "polling" | "backoff"
        self.state = "stopped"
        #: the most recent failure (connection or sink), kept after recovery; see consecutive_failures
        self.last_error: str | None = None
        self.last_error_at: float | None = None   # time.time()
        self.last_collected_at: float | None = None   # time.time() of the last accepted message
        self.idle_since: float | None = None   # time.time() when the current IDLE began (renewals too)
        self._connection_streak = _Streak(backoff_initial, backoff_max)
        self._sink_streak = _Streak(backoff_initial, backoff_max)
        self._first_collection: tuple[int, int] | None = None   # (uid_validity, highest UID chosen)
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._done = asyncio.Event()
        self._name = f"imap {account.username}@{account.host}:{account.port}/{account.folder}"

    @property
    def consecutive_failures(self) -> int:
        """Failures since the last success (0 when healthy)."""
        return self._connection_streak.failures + self._sink_streak.failures

    @property
    def healthy(self) -> bool:
        return self.state in ("collecting", "idle", "polling") and self.consecutive_failures == 0

    def start(self) -> asyncio.Task:
        """run() in a task that this collector keeps a reference to."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run(), name=self._name)
        return self._task

    async def stop(self, timeout: float = 5.0) -> None:
        """Leave IDLE or the wait in progress, LOGOUT, and let run() return; cancel it after
        `timeout` seconds (a sink call that never returns)."""
        self._stop.set()
        task = self._task
        if task is None or task.done():
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._done.wait()), timeout)
        except asyncio.TimeoutError:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def run(self) -> None:
        """Collect until stop() or cancellation (LOGOUT in both cases when the connection works)."""
        self._task = asyncio.current_task()
        self._stop.clear()
        self._done.clear()
        try:
            while not self._stop.is_set():
                connection = ImapConnection(self.account.host, self.account.port, self.account.security,
                                            timeout=self.command_timeout, ssl_context=self.ssl_context)
                try:
                    await self._session(connection)
                except _Stop:
                    return
                except Exception as exc:   # noqa: BLE001 - every failure is retried; see _failed
                    delay = self._failed(exc)
                else:
                    return
                finally:
                    await connection.close(timeout=1.0 if self._stop.is_set() else 2.0)
                self.state = "backoff"
                if await self._wait(delay):
                    return
        finally:
            self.state = "stopped"
            self._done.set()

    def _failed(self, exc: Exception) -> float:
        message = _describe(exc)
        self.state, self.last_error, self.last_error_at = "backoff", message, time.time()
        first = self._connection_streak.failures == 0
        delay = self._connection_streak.fail()
        if first:
            # one line per streak; a traceback only for what is not a plain connection failure
            known = isinstance(exc, (OSError, asyncio.TimeoutError, ssl.SSLError)) or type(exc).__module__.startswith(
                ("server.mail.imap_connection", "aioimaplib"))
            log.warning("%s: %s; reconnecting with backoff (%g s, up to %g s), not logged again until it works",
                        self._name, message, delay, self._connection_streak.maximum, exc_info=not known)
        return delay

    async def _wait(self, seconds: float, lost: asyncio.Future | None = None) -> bool:
        """Sleep; True when stop() was called meanwhile. Ends early when `lost` resolves."""
        stopping = asyncio.ensure_future(self._stop.wait())
        waiters = {stopping} | ({lost} if lost is not None else set())
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        return self._stop.is_set()

    async def _session(self, connection: ImapConnection) -> None:
        self.state = "connecting"
        await connection.open(self.account.username, self.account.password)
        uid_validity = await connection.select(self.account.folder)
        recovered = self._connection_streak.succeed()
        if recovered:
            log.info("%s: connected again after %d failed attempt(s)", self._name, recovered)
        self.state = "collecting"
        last_uid = await self._start_position(connection, uid_validity)
        idle = self.use_idle and connection.has_idle()
        while True:
            self.state = "collecting"
            new = [uid for uid in await connection.uids(f"UID {last_uid + 1}:*") if uid > last_uid]
            if new:   # ("n:*" names the highest UID even when it is below n, hence the filter)
                last_uid = await self._collect(connection, uid_validity, new)
                continue
            if self._stop.is_set():
                raise _Stop
            if idle:
                self.state, self.idle_since = "idle", time.time()
                if await connection.idle(self.idle_renew, self._stop) == "stop":
                    raise _Stop
            else:
                self.state = "polling"
                if await self._wait(self.poll_interval, connection.lost):
                    raise _Stop

    async def _start_position(self, connection: ImapConnection, uid_validity: int) -> int:
        """Where this connection starts; runs the first collection when there is one to run.
        Returns the highest UID collected or passed over."""
        cursor = await self.sink.position()
        if cursor.uid_validity == uid_validity and cursor.last_uid is not None:
            return cursor.last_uid
        if cursor.uid_validity is not None and cursor.uid_validity != uid_validity:
            log.warning("%s: UIDVALIDITY changed from %s to %s; collecting the newest %d messages as a first collection",
                        self._name, cursor.uid_validity, uid_validity, self.first_collection_size)
        everything = await connection.uids("ALL")
        if not everything:
            return 0
        self._first_collection = (uid_validity, everything[-1])
        chosen = everything[-self.first_collection_size:] if self.first_collection_size > 0 else []
        if chosen:
            await self._collect(connection, uid_validity, chosen)
        return everything[-1]

    def _is_first_collection(self, uid_validity: int, uid: int) -> bool:
        first = self._first_collection
        return first is not None and first[0] == uid_validity and uid <= first[1]

    async def _collect(self, connection: ImapConnection, uid_validity: int, uids: list[int]) -> int:
        """Offer each UID (ascending) to the sink; returns the highest UID handled."""
        for start in range(0, len(uids), SIZE_BATCH):
            batch = uids[start:start + SIZE_BATCH]
            sizes = await connection.sizes(batch)
            for uid in batch:
                if self._stop.is_set():
                    raise _Stop
                size = sizes.get(uid)
                if size is None:
                    continue   # expunged since the search: there is nothing left to collect
                raw = None
                if size <= self.max_message_bytes:
                    raw = await connection.body(uid)
                    if raw is None:
                        continue   # expunged between the two fetches
                await self._offer(uid_validity, uid, raw, size, self._is_first_collection(uid_validity, uid))
        return uids[-1]

    async def _offer(self, uid_validity: int, uid: int, raw: bytes | None, size: int, first: bool) -> None:
        while True:
            try:
                await self.sink.accept(uid_validity, uid, raw, size, first)
            except Exception as exc:   # noqa: BLE001 - the sink's failure is retried, never skipped
                message = f"storing UID {uid} failed: {_describe(exc)}"
                self.last_error, self.last_error_at = message, time.time()
                if self._sink_streak.failures == 0:
                    log.warning("%s: %s; retrying the same message with backoff, not logged again until it works",
                                self._name, message)
                delay = self._sink_streak.fail()
                self.state = "backoff"
                if await self._wait(delay):
                    raise _Stop
                continue
            recovered = self._sink_streak.succeed()
            if recovered:
                log.info("%s: UID %d stored after %d failed attempt(s)", self._name, uid, recovered)
            self.state = "collecting"
            self.last_collected_at = time.time()
            return


def _describe(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)) and not text:
        return "timed out"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
