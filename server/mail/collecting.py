"""Collecting every enabled mailbox in the background: one IMAP collector (server/mail/imap.py)
per mailbox with an IMAP server, each message stored and acted on by server/domain/inbound.py
with the mailbox's cursor in the same transaction.

`Collectors.reconcile` runs every `interval` seconds: it starts a collector for a mailbox that
has become enabled, restarts one whose server, credentials or folder changed, stops one that was
disabled or deleted, and writes each collector's last error (or its recovery) on the mailbox row
for the admin screen. Several server processes may collect one mailbox at once: a message is
still imported once, because its import moves the cursor conditionally in its own transaction
(a second process finds the cursor past it and does nothing).
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator

from models.email import Mailbox
from server.domain import clock, inbound
from server.domain.mail_admin.mailboxes import CollectionSettings, collection_settings, mailboxes_to_collect
from server.mail.imap import Cursor, ImapAccount, MailboxCollector
from server.mail.secrets import CredentialsUnreadable, Sealer

log = logging.getLogger(__name__)


class MailboxSink:
    """Where one mailbox's collector hands its messages."""

    def __init__(self, mailbox_id: int) -> None:
        self.mailbox_id = mailbox_id

    async def position(self) -> Cursor:
        row = await Mailbox.get(id=self.mailbox_id)
        return Cursor(uid_validity=row.uid_validity, last_uid=row.last_uid)

    async def accept(self, uid_validity: int, uid: int, raw: bytes | None, size: int, first_collection: bool) -> None:
        await inbound.receive(inbound.Arrival(raw=raw, size=size, mailbox_id=self.mailbox_id, uid_validity=uid_validity, uid=uid,
                                              first_collection=first_collection))


def account_of(settings: CollectionSettings, sealer: Sealer) -> ImapAccount:
    password = sealer.open(settings.password_sealed) if settings.password_sealed else ""
    return ImapAccount(host=settings.host, port=settings.port, security=settings.security, username=settings.username,
                       password=password, folder=settings.folder)


class Collectors:
    def __init__(self, sealer: Sealer, **collector_options: float) -> None:
        self.sealer = sealer
        self.options = collector_options
        self.running: dict[int, tuple[ImapAccount, MailboxCollector]] = {}

    async def reconcile(self) -> None:
        wanted: dict[int, ImapAccount] = {}
        for mailbox in await mailboxes_to_collect():
            try:
                wanted[mailbox.id] = account_of(collection_settings(mailbox), self.sealer)
            except (CredentialsUnreadable, ValueError) as problem:
                await self._report(mailbox.id, str(problem))
        for mailbox_id in [i for i in self.running if self.running[i][0] != wanted.get(i)]:
            await self.running.pop(mailbox_id)[1].stop()
        for mailbox_id, account in wanted.items():
            if mailbox_id not in self.running:
                collector = MailboxCollector(account, MailboxSink(mailbox_id), **self.options)
                collector.start()
                self.running[mailbox_id] = (account, collector)
        for mailbox_id, (_, collector) in self.running.items():
            await self._report(mailbox_id, None if collector.healthy else collector.last_error)

    async def _report(self, mailbox_id: int, error: str | None) -> None:
        changes: dict = {"last_error": error}
        if error is None:
            changes["last_connected_at"] = clock.now()
        await Mailbox.filter(id=mailbox_id).update(**changes)

    async def stop(self) -> None:
        running, self.running = self.running, {}
        await asyncio.gather(*(collector.stop() for _, collector in running.values()), return_exceptions=True)


async def collect_forever(collectors: Collectors, interval: float) -> None:
    try:
        while True:
            try:
                await collectors.reconcile()
            except Exception:  # noqa: BLE001 - tried again at the next round
                log.exception("starting or stopping mailbox collectors failed")
            await asyncio.sleep(interval)
    finally:
        await collectors.stop()


@asynccontextmanager
async def running_collectors(sealer: Sealer, interval: float, **collector_options: float) -> AsyncIterator[Collectors]:
    """Collect every enabled mailbox while the block is open; every collector is stopped (IMAP
    LOGOUT) when it closes."""
    collectors = Collectors(sealer, **collector_options)
    task = asyncio.create_task(collect_forever(collectors, interval), name="switchboard-mailboxes")
    try:
        yield collectors
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
