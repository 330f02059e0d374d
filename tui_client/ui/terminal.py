"""What the app writes to the real terminal: fewer bytes per update, the cursor where the IME needs it.

* ``drop_repeated_sgr``: Textual renders every segment as ``SGR text reset``. A table row is one
  segment per cell, all in the same colours, so an 80-column row costs ~330 bytes where ~170 say
  the same. A reset followed at once by the very colours that were in force is a no-op for the
  terminal; dropping the pair changes nothing on screen (the screenshots and the mouse data are not
  touched: this works on the bytes, after Textual has rendered them).
* ``lean_driver``: the platform's driver class (Linux, Windows, the web driver of ``tsunagi serve``)
  with that filter on ``write``.
* ``input_cursor``: the cell of the caret in a focused ``Input``, where the terminal cursor must sit
  for a Japanese IME to compose in place. Textual's own ``cursor_screen_offset`` is one cell right
  of the caret when it is at the end of the text, and counts a password's hidden characters by
  the width of the real ones (two cells for ケ, where one "•" is drawn).

Never imports the engine; pure functions over strings and widgets.
"""

from __future__ import annotations

import re
from typing import Dict, Optional, Type

from rich.cells import cell_len
from textual.expand_tabs import expand_tabs_inline
from textual.geometry import Offset
from textual.widgets import Input   # textual.app imports it already (its command palette)

#: ``SGR(p) text reset SGR(p)``: the same colours set again right after a reset. Not after another
#: SGR (``[0-9;]m`` just before), where the colours in force would be the sum of two sequences.
_REPEAT = re.compile(r"(?<![0-9;]m)(\x1b\[(?P<p>[0-9;]+)m)(?P<t>[^\x1b]*)\x1b\[0m\x1b\[(?P=p)m")
SHOW_CURSOR = "\x1b[?25h"
HIDE_CURSOR = "\x1b[?25l"


def drop_repeated_sgr(data: str) -> str:
    """``data`` with every ``reset + the same SGR again`` removed (each pass joins neighbours; a run of
    n cells takes about log2(n) passes)."""
    for _ in range(64):                     # bounded: 2**64 cells is more than any screen
        joined = _REPEAT.sub(lambda m: m.group(1) + m.group("t"), data)
        if joined == data:
            return data
        data = joined
    return data


_LEAN: Dict[type, type] = {}


def lean_driver(base: Type) -> Type:
    """``base`` (a Textual driver class) writing through ``drop_repeated_sgr``."""
    if base not in _LEAN:
        def write(self, data: str) -> None:
            base.write(self, drop_repeated_sgr(data))

        _LEAN[base] = type(f"Lean{base.__name__}", (base,), {"write": write, "__module__": __name__})
    return _LEAN[base]


def input_cursor(widget) -> Optional[Offset]:
    """Screen cell of the caret of ``widget`` when it is a Textual ``Input`` or an editable
    ``TextArea`` (compose's body, where most Japanese is typed); else None."""
    # TextArea by name: importing it here would put it on the path to the first frame
    if any(c.__name__ == "TextArea" for c in type(widget).__mro__) and not widget.read_only:
        return widget.cursor_screen_offset      # Textual's own, in cells (wide characters count 2)
    if not isinstance(widget, Input):
        return None
    before = widget.value[:widget.cursor_position]
    shown = "•" * len(before) if widget.password else expand_tabs_inline(before, 4)
    x, y, _, _ = widget.content_region
    return Offset(x + cell_len(shown) - int(widget.scroll_offset.x), y)
