"""MailboxCollector (server/mail/imap.py) against a real Dovecot (tests/support/dovecot.py), with an
in-memory sink that records what it accepted and keeps its cursor like the real store does."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import AsyncIterator, Callable

import pytest

from server.mail.imap import Cursor, ImapAccount, MailboxCollector
from server.mail.imap_connection import mailbox_name, message_set
from tests.support.dovecot import Dovecot

FAST = dict(poll_interval=0.2, backoff_initial=0.05, backoff_max=0.2, command_timeout=5.0)


def message(number: int, size: int = 0, subject: str | None = None) -> bytes:
    body = (b"x" * 75 + b"\r\n") * (size // 77) if size else b"Hello.\r\n"
    return (f"From: customer{number}@example.com\r\nTo: support@example.com\r\n"
            f"Subject: {subject or f'message {number}'}\r\nMessage-ID: <m{number}-{time.monotonic_ns()}@example.com>\r\n"
            "\r\n").encode() + body


def subject(raw: bytes | None) -> str:
    assert raw is not None
    for line in raw.split(b"\r\n"):
        if line.startswith(b"Subject: "):
            return line[9:].decode()
    raise AssertionError("no subject")


@dataclass(frozen=True)
class Accepted:
    uid_validity: int
    uid: int
    raw: bytes | None
    size: int
    first_collection: bool


class MemorySink:
    """Stores each message and its cursor together, as the real sink does in one transaction."""

    def __init__(self, cursor: Cursor = Cursor(None, None), fail_times: int = 0) -> None:
        self.cursor = cursor
        self.accepted: list[Accepted] = []
        self.offered: list[int] = []
        self.fail_times = fail_times
        self._changed = asyncio.Event()

    async def position(self) -> Cursor:
        return self.cursor

    async def accept(self, uid_validity: int, uid: int, raw: bytes | None, size: int, first_collection: bool) -> None:
        self.offered.append(uid)
        self._changed.set()
        if self.fail_times:
            self.fail_times -= 1
            raise RuntimeError("database unavailable")
        self.accepted.append(Accepted(uid_validity, uid, raw, size, first_collection))
        self.cursor = Cursor(uid_validity, uid)

    @property
    def subjects(self) -> list[str]:
        return [subject(a.raw) for a in self.accepted]

    async def until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not condition():
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"timed out; accepted {[a.uid for a in self.accepted]}")
            self._changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.05))


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


@pytest.fixture
def account(dovecot: Dovecot, mail_user) -> Callable[..., ImapAccount]:
    def make(security: str = "NONE", password: str | None = None, folder: str = "INBOX") -> ImapAccount:
        user = mail_user()
        port = dovecot.tls_port if security == "TLS" else dovecot.port
        return ImapAccount(dovecot.host, port, security, user.name, password or user.password, folder)
    return make


@pytest.fixture
async def running() -> AsyncIterator[Callable[..., MailboxCollector]]:
    """`running(account, sink, **options)` → a started collector, stopped after the test."""
    started: list[MailboxCollector] = []

    def run(account: ImapAccount, sink: MemorySink, **options) -> MailboxCollector:
        collector = MailboxCollector(account, sink, **{**FAST, **options})
        collector.start()
        started.append(collector)
        return collector

    yield run
    for collector in started:
        await collector.stop()


async def test_first_collection_takes_the_newest_100_in_uid_order(dovecot, account, running):
    mailbox = account()
    await dovecot.append_many(mailbox.username, [message(n) for n in range(1, 121)])
    sink = MemorySink()
    collector = running(mailbox, sink)
    await sink.until(lambda: len(sink.accepted) == 100)
    await until(lambda: collector.state == "idle")
    assert [a.uid for a in sink.accepted] == list(range(21, 121))
    assert sink.subjects == [f"message {n}" for n in range(21, 121)]
    assert all(a.first_collection for a in sink.accepted)
    assert {a.uid_validity for a in sink.accepted} == {await dovecot.uid_validity(mailbox.username)}
    assert sink.cursor.last_uid == 120
    assert all(a.size == len(a.raw) for a in sink.accepted)
    assert collector.healthy and collector.last_error is None


async def test_mail_arriving_during_idle_is_collected_at_once_and_is_not_first_collection(dovecot, account, running):
    mailbox = account()
    await dovecot.append_many(mailbox.username, [message(1), message(2)])
    sink = MemorySink()
    collector = running(mailbox, sink)
    await until(lambda: collector.state == "idle")
    started = time.monotonic()
    await dovecot.append(mailbox.username, message(3))
    await sink.until(lambda: len(sink.accepted) == 3, timeout=4)
    delay = time.monotonic() - started
    assert delay < 2.5, f"IDLE push took {delay:.2f} s"
    assert [(a.uid, a.first_collection) for a in sink.accepted] == [(1, True), (2, True), (3, False)]
    assert sink.subjects[-1] == "message 3"


async def test_polling_when_idle_is_not_used(dovecot, account, running):
    mailbox = account()
    sink = MemorySink()
    collector = running(mailbox, sink, use_idle=False, poll_interval=0.1)
    await until(lambda: collector.state == "polling")
    await dovecot.append(mailbox.username, message(1))
    await sink.until(lambda: len(sink.accepted) == 1)
    assert sink.accepted[0].first_collection is False   # the folder was empty at the first collection


async def test_a_new_collector_resumes_from_the_cursor_without_duplicates(dovecot, account, running):
    mailbox = account()
    await dovecot.append_many(mailbox.username, [message(n) for n in range(1, 6)])
    sink = MemorySink()
    first = running(mailbox, sink)
    await sink.until(lambda: len(sink.accepted) == 5)
    await first.stop()
    assert first.state == "stopped"
    await dovecot.append_many(mailbox.username, [message(n) for n in range(6, 9)])
    resumed = MemorySink(cursor=sink.cursor)
    second = running(mailbox, resumed)
    await resumed.until(lambda: len(resumed.accepted) == 3)
    await until(lambda: second.state == "idle")
    assert [a.uid for a in resumed.accepted] == [6, 7, 8]
    assert not any(a.first_collection for a in resumed.accepted)
    assert resumed.subjects == ["message 6", "message 7", "message 8"]


async def test_uidvalidity_change_is_a_first_collection_of_the_newest(dovecot, account, running):
    mailbox = account()
    await dovecot.append_many(mailbox.username, [message(n) for n in range(1, 4)])
    old_validity = await dovecot.uid_validity(mailbox.username)
    stale = Cursor(old_validity, 3)
    dovecot.reset_folder(mailbox.username)
    # the rebuilt folder: the same three old messages under new UIDs, and two new ones
    await dovecot.append_many(mailbox.username, [message(n) for n in range(1, 6)])
    new_validity = await dovecot.uid_validity(mailbox.username)
    assert new_validity != old_validity
    sink = MemorySink(cursor=stale)
    collector = running(mailbox, sink, first_collection_size=4)
    await sink.until(lambda: len(sink.accepted) == 4)
    await until(lambda: collector.state == "idle")
    assert [(a.uid_validity, a.uid, a.first_collection) for a in sink.accepted] == [
        (new_validity, uid, True) for uid in (2, 3, 4, 5)]
    assert sink.cursor == Cursor(new_validity, 5)


async def test_uidvalidity_change_while_connected(dovecot, account, running):
    mailbox = account()
    await dovecot.append(mailbox.username, message(1))
    sink = MemorySink()
    collector = running(mailbox, sink)
    await sink.until(lambda: len(sink.accepted) == 1)
    await until(lambda: collector.state == "idle")
    dovecot.reset_folder(mailbox.username)
    await dovecot.append_many(mailbox.username, [message(1), message(2)])
    await sink.until(lambda: len(sink.accepted) == 3)
    new_validity = await dovecot.uid_validity(mailbox.username)
    assert [(a.uid_validity, a.uid, a.first_collection) for a in sink.accepted[1:]] == [
        (new_validity, 1, True), (new_validity, 2, True)]


async def test_reconnects_after_dovecot_restarts(dovecot, account, running, caplog):
    mailbox = account()
    await dovecot.append(mailbox.username, message(1))
    sink = MemorySink()
    collector = running(mailbox, sink)
    await sink.until(lambda: len(sink.accepted) == 1)
    await until(lambda: collector.state == "idle")
    with caplog.at_level(logging.INFO, logger="server.mail.imap"):
        try:
            await dovecot.stop()
            await until(lambda: collector.consecutive_failures >= 3)   # refused, refused, ...
            assert collector.state in ("backoff", "connecting") and not collector.healthy
            assert "ConnectionRefusedError" in collector.last_error
        finally:
            await dovecot.start()
        await until(lambda: collector.state == "idle")
    assert collector.consecutive_failures == 0 and collector.healthy
    lines = [r.getMessage() for r in caplog.records if r.name == "server.mail.imap"]
    assert len(lines) == 2 and "connected again after" in lines[1], lines   # one per streak, then the recovery
    await dovecot.append(mailbox.username, message(2))
    await sink.until(lambda: len(sink.accepted) == 2)
    assert [(a.uid, a.first_collection) for a in sink.accepted] == [(1, True), (2, False)]


async def test_a_server_that_stops_answering_times_out_and_is_retried(dovecot, account, running):
    mailbox = account()
    sink = MemorySink()
    collector = running(mailbox, sink, idle_renew=0.2, command_timeout=0.3)
    await until(lambda: collector.state == "idle")
    dovecot.pause()
    try:
        await until(lambda: collector.consecutive_failures > 0)   # the renewal's DONE gets no answer
        assert "no answer" in collector.last_error and collector.state in ("backoff", "connecting")
    finally:
        dovecot.resume()
    await until(lambda: collector.state == "idle" and collector.consecutive_failures == 0)
    await dovecot.append(mailbox.username, message(1))
    await sink.until(lambda: len(sink.accepted) == 1)


async def test_wrong_password_backs_off_and_says_why(account, running, caplog):
    mailbox = account(password="not-the-password")
    sink = MemorySink()
    with caplog.at_level(logging.WARNING, logger="server.mail.imap"):
        collector = running(mailbox, sink, backoff_initial=0.05, backoff_max=0.1)
        await until(lambda: collector.consecutive_failures >= 2, timeout=8)
    assert collector.state in ("backoff", "connecting")
    assert "LOGIN refused" in collector.last_error and "AUTHENTICATIONFAILED" in collector.last_error
    assert not collector.healthy
    assert sink.accepted == [] and sink.offered == []
    warnings = [r for r in caplog.records if r.name == "server.mail.imap"]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]   # one line for the whole streak
    assert "LOGIN refused" in warnings[0].getMessage() and not warnings[0].exc_info
    assert "not-the-password" not in caplog.text


async def test_a_failing_accept_is_retried_before_anything_later(dovecot, account, running, caplog):
    mailbox = account()
    await dovecot.append_many(mailbox.username, [message(n) for n in range(1, 4)])
    sink = MemorySink(fail_times=2)
    with caplog.at_level(logging.WARNING, logger="server.mail.imap"):
        collector = running(mailbox, sink)
        await sink.until(lambda: len(sink.accepted) == 3)
    assert sink.offered == [1, 1, 1, 2, 3]
    assert [a.uid for a in sink.accepted] == [1, 2, 3]
    assert "storing UID 1 failed" in collector.last_error
    assert len([r for r in caplog.records if r.name == "server.mail.imap"]) == 1


async def test_a_message_over_the_limit_arrives_without_its_bytes(dovecot, account, running):
    mailbox = account()
    big = message(2, size=20_000)
    await dovecot.append_many(mailbox.username, [message(1), big, message(3)])
    sink = MemorySink()
    running(mailbox, sink, max_message_bytes=10_000)
    await sink.until(lambda: len(sink.accepted) == 3)
    assert [a.uid for a in sink.accepted] == [1, 2, 3]
    assert sink.accepted[1].raw is None and sink.accepted[1].size == len(big)
    assert sink.accepted[0].raw is not None and sink.accepted[2].raw is not None


@pytest.mark.parametrize("security", ["STARTTLS", "TLS"])
async def test_encrypted_connections(dovecot, account, running, security):
    mailbox = account(security=security)
    await dovecot.append(mailbox.username, message(1))
    sink = MemorySink()
    collector = running(mailbox, sink, ssl_context=dovecot.tls_context())
    await sink.until(lambda: len(sink.accepted) == 1)
    assert sink.subjects == ["message 1"]
    await until(lambda: collector.state == "idle")


async def test_an_untrusted_certificate_is_a_connection_failure(account, running):
    collector = running(account(security="TLS"), MemorySink())   # the system trust store
    await until(lambda: collector.consecutive_failures > 0)
    assert "CERTIFICATE_VERIFY_FAILED" in collector.last_error


async def test_a_folder_with_spaces_and_accents(dovecot, account, running):
    mailbox = account(folder="Boîte de réception")
    await dovecot.append(mailbox.username, message(1), folder=mailbox_name(mailbox.folder))
    sink = MemorySink()
    running(mailbox, sink)
    await sink.until(lambda: len(sink.accepted) == 1)


async def test_stop_logs_out_and_cancellation_ends_run(dovecot, account):
    mailbox = account()
    sink = MemorySink()
    collector = MailboxCollector(mailbox, sink, **FAST)
    task = collector.start()
    await until(lambda: collector.state == "idle")
    await asyncio.wait_for(collector.stop(), 3)
    assert task.done() and collector.state == "stopped"
    again = asyncio.create_task(collector.run())
    await until(lambda: collector.state == "idle")
    again.cancel()
    with pytest.raises(asyncio.CancelledError):
        await again
    assert collector.state == "stopped"
    await until(lambda: len(session_ends(dovecot, mailbox.username)) == 2)
    assert all("Disconnected: Logged out" in line for line in session_ends(dovecot, mailbox.username))


def session_ends(dovecot: Dovecot, user: str) -> list[str]:
    return [line for line in dovecot.log().splitlines() if f"imap({user})" in line and "Disconnected" in line]


async def test_idle_is_renewed_before_idle_renew_seconds(dovecot, account, running):
    mailbox = account()
    sink = MemorySink()
    collector = running(mailbox, sink, idle_renew=0.2)
    await until(lambda: collector.state == "idle")
    started = [collector.idle_since]
    for _ in range(2):   # IDLE ended (DONE), the folder searched, IDLE again: twice without mail
        await until(lambda: collector.idle_since != started[-1] and collector.state == "idle", timeout=2)
        started.append(collector.idle_since)
    await dovecot.append(mailbox.username, message(1))
    await sink.until(lambda: len(sink.accepted) == 1)


def test_idle_renew_must_stay_under_29_minutes():
    account = ImapAccount("127.0.0.1", 143, "NONE", "user", "pw")
    with pytest.raises(ValueError):
        MailboxCollector(account, MemorySink(), idle_renew=29 * 60)
    with pytest.raises(ValueError):
        ImapAccount("127.0.0.1", 143, "SSL", "user", "pw")
    assert "pw" not in repr(account)


def test_message_sets():
    assert message_set([1, 2, 3, 7, 9, 10]) == "1:3,7,9:10"
    assert message_set([5]) == "5"
    assert mailbox_name("Boîte & co") == '"Bo&AO4-te &- co"'
