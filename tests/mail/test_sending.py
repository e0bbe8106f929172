"""Sending the outbox through a real SMTP server (aiosmtpd): exactly once or surfaced. Each test
queues mail on a demo item as Jane, points the demo connector at the sink and runs the worker's
rounds (server/domain/sending.py) at chosen moments."""

from __future__ import annotations

import asyncio
import email
from datetime import timedelta

import pytest

from models.email import Email, EmailRecipient, SmtpConnector
from models.enums import EmailStatus, RecipientStatus
from models.event import EventRecord
from models.org import User
from models.work_item import WorkItem
from server.domain import clock, outbox, outbox_actions, sending
from server.domain.uow import unit_of_work
from server.domain.viewer import user_viewer
from server.mail import smtp
from server.mail.secrets import Sealer
from server.mail.sender import running_sender
from tests.support import smtp_sink
from tests.support.smtp_sink import Sink

SEALER = Sealer("test-secret-key-" + "x" * 32)
REF = "T-1002"


@pytest.fixture(scope="module")
def sink_server():
    handler = Sink()
    with smtp_sink.running(handler) as controller:
        yield handler, controller.port


@pytest.fixture
async def sink(sink_server, demo) -> Sink:
    handler, port = sink_server
    handler.reset()
    await SmtpConnector.all().update(host="127.0.0.1", port=port, security="NONE", username=None, password_sealed=None, enabled=True)
    await Email.filter(status=EmailStatus.QUEUED).update(status=EmailStatus.CANCELLED)  # what the demo data queued
    return handler


async def _jane():
    return await user_viewer(await User.get(email="jane@example.com"))


async def _queue(to=("client@example.org",), **options) -> Email:
    jane = await _jane()
    item = await WorkItem.get(ref=REF)
    async with unit_of_work() as uow:
        return await outbox.queue_email(uow, item, jane, to=list(to), subject="Your payslip", body="Attached.", **options)


async def _round(at=None) -> sending.SendReport:
    return await sending.send_due(smtp.transmit, SEALER, now=at)


async def _status(email_id: int) -> EmailStatus:
    return (await Email.get(id=email_id)).status


async def test_a_queued_email_is_sent_once_with_its_message_id_and_reply_address(sink):
    queued = await _queue(to=["client@example.org"], cc=["boss@example.org"], bcc=["audit@example.org"])
    report = await _round()
    assert report.sent == [queued.id]
    (received,) = sink.received
    assert sorted(received.rcpt_tos) == ["audit@example.org", "boss@example.org", "client@example.org"]
    message = email.message_from_bytes(received.content)
    assert message["Message-ID"] == queued.message_id and queued.message_id.startswith("<")
    assert message["Reply-To"] == "uk-ops@acme.example"
    assert "audit@example.org" not in str(message)
    stored = await Email.get(id=queued.id)
    assert stored.status == EmailStatus.SENT and stored.sent_at is not None and stored.attempts == 1
    assert {r.status for r in await EmailRecipient.filter(email_id=queued.id)} == {RecipientStatus.ACCEPTED}
    assert (await _round()).sent == [] and len(sink.received) == 1  # never twice
    states = [e.payload["status"] for e in await EventRecord.filter(type="outbox.email_changed").order_by("id") if e.payload["email_id"] == queued.id]
    assert states == ["QUEUED", "SENDING", "SENT"]


async def test_the_undo_window_holds_an_email_and_a_cancel_sends_nothing(sink):
    await User.filter(email="jane@example.com").update(undo_send_seconds=30)
    queued = await _queue()
    assert (await _round()).sent == []
    await outbox_actions.cancel(await _jane(), [queued.id])
    assert (await _round(clock.now() + timedelta(minutes=5))).sent == []
    assert sink.received == [] and sink.bodies_read == []
    assert await _status(queued.id) == EmailStatus.CANCELLED


async def test_a_scheduled_email_is_never_sent_early(sink):
    at = clock.now() + timedelta(hours=1)
    queued = await _queue(scheduled_for=at)
    assert (await _round(at - timedelta(seconds=1))).sent == []
    assert (await _round(at)).sent == [queued.id]
    assert len(sink.received) == 1


async def test_a_4xx_is_retried_on_the_pattern_then_fails_with_the_servers_message(sink):
    sink.data_reply = "451 4.3.0 Try again later"
    queued = await _queue()
    now = clock.now()
    assert (await _round(now)).retrying == [queued.id]
    stored = await Email.get(id=queued.id)
    assert stored.status == EmailStatus.RETRY_PENDING and stored.next_attempt_at == now + timedelta(minutes=1)
    assert "451" in stored.last_error and stored.first_failed_at == now
    assert (await _round(now + timedelta(seconds=59))).retrying == []  # not before its time
    for retry, delay in enumerate([60, 300, 900, 3600], start=1):
        now = (await Email.get(id=queued.id)).next_attempt_at
        report = await _round(now)
        assert (report.retrying if retry < 4 else report.failed) == [queued.id], retry
        if retry < 4:
            assert (await Email.get(id=queued.id)).next_attempt_at == now + timedelta(seconds=[300, 900, 3600][retry - 1])
    failed = await Email.get(id=queued.id)
    assert failed.status == EmailStatus.FAILED and failed.attempts == 5 and "Try again later" in failed.last_error
    assert sink.received == [] and len(sink.bodies_read) == 5


async def test_a_5xx_fails_at_once(sink):
    sink.data_reply = "554 5.7.1 Message rejected as spam"
    queued = await _queue()
    assert (await _round()).failed == [queued.id]
    assert "spam" in (await Email.get(id=queued.id)).last_error


async def test_accepted_recipients_are_never_sent_to_again(sink):
    sink.rcpt_replies = {"gone@example.org": "550 5.1.1 No such user", "busy@example.org": "452 4.2.2 Mailbox full"}
    queued = await _queue(to=["client@example.org", "gone@example.org", "busy@example.org"])
    now = clock.now()
    assert (await _round(now)).retrying == [queued.id]
    statuses = {r.address: r.status for r in await EmailRecipient.filter(email_id=queued.id)}
    assert statuses == {"client@example.org": RecipientStatus.ACCEPTED, "gone@example.org": RecipientStatus.REJECTED,
                        "busy@example.org": RecipientStatus.PENDING}
    sink.rcpt_replies = {}
    assert (await _round(now + timedelta(minutes=1))).sent == [queued.id]
    assert [r.rcpt_tos for r in sink.received] == [["client@example.org"], ["busy@example.org"]]
    sent = await Email.get(id=queued.id)
    assert sent.status == EmailStatus.SENT and "gone@example.org" in sent.last_error


async def test_an_interrupted_send_is_surfaced_not_sent_again(sink):
    queued = await _queue()
    now = clock.now()
    assert await sending.claim(10, now) == [queued.id]  # the process dies here, after the mark
    assert (await _round(now + timedelta(minutes=1))).sent == []  # SENDING: not due for anyone
    report = await _round(now + sending.LEASE + timedelta(seconds=1))
    assert report.interrupted == [queued.id] and report.sent == []
    surfaced = await Email.get(id=queued.id)
    assert surfaced.status == EmailStatus.FAILED and surfaced.last_error == sending.OUTCOME_UNKNOWN
    assert sink.bodies_read == []
    await outbox_actions.retry(await _jane(), [queued.id])  # a person checked: send it
    assert (await _round()).sent == [queued.id] and len(sink.received) == 1


async def test_no_reply_after_the_body_is_surfaced_as_unknown(sink):
    sink.after_body = "drop"
    queued = await _queue()
    assert (await _round()).failed == [queued.id]
    stored = await Email.get(id=queued.id)
    assert stored.last_error.startswith(sending.OUTCOME_UNKNOWN) and len(sink.bodies_read) == 1
    assert (await _round(clock.now() + timedelta(hours=2))).sent == [] and len(sink.bodies_read) == 1


async def test_two_workers_never_send_the_same_email(sink):
    queued = [await _queue(to=[f"client{i}@example.org"]) for i in range(8)]
    reports = await asyncio.gather(*(sending.send_due(smtp.transmit, SEALER, limit=3) for _ in range(2)))
    reports += [await _round(), await _round()]
    sent = [i for report in reports for i in report.sent]
    assert sorted(sent) == sorted(e.id for e in queued)
    assert sorted(r.rcpt_tos[0] for r in sink.received) == sorted(f"client{i}@example.org" for i in range(8))


async def test_a_disabled_connector_parks_mail_until_it_is_enabled(sink):
    connector = await SmtpConnector.first()
    await SmtpConnector.filter(id=connector.id).update(enabled=False)
    queued = await _queue()
    assert (await _round()).parked == [queued.id]
    assert await _status(queued.id) == EmailStatus.CONNECTOR_DISABLED and sink.bodies_read == []
    await SmtpConnector.filter(id=connector.id).update(enabled=True)
    assert await outbox_actions.requeue_parked(connector.id) == 1
    assert (await _round()).sent == [queued.id]


async def test_a_sealed_password_is_opened_for_the_smtp_login(sink):
    connector = await SmtpConnector.first()
    await SmtpConnector.filter(id=connector.id).update(username="mailer", password_sealed=SEALER.seal("s3cret"))
    server = sending.smtp_server(await SmtpConnector.get(id=connector.id), SEALER)
    assert (server.username, server.password) == ("mailer", "s3cret")
    await SmtpConnector.filter(id=connector.id).update(password_sealed=Sealer("another secret").seal("s3cret"))
    queued = await _queue()
    assert (await _round()).failed == [queued.id]
    assert "enter it again" in (await Email.get(id=queued.id)).last_error and sink.bodies_read == []


async def test_the_background_sender_sends_what_becomes_due(sink):
    queued = await _queue()
    async with running_sender(SEALER, interval=0.05):
        async with asyncio.timeout(10):
            while await _status(queued.id) != EmailStatus.SENT:
                await asyncio.sleep(0.02)
    assert len(sink.received) == 1
