"""One SMTP transaction, and what came of it.

`transmit` drives aiosmtplib command by command (connect, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA,
then the body) rather than through `send_message`, because what a failure means depends on where
it happened. Until the body's final "." has been written the server cannot have taken the message,
so a lost connection or a timeout is TEMPORARY; from then on only the server's final reply says
whether it did, and without one the outcome is UNKNOWN (it may be on its way): an exactly-once
outbox must surface that instead of sending again. A server's answer never raises: it becomes a
`Delivery`."""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage

import aiosmtplib
from aiosmtplib import (
    SMTPAuthenticationError,
    SMTPException,
    SMTPHeloError,
    SMTPResponseException,
    SMTPServerDisconnected,
    SMTPTimeoutError,
)

SECURITIES = ("NONE", "STARTTLS", "TLS")
OUTCOMES = ("SENT", "PARTIAL", "TEMPORARY", "PERMANENT", "UNKNOWN")

_LINE_END = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    security: str  # "NONE" | "STARTTLS" | "TLS" (implicit TLS, usually port 465)
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0  # seconds, for the connection and for each reply
    validate_certs: bool = True
    # overrides validate_certs: e.g. a context trusting a private CA (tests, internal relays)
    tls_context: ssl.SSLContext | None = field(default=None, compare=False, repr=False)
    local_hostname: str | None = None  # the EHLO name; None: this machine's FQDN
    body_timeout: float = 600.0  # the wait for the reply to the body (RFC 5321 4.5.3.2.6)


@dataclass(frozen=True)
class Delivery:
    """What one transaction achieved.

    outcome: SENT (the message was taken for every recipient), PARTIAL (taken for `accepted`,
    refused at RCPT for those in `rejected`), TEMPORARY (taken for nobody; trying again may work),
    PERMANENT (taken for nobody; trying again will not help), UNKNOWN (the body was sent but no
    final reply came: the server may have taken it).
    code and message: the reply that decided the outcome (for PARTIAL, the first refusal), or
    code None and the error when there was no reply. stage: the step that decided it - CONNECT,
    EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA (the DATA command), BODY (the reply to the body) or
    QUIT (check only)."""

    outcome: str
    accepted: list[str]
    rejected: dict[str, tuple[int, str]]
    code: int | None
    message: str
    stage: str
    # UNKNOWN: the recipients the server had accepted at RCPT, whom the message may have reached
    uncertain: list[str] = field(default_factory=list)


class _Failed(Exception):
    """A step failed: the transaction ends with `outcome`."""

    def __init__(self, outcome: str, stage: str, code: int | None, message: str) -> None:
        super().__init__(message)
        self.outcome, self.stage, self.code, self.message = outcome, stage, code, message


async def transmit(server: SmtpServer, envelope_from: str, recipients: list[str],
                   message: EmailMessage) -> Delivery:
    """Send `message` to `recipients` (the envelope; headers are not read) in one transaction."""
    if server.security not in SECURITIES:
        raise ValueError(f"security must be one of {SECURITIES}: {server.security!r}")
    recipients = list(dict.fromkeys(recipients))
    if not recipients:
        raise ValueError("no recipients")
    for address in [envelope_from, *recipients]:
        if any(c in address for c in "\r\n<>"):
            raise ValueError(f"not an envelope address: {address!r}")
    body = _wire_body(message)
    client = _client(server)
    accepted: list[str] = []
    rejected: dict[str, tuple[int, str]] = {}
    try:
        delivery = await _transact(client, server, envelope_from, recipients, body,
                                   accepted, rejected)
    except _Failed as failed:
        uncertain = list(accepted) if failed.outcome == "UNKNOWN" else []
        delivery = Delivery(failed.outcome, [], rejected, failed.code, failed.message,
                            failed.stage, uncertain)
    except BaseException:  # cancelled, or a programming error: no more talking
        client.close()
        raise
    await _quit(client, server)
    return delivery


async def _transact(client: aiosmtplib.SMTP, server: SmtpServer, envelope_from: str,
                    recipients: list[str], body: bytes, accepted: list[str],
                    rejected: dict[str, tuple[int, str]]) -> Delivery:
    """The transaction; fills `accepted` and `rejected` as RCPT goes, raises _Failed."""
    await _open(client, server)
    smtputf8 = client.supports_extension("smtputf8")
    ascii_only = all(a.isascii() for a in [envelope_from, *recipients])
    options = [b"SMTPUTF8"] if smtputf8 and not ascii_only else []
    if client.supports_extension("size"):
        options.append(f"SIZE={len(body)}".encode())
    if not (envelope_from.isascii() or smtputf8):
        raise _Failed("PERMANENT", "MAIL", None,
                      "the sender address needs SMTPUTF8, which the server does not offer")
    reply = await _step("MAIL", client.execute_command(
        b"MAIL", b"FROM:<" + envelope_from.encode() + b">", *options))
    if reply.code != 250:
        raise _refusal("MAIL", reply.code, reply.message)
    for rcpt in recipients:
        if not (rcpt.isascii() or smtputf8):
            rejected[rcpt] = (553, "not sent: the address needs SMTPUTF8, which the server "
                                   "does not offer")
            continue
        reply = await _step("RCPT", client.execute_command(
            b"RCPT", b"TO:<" + rcpt.encode() + b">"))
        if reply.code in (250, 251):
            accepted.append(rcpt)
        else:
            rejected[rcpt] = (reply.code, reply.message)
    if not accepted:
        await _reset(client)
        temporary = [r for r, (code, _) in rejected.items() if not 500 <= code < 600]
        code, text = rejected[temporary[0] if temporary else recipients[0]]
        return Delivery("TEMPORARY" if temporary else "PERMANENT", [], rejected, code, text,
                        "RCPT")
    reply = await _step("DATA", client.execute_command(b"DATA"))
    if reply.code != 354:
        await _reset(client)
        raise _refusal("DATA", reply.code, reply.message)
    reply = await _body(client, server, body)
    if not 200 <= reply.code < 300:
        if 400 <= reply.code < 600:
            raise _refusal("BODY", reply.code, reply.message)
        client.close()  # neither taken nor refused: it may have been taken
        raise _Failed("UNKNOWN", "BODY", reply.code, reply.message)
    if rejected:
        first, (code, text) = next(iter(rejected.items()))
        return Delivery("PARTIAL", list(accepted), dict(rejected), code, f"{first}: {text}",
                        "RCPT")
    return Delivery("SENT", list(accepted), {}, reply.code, reply.message, "BODY")


async def check(server: SmtpServer) -> str | None:
    """Connect, EHLO, STARTTLS and AUTH as configured, then QUIT: None when all went well, else
    what went wrong ("AUTH: 535 5.7.8 Authentication credentials invalid")."""
    if server.security not in SECURITIES:
        raise ValueError(f"security must be one of {SECURITIES}: {server.security!r}")
    client = _client(server)
    try:
        await _open(client, server)
        reply = await _step("QUIT", client.execute_command(b"QUIT"))
        if reply.code != 221:
            raise _refusal("QUIT", reply.code, reply.message)
    except _Failed as failed:
        await _quit(client, server)
        code = f"{failed.code} " if failed.code is not None else ""
        return f"{failed.stage}: {code}{failed.message}"
    finally:
        client.close()
    return None


def _client(server: SmtpServer) -> aiosmtplib.SMTP:
    return aiosmtplib.SMTP(
        hostname=server.host, port=server.port, timeout=server.timeout,
        use_tls=server.security == "TLS", start_tls=False,
        validate_certs=server.validate_certs, tls_context=server.tls_context,
        local_hostname=server.local_hostname)


async def _open(client: aiosmtplib.SMTP, server: SmtpServer) -> None:
    """Connect, greet, upgrade to TLS and authenticate as `server` says; raise _Failed."""
    await _step("CONNECT", client.connect())
    await _step("EHLO", _greet(client))
    if server.security == "STARTTLS":
        if not client.supports_extension("starttls"):
            raise _Failed("PERMANENT", "STARTTLS", None, "the server does not offer STARTTLS")
        await _step("STARTTLS", client.starttls())
        await _step("EHLO", client.ehlo())
    if server.username is not None:
        if not client.supports_extension("auth"):
            raise _Failed("PERMANENT", "AUTH", None, "the server does not offer AUTH")
        await _step("AUTH", _login(client, server.username, server.password or ""))


async def _greet(client: aiosmtplib.SMTP):
    """EHLO, or HELO for a server that refuses EHLO (RFC 5321 3.2)."""
    try:
        return await client.ehlo()
    except SMTPHeloError as exc:
        if not (500 <= exc.code < 600 and client.is_connected):
            raise
        return await client.helo()


async def _login(client: aiosmtplib.SMTP, username: str, password: str):
    """AUTH with the best mechanism both sides know (CRAM-MD5, PLAIN, LOGIN), falling back to the
    next only when one is refused for itself: after a 535 (wrong credentials) trying again with
    the same password would only count one more failed login against the account."""
    methods = client.supported_auth_methods
    if not methods:
        raise SMTPException("no AUTH mechanism that both sides know: the server offers "
                            + (" ".join(client.server_auth_methods) or "none"))
    for name in methods:
        try:
            return await getattr(client, "auth_" + name.replace("-", ""))(username, password)
        except SMTPAuthenticationError as exc:
            if exc.code == 535 or name == methods[-1]:
                raise


async def _step(stage: str, command):
    """Await one command before the body is sent; what fails becomes _Failed(TEMPORARY or
    PERMANENT): nothing can have been delivered yet."""
    try:
        return await command
    except SMTPResponseException as exc:  # refused: HELO, STARTTLS, AUTH, a bad greeting
        raise _refusal(stage, exc.code, exc.message) from None
    except (SMTPServerDisconnected, SMTPTimeoutError, aiosmtplib.SMTPConnectError,
            OSError) as exc:  # refused, reset, timed out, TLS handshake or certificate
        raise _Failed("TEMPORARY", stage, None, _describe(exc)) from None
    except SMTPException as exc:  # e.g. no AUTH mechanism both sides know
        raise _Failed("PERMANENT", stage, None, _describe(exc)) from None


async def _body(client: aiosmtplib.SMTP, server: SmtpServer, body: bytes):
    """Send the body (the DATA command had its 354) and read the server's final reply. From the
    first byte written on, a lost connection or a timeout is UNKNOWN."""
    protocol = client.protocol
    if protocol is None:
        raise _Failed("TEMPORARY", "DATA", None, "connection lost before the body was sent")
    try:
        protocol.write(body)
    except SMTPServerDisconnected as exc:  # closed before the write: nothing left
        raise _Failed("TEMPORARY", "DATA", None, _describe(exc)) from None
    try:
        return await protocol.read_response(timeout=server.body_timeout)
    except SMTPResponseException as exc:  # an unparseable reply is no answer either
        client.close()
        raise _Failed("UNKNOWN", "BODY", None, f"unreadable reply after the body: "
                                               f"{exc.code} {exc.message}") from None
    except (SMTPServerDisconnected, SMTPTimeoutError, OSError) as exc:
        client.close()
        raise _Failed("UNKNOWN", "BODY", None,
                      f"no reply after the body was sent: {_describe(exc)}") from None


def _refusal(stage: str, code: int, message: str) -> _Failed:
    if 400 <= code < 500:
        outcome = "TEMPORARY"
    elif 500 <= code < 600:
        outcome = "PERMANENT"
    else:  # a reply that makes no sense at this step (or aiosmtplib's -1 for garbage)
        outcome = "TEMPORARY"
    return _Failed(outcome, stage, code, message)


def _wire_body(message: EmailMessage) -> bytes:
    """The message as DATA carries it: CRLF line ends, leading dots doubled, the final "."."""
    data = _LINE_END.sub(b"\r\n", message.as_bytes(policy=message.policy.clone(linesep="\r\n")))
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return _LEADING_DOT.sub(b"..", data) + b".\r\n"


async def _reset(client: aiosmtplib.SMTP) -> None:
    """RSET after a refused envelope, so the QUIT that follows is clean; errors do not matter."""
    try:
        await client.execute_command(b"RSET")
    except (SMTPException, OSError):
        pass


async def _quit(client: aiosmtplib.SMTP, server: SmtpServer) -> None:
    """A polite QUIT, not waited for long: the outcome is decided already."""
    if client.is_connected:
        try:
            await client.execute_command(b"QUIT", timeout=min(server.timeout, 5.0))
        except (SMTPException, OSError):
            pass
    client.close()


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    cause = exc.__cause__
    if cause is not None and str(cause) and str(cause) not in text:
        text = f"{text}: {cause}"
    return text
