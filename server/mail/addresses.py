"""Email addresses as Switchboard stores and compares them."""

from __future__ import annotations

import re
from email.utils import getaddresses
from typing import Iterable

from models.enums import WorkItemType

# RFC 5322 addr-spec, pragmatically: one @, no spaces, a dotted domain or a bracketed literal
_ADDR_SPEC = re.compile(r"^[^@\s<>()\[\],;:\"]+@([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+|\[[^\]\s]+\])$")


def normalise(address: str) -> str | None:
    """The lower-cased addr-spec of `address` ("Bob <Bob@X.example>" → "bob@x.example"), or None
    when it is not an email address."""
    parsed = getaddresses([address.strip()])
    if len(parsed) != 1:
        return None
    addr = parsed[0][1].strip().lower()
    if len(addr) > 320 or not _ADDR_SPEC.match(addr):
        return None
    return addr


def plus_tag(address: str) -> tuple[str, str | None]:
    """`address` split into its mailbox and its RFC 5233 sub-address: "Support+T-1042@Acme.example"
    → ("support@acme.example", "T-1042"). The mailbox is normalised; the tag keeps its case (the
    part after the first "+" of the local part; None when there is none or it is empty). What is
    not an email address comes back unchanged, without a tag."""
    normal = normalise(address)
    if normal is None:
        return address, None
    written = getaddresses([address.strip()])[0][1].strip()
    local, _, domain = written.rpartition("@")
    base, plus, tag = local.partition("+")
    if not plus:
        return normal, None
    return f"{base}@{domain}".lower(), tag or None


# A work item reference: its type's prefix, a dash, its number ("T-1042"), standing as a word of
# its own ("[T-1042]", "Re: T-1042: printer") — not inside "XT-1042", "T-1042a" or "T-1042-3".
_REF = re.compile(r"(?<![A-Za-z0-9_-])([A-Z]{1,4})-([0-9]{1,12})(?![A-Za-z0-9_]|-[A-Za-z0-9])")


def subject_refs(subject: str, prefixes: Iterable[str] | None = None) -> list[str]:
    """The work item references in `subject`, in order and once each. Only references with one of
    `prefixes` count (by default the work item types' T, C and A), so that "ISO-8859" or "UTF-8"
    are not taken for references; the prefix is matched in capitals only, as references are
    written."""
    allowed = {p.upper() for p in prefixes} if prefixes is not None else {t.prefix for t in WorkItemType}
    found: dict[str, None] = {}
    for match in _REF.finditer(subject or ""):
        if match.group(1) in allowed:
            found.setdefault(f"{match.group(1)}-{match.group(2)}", None)
    return list(found)
