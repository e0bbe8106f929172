"""The whole loop once, through the public API and real servers: Jane emails Bob from T-1003
(GraphQL sendEmail); the server's sender hands it to SMTP (aiosmtpd); Bob's reply, to the
Reply-To it carried, lands in the department's IMAP mailbox (Dovecot); the server's collector
brings it back onto T-1003, flagged, where Jane's query shows both."""

from __future__ import annotations

import asyncio
import email
from email.message import EmailMessage

from models.email import Mailbox, SmtpConnector
from models.work_item import WorkItem
from server.mail.collecting import running_collectors
from server.mail.secrets import Sealer
from server.mail.sender import running_sender
from tests.mail.test_collecting import FAST, _point
from tests.support import smtp_sink
from tests.support.smtp_sink import Sink

SEND = """mutation { sendEmail(ref: "T-1003", input: {to: [{address: "bob@client.example"}], subject: "Your tax code",
  textBody: "Could you confirm your tax code?"}) { email { id status } } }"""
EMAILS = '{ workItem(ref: "T-1003") { hasNewInfo emails { direction subject fromAddress textBody } } }'


async def _until(condition, timeout: float = 15.0) -> None:
    async with asyncio.timeout(timeout):
        while not await condition():
            await asyncio.sleep(0.05)


async def test_an_email_goes_out_by_smtp_and_its_reply_comes_back_by_imap(settings, signed_in, dovecot, mail_user):
    jane = await signed_in("jane@example.com")
    sealer = Sealer(settings.secret_key)
    user = mail_user()
    handler = Sink()
    with smtp_sink.running(handler) as controller:
        await SmtpConnector.all().update(host="127.0.0.1", port=controller.port, security="NONE", username=None, password_sealed=None,
                                          enabled=True)  # the demo's relay is off
        await _point(await Mailbox.get(address="uk-ops@acme.example"), dovecot, user, sealer=sealer)
        async with running_sender(sealer, 0.05), running_collectors(sealer, 0.2, **FAST):
            assert (await jane.data(SEND))["sendEmail"]["email"]["status"] == "QUEUED"

            async def delivered() -> bool:
                return any("bob@client.example" in r.rcpt_tos for r in handler.received)

            await _until(delivered)
            sent = email.message_from_bytes(next(r.content for r in handler.received if "bob@client.example" in r.rcpt_tos))
            assert sent["Subject"] == "Your tax code" and sent["Reply-To"] == "uk-ops@acme.example"

            reply = EmailMessage()
            reply["From"], reply["To"], reply["Subject"] = "Bob Smith <bob@client.example>", sent["Reply-To"], "Re: Your tax code"
            reply["In-Reply-To"], reply["Message-ID"] = sent["Message-ID"], "<reply-1@client.example>"
            reply.set_content("It is 1257L.")
            await dovecot.append(user.name, reply.as_bytes())

            async def replied() -> bool:
                return (await WorkItem.get(ref="T-1003")).has_new_info

            await _until(replied)
    shown = (await jane.data(EMAILS))["workItem"]
    subjects = [(e["direction"], e["subject"]) for e in shown["emails"]]
    assert ("OUTBOUND", "Your tax code") in subjects and ("INBOUND", "Re: Your tax code") in subjects
    assert shown["hasNewInfo"]
