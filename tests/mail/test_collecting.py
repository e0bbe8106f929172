"""A mailbox collected end to end: a real Dovecot, the collectors the server process runs
(server/mail/collecting.py), the inbound rules, the database. The first collection opens work
without automatic mail; a message that arrives later opens a ticket and confirms it; a disabled
mailbox is no longer collected; a wrong password shows on the mailbox row."""

from __future__ import annotations

import asyncio

from models.email import Email, Mailbox
from models.enums import EmailDirection
from models.work_item import WorkItem
from server.mail.collecting import running_collectors
from server.mail.secrets import Sealer
from tests.mail.test_inbound import UK, _message

SEALER = Sealer("collecting test secret")
FAST = {"poll_interval": 0.2, "backoff_initial": 0.05, "backoff_max": 0.2}


async def _until(condition, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not await condition():
            await asyncio.sleep(0.05)


async def _point(mailbox: Mailbox, dovecot, user, password: str | None = None, sealer: Sealer = SEALER) -> None:
    mailbox.imap_host, mailbox.imap_port, mailbox.imap_security = dovecot.host, dovecot.port, "NONE"
    mailbox.imap_username, mailbox.imap_password_sealed = user.name, sealer.seal(password or user.password)
    mailbox.uid_validity = mailbox.last_uid = None
    await mailbox.save()


async def test_a_mailbox_is_collected_into_work(demo, dovecot, mail_user):
    user = mail_user()
    await dovecot.append_many(user.name, [_message(sender=f"early{i}@new.example", subject=f"Early {i}") for i in range(3)])
    mailbox = await Mailbox.get(address=UK)
    await _point(mailbox, dovecot, user)
    async with running_collectors(SEALER, interval=0.2, **FAST):
        await _until(lambda: _titled("Early ", 3))
        early = await WorkItem.filter(title__startswith="Early ")
        assert len(early) == 3
        assert not await Email.filter(work_item_id__in=[i.id for i in early], direction=EmailDirection.OUTBOUND).exists()

        await dovecot.append(user.name, _message(sender="later@new.example", subject="Arrived later"))
        await _until(lambda: _titled("Arrived later", 1))
        later = await WorkItem.get(title="Arrived later")
        assert await Email.filter(work_item_id=later.id, direction=EmailDirection.OUTBOUND, system_generated=True).exists()
        row = await Mailbox.get(id=mailbox.id)
        assert row.last_uid == 4 and row.uid_validity and row.last_error is None

        await Mailbox.filter(id=mailbox.id).update(enabled=False)
        await asyncio.sleep(0.5)  # the next round stops its collector
        await dovecot.append(user.name, _message(sender="ignored@new.example", subject="While disabled"))
        await asyncio.sleep(0.8)
        assert not await WorkItem.filter(title="While disabled").exists()


async def test_a_wrong_password_shows_on_the_mailbox(demo, dovecot, mail_user):
    user = mail_user()
    mailbox = await Mailbox.get(address=UK)
    await _point(mailbox, dovecot, user, password="not the password")
    async with running_collectors(SEALER, interval=0.2, **FAST):
        await _until(lambda: _has_error(mailbox.id))
    assert "LOGIN" in (await Mailbox.get(id=mailbox.id)).last_error


async def _titled(prefix: str, count: int) -> bool:
    return await WorkItem.filter(title__startswith=prefix).count() == count


async def _has_error(mailbox_id: int) -> bool:
    return (await Mailbox.get(id=mailbox_id)).last_error is not None
