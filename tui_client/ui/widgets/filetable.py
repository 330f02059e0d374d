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

from rich.cells import cell_len
from textual import events

from tui_client.ui.widgets.listtable import ListTable

Row = Tuple[Sequence[str], str]


class FileTable(ListTable):
    """``ListTable`` (jump scrolling) over ``(cells, file name)`` rows; the name is the row key and the last column."""

    def __init__(self, *labels: str, name_label: str, **kw) -> None:
        super().__init__(**kw)
        self._labels = tuple(labels)
        self._name_label = name_label
        self._file_rows: List[Row] = []
        self._keys: List[str] = []
        self.name_shown = False
        self.add_columns(*self._labels)

    def set_rows(self, rows: Iterable[Row], keys: Optional[Sequence[str]] = None) -> None:
        """Replace every row (the cursor goes back to the top, as ``clear`` does). Each row's key is
        its file name, or the matching one of ``keys`` (where one name can stand on two rows)."""
        self._file_rows = [(tuple(cells), name) for cells, name in rows]
        self._keys = list(keys) if keys is not None else [name for _, name in self._file_rows]
        self._fill(self._name_fits())

    def name_at(self, row: int) -> str:
        return self._file_rows[row][1] if 0 <= row < len(self._file_rows) else ""

    def _name_fits(self) -> bool:
        """Whether every column, the longest name included, fits the table's width without scrolling."""
        width = self.size.width - self.styles.scrollbar_size_vertical
        if not self._file_rows or width <= 0:
            return False
        pad = 2 * self.cell_padding
        others = sum(
            pad + max([cell_len(label)] + [cell_len(str(cells[i])) for cells, _ in self._file_rows])
            for i, label in enumerate(self._labels)
        )
        name = pad + max([cell_len(self._name_label)] + [cell_len(n) for _, n in self._file_rows])
        return others + name <= width

    def _fill(self, show_name: bool) -> None:
        self.name_shown = show_name
        self.clear(columns=True)
        self.add_columns(*self._labels, *((self._name_label,) if show_name else ()))
        for (cells, name), key in zip(self._file_rows, self._keys):
            self.add_row(*cells, *((name,) if show_name else ()), key=key)

    def on_resize(self, event: events.Resize) -> None:
        if self._file_rows and self._name_fits() != self.name_shown:
            row = self.cursor_row
            self._fill(not self.name_shown)
            self.move_cursor(row=min(row, len(self._file_rows) - 1))
