"""A real SMTP server for the tests: aiosmtpd on a loopback port, in its own thread, with a
handler that records what it received and can be told to refuse, drop or hang; and a throwaway
self-signed certificate for STARTTLS and implicit TLS."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import socket
import ssl
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes  # the message as the server stored it (dots unstuffed, CRLF)


@dataclass
class Sink:
    """The aiosmtpd handler. Tell it how to misbehave by setting its fields; reset() between
    tests. `received` holds what was accepted (answered 250), `bodies_read` every message body
    the server read in full, answered or not."""

    users: dict[str, str] = field(default_factory=dict)  # login -> password for AUTH
    received: list[Received] = field(default_factory=list)
    bodies_read: list[bytes] = field(default_factory=list)
    auth_attempts: list[tuple[str, str, bool]] = field(default_factory=list)  # mech, login, ok
    mail_reply: str | None = None  # the reply to MAIL FROM instead of 250
    rcpt_replies: dict[str, str] = field(default_factory=dict)  # address -> "550 5.1.1 ..."
    rcpt_drop: bool = False  # close the connection at the first RCPT, without a reply
    data_reply: str | None = None  # the reply to the body instead of 250
    after_body: str | None = None  # "drop": close without replying; "hang": never reply

    def reset(self) -> None:
        self.received.clear()
        self.bodies_read.clear()
        self.auth_attempts.clear()
        self.mail_reply = None
        self.rcpt_replies = {}
        self.rcpt_drop = False
        self.data_reply = None
        self.after_body = None

    def authenticate(self, server, session, envelope, mechanism: str,
                     auth_data: LoginPassword) -> AuthResult:
        login = auth_data.login.decode()
        ok = self.users.get(login) == auth_data.password.decode()
        self.auth_attempts.append((mechanism, login, ok))
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535

    async def handle_MAIL(self, server, session, envelope, address: str, mail_options):
        if self.mail_reply is not None:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address: str, rcpt_options):
        if self.rcpt_drop:
            await _drop(server)
        reply = self.rcpt_replies.get(address.lower())
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        self.bodies_read.append(content)
        if self.after_body == "drop":
            await _drop(server)
        if self.after_body == "hang":
            await asyncio.Event().wait()  # cancelled when the client gives up and closes
        if self.data_reply is not None:
            return self.data_reply
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), content))
        return "250 2.0.0 Ok: queued as Q1"


async def _drop(server) -> None:
    """Close the connection without a word and stop here (aiosmtpd cancels the handler when the
    connection is lost, so no reply is ever written)."""
    server.transport.close()
    await asyncio.Event().wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running(handler: Sink, **smtp_parameters) -> Iterator[Controller]:
    """aiosmtpd serving `handler` on 127.0.0.1 (a free port: controller.port) until the block
    ends. `smtp_parameters` go to aiosmtpd's SMTP (tls_context, auth_require_tls, ...);
    `ssl_context` makes it implicit TLS."""
    if handler.users:
        smtp_parameters.setdefault("authenticator", handler.authenticate)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(),
                            server_hostname="sink.test", ready_timeout=5.0, **smtp_parameters)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


@dataclass(frozen=True)
class Certificate:
    cert_file: Path
    key_file: Path
    pem: str

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def client_context(self) -> ssl.SSLContext:
        """Trusts this certificate only (hostname checks stay on: it names 127.0.0.1)."""
        return ssl.create_default_context(cadata=self.pem)


def self_signed(directory: Path) -> Certificate:
    """A throwaway certificate for 127.0.0.1 and localhost (an EC key: quick to make)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_file, key_file = directory / "sink.crt", directory / "sink.key"
    cert_file.write_bytes(pem)
    key_file.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return Certificate(cert_file, key_file, pem.decode())
