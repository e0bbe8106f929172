"""The words a work item is found by (quick find, SPEC §8): those of its title and of its custom
data values, kept in `work_item.search_text` as lower-case words separated by spaces.

Both databases index that column and split it into the same words, because the words are made
here: PostgreSQL's full-text index is `to_tsvector('simple', search_text)` (GIN; 'simple' only
lower-cases, and there is nothing left to lower-case), SQLite's is the FTS5 table `work_item_fts`
(tokenizer unicode61, told to keep diacritics: there are none left). A word is a run of letters
and digits (an underscore or any punctuation separates words: "PO-77812" is "po" and "77812"),
without its diacritics ("Brakująca" is "brakujaca", so one finds it typed either way; "ł" has
none to drop), case-folded ("Straße" is "strasse"), cut at MAX_WORD characters.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

MAX_WORD = 64
_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """The words of `text`, in order (repeats kept)."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return [w[:MAX_WORD] for w in _WORD.findall(unicodedata.normalize("NFC", bare).casefold())]


def document(title: str | None, custom_data: Any) -> str:
    """The `search_text` of an item with this title and these custom data: the title's words, then
    those of each text or number value (true and false, lists and objects are not searched)."""
    parts = [title or ""]
    if isinstance(custom_data, dict):
        parts += [str(v) for v in custom_data.values() if isinstance(v, (str, int, float)) and not isinstance(v, bool)]
    return " ".join(w for part in parts for w in words(part))
