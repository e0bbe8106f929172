"""Outgoing mail as MIME: what Switchboard says in an email's headers and parts, built with the
standard library's email package.

The message is kept 7-bit clean (quoted-printable or base64 for anything else, RFC 2047 / 2231 for
non-ASCII header text and file names, CRLF line ends, lines well under SMTP's 998), so that any
server takes it without 8BITMIME or SMTPUTF8."""

from __future__ import annotations

import email.policy
import html
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses

from server.mail.addresses import normalise

# serialise with SMTP's CRLF and choose only 7-bit transfer encodings
POLICY = email.policy.SMTP.clone(cte_type="7bit")

IMPORTANCES = ("HIGH", "NORMAL", "LOW")
_IMPORTANCE_HEADERS = {
    "HIGH": ("high", "1 (Highest)"),
    "LOW": ("low", "5 (Lowest)"),
}

# RFC 5322 atext without "+" (the tag separator) and "@"
_TAG = re.compile(r"^[A-Za-z0-9!#$%&'*/=?^_`{|}~.-]+$")
_DOMAIN = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$")
_LINE_BREAKS = re.compile(r"[\r\n]+\s*")


@dataclass(frozen=True)
class OutgoingAttachment:
    filename: str
    content_type: str  # "image/png"
    content: bytes
    content_id: str | None = None  # set: an inline part the HTML body refers to as cid:...


@dataclass(frozen=True)
class OutgoingMessage:
    from_address: str
    from_name: str | None
    to: list[str]
    cc: list[str]
    bcc: list[str]
    subject: str
    text_body: str
    html_body: str | None
    message_id: str
    in_reply_to: str | None = None
    references: list[str] | tuple[str, ...] = ()
    reply_to: str | None = None
    importance: str = "NORMAL"  # HIGH | NORMAL | LOW
    auto_submitted: bool = False
    signature: str | None = None
    attachments: list[OutgoingAttachment] | tuple[OutgoingAttachment, ...] = ()
    date: datetime | None = field(default=None)  # None: the time build() runs


def new_message_id(domain: str) -> str:
    """A new globally unique Message-ID, "<32 hex digits@domain>": random (uuid4), so it tells
    nothing about the host, the process or the time."""
    domain = domain.strip().lower()
    if not _DOMAIN.match(domain):
        raise ValueError(f"not a domain for a Message-ID: {domain!r}")
    return f"<{uuid.uuid4().hex}@{domain}>"


def plus_address(mailbox: str, ref: str) -> str:
    """The RFC 5233 sub-address of `mailbox` tagged with `ref`: ("support@acme.example", "T-1042")
    → "support+T-1042@acme.example"; a tag the mailbox already has is replaced."""
    addr = normalise(mailbox)
    if addr is None:
        raise ValueError(f"not an email address: {mailbox!r}")
    if not _TAG.match(ref):
        raise ValueError(f"not usable as an address tag: {ref!r}")
    local, _, domain = addr.rpartition("@")
    return f"{local.split('+', 1)[0]}+{ref}@{domain}"


def recipients(message: OutgoingMessage) -> list[str]:
    """The envelope recipients: To, Cc and Bcc normalised, each once, in that order."""
    seen: dict[str, None] = {}
    for raw in [*message.to, *message.cc, *message.bcc]:
        addr = normalise(raw)
        if addr is None:
            raise ValueError(f"not an email address: {raw!r}")
        seen.setdefault(addr, None)
    return list(seen)


def build(message: OutgoingMessage) -> EmailMessage:
    """The MIME message for `message` (its Bcc never appears in it): serialise it with
    `bytes(result)` or `result.as_bytes()`, which use SMTP's policy."""
    if message.importance not in IMPORTANCES:
        raise ValueError(f"importance must be one of {IMPORTANCES}: {message.importance!r}")
    msg = EmailMessage(policy=POLICY)
    msg["From"] = Address(display_name=_one_line(message.from_name or ""),
                          addr_spec=message.from_address)
    if message.to:
        msg["To"] = _addresses(message.to)
    if message.cc:
        msg["Cc"] = _addresses(message.cc)
    if message.reply_to:
        msg["Reply-To"] = _addresses([message.reply_to])
    msg["Subject"] = _one_line(message.subject)
    msg["Date"] = format_datetime(message.date or datetime.now(timezone.utc))
    msg["Message-ID"] = _msg_id(message.message_id)
    if message.in_reply_to:
        msg["In-Reply-To"] = _msg_id(message.in_reply_to)
    references = [_msg_id(r) for r in message.references]
    if message.in_reply_to and _msg_id(message.in_reply_to) not in references:
        references.append(_msg_id(message.in_reply_to))
    if references:
        msg["References"] = " ".join(references)
    if message.auto_submitted:
        msg["Auto-Submitted"] = "auto-generated"  # RFC 3834
        msg["X-Auto-Response-Suppress"] = "All"  # Exchange: no out-of-office back to us
    if message.importance in _IMPORTANCE_HEADERS:
        importance, priority = _IMPORTANCE_HEADERS[message.importance]
        msg["Importance"] = importance
        msg["X-Priority"] = priority

    msg.set_content(_text_with_signature(message.text_body, message.signature))
    inline = [a for a in message.attachments if a.content_id]
    attached = [a for a in message.attachments if not a.content_id]
    if message.html_body is not None:
        msg.add_alternative(_html_with_signature(message.html_body, message.signature),
                            subtype="html")
        html_part = msg.get_payload()[1]
        for part in inline:
            maintype, subtype = _content_type(part.content_type)
            html_part.add_related(part.content, maintype, subtype, cid=_msg_id(part.content_id),
                                  filename=part.filename, disposition="inline")
    else:
        attached = list(message.attachments)  # nothing to show them inline in
    for part in attached:
        maintype, subtype = _content_type(part.content_type)
        extra = {"cid": _msg_id(part.content_id)} if part.content_id else {}
        msg.add_attachment(part.content, maintype, subtype, filename=part.filename, **extra)
    return msg


def _text_with_signature(text: str, signature: str | None) -> str:
    if not signature:
        return text
    if text and not text.endswith("\n"):
        text += "\n"
    return f"{text}-- \n{signature}"  # RFC 3676 §4.3 signature separator


def _html_with_signature(body: str, signature: str | None) -> str:
    if not signature:
        return body
    lines = "<br>\n".join(html.escape(line) for line in signature.splitlines())
    block = f'<div class="signature">-- <br>\n{lines}</div>'
    end = body.lower().rfind("</body>")
    if end == -1:
        return f"{body}\n{block}"
    return f"{body[:end]}{block}\n{body[end:]}"


def _addresses(raw: list[str]) -> tuple[Address, ...]:
    parsed = getaddresses(raw)
    return tuple(Address(display_name=_one_line(name), addr_spec=addr) for name, addr in parsed)


def _msg_id(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("empty message id")
    return value if value.startswith("<") else f"<{value.strip('<>')}>"


def _content_type(value: str) -> tuple[str, str]:
    maintype, _, subtype = value.partition(";")[0].strip().lower().partition("/")
    if not maintype or not subtype:
        return "application", "octet-stream"
    return maintype, subtype


def _one_line(value: str) -> str:
    """Header text on one line: a CR or LF in it would start a new header."""
    return _LINE_BREAKS.sub(" ", value).strip()
