"""A received message's bytes read into what Switchboard keeps of it, best effort.

`parse` raises UnparseableMessage only for bytes that are no message at all (empty, or no header
block); everything a real mailbox holds — broken encoded words, unknown or wrong charsets, missing
Date / From / Message-ID, multiparts without a boundary, NUL bytes, raw 8-bit file names — still
gives a ParsedMessage, with what was wrong listed in its `defects`. The standard library's parser
does the MIME structure (with the lenient compat32 policy, which never raises on a header);
header text, charsets, bodies and attachments are read here.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from email.utils import getaddresses
from io import BytesIO

from server.mail import charsets
from server.mail.automatic import automatic_reason
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
class ParsedAttachment:
    filename: str  # never empty: derived from the type when the part names no file
    content_type: str  # lower case, "image/png"
    content_id: str | None  # without angle brackets, as `cid:` URLs name it
    inline: bool  # shown in the body (disposition inline, or a Content-ID without a disposition)
    content: bytes  # decoded; b"" when `omitted`
    size: int | None = None  # decoded size in bytes (len(content) unless omitted)
    omitted: bool = False  # larger than parse's max_attachment_bytes: content left out

    def __post_init__(self) -> None:
        if self.size is None:
            object.__setattr__(self, "size", len(self.content))


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
    body = _Body(defects, fallback, max_attachment_bytes)
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


_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _Body:
    """The text, HTML and attachments of a message's MIME tree, in order."""

    def __init__(self, defects: list[str], fallback: str | None, max_attachment_bytes: int | None) -> None:
        self.defects = defects
        self.fallback = fallback
        self.limit = max_attachment_bytes
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[ParsedAttachment] = []
        self.report: str | None = None  # the text of the first delivery-status / disposition part

    def read(self, part: Message) -> None:
        content_type = part.get_content_type()
        maintype = part.get_content_maintype()
        if maintype == "message":
            content = _bytes_of(part, self.defects)
            if self.report is None and content_type in _REPORTS:
                self.report = charsets.decode(content, "utf-8", [], what=content_type).replace("\r\n", "\n")
            self._attachment(part, content_type, content)
            return
        if part.is_multipart():
            for child in part.get_payload():
                self.read(child)
            return
        if maintype == "multipart":
            guessed = _with_guessed_boundary(part)
            if guessed is not None:
                self.defects.append(f"{content_type}: boundary not found, guessed from the body")
                self.read(guessed)
                return
            self.defects.append(f"{content_type} without a usable boundary, read as text")
            self._text(part, "text/plain")
            return
        filename = _filename(part, content_type, [], self.fallback, default=False)
        if content_type in ("text/plain", "text/html") and part.get_content_disposition() != "attachment" and not filename:
            self._text(part, content_type)
            return
        self._attachment(part, content_type, _decoded(part))

    def finished_attachments(self) -> list[ParsedAttachment]:
        """The attachments, those the HTML shows by `cid:` marked inline."""
        shown = " ".join(self.html).lower()
        return [
            replace(attachment, inline=True)
            if not attachment.inline and attachment.content_id and f"cid:{attachment.content_id.lower()}" in shown
            else attachment
            for attachment in self.attachments
        ]

    def _text(self, part: Message, content_type: str) -> None:
        data = _decoded(part)
        charset = part.get_content_charset()
        if charset is None and content_type == "text/html":
            found = _META_CHARSET.search(data[:4096])
            charset = found.group(1).decode("ascii").lower() if found else None
        text = charsets.decode(data, charset, self.defects, fallback=self.fallback, what=content_type)
        if "\x00" in text:
            self.defects.append(f"{content_type}: NUL byte removed")
            text = text.replace("\x00", "")
        if content_type == "text/html":
            self.html.append(sanitize_html(text))
        else:
            self.plain.append(text)

    def _attachment(self, part: Message, content_type: str, content: bytes) -> None:
        filename = _filename(part, content_type, self.defects, self.fallback) or "attachment.bin"
        content_id = part.get("content-id")
        if content_id is not None:
            content_id = _text_of(str(content_id), self.defects, self.fallback, "Content-ID").strip().strip("<>").strip() or None
        disposition = part.get_content_disposition()
        size = len(content)
        omitted = self.limit is not None and size > self.limit
        if omitted:
            self.defects.append(f"attachment {cut(filename)!r} of {size} bytes left out (limit {self.limit})")
        self.attachments.append(ParsedAttachment(
            filename=filename,
            content_type=content_type,
            content_id=content_id,
            inline=disposition == "inline" or (disposition is None and content_id is not None),
            content=b"" if omitted else content,
            size=size,
            omitted=omitted,
        ))


_REPORTS = {"message/delivery-status", "message/global-delivery-status", "message/disposition-notification"}
_BOUNDARY_LINE = re.compile(r"^--([^\s]{1,200}?)[ \t]*\r?\n(?=[\x21-\x39\x3b-\x7e]+:)", re.M)


def _with_guessed_boundary(part: Message) -> Message | None:
    """`part` re-read with the boundary its body uses ("--x" followed by a field line) when the
    declared one is missing or never occurs."""
    payload = part.get_payload()
    if not isinstance(payload, str):
        return None
    found = _BOUNDARY_LINE.search(payload)
    if found is None:
        return None
    boundary = found.group(1).replace('"', "")
    head = f'Content-Type: {part.get_content_type()}; boundary="{boundary}"\n\n'
    guessed = BytesParser(policy=compat32).parsebytes(head.encode("ascii", "replace") + payload.encode("utf-8", "surrogateescape"))
    return guessed if guessed.is_multipart() else None


def _decoded(part: Message) -> bytes:
    """The part's payload with its transfer encoding undone (left as is when broken)."""
    data = part.get_payload(decode=True)
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    return payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""


def _bytes_of(part: Message, defects: list[str]) -> bytes:
    """The body of a message/* part: an attached message's own bytes, a report's fields."""
    payload = part.get_payload()
    if not isinstance(payload, list):
        return _decoded(part)
    out = BytesIO()
    try:
        for inner in payload:
            BytesGenerator(out, mangle_from_=False, policy=compat32).flatten(inner)
    except Exception as error:  # a generator failure must not lose the rest of the message
        defects.append(f"{part.get_content_type()}: could not be written back ({type(error).__name__})")
    return out.getvalue()


def _text_of(value: str, defects: list[str], fallback: str | None, what: str) -> str:
    if value.isascii():
        return value
    try:
        raw = value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return value
    return charsets.decode(raw, None, defects, fallback=fallback, what=what)


_DEFAULT_NAMES = {
    "message/rfc822": "message.eml",
    "message/global": "message.eml",
    "message/delivery-status": "delivery-status.txt",
    "message/global-delivery-status": "delivery-status.txt",
    "message/disposition-notification": "disposition-notification.txt",
    "message/rfc822-headers": "headers.txt",
    "text/plain": "text.txt",
    "text/html": "text.html",
    "application/pkcs7-signature": "smime.p7s",
    "application/x-pkcs7-signature": "smime.p7s",
    "application/pkcs7-mime": "smime.p7m",
    "application/x-pkcs7-mime": "smime.p7m",
    "application/ms-tnef": "winmail.dat",
}


def _raw_filename(part: Message, defects: list[str], fallback: str | None) -> str | None:
    source = part
    fields = [(k, v) for k, v in part.raw_items() if k.strip().lower() in ("content-type", "content-disposition")]
    if any(not value.isascii() for _, value in fields):
        # raw 8-bit bytes: the library would read them as "?"; give it the text instead
        source = Message()
        for key, value in fields:
            source[key] = _text_of(value, defects, fallback, "file name")
    for header, param in (("content-disposition", "filename"), ("content-type", "name")):
        value = source.get_param(param, None, header)
        if isinstance(value, tuple):  # RFC 2231: (charset, language, text of the bytes)
            charset, _, text = value
            return charsets.decode(text.encode("raw-unicode-escape"), charset or None, defects, fallback=fallback, what="file name")
        if value:
            return value
    return None


def _filename(part: Message, content_type: str, defects: list[str], fallback: str | None, *, default: bool = True) -> str | None:
    """The part's file name (RFC 2231 or RFC 2047 encoded, or raw 8-bit), without any directory,
    or (`default`) a name made from its type."""
    try:
        name = _raw_filename(part, defects, fallback)
    except (LookupError, UnicodeError, ValueError):
        name = None
        defects.append(f"{content_type}: unreadable file name")
    if name:
        name = clean(decode_words(name, defects, "file name"))
        name = _CONTROL.sub("", re.split(r"[/\\]", name)[-1]).strip().lstrip(".") or None
    if name:
        return name[:255]
    if not default:
        return None
    named = _DEFAULT_NAMES.get(content_type)
    if named:
        return named
    extension = mimetypes.guess_extension(content_type, strict=False) or ".bin"
    return f"{part.get_content_maintype() or 'attachment'}{extension}"
