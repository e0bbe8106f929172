"""The MIME tree of a received message read into its text, its HTML and its attachments."""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from dataclasses import dataclass, replace
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from io import BytesIO

from server.mail import charsets
from server.mail.headers import clean, cut, decode_words
from server.mail.sanitize import sanitize_html

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



_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Body:
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
                self.report = charsets.decode(content, "utf-8", [], what=content_type).replace("\r\n", "\n").replace("\x00", "")
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
        if not _MEDIA_TYPE.fullmatch(content_type):
            self.defects.append(f"attachment: unusable type {cut(content_type)!r}, taken as application/octet-stream")
            content_type = "application/octet-stream"
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


_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
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
        # NFC: macOS writes names decomposed ("o" + U+0301 for "ó")
        name = unicodedata.normalize("NFC", clean(decode_words(name, defects, "file name")))
        name = _CONTROL.sub("", re.split(r"[/\\]", name)[-1]).strip().lstrip(".") or None
    if name:
        return name[:255]
    if not default:
        return None
    named = _DEFAULT_NAMES.get(content_type)
    if named:
        return named
    extension = mimetypes.guess_extension(content_type, strict=False) or ".bin"
    return f"{content_type.partition('/')[0]}{extension}"
