"""Outbound mail against a real SMTP server (aiosmtpd on loopback): what arrives, and what each
server behaviour makes of a transaction."""

from __future__ import annotations

import asyncio
import email
import email.policy
from datetime import datetime, timezone

import pytest

from server.mail import composing, smtp
from server.mail.composing import OutgoingAttachment, OutgoingMessage
from server.mail.smtp import SmtpServer
from tests.support import smtp_sink
from tests.support.smtp_sink import Sink

@pytest.fixture(autouse=True)
def clean_database():
    """Overrides the suite's: nothing here touches the database, so there is nothing to empty
    (on PostgreSQL that emptying is half a second a test)."""
    yield


USERS = {"agent@acme.example": "s3cret"}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return smtp_sink.self_signed(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture(scope="module")
def plain_sink():
    handler = Sink()
    with smtp_sink.running(handler) as controller:
        yield handler, controller.port


@pytest.fixture(scope="module")
def starttls_sink(certificate):
    handler = Sink(users=USERS)
    with smtp_sink.running(handler, tls_context=certificate.server_context(),
                           auth_require_tls=True) as controller:
        yield handler, controller.port


@pytest.fixture(scope="module")
def login_only_sink(certificate):
    handler = Sink(users=USERS)
    with smtp_sink.running(handler, tls_context=certificate.server_context(),
                           auth_exclude_mechanism=["PLAIN"]) as controller:
        yield handler, controller.port


@pytest.fixture(scope="module")
def tls_sink(certificate):
    handler = Sink(users=USERS)
    with smtp_sink.running(handler, ssl_context=certificate.server_context(),
                           auth_require_tls=False) as controller:
        yield handler, controller.port


def _sink(fixture):
    handler, port = fixture
    handler.reset()
    return handler, port


@pytest.fixture
def plain(plain_sink):
    return _sink(plain_sink)


def _server(port: int, security: str = "NONE", **options) -> SmtpServer:
    return SmtpServer(host="127.0.0.1", port=port, security=security, timeout=5.0,
                      local_hostname="switchboard.test", **options)


def _message(**changes) -> OutgoingMessage:
    values = dict(
        from_address="support@acme.example", from_name="Acme Support",
        to=["Bob Client <bob@client.example>"], cc=["carol@client.example"],
        bcc=["audit@acme.example"], subject="Your ticket T-1042",
        text_body="Hello Bob,\nwe are on it.\n", html_body=None,
        message_id="<m1@acme.example>",
        date=datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc),
    )
    values.update(changes)
    return OutgoingMessage(**values)


async def _send(port: int, message: OutgoingMessage, security: str = "NONE", **options):
    return await smtp.transmit(_server(port, security, **options), message.from_address,
                               composing.recipients(message), composing.build(message))


def _lf(text: str) -> str:
    """Text as Python writes it: the wire's CRLF survive a quoted-printable decode."""
    return text.replace("\r\n", "\n")


def _parsed(content: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(content, policy=email.policy.default)


async def test_to_cc_and_bcc_each_get_it_once_and_bcc_is_not_in_the_headers(plain):
    handler, port = plain
    delivery = await _send(port, _message())
    everyone = ["bob@client.example", "carol@client.example", "audit@acme.example"]
    assert (delivery.outcome, delivery.accepted, delivery.rejected) == ("SENT", everyone, {})
    assert (delivery.code, delivery.stage) == (250, "BODY")
    assert "queued as Q1" in delivery.message
    [received] = handler.received
    assert received.mail_from == "support@acme.example"
    assert received.rcpt_tos == everyone
    headers = received.content.split(b"\r\n\r\n", 1)[0]
    assert b"audit@acme.example" not in headers and b"Bcc" not in headers
    parsed = _parsed(received.content)
    assert parsed["To"] == "Bob Client <bob@client.example>"
    assert parsed["Cc"] == "carol@client.example"


async def test_threading_reply_to_auto_submitted_sender_name_and_importance_arrive(plain):
    handler, port = plain
    message = _message(
        from_name="Zoë Støtte — Ålesund", subject="Réponse: «T-1042»",
        in_reply_to="<customer-2@client.example>",
        references=["<customer-1@client.example>", "<ours-1@acme.example>"],
        reply_to=composing.plus_address("support@acme.example", "T-1042"),
        importance="HIGH", auto_submitted=True)
    assert (await _send(port, message)).outcome == "SENT"
    [received] = handler.received
    assert received.content.isascii()  # RFC 2047 in the headers, nothing 8-bit
    parsed = _parsed(received.content)
    assert parsed["From"].addresses[0].display_name == "Zoë Støtte — Ålesund"
    assert parsed["From"].addresses[0].addr_spec == "support@acme.example"
    assert parsed["Subject"] == "Réponse: «T-1042»"
    assert parsed["Message-ID"] == "<m1@acme.example>"
    assert parsed["In-Reply-To"] == "<customer-2@client.example>"
    assert parsed["References"].split() == [
        "<customer-1@client.example>", "<ours-1@acme.example>", "<customer-2@client.example>"]
    assert parsed["Reply-To"] == "support+T-1042@acme.example"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["X-Auto-Response-Suppress"] == "All"
    assert (parsed["Importance"], parsed["X-Priority"]) == ("high", "1 (Highest)")
    assert parsed["Date"].datetime == datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)


async def test_alternative_bodies_an_attachment_and_an_inline_image_round_trip(plain):
    handler, port = plain
    report = "Grüße, 東京\n".encode() * 300
    message = _message(
        text_body="Grüße aus Köln — see the report.\n",
        html_body='<html><body><p>Grüße <img src="cid:logo@acme"></p></body></html>',
        attachments=(OutgoingAttachment("Bericht März.txt", "text/plain", report),
                     OutgoingAttachment("logo.png", "image/png", PNG, content_id="logo@acme")))
    assert (await _send(port, message)).outcome == "SENT"
    [received] = handler.received
    assert max(len(line) for line in received.content.split(b"\r\n")) <= 78
    parsed = _parsed(received.content)
    assert parsed.get_content_type() == "multipart/mixed"
    body, attachment = parsed.iter_parts()
    assert body.get_content_type() == "multipart/alternative"
    text, related = body.iter_parts()
    assert _lf(text.get_content()) == "Grüße aus Köln — see the report.\n"
    assert related.get_content_type() == "multipart/related"
    html_part, image = related.iter_parts()
    assert html_part.get_content_type() == "text/html"
    assert "Grüße <img src=\"cid:logo@acme\">" in html_part.get_content()
    assert (image.get_content_type(), image["Content-ID"]) == ("image/png", "<logo@acme>")
    assert image.get_content_disposition() == "inline"
    assert image.get_content() == PNG
    assert attachment.get_filename() == "Bericht März.txt"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_payload(decode=True) == report
    assert [p.get_filename() for p in parsed.iter_attachments()] == ["Bericht März.txt"]


async def test_the_signature_follows_both_bodies(plain):
    handler, port = plain
    message = _message(text_body="Regards", html_body="<p>Regards</p>",
                       signature="Acme <Support> & Co\n+1 555 0100")
    assert (await _send(port, message)).outcome == "SENT"
    parsed = _parsed(handler.received[0].content)
    text = parsed.get_body(("plain",)).get_content()
    assert _lf(text) == "Regards\n-- \nAcme <Support> & Co\n+1 555 0100\n"
    html = _lf(parsed.get_body(("html",)).get_content())
    assert html.startswith("<p>Regards</p>")
    assert ('<div class="signature">-- <br>\nAcme &lt;Support&gt; &amp; Co<br>\n'
            '+1 555 0100</div>') in html


async def test_lines_starting_with_a_dot_arrive_unchanged(plain):
    handler, port = plain
    text = ".\n..two\n.hidden\nend\n.\n"
    assert (await _send(port, _message(text_body=text))).outcome == "SENT"
    got = _parsed(handler.received[0].content).get_body(("plain",)).get_content()
    assert _lf(got) == text


@pytest.mark.parametrize("refusal", ["550 5.1.1 No such user", "450 4.2.1 Mailbox busy"])
async def test_a_refused_recipient_makes_it_partial_and_only_the_accepted_one_gets_it(
        plain, refusal):
    handler, port = plain
    handler.rcpt_replies = {"carol@client.example": refusal}
    delivery = await _send(port, _message(bcc=[]))
    code, text = int(refusal[:3]), refusal[4:]
    assert delivery.outcome == "PARTIAL"
    assert delivery.accepted == ["bob@client.example"]
    assert delivery.rejected == {"carol@client.example": (code, text)}
    assert (delivery.code, delivery.message) == (code, f"carol@client.example: {text}")
    [received] = handler.received
    assert received.rcpt_tos == ["bob@client.example"]


@pytest.mark.parametrize("replies, outcome", [
    (("450 4.2.1 Try later", "450 4.2.1 Try later"), "TEMPORARY"),
    (("550 5.1.1 No such user", "451 4.3.0 Greylisted"), "TEMPORARY"),
    (("550 5.1.1 No such user", "553 5.1.3 Bad address"), "PERMANENT"),
])
async def test_every_recipient_refused(plain, replies, outcome):
    handler, port = plain
    handler.rcpt_replies = dict(zip(["bob@client.example", "carol@client.example"], replies))
    delivery = await _send(port, _message(bcc=[]))
    assert (delivery.outcome, delivery.accepted, delivery.stage) == (outcome, [], "RCPT")
    assert delivery.rejected == {
        "bob@client.example": (int(replies[0][:3]), replies[0][4:]),
        "carol@client.example": (int(replies[1][:3]), replies[1][4:])}
    first_temporary = next((r for r in replies if r[0] == "4"), replies[0])
    assert (delivery.code, delivery.message) == (int(first_temporary[:3]), first_temporary[4:])
    assert handler.received == [] and handler.bodies_read == []


@pytest.mark.parametrize("reply, outcome", [
    ("451 4.7.1 Sender greylisted", "TEMPORARY"),
    ("553 5.7.1 Sender not allowed", "PERMANENT"),
])
async def test_the_sender_refused(plain, reply, outcome):
    handler, port = plain
    handler.mail_reply = reply
    delivery = await _send(port, _message())
    assert (delivery.outcome, delivery.accepted, delivery.rejected) == (outcome, [], {})
    assert (delivery.code, delivery.message, delivery.stage) == (
        int(reply[:3]), reply[4:], "MAIL")
    assert handler.received == []


@pytest.mark.parametrize("reply, outcome", [
    ("451 4.3.0 Local error in processing", "TEMPORARY"),
    ("554 5.6.0 Message rejected as spam", "PERMANENT"),
])
async def test_the_body_refused(plain, reply, outcome):
    handler, port = plain
    handler.data_reply = reply
    delivery = await _send(port, _message())
    assert (delivery.outcome, delivery.accepted, delivery.rejected) == (outcome, [], {})
    assert (delivery.code, delivery.message, delivery.stage) == (
        int(reply[:3]), reply[4:], "BODY")
    assert handler.received == [] and len(handler.bodies_read) == 1


async def test_a_closed_port_is_temporary():
    delivery = await _send(smtp_sink.free_port(), _message())
    assert (delivery.outcome, delivery.code, delivery.stage) == ("TEMPORARY", None, "CONNECT")
    assert "connect call failed" in delivery.message.lower()
    assert delivery.accepted == [] and delivery.rejected == {}


async def test_a_server_that_never_greets_times_out_as_temporary():
    async def silent(reader, writer):
        await reader.read()  # hold the connection, say nothing
        writer.close()

    listener = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        delivery = await smtp.transmit(
            SmtpServer("127.0.0.1", port, "NONE", timeout=0.3), "support@acme.example",
            ["bob@client.example"], composing.build(_message()))
    finally:
        listener.close()
        await listener.wait_closed()
    assert (delivery.outcome, delivery.code, delivery.stage) == ("TEMPORARY", None, "CONNECT")
    assert "timed out" in delivery.message.lower()


async def test_a_drop_before_the_body_is_temporary(plain):
    handler, port = plain
    handler.rcpt_drop = True
    delivery = await _send(port, _message())
    assert (delivery.outcome, delivery.code, delivery.stage) == ("TEMPORARY", None, "RCPT")
    assert delivery.uncertain == [] and handler.bodies_read == []


async def test_a_drop_after_the_whole_body_was_read_is_unknown(plain):
    """The server has the message and closes without answering: it may deliver it. Sending
    again could make a duplicate, so the outcome is UNKNOWN, never TEMPORARY."""
    handler, port = plain
    handler.after_body = "drop"
    delivery = await _send(port, _message())
    assert (delivery.outcome, delivery.code, delivery.stage) == ("UNKNOWN", None, "BODY")
    assert delivery.message.startswith("no reply after the body was sent")
    assert delivery.accepted == [] and delivery.rejected == {}
    assert delivery.uncertain == [
        "bob@client.example", "carol@client.example", "audit@acme.example"]
    [body] = handler.bodies_read
    assert _parsed(body)["Message-ID"] == "<m1@acme.example>"  # it did get all of it
    assert handler.received == []


async def test_no_reply_after_the_body_is_unknown(plain):
    handler, port = plain
    handler.after_body = "hang"
    delivery = await _send(port, _message(), body_timeout=0.3)
    assert (delivery.outcome, delivery.code, delivery.stage) == ("UNKNOWN", None, "BODY")
    assert "Timed out" in delivery.message
    assert len(handler.bodies_read) == 1


@pytest.mark.parametrize("sink, mechanism", [
    ("starttls_sink", "PLAIN"), ("login_only_sink", "LOGIN")])
async def test_auth_over_starttls(request, certificate, sink, mechanism):
    handler, port = _sink(request.getfixturevalue(sink))
    tls = certificate.client_context()
    good = await _send(port, _message(), "STARTTLS", tls_context=tls,
                       username="agent@acme.example", password="s3cret")
    assert good.outcome == "SENT"
    assert len(handler.received) == 1
    bad = await _send(port, _message(), "STARTTLS", tls_context=tls,
                      username="agent@acme.example", password="wrong")
    assert (bad.outcome, bad.code, bad.stage) == ("PERMANENT", 535, "AUTH")
    assert "Authentication credentials invalid" in bad.message
    assert len(handler.received) == 1
    assert handler.auth_attempts == [
        (mechanism, "agent@acme.example", True), (mechanism, "agent@acme.example", False)]


async def test_starttls_checks_the_certificate(starttls_sink):
    handler, port = _sink(starttls_sink)
    delivery = await _send(port, _message(), "STARTTLS",
                           username="agent@acme.example", password="s3cret")
    assert (delivery.outcome, delivery.stage) == ("TEMPORARY", "STARTTLS")
    assert "certificate" in delivery.message.lower()
    assert handler.auth_attempts == [] and handler.received == []


async def test_implicit_tls(tls_sink, certificate):
    handler, port = _sink(tls_sink)
    delivery = await _send(port, _message(), "TLS", tls_context=certificate.client_context(),
                           username="agent@acme.example", password="s3cret")
    assert delivery.outcome == "SENT"
    assert handler.auth_attempts == [("PLAIN", "agent@acme.example", True)]
    assert len(handler.received) == 1
    unverified = await _send(port, _message(), "TLS", validate_certs=False)
    assert unverified.outcome == "SENT"


async def test_check(plain, starttls_sink, certificate):
    _, plain_port = plain
    assert await smtp.check(_server(plain_port)) is None
    assert await smtp.check(_server(plain_port, "STARTTLS")) == (
        "STARTTLS: the server does not offer STARTTLS")
    handler, port = _sink(starttls_sink)
    tls = certificate.client_context()
    assert await smtp.check(_server(port, "STARTTLS", tls_context=tls,
                                    username="agent@acme.example", password="s3cret")) is None
    wrong = await smtp.check(_server(port, "STARTTLS", tls_context=tls,
                                     username="agent@acme.example", password="nope"))
    assert wrong.startswith("AUTH: 535 ")
    refused = await smtp.check(_server(smtp_sink.free_port()))
    assert refused.startswith("CONNECT: ") and "connect call failed" in refused.lower()
    assert handler.received == []
