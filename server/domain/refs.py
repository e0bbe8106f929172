"""Work item references (T-1002, C-17, A-3) as clients give them.

Every lookup by reference goes through `normalise`: surrounding space and case do not matter,
and a reference longer than any that exists (limits.REFERENCE characters) is cut to one that
matches nothing — "T-1111…" — so that it is answered like any reference that names no item
(NOT_FOUND), with a message of bounded length, and never reaches the database's length check.
"""

from __future__ import annotations

from server.domain.limits import REFERENCE

CUT = "…"  # no reference holds it


def normalise(ref: str) -> str:
    ref = ref.strip().upper()
    if len(ref) > REFERENCE:
        return ref[: REFERENCE - len(CUT)] + CUT
    return ref
