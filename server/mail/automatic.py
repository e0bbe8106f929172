"""Whether a received message was sent by a machine rather than a person: out-of-office and other
auto-replies (RFC 3834), bounces (RFC 3464 delivery-status reports, mailer daemons), read receipts
(RFC 8098 disposition notifications), bulk and list mail. Switchboard records such mail but never
counts it as a customer's answer nor answers it automatically (no mail loops)."""

from __future__ import annotations

import re
from email.message import Message
from email.utils import getaddresses

# local parts of the addresses bounces come from (RFC 2142 postmaster; the daemons' own names)
_DAEMONS = {"mailer-daemon", "mailerdaemon", "mail-daemon", "maildaemon", "postmaster", "mailer_daemon"}
_PRECEDENCE = {"bulk", "list", "junk", "auto_reply", "auto-reply"}
_NO = {"", "no", "false", "0", "none"}


def _first(message: Message, name: str) -> str | None:
    for key, value in message.raw_items():
        if key.strip().lower() == name:
            if not value.isascii():  # 8-bit bytes the parser kept as surrogate escapes
                value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            return re.sub(r"\s+", " ", value).strip()[:100]
    return None


def _token(value: str) -> str:
    """The leading keyword of a field: "auto-generated (failure)" → "auto-generated"."""
    return re.split(r"[\s;(]", value.strip(), maxsplit=1)[0].lower()


def _report_type(message: Message) -> str | None:
    if message.get_content_type() != "multipart/report":
        return None
    value = message.get_param("report-type")
    return value.lower().strip() if isinstance(value, str) else None


def _daemon(field: str | None) -> str | None:
    """The mailer daemon's or postmaster's address in `field`, if it holds one."""
    if not field:
        return None
    for _, addr in getaddresses([field]):
        local = addr.rpartition("@")[0] if "@" in addr else addr
        if local.strip().lower() in _DAEMONS:
            return addr.strip()
    return None


def automatic_reason(message: Message) -> str | None:
    """Why `message` (its top-level header) is automatic mail, naming the field that says so —
    "Auto-Submitted: auto-replied", "Precedence: bulk", "Return-Path: <>" — or None for a
    person's mail. The most specific sign is named first: a report, then the sender's own
    declarations, then what the transport shows."""
    report = _report_type(message)
    if report == "delivery-status":
        return "Content-Type: multipart/report; report-type=delivery-status"
    if report == "disposition-notification":
        return "Content-Type: multipart/report; report-type=disposition-notification"
    for single in ("message/delivery-status", "message/disposition-notification"):
        if message.get_content_type() == single:
            return f"Content-Type: {single}"
    submitted = _first(message, "auto-submitted")
    if submitted is not None and _token(submitted) not in ("no", ""):
        return f"Auto-Submitted: {submitted}"
    for name, shown in (("x-autoreply", "X-Autoreply"), ("x-autorespond", "X-Autorespond"),
                        ("x-auto-response-suppress", "X-Auto-Response-Suppress")):
        value = _first(message, name)
        if value is not None and _token(value) not in _NO:
            return f"{shown}: {value}"
    precedence = _first(message, "precedence")
    if precedence is not None and _token(precedence) in _PRECEDENCE:
        return f"Precedence: {precedence}"
    return_path = _first(message, "return-path")
    if return_path is not None and return_path.replace(" ", "") in ("<>", ""):
        return "Return-Path: <>"
    for name, shown in (("from", "From"), ("sender", "Sender"), ("return-path", "Return-Path")):
        daemon = _daemon(_first(message, name))
        if daemon:
            return f"{shown}: {daemon}"
    # Apple's iCloud vacation replies carry none of the standard fields
    apple = _first(message, "x-apple-action")
    if apple is not None and _token(apple) == "vacation":
        return f"X-Apple-Action: {apple}"
    return None
