"""What counts as text: required text (a title, a description, a note, a reason) must show
something. A string of only whitespace, spaces of any kind, control and format characters (a
zero-width space, a word joiner, a byte-order mark, direction marks) is blank."""

from __future__ import annotations

import unicodedata

_INVISIBLE = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp"})


def is_blank(value: str | None) -> bool:
    """No visible character in `value` (None is blank)."""
    return value is None or all(c.isspace() or unicodedata.category(c) in _INVISIBLE for c in value)


def visible(value: str | None) -> str | None:
    """`value` without the whitespace around it, or None when it is blank."""
    return None if is_blank(value) else value.strip()  # type: ignore[union-attr]
