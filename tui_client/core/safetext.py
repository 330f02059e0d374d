"""Text from users' files made safe to show: control characters become visible escapes.

A file name or a field value comes from someone else's disk; shown raw, an ESC starts a terminal
escape sequence (recolouring, moving the cursor, rewriting earlier lines), a newline fakes a second
line of output, and a bidirectional override (U+202E) makes ``evil\u202Egpj.exe`` read as
``evilexe.jpg``. Every face shows such text through :func:`printable`, which keeps every ordinary
character (Japanese included) and spells out the rest.

Pure: no I/O, no terminal knowledge; it must never drop a character silently.
"""

from __future__ import annotations

import re

#: Bidirectional embeddings, overrides and isolates; zero-width characters that hide or join text;
#: line/paragraph separators; the BOM when it is not at the start of anything meaningful.
_INVISIBLE = (
    "\u200b\u200c\u200d\u200e\u200f"      # zero width space / non-joiner / joiner, LRM, RLM
    "\u2028\u2029"                        # line and paragraph separators
    "\u202a\u202b\u202c\u202d\u202e"      # LRE RLE PDF LRO RLO
    "\u2060\u2061\u2062\u2063\u2064"      # word joiner, invisible operators
    "\u2066\u2067\u2068\u2069"            # LRI RLI FSI PDI
    "\u061c\u180e\ufeff"                  # Arabic letter mark, Mongolian vowel separator, BOM
)

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f" + _INVISIBLE + "]")


def _escape(match: "re.Match[str]") -> str:
    ch = match.group()
    n = ord(ch)
    if n < 0x100:
        return f"\\x{n:02x}"
    return f"<U+{n:04X}>"


def printable(text: object) -> str:
    """``text`` with C0/C1 controls and DEL as ``\\x1b``-style escapes, and bidi overrides and
    zero-width characters as ``<U+202E>``; everything else unchanged. A backslash stays as it is
    (Windows paths), so the result is for showing, not for parsing back."""
    s = text if isinstance(text, str) else str(text)
    return _UNSAFE.sub(_escape, s)


def is_printable(text: str) -> bool:
    """True when :func:`printable` would leave ``text`` unchanged."""
    return _UNSAFE.search(text) is None


__all__ = ["printable", "is_printable"]
