"""What the app writes to the real terminal: fewer bytes per update, the cursor where the IME needs it.

* ``lean``: Textual renders every segment as ``SGR text reset``. A table row is one segment per
  cell, all in the same colours, so an 80-column row costs ~330 bytes where ~170 say the same.
  ``lean`` sends colours only when they change and drops cursor moves to where the cursor already
  is; nothing changes on screen (the screenshots and the mouse data are not touched: this works on
  the bytes, after Textual has rendered them).
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
from typing import Dict, Optional, Tuple, Type

from rich.cells import cell_len
from textual.expand_tabs import expand_tabs_inline
from textual.geometry import Offset
from textual.widgets import Input   # textual.app imports it already (its command palette)

SHOW_CURSOR = "\x1b[?25h"
HIDE_CURSOR = "\x1b[?25l"

#: One piece of terminal output: a CSI sequence (params, final), an OSC string, another escape, a
#: run of printable text, or one control character.
_TOKEN = re.compile(r"\x1b\[(?P<csi>[0-?]*)(?P<f>[ -/]*[@-~])|(?P<osc>\x1b\][^\x07\x1b]*(?:\x07|\x1b\\))"
                    r"|(?P<text>[^\x00-\x1f\x7f]+)|\x1b[^\[\]]?|[\s\S]")
#: Text whose width every terminal agrees on (ASCII, kana, kanji, full-width forms, CJK punctuation
#: but not its combining marks, the marks ✓ ✗ of the lists): after it the cursor is known to be
#: ``cell_len`` cells further on. After anything else (box drawing, ●, …, emoji: 1 or 2 cells
#: depending on the terminal) it is not.
_SURE_WIDTH = re.compile("[\x20-\x7e\u2713\u2717\u3000-\u3029\u3030-\u3098\u309b-\u30ff"
                         "\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff60]*")
#: Private modes that never move the cursor: show / hide it, synchronized output.
_STILL_MODES = {"?25", "?2026"}


#: SGR code → the attribute it sets (codes that switch one off are in ``_OFF``).
_SLOT = {**{c: c for c in ("1", "2", "3", "5", "7", "8", "9", "53")}, "4": "4", "21": "4", "6": "5",
         **{str(c): "fg" for c in (*range(30, 38), *range(90, 98))},
         **{str(c): "bg" for c in (*range(40, 48), *range(100, 108))}, "38": "fg", "48": "bg", "58": "ul"}
#: attribute → the code that switches it off (22 switches off both bold and dim).
_OFF = {"1": "22", "2": "22", "3": "23", "4": "24", "5": "25", "7": "27", "8": "28", "9": "29",
        "53": "55", "fg": "39", "bg": "49", "ul": "59"}
_CLEARS = {"22": ("1", "2"), **{off: (a,) for a, off in _OFF.items() if off != "22"}}


def _attributes(colours: Tuple[str, ...]) -> Dict[str, str]:
    """``{attribute: code}`` in force after the SGR parameter strings ``colours`` (applied after a
    reset); ValueError for a code it does not know."""
    attrs: Dict[str, str] = {}
    for params in colours:
        codes = params.split(";")
        i = 0
        while i < len(codes):
            code = codes[i]
            head = code.split(":", 1)[0]
            if head in ("38", "48", "58") and ":" not in code:    # 38;5;n / 38;2;r;g;b
                n = {"5": 3, "2": 5}.get(codes[i + 1] if i + 1 < len(codes) else "")
                if n is None or i + n > len(codes):
                    raise ValueError(params)
                code = ";".join(codes[i:i + n])
                i += n
            else:
                i += 1
            if code == "4:0":                                    # underline style "none"
                attrs.pop("4", None)
            elif head in _SLOT:
                attrs[_SLOT[head]] = code
            elif head in _CLEARS:
                for a in _CLEARS[head]:
                    attrs.pop(a, None)
            else:
                raise ValueError(params)
    return attrs


def _sgr_to(have, want) -> str:
    """The shortest SGR sequence we know that turns the colours ``have`` (a tuple of SGR parameter
    strings applied since a reset; None: not known) into ``want``: the attributes that differ, or
    a reset and all of ``want``."""
    full = "\x1b[0m" if not want else f"\x1b[0;{want[0]}m" + "".join(f"\x1b[{p}m" for p in want[1:])
    if have is None:
        return full
    if want[:len(have)] == have:
        return "".join(f"\x1b[{p}m" for p in want[len(have):])
    try:
        old, new = _attributes(have), _attributes(want)
    except ValueError:
        return full
    gone = [a for a in old if a not in new]
    codes = sorted({_OFF[a] for a in gone}) + [c for a, c in new.items() if old.get(a) != c or
                                               (a in ("1", "2") and "22" in (_OFF[g] for g in gone))]
    if not codes:
        return ""
    diff = f"\x1b[{';'.join(codes)}m"
    return diff if len(diff) < len(full) else full


def lean(data: str, colours: Optional[Tuple[str, ...]] = None) -> Tuple[str, Optional[Tuple[str, ...]]]:
    """``(data as fewer bytes with the same effect on the terminal, the colours in force after it)``.

    * SGR (colours): a sequence that sets what is in force already is dropped. Colours are sent only
      when text (or anything but a cursor move) is written, so Textual's ``SGR text reset SGR text``
      per cell becomes ``SGR text text`` for cells that look the same, also across a cursor move.
    * Cursor moves (``ESC[r;cH``): one to where the cursor already is (after text of a known width)
      is dropped; the rest are sent in their shortest form (``ESC[rH`` for column 1, ``ESC[H``).
      Colours are told apart attribute by attribute (``38;5;253;48;5;234`` → ``48;5;235`` is sent
      as ``48;5;235`` alone), and a "\n" right before a move to a lower row is dropped.

    ``colours`` are the SGR parameters in force before ``data`` (what the previous call returned;
    None: not known). The cursor is taken as not known at the start of every call (a resize may
    have moved it); at the end the terminal has the colours ``data`` would have left it in."""
    out = []
    have = want = colours       # colours in force / asked for; None: not known
    at = None                   # (row, column) of the cursor, 1-based; None: not known
    newline = None              # a "\n" held back (the colours asked for then): the next move may
                                # make it needless

    def send_newline():         # with the colours in force when it came (a scroll fills with them)
        nonlocal have, newline, at
        if newline is not None and newline != have:
            out.append(_sgr_to(have, newline))
            have = newline
        out.append("\n")
        newline = at = None

    for m in _TOKEN.finditer(data):
        csi, text, final = m.group("csi"), m.group("text"), m.group("f")
        sgr = final == "m" and all(c in "0123456789;:" for c in csi)
        move = final == "H" and all(c in "0123456789;" for c in csi)
        if newline is not None and not (sgr or move):
            send_newline()                           # something else came first
        if sgr:
            params = csi.split(";", 1)
            if params[0] in ("", "0"):              # a reset, maybe with new colours after it
                want = () if len(params) == 1 or not params[1] else (params[1],)
            elif want is None:                       # colours on top of unknown ones: send as they are
                out.append(m.group(0))
            elif not want or want[-1] != csi:        # the same SGR twice sets nothing new
                want = want + (csi,)
            continue
        if move:
            row, _, col = csi.partition(";")
            target = (int(row or 1), int(col or 1))
            if newline is not None:
                if target[0] <= at[0]:                  # the "\n" may matter (scroll): send it
                    send_newline()
                newline = None
            if target != at:
                out.append("\x1b[H" if target == (1, 1) else
                           f"\x1b[{target[0]}H" if target[1] == 1 else f"\x1b[{target[0]};{target[1]}H")
                at = target
            continue
        if final in ("h", "l") and csi in _STILL_MODES:
            out.append(m.group(0))
            continue
        if m.group("osc") is not None:              # titles, links: neither colours nor cursor
            out.append(m.group(0))
            continue
        if m.group(0) == "\n" and at is not None and want is not None:
            # Textual ends each line of an update with "\n", then moves to the next: a move to a row
            # below shows that this one is not the last, so the "\n" would not scroll: needless
            newline = want
            continue
        if want is not None and want != have:       # text and erasing use the colours in force
            out.append(_sgr_to(have, want))
            have = want
        out.append(m.group(0))
        if text is not None and at is not None and _SURE_WIDTH.fullmatch(text):
            at = (at[0], at[1] + cell_len(text))
        else:
            at = None
            if csi is None and text is None and m.group(0)[0] == "\x1b":
                have = want = None              # ESC 8, ESC c …: may have restored or reset colours
    if newline is not None:
        send_newline()
    if want is not None and want != have:
        out.append(_sgr_to(have, want))
    return "".join(out), want


_LEAN: Dict[type, type] = {}


def lean_driver(base: Type) -> Type:
    """``base`` (a Textual driver class) writing through ``lean``."""
    if base not in _LEAN:
        def write(self, data: str) -> None:
            # every byte of the app goes through here, so the colours one write leaves are the next one's
            text, self._lean_colours = lean(data, getattr(self, "_lean_colours", None))
            base.write(self, text)

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
