"""A table of files whose file-name column is shown only when it fits whole.

A care-plan file name is about 60 cells (``UP1KYO_1370100011_43_…_20250328100000.CSV``); beside the
state, kind, month and partner columns it pushes the table past 80 columns and the user has to
scroll sideways to see what a row is. ``FileTable`` leaves the name column out when the table is too
narrow for it, and puts it back when the terminal grows; the screen that owns the table shows the
selected row's name on a line below it (``name_line``), so the name is always on screen once.

Never reads files or the office: rows are given to it as values.
"""

from __future__ import annotations

from typing import Iterable, List, Optional, Sequence, Tuple

from rich.cells import cell_len, set_cell_size
from textual import events

from tui_client.ui.widgets.listtable import ListTable

Row = Tuple[Sequence[str], str]


class FileTable(ListTable):
    """``ListTable`` (jump scrolling) over ``(cells, file name)`` rows; the name is the row key and the last column."""

    def __init__(self, *labels: str, name_label: str, elastic: Optional[int] = None, **kw) -> None:
        """``elastic``: the column (an index into ``labels``) whose values are cut with … to the
        width left when even without the name the columns are wider than the table (a partner's
        name); the screen shows that value whole on its detail line."""
        super().__init__(**kw)
        self._labels = tuple(labels)
        self._elastic = elastic
        self._name_label = name_label
        self._file_rows: List[Row] = []
        self._keys: List[str] = []
        self._widths: List[int] = []      # each column's content width over the rows (set_rows)
        self._name_width = 0
        self._cut: Optional[int] = None
        self.name_shown = False
        self.add_columns(*self._labels)

    def set_rows(self, rows: Iterable[Row], keys: Optional[Sequence[str]] = None) -> None:
        """Replace every row (the cursor goes back to the top, as ``clear`` does). Each row's key is
        its file name, or the matching one of ``keys`` (where one name can stand on two rows)."""
        self._file_rows = [(tuple(cells), name) for cells, name in rows]
        self._keys = list(keys) if keys is not None else [name for _, name in self._file_rows]
        # measured once per set of rows: a resize only compares them with the new width
        self._widths = [max([cell_len(label)] + [cell_len(str(cells[i])) for cells, _ in self._file_rows])
                        for i, label in enumerate(self._labels)]
        self._name_width = max([cell_len(self._name_label)] + [cell_len(n) for _, n in self._file_rows])
        self._fill(self._name_fits())

    def name_at(self, row: int) -> str:
        return self._file_rows[row][1] if 0 <= row < len(self._file_rows) else ""

    def _room(self) -> int:
        """The cells the columns may take: the width less a vertical scrollbar's, always, so that
        the choice does not change with the height (a choice that followed the rows' overflow
        filled the table a second time once the layout settled)."""
        return self.size.width - self.styles.scrollbar_size_vertical

    def _column_width(self, i: int) -> int:
        """Column ``i``'s cells on screen, its padding included."""
        return 2 * self.cell_padding + self._widths[i]

    def _name_fits(self) -> bool:
        """Whether every column, the longest name included, fits the table's width without scrolling."""
        width = self._room()
        if not self._file_rows or width <= 0:
            return False
        others = sum(self._column_width(i) for i in range(len(self._labels)))
        return others + 2 * self.cell_padding + self._name_width <= width

    def _cut_elastic(self) -> Optional[int]:
        """The cells the elastic column may take when the columns without the name are too wide
        (None: they fit, or there is no elastic column or no width yet)."""
        i = self._elastic
        if i is None or not self._file_rows or self._room() <= 0:
            return None
        others = sum(self._column_width(j) for j in range(len(self._labels)) if j != i)
        room = self._room() - others - 2 * self.cell_padding
        if others + self._column_width(i) <= self._room():
            return None
        return max(room, cell_len(self._labels[i]), _ELASTIC_MIN)

    def _fill(self, show_name: bool) -> None:
        self.name_shown = show_name
        self._cut = None if show_name else self._cut_elastic()
        self.clear(columns=True)
        # each column's width given, as measured above, not left to DataTable: it measures the
        # rows on its next idle, and a frame drawn before that (a loaded machine, a snapshot) had
        # every column at its label's width
        for i, (label, width) in enumerate(zip(self._labels, self._widths)):
            self.add_column(label, width=width if i != self._elastic or self._cut is None else min(width, self._cut))
        if show_name:
            self.add_column(self._name_label, width=self._name_width)
        for (cells, name), key in zip(self._file_rows, self._keys):
            if self._cut is not None:
                cells = list(cells)
                cells[self._elastic] = _cut(str(cells[self._elastic]), self._cut)
            self.add_row(*cells, *((name,) if show_name else ()), key=key)

    def on_resize(self, event: events.Resize) -> None:
        if not self._file_rows:
            return
        fits = self._name_fits()
        if fits != self.name_shown or (not fits and self._cut_elastic() != self._cut):
            row = self.cursor_row
            self._fill(fits)
            self.move_cursor(row=min(row, len(self._file_rows) - 1))


#: The narrowest an elastic column is cut to: a partner without a known name shows its 10-digit
#: office number, which cut is no use to anyone (the table scrolls sideways rather).
_ELASTIC_MIN = 10


def _cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells, ending with … when it was longer (a wide character is
    never split: rich pads the cell it would have split, which is dropped)."""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, width - 1).rstrip() + "…"
