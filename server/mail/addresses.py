"""Email addresses as Switchboard stores and compares them."""

from __future__ import annotations

import re
from email.utils import getaddresses

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
