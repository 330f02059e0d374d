"""``ListTable``: the row list of the 受信, 送信 and 保管 tabs, cheap for the terminal to follow.

Textual's ``DataTable`` keeps the cursor in view by scrolling one row per move once the cursor has
reached the edge: then every move draws every visible row again (a 1,000-item inbox sent ~2.5 KB per
↓ at 80x24). ``ListTable`` *jump-scrolls*: when the cursor leaves the visible rows, the list moves by
half a page at once, so most moves repaint only the two rows the cursor left and entered, and only
about every half page a move draws the whole list.

* Home / End go to the first / last row (DataTable's move to the first / last column, which a row
  cursor does not have); ctrl+home / ctrl+end still do the same.
* The mouse wheel scrolls the view as before (the cursor stays where it is; the next key brings it
  back into view).
* A key press no longer repaints the hovered row when the mouse-hover highlight is already off.

Rows are found by ``DataTable``'s own geometry (the header and fixed rows stay where they are).
"""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import DataTable


def enter_opens(description: str) -> Binding:
    """DataTable's own Enter (select the row, which the screen opens), shown on the key line as
    ``description``. A table's Enter, hidden, otherwise hides the screen's shown Enter (開く) from
    the key line: the focused widget's binding of a key is the only one the key line sees."""
    return Binding("enter", "select_cursor", description)


class ListTable(DataTable):
    """A ``DataTable`` that scrolls by half a page when the cursor leaves the visible rows."""

    def _set_hover_cursor(self, active: bool) -> None:
        # DataTable repaints the hovered row on every key, even when the highlight was already off
        if active == self._show_hover_cursor:
            return
        super()._set_hover_cursor(active)

    def jump_target(self, row_y: int, row_height: int) -> int:
        """The ``scroll_y`` that shows the row at virtual line ``row_y``: the current one when the row
        is already in view, else half a page further in the direction of the row (at least as far
        as needed to show it, never past it, and within the scroll range)."""
        top = self._get_fixed_offset().top
        height = self.scrollable_content_region.height
        rows = max(1, height - top)                    # lines of rows on screen
        now = round(self.scroll_y)
        first, last = now + top, now + height          # visible rows: first <= y, y + h <= last
        if first <= row_y and row_y + row_height <= last:
            return now
        show_bottom = row_y + row_height - height      # least scroll_y that shows the row
        show_top = row_y - top                          # greatest scroll_y that shows the row
        half = max(1, rows // 2)
        if row_y + row_height > last:                  # below the view
            target = min(max(show_bottom, now + half), show_top)
        else:                                          # above it
            target = max(min(show_top, now - half), show_bottom)
        return max(0, min(target, round(self.max_scroll_y)))

    def _scroll_cursor_into_view(self, animate: bool = False) -> None:
        if self.cursor_type != "row":
            super()._scroll_cursor_into_view(animate=animate)
            return
        _, y, _, h = self._get_row_region(self.cursor_row)
        if not h:
            return                                      # no such row (an empty list)
        target = self.jump_target(y, h)
        if target != round(self.scroll_y):
            self.scroll_to(y=target, animate=False, force=True)   # one jump, no frames in between

    def action_scroll_home(self) -> None:
        """Home: the first row."""
        self._to_end(last=False)

    def action_scroll_end(self) -> None:
        """End: the last row."""
        self._to_end(last=True)

    def _to_end(self, last: bool) -> None:
        if self.cursor_type != "row":
            (super().action_scroll_end if last else super().action_scroll_home)()
            return
        self._set_hover_cursor(False)
        if self.row_count:
            self.move_cursor(row=self.row_count - 1 if last else 0)
