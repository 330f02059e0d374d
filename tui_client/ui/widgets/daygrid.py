"""The day grid of a 第6表 予定 / 実績: one user at a time, services down, days across.

Renders the value ``core.preview.DayGrid`` (never a CSV). Fits 80 columns: below 120 cells the month
is shown as two bands (days 1–15, then 16–end), one band from 120 cells on. Saturdays, Sundays and
holidays carry their mark in text (土 / 日 / 祝 in the weekday line); colour only repeats it. Wide
characters are measured with the terminal's cell widths (``rich.cells``), so columns line up.
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

from rich.cells import cell_len, set_cell_size
from textual.content import Content
from textual.geometry import Size
from textual.reactive import reactive
from textual.widget import Widget

from tui_client.catalog import t
from tui_client.core.preview import DayGrid, ServiceLine, UserGrid
from tui_client.core.spec.codes import WEEKDAY

DAY_CELLS = 3          # " 12"
TOTAL_CELLS = 4        # "  31"
MIN_LABEL, MAX_LABEL = 14, 28
ONE_BAND_FROM = 120    # total widget width at which the whole month fits on one band

_WEEKEND = "bold $text-warning"
_HOLIDAY = "bold $text-error"

Line = List[Tuple[str, str]]   # (text, style) pieces


def _pad(text: str, cells: int) -> str:
    return set_cell_size(text, cells)


def _right(text: str, cells: int) -> str:
    n = cell_len(text)
    return " " * (cells - n) + text if n <= cells else set_cell_size(text, cells)


def bands_for(width: int, days: int) -> List[Tuple[int, int]]:
    """(first, last) day of each band for a widget ``width`` cells wide."""
    if width >= ONE_BAND_FROM or days <= 15:
        return [(1, days)]
    return [(1, 15), (16, days)]


def label_width(width: int, band_days: int) -> int:
    return max(MIN_LABEL, min(MAX_LABEL, width - band_days * DAY_CELLS - TOTAL_CELLS - 1))


def _day_style(grid: DayGrid, day: int) -> str:
    mark = grid.month.days[day - 1]
    if mark.holiday or mark.weekday == 6:
        return _HOLIDAY
    if mark.weekday == 5:
        return _WEEKEND
    return ""


def _weekday_word(grid: DayGrid, day: int) -> str:
    mark = grid.month.days[day - 1]
    if mark.holiday:
        return t("daygrid.holiday")
    if mark.weekday < 0:
        return ""
    return WEEKDAY[str(mark.weekday + 1)]


def service_label(line: ServiceLine) -> Tuple[str, str]:
    """The two label lines of a service: its name and time band, then its code and provider."""
    name = line.type_name or t("daygrid.unknown_type", code=line.service_type)
    first = f"{name} {line.time_band or t('daygrid.notime')}"
    second = f" {line.code} {line.item or line.provider_name or line.provider}"
    return first, second


def user_heading(user: UserGrid) -> str:
    if user.name:
        return t("daygrid.user", insured=user.insured, name=user.name)
    return t("daygrid.user.noname", insured=user.insured)


def render_user(grid: DayGrid, user: UserGrid, width: int) -> List[Line]:
    """The lines of one user's grid at ``width`` cells."""
    days = len(grid.month.days)
    out: List[Line] = []
    bands = bands_for(width, days)
    # One label width for every band, so that the day columns of the two bands line up.
    lw = label_width(width, max(last - first + 1 for first, last in bands))
    for b, (first, last) in enumerate(bands):
        final = b == len(bands) - 1
        head: Line = [(_pad(t("daygrid.col.service") if b == 0 else t("daygrid.days", first=first, last=last), lw), "bold")]
        week: Line = [(_pad("", lw), "")]
        for d in range(first, last + 1):
            style = _day_style(grid, d)
            head.append((_right(str(d), DAY_CELLS), style or "bold"))
            week.append((_right(_weekday_word(grid, d), DAY_CELLS), style))
        if final:
            head.append((_right(t("daygrid.col.total"), TOTAL_CELLS), "bold"))
        out += [head, week]
        for line in user.lines:
            top, bottom = service_label(line)
            row: Line = [(_pad(top, lw), "")]
            for d in range(first, last + 1):
                c = line.counts[d - 1]
                row.append((_right(str(c) if c else t("daygrid.empty"), DAY_CELLS), "" if c else "dim"))
            if final:
                row.append((_right(str(line.total), TOTAL_CELLS), "bold"))
            out.append(row)
            out.append([(_pad(bottom, lw), "dim")])
        if not final:
            out.append([("", "")])
    return out


class DayGridView(Widget):
    """One user's day grid; ``show(i)`` / ``next_user()`` / ``prev_user()`` move between users."""

    DEFAULT_CSS = """
    DayGridView { height: auto; padding: 0 1; }
    """
    index: reactive[int] = reactive(0, layout=True)

    def __init__(self, grid: DayGrid, *, id=None, classes=None) -> None:
        super().__init__(id=id, classes=classes)
        self.grid = grid

    # -- navigation
    @property
    def user(self) -> Optional[UserGrid]:
        users = self.grid.users
        return users[self.index] if users else None

    def show(self, index: int) -> None:
        if self.grid.users:
            self.index = max(0, min(len(self.grid.users) - 1, index))

    def next_user(self) -> None:
        self.show(self.index + 1)

    def prev_user(self) -> None:
        self.show(self.index - 1)

    # -- drawing
    def _lines(self, width: int) -> List[Line]:
        g = self.grid
        month = t("daygrid.month", wareki=g.month.wareki, seireki=g.month.seireki) if g.month.month else ""
        count = f"{t('daygrid.users', count=len(g.users))}"
        lines: List[Line] = [[(month, "bold"), ("  " + count, "")]]
        lines.append([(t("daygrid.legend"), "dim")])
        if g.outside:
            lines.append([(t("daygrid.outside", count=g.outside), "bold $text-warning")])
        user = self.user
        if user is None:
            lines.append([(t("preview.nothing"), "")])
            return lines
        lines.append([(f"{user_heading(user)}  ({self.index + 1}/{len(g.users)})", "bold $accent")])
        lines += render_user(g, user, width)
        return lines

    def text_lines(self, width: Optional[int] = None) -> List[str]:
        """The grid as plain text lines (what a reader sees, for tests and screenshots)."""
        return ["".join(p for p, _ in line) for line in self._lines(width or self.content_size.width or 80)]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(width))

    def render(self) -> Content:
        width = self.content_size.width or 80
        parts = []
        for i, line in enumerate(self._lines(width)):
            if i:
                parts.append("\n")
            parts += [(p, s) if s else p for p, s in line]
        return Content.assemble(*parts)
