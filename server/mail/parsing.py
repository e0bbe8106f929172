"""A received message's bytes read into what Switchboard keeps of it, best effort.

`parse` raises UnparseableMessage only for bytes that are no message at all (empty, or no header
block); everything a real mailbox holds — broken encoded words, unknown or wrong charsets, missing
Date / From / Message-ID, multiparts without a boundary, NUL bytes, raw 8-bit file names — still
gives a ParsedMessage, with what was wrong listed in its `defects`. The standard library's parser
does the MIME structure (with the lenient compat32 policy, which never raises on a header);
header text is read in server/mail/headers.py, bodies and attachments in server/mail/body.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from email.utils import getaddresses

from server.mail import charsets
from server.mail.automatic import automatic_reason
from server.mail.body import Body, ParsedAttachment
from server.mail.headers import Headers, addresses, address, clean, cut, date, decode_words, message_ids
from server.mail.sanitize import html_to_text, sanitize_html

__all__ = [
    "ParsedAttachment", "ParsedMessage", "UnparseableMessage", "automatic_reason", "parse", "sanitize_html",
]


class UnparseableMessage(Exception):
    """The bytes are not a message at all; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ParsedMessage:
    message_id: str | None  # "<id>"
    in_reply_to: list[str]  # "<id>" each, as written
    references: list[str]  # "<id>" each, oldest first as written
    subject: str  # decoded, white space collapsed; "" when absent
    from_name: str | None
    from_address: str | None  # addresses.normalise form
    reply_to: str | None
    to: list[str]
    cc: list[str]
    delivered_to: list[str]  # Delivered-To, X-Original-To, Envelope-To
    return_path: str | None  # "" for the null path "<>"; None when absent or not an address
    date: datetime | None  # aware, UTC
    text_body: str | None  # "\n" line ends; derived from the HTML when the message has only HTML
    html_body: str | None  # sanitised (sanitize_html)
    attachments: list[ParsedAttachment]
    auto_reply: str | None  # automatic_reason: why it is automatic mail; None for a person's mail
    defects: list[str] = field(default_factory=list)

    @property
    def thread_ids(self) -> list[str]:
        """Message ids this one answers, nearest first: In-Reply-To, then References newest first."""
        seen: dict[str, None] = {}
        for found in (*self.in_reply_to, *reversed(self.references)):
            seen.setdefault(found, None)
        return list(seen)


def parse(raw: bytes, *, max_attachment_bytes: int | None = None) -> ParsedMessage:
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise TypeError(f"parse takes the message's bytes, not {type(raw).__name__}")
    raw = bytes(raw)
    if not raw.strip():
        raise UnparseableMessage("empty message")
    defects: list[str] = []
    raw = _repaired_header(raw, defects)
    message = BytesParser(policy=compat32).parsebytes(raw)
    if not message.keys():
        raise UnparseableMessage("no header block: no line is a header field")
    if b"\x00" in raw:
        defects.append("NUL byte in the message")
    fallback = _declared_charset(message)
    headers = Headers(message, defects, fallback)
    body = Body(defects, fallback, max_attachment_bytes)
    body.read(message)
    defects.extend(_mime_defects(message))

    message_id = next(iter(message_ids(headers.first("message-id"))), None)
    if message_id is None:
        defects.append("Message-ID: missing")
    senders = addresses(headers.values("from"), defects, "From")
    if len(headers.values("from")) > 1:
        defects.append("From: more than one field")
    if not senders:
        defects.append("From: no address")
    html = "\n".join(body.html) if body.html else None
    text = "\n".join(body.plain).replace("\r\n", "\n").replace("\r", "\n") if body.plain else None
    if (text is None or not text.strip()) and html is not None:
        text = html_to_text(html)
    if text is None and body.report is not None:
        text = body.report
    return_path = headers.first("return-path")
    if return_path is not None:
        stripped = return_path.strip().strip("<>").strip()
        return_path = "" if not stripped else address(stripped)
        if return_path is None:
            defects.append(f"Return-Path: not an address {cut(stripped)!r}")
    return ParsedMessage(
        message_id=message_id,
        in_reply_to=message_ids(" ".join(headers.values("in-reply-to"))),
        references=message_ids(" ".join(headers.values("references"))),
        subject=headers.decoded("subject") or "",
        from_name=senders[0][0] if senders else _name_only(headers.values("from"), defects),
        from_address=senders[0][1] if senders else None,
        reply_to=next((a for _, a in addresses(headers.values("reply-to"), defects, "Reply-To")), None),
        to=_unique(addresses(headers.values("to"), defects, "To")),
        cc=_unique(addresses(headers.values("cc"), defects, "Cc")),
        delivered_to=_unique(
            addresses([*headers.values("delivered-to"), *headers.values("x-original-to"), *headers.values("envelope-to")],
                      defects, "Delivered-To")
        ),
        return_path=return_path,
        date=date(headers.first("date"), defects),
        text_body=text,
        html_body=html,
        attachments=body.finished_attachments(),
        auto_reply=automatic_reason(message),
        defects=list(dict.fromkeys(defects)),
    )


_FIELD_LINE = re.compile(rb"^[\x21-\x39\x3b-\x7e]+[ \t]*:")
_HEAD_END = re.compile(rb"\r?\n\r?\n")


def _repaired_header(raw: bytes, defects: list[str]) -> bytes:
    """`raw` with the lines in its header block that are no field and no continuation, but come
    before the block's last field, mended: dropped before the first field (a forwarder's
    "---- Original message ----"), joined to the field above after it (a folded line that lost
    its indentation). Lines after the last field are left to the parser (a body without its
    blank line)."""
    end = _HEAD_END.search(raw)
    head, rest = (raw[: end.start()], raw[end.start() :]) if end else (raw, b"")
    lines = head.split(b"\n")
    fields = [i for i, line in enumerate(lines) if _FIELD_LINE.match(line)]
    if not fields:
        return raw
    last = fields[-1]
    mended: list[bytes] = []
    changed = False
    for i, line in enumerate(lines):
        if i > last or _FIELD_LINE.match(line) or (mended and line[:1] in (b" ", b"\t")):
            mended.append(line)
        elif i == 0 and line.startswith(b"From "):
            mended.append(line)  # an mbox separator, which the parser knows
        elif not line.strip(b"\r"):
            changed = True
        elif mended:
            mended.append(b" " + line)
            changed = True
        else:
            changed = True
    if not changed:
        return raw
    defects.append("header: lines that were no field mended")
    return b"\n".join(mended) + rest


def _unique(pairs: list[tuple[str | None, str]]) -> list[str]:
    return list(dict.fromkeys(addr for _, addr in pairs))


def _name_only(values: list[str], defects: list[str]) -> str | None:
    """The display name of a From field that holds no address ('"" (Mail Delivery System)')."""
    for name, _ in getaddresses(values):
        if name.strip():
            return clean(decode_words(name, defects, "From")) or None
    return None


_ASCII = {"us-ascii", "ascii", "utf-8", "utf8"}


def _declared_charset(message: Message) -> str | None:
    """The first charset a text part declares other than ASCII/UTF-8: the likeliest charset of raw
    8-bit header fields that are not UTF-8."""
    for part in message.walk():
        charset = part.get_content_charset()
        if charset and charset not in _ASCII and charsets.known(charset):
            return charset
    for name, value in message.raw_items():
        if name.strip().lower() in ("subject", "from", "to"):
            for charset in re.findall(r"=\?([^?\s*]+)[^?]*\?[bBqQ]\?", value):
                if charset.lower() not in _ASCII and charsets.known(charset):
                    return charset.lower()
    return None


def _mime_defects(message: Message) -> list[str]:
    found = []
    for part in message.walk():
        for defect in getattr(part, "defects", ()):
            found.append("MIME: " + re.sub(r"Defect$", "", type(defect).__name__))
    return found

