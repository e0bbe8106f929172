"""Bytes of mail text decoded in the charset they declare, best effort.

Senders label text with the name of a standard charset and write its vendor superset: "gb2312" is
GB18030 in practice, "Shift_JIS" is Windows' cp932, "iso-8859-1" is windows-1252 (as browsers
read them, WHATWG Encoding). So a declared charset is tried through its supersets first, then
as declared, then through its relatives (Japanese mail labelled iso-2022-jp that is in fact
Shift_JIS), each strictly; only when none fits is the text decoded with replacement characters,
and that is recorded as a defect. An unknown charset name is read as UTF-8, else windows-1252.
"""

from __future__ import annotations

import codecs
import re

_JAPANESE = ("cp50220", "iso2022_jp_2", "cp932", "euc_jp")

# declared name (lower case) → codecs to try strictly before the declared one
_SUPERSETS: dict[str, tuple[str, ...]] = {
    "us-ascii": ("utf-8", "cp1252"),
    "ascii": ("utf-8", "cp1252"),
    "iso-8859-1": ("cp1252",),
    "latin1": ("cp1252",),
    "latin-1": ("cp1252",),
    "iso-8859-9": ("cp1254",),
    "iso-8859-11": ("cp874",),
    "tis-620": ("cp874",),
    "iso-8859-8-i": ("iso-8859-8",),
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "x-gbk": ("gb18030",),
    "euc-cn": ("gb18030",),
    "big5": ("big5hkscs", "cp950"),
    "euc-kr": ("cp949",),
    "ks_c_5601-1987": ("cp949",),
    "shift_jis": ("cp932",),
    "shift-jis": ("cp932",),
    "sjis": ("cp932",),
    "x-sjis": ("cp932",),
    "windows-31j": ("cp932",),
    "iso-2022-jp": ("iso2022_jp_ext",),
    "unicode-1-1-utf-7": ("utf-7",),
}

# declared name → codecs to try strictly after the declared one (mislabelled mail)
_RELATIVES: dict[str, tuple[str, ...]] = {
    "iso-2022-jp": _JAPANESE,
    "shift_jis": _JAPANESE,
    "euc-jp": _JAPANESE,
    "us-ascii": ("latin-1",),
    "iso-8859-1": ("latin-1",),
}


_NAME = re.compile(r"[a-z0-9][a-z0-9._:+()-]{0,39}")


def known(charset: str) -> bool:
    name = _clean(charset)
    if not _NAME.fullmatch(name):
        return False
    try:
        codecs.lookup(name)
    except LookupError:
        return name in _SUPERSETS
    return True


def _clean(charset: str) -> str:
    # RFC 2231 allows a language after "*"; some senders quote or pad the name
    return charset.split("*", 1)[0].strip().strip("\"'").lower()


def _iso2022jp_as_cp932(data: bytes) -> str:
    """ISO-2022-JP as Windows writes it (CP50220): JIS X 0208 with NEC's and IBM's extensions
    (circled digits, roman numerals), which Python's iso2022 codecs refuse. Each JIS pair is
    moved to its Shift_JIS code and the whole read as cp932."""
    out = bytearray()
    mode = b"B"  # ASCII
    i = 0
    while i < len(data):
        if data[i] == 0x1B:
            escape = data[i + 1 : i + 3]
            if escape in (b"$B", b"$@"):
                mode = b"J"  # JIS X 0208
            elif escape in (b"(B", b"(J"):
                mode = b"B"
            elif escape == b"(I":
                mode = b"K"  # half-width katakana
            else:
                raise UnicodeDecodeError("iso-2022-jp", data, i, i + 3, "unknown escape")
            i += 3
            continue
        byte = data[i]
        if mode == b"J" and byte not in (0x0A, 0x0D):
            if i + 1 >= len(data) or not (0x21 <= byte <= 0x7E and 0x21 <= data[i + 1] <= 0x7E):
                raise UnicodeDecodeError("iso-2022-jp", data, i, i + 2, "bad JIS pair")
            c1, c2 = byte, data[i + 1]
            s1 = ((c1 + 1) >> 1) + (0x70 if c1 <= 0x5E else 0xB0)
            s2 = c2 + (0x1F if c1 & 1 else 0x7E)
            if c1 & 1 and s2 >= 0x7F:
                s2 += 1
            out += bytes((s1, s2))
            i += 2
            continue
        if byte > 0x7F:
            raise UnicodeDecodeError("iso-2022-jp", data, i, i + 1, "8-bit byte")
        out.append(byte + 0x80 if mode == b"K" and 0x21 <= byte <= 0x5F else byte)
        i += 1
    return out.decode("cp932")


_FUNCTIONS = {"cp50220": _iso2022jp_as_cp932}


def _strict(data: bytes, codec: str) -> str | None:
    try:
        function = _FUNCTIONS.get(codec)
        return function(data) if function else data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def decode(data: bytes, charset: str | None, defects: list[str], *, fallback: str | None = None, what: str = "text") -> str:
    """`data` as text. `charset` is what the part declares (None: nothing declared); `fallback`
    a charset the rest of the message declares, tried for undeclared 8-bit text after UTF-8."""
    if charset is None or not _clean(charset):
        if data.isascii():
            return data.decode("ascii")
        text = _strict(data, "utf-8")
        if text is not None:
            return text
        if fallback and known(fallback):
            text = _try_chain(data, _clean(fallback))
            if text is not None:
                defects.append(f"{what}: 8-bit without a charset, read as {_clean(fallback)}")
                return text
        defects.append(f"{what}: 8-bit without a charset, read as windows-1252")
        return data.decode("cp1252", errors="replace")
    name = _clean(charset)
    if not known(name):
        defects.append(f"{what}: unknown charset {name[:40]!r}")
        text = _strict(data, "utf-8")
        return text if text is not None else data.decode("cp1252", errors="replace")
    text = _try_chain(data, name)
    if text is not None:
        return text
    defects.append(f"{what}: not valid {name}, undecodable bytes replaced")
    for codec in (*_SUPERSETS.get(name, ()), name):
        try:
            return data.decode(codec, errors="replace")
        except LookupError:
            continue
    return data.decode("utf-8", errors="replace")


def _try_chain(data: bytes, name: str) -> str | None:
    for codec in (*_SUPERSETS.get(name, ()), name, *_RELATIVES.get(name, ())):
        text = _strict(data, codec)
        if text is not None:
            return text
    return None
