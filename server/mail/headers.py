"""Header fields of received mail read as text, best effort: RFC 2047 encoded words (broken ones
too), raw 8-bit values (UTF-8 per RFC 6532, else the message's charset), address lists, message
ids and dates. What could not be read cleanly is appended to the caller's `defects`."""

from __future__ import annotations

import binascii
import re
from datetime import datetime, timezone
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from server.mail import charsets
from server.mail.addresses import normalise

_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?(.*?)\?=")
_QHEX = re.compile(rb"=([0-9A-Fa-f]{2})")
_ADDRESS_LIKE = re.compile(r"[^\s<>\"(),;:\[\]]+@[^\s<>\"(),;:\[\]]+")
_ID = re.compile(r"<([^<>]*)>")
_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def cut(value: str, length: int = 60) -> str:
    """`value` short enough for a defect's message."""
    return value if len(value) <= length else value[: length - 1] + "…"


class Headers:
    """The top-level header fields of `message`, by case-insensitive name, as text (RFC 2047
    words not yet decoded)."""

    def __init__(self, message: Message, defects: list[str], fallback_charset: str | None) -> None:
        self.defects = defects
        self.fallback = fallback_charset
        self._fields: dict[str, list[str]] = {}
        for name, value in message.raw_items():
            self._fields.setdefault(name.strip().lower(), []).append(value)

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._fields

    def values(self, name: str) -> list[str]:
        return [self._text(value, _shown(name)) for value in self._fields.get(name.lower(), [])]

    def first(self, name: str) -> str | None:
        found = self._fields.get(name.lower())
        return self._text(found[0], _shown(name)) if found else None

    def decoded(self, name: str) -> str | None:
        """The first `name` field with its encoded words decoded and its white space collapsed."""
        value = self.first(name)
        return None if value is None else clean(decode_words(value, self.defects, _shown(name)))

    def _text(self, value: str, name: str) -> str:
        value = re.sub(r"\r?\n(?=[ \t])", "", value).replace("\r", "").replace("\n", "")
        if value.isascii():
            text = value
        else:
            # the parser kept 8-bit bytes as surrogate escapes
            raw = value.encode("ascii", "surrogateescape") if _escaped(value) else value.encode("utf-8")
            text = charsets.decode(raw, None, self.defects, fallback=self.fallback, what=name)
        if "\x00" in text:
            self.defects.append(f"{name}: NUL byte removed")
            text = text.replace("\x00", "")
        return text


def _shown(name: str) -> str:
    return "Message-ID" if name.lower() == "message-id" else name.title()


def _escaped(value: str) -> bool:
    try:
        value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return False
    return True


def clean(text: str) -> str:
    """`text` on one line: control characters removed, runs of white space one space."""
    return _SPACE.sub(" ", _CONTROL.sub("", text)).strip()


def decode_words(value: str, defects: list[str], what: str) -> str:
    """`value` with its RFC 2047 encoded words decoded. Adjacent words of one charset are decoded
    together (senders split multi-byte characters across words); white space between encoded
    words goes (RFC 2047 §6.2). A word that cannot be decoded stays as written."""
    pieces: list[tuple[str | None, str | bytes]] = []
    position = 0
    for match in _WORD.finditer(value):
        between = value[position : match.start()]
        position = match.end()
        previous_encoded = bool(pieces) and pieces[-1][0] is not None
        if between and not (between.isspace() and previous_encoded):
            pieces.append((None, between))
        charset, encoding, payload = match.groups()
        data = _q(payload) if encoding in "qQ" else _b(payload, defects, what)
        if data is None:
            pieces.append((None, match.group(0)))
            continue
        charset = charset.lower()
        if pieces and pieces[-1][0] == charset:
            pieces[-1] = (charset, pieces[-1][1] + data)  # type: ignore[operator]
        else:
            pieces.append((charset, data))
    if position < len(value):
        pieces.append((None, value[position:]))
    return "".join(
        piece if charset is None else charsets.decode(piece, charset, defects, what=what)  # type: ignore[arg-type]
        for charset, piece in pieces
    )


def _q(payload: str) -> bytes:
    raw = payload.replace("_", " ").encode("utf-8", "surrogateescape")
    return _QHEX.sub(lambda m: bytes([int(m.group(1), 16)]), raw)


def _b(payload: str, defects: list[str], what: str) -> bytes | None:
    stripped = re.sub(r"[^A-Za-z0-9+/]", "", payload)
    if len(stripped) % 4 == 1:
        stripped = stripped[:-1]
    padded = stripped + "=" * (-len(stripped) % 4)
    if padded != payload:
        defects.append(f"{what}: malformed base64 encoded word {cut(payload, 30)!r}")
    try:
        return binascii.a2b_base64(padded)
    except binascii.Error:
        defects.append(f"{what}: undecodable encoded word {cut(payload, 30)!r}")
        return None


def address(value: str) -> str | None:
    """The normalised addr-spec of `value`; an internationalised domain goes to its IDNA form."""
    found = normalise(value)
    if found is None and not value.isascii() and "@" in value:
        local, _, domain = value.strip().rpartition("@")
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return None
        found = normalise(f"{local}@{domain}")
    return found


def addresses(values: list[str], defects: list[str], what: str) -> list[tuple[str | None, str]]:
    """(display name or None, normalised address) of each mailbox in the `values` of one field;
    a mailbox without a usable address is left out (recorded), one written without its angle
    brackets ("Test test@example.com") is read for the address it holds."""
    found: list[tuple[str | None, str]] = []
    for value in values:
        if not value.strip():
            continue
        pairs = getaddresses([value])
        if not any(addr for _, addr in pairs):
            pairs = [("", candidate) for candidate in _ADDRESS_LIKE.findall(value)] or pairs
        for name, addr in pairs:
            normal = address(addr) if addr else None
            if normal is None and addr:
                # 'Test test@example.com', or an address only in a comment: '=?…?= (x@y.example)'
                candidates = _ADDRESS_LIKE.findall(addr)
                if candidates:
                    normal = address(candidates[-1])
                    name = name or addr[: addr.rfind(candidates[-1])].strip()
                elif _ADDRESS_LIKE.findall(name):
                    normal = address(_ADDRESS_LIKE.findall(name)[-1])
                    name = addr
            if normal is None:
                if addr or name:
                    defects.append(f"{what}: not an address {cut(addr or name)!r}")
                continue
            name = clean(decode_words(name, defects, what)).strip("\"' ") if name else ""
            found.append((name or None, normal))
    return found


def message_ids(value: str | None) -> list[str]:
    """Every message id in `value`, in order, as "<id>" (space inside removed); ids written
    without angle brackets are taken from words holding an "@"."""
    if not value:
        return []
    ids = [inner for inner in (re.sub(r"\s+", "", found) for found in _ID.findall(value)) if inner]
    if not ids:
        ids = [word.strip("<>,;") for word in value.split() if "@" in word]
    return [f"<{inner}>" for inner in ids if inner]


def date(value: str | None, defects: list[str]) -> datetime | None:
    """`value` as an aware UTC datetime; one without a zone is taken as UTC (recorded)."""
    if value is None:
        defects.append("Date: missing")
        return None
    if not value.strip():
        defects.append("Date: empty")
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        defects.append(f"Date: unreadable {cut(value)!r}")
        return None
    if parsed.tzinfo is None:
        defects.append("Date: no time zone, taken as UTC")
        return parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        defects.append(f"Date: out of range {cut(value)!r}")
        return None
