"""予定と実績: a month's 第6表 予定 against the 実績 that came back, one user at a time.

Pick the month (和暦 or 西暦, as typed: 令和7年5月, R7.5, 2025年5月, 202505), the partner (事業所番号;
empty for every partner) and, if wanted, one user (被保険者番号 or name); Enter compares. Each user is
a table like the day grid — days across, services down — whose cells are marks (〇 予定どおり,
✕ 予定あり・実績なし, ＋ 実績のみ, ！ 回数違い), with the legend in words, the totals per service
(予定 and 実績, 回数 and 単位) and the differences listed in words under it; a user with a plan and no
実績 at all is one 利用なし line. ``n`` / ``p`` move between users, ``e`` writes the comparison as a
CSV (cp932) to a folder picked in the folder picker, Esc goes back.

The screen renders values only: ``Office.plan_vs_actual`` (through the service layer, in a worker)
gives a ``core.planactual.Comparison``.
"""

from __future__ import annotations

from typing import List, Optional

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Input, Label, Static

from tui_client.catalog import t
from tui_client.core import wareki
from tui_client.core.planactual import Comparison, DiffKind, ServiceComparison, UserComparison
from tui_client.ui.actions import Action, bindings_for, register
from tui_client.ui.widgets.daygrid import (DAY_CELLS, Line, _day_style, _pad, _right, _weekday_word, bands_for,
                                           label_width)

SCOPE = "planact"
TOTAL_CELLS = 7        # " 11/12"

register(
    Action("planact.back", "escape", "planact.key.back", scope=SCOPE, action="back"),
    Action("planact.next", "n,right", "planact.key.next", scope=SCOPE, action="next"),
    Action("planact.prev", "p,left", "planact.key.prev", scope=SCOPE, action="prev"),
    Action("planact.export", "e", "planact.key.export", scope=SCOPE, action="export"),
)

_STYLE = {DiffKind.MATCH: "", DiffKind.PLANNED_ONLY: "bold $text-error",
          DiffKind.ACTUAL_ONLY: "bold $text-warning", DiffKind.COUNT: "bold $text-warning reverse"}


def mark(kind: Optional[DiffKind]) -> str:
    return t(kind.mark_key) if kind is not None else t("planact.mark.none")


def service_words(s: ServiceComparison) -> str:
    return f"{s.type_name or t('daygrid.unknown_type', code=s.code[:2])} {s.code}"


def summary_words(c: Comparison) -> List[str]:
    """Two lines: the month and how many users; how many differences of each kind."""
    month = t("daygrid.month", wareki=c.month.wareki, seireki=c.month.seireki) if c.month.month else ""
    counts = c.counts()
    head = t("planact.summary", month=month, users=len(c.users))
    if not any(counts.values()):
        return [head, t("planact.counts.none")]
    return [head, t("planact.counts", **{k.value: n for k, n in counts.items()})]


def render_user(c: Comparison, index: int, width: int) -> List[Line]:
    """The lines of one user's comparison at ``width`` cells."""
    u: UserComparison = c.users[index]
    diffs = u.differences()
    out: List[Line] = [[(t("planact.user.heading", insured=u.insured, name=u.name, n=index + 1,
                           total=len(c.users)), "bold $accent"),
                        ("  " + t("planact.user.differences", count=len(diffs)), "")]]
    if u.no_actuals:
        out.append([(t("planact.user.no_actuals", planned=sum(s.planned_total for s in u.services)), "bold")])
    else:
        days = len(c.month.days)
        bands = bands_for(width, days)
        lw = label_width(width, max(last - first + 1 for first, last in bands)) - (TOTAL_CELLS - 4)
        for b, (first, last) in enumerate(bands):
            final = b == len(bands) - 1
            head: Line = [(_pad(t("daygrid.col.service") if b == 0 else
                                t("daygrid.days", first=first, last=last), lw), "bold")]
            week: Line = [(_pad("", lw), "")]
            for d in range(first, last + 1):
                style = _day_style(c, d)
                head.append((_right(str(d), DAY_CELLS), style or "bold"))
                week.append((_right(_weekday_word(c, d), DAY_CELLS), style))
            if final:
                head.append((_right(t("planact.col.totals"), TOTAL_CELLS), "bold"))
            out += [head, week]
            for s in u.services:
                row: Line = [(_pad(s.type_name or t("daygrid.unknown_type", code=s.code[:2]), lw), "")]
                marks = s.marks
                for d in range(first, last + 1):
                    k = marks[d - 1]
                    row.append((_right(mark(k), DAY_CELLS), _STYLE.get(k, "dim") if k else "dim"))
                if final:
                    row.append((_right(f"{s.planned_total}/{s.actual_total}", TOTAL_CELLS), "bold"))
                out.append(row)
                out.append([(_pad(f" {s.code} {s.provider_name or s.provider}", lw), "dim")])
            if not final:
                out.append([("", "")])
    for s in u.services:
        out.append([(t("planact.total", service=service_words(s), planned=s.planned_total,
                       planned_units=s.planned_units, actual=s.actual_total, actual_units=s.actual_units), "")])
    if not u.no_actuals:
        by_code = {(s.provider, s.code): s for s in u.services}
        for d in diffs:
            s = by_code.get((d.provider, d.code))
            out.append([(t("planact.diff", day=d.day, weekday=_weekday_word(c, d.day), mark=mark(d.kind),
                           kind=t(d.kind.label_key), service=service_words(s) if s else d.code,
                           planned=d.planned, actual=d.actual), _STYLE.get(d.kind, ""))])
    return out


class PlanActualView(Widget):
    """One user's comparison; ``show(i)`` / ``next_user()`` / ``prev_user()`` move between users."""

    DEFAULT_CSS = """
    PlanActualView { height: auto; padding: 0 1; }
    """
    index: reactive[int] = reactive(0, layout=True)

    def __init__(self, comparison: Comparison, *, id=None, classes=None) -> None:
        super().__init__(id=id, classes=classes)
        self.comparison = comparison

    def show(self, index: int) -> None:
        if self.comparison.users:
            self.index = max(0, min(len(self.comparison.users) - 1, index))

    def next_user(self) -> None:
        self.show(self.index + 1)

    def prev_user(self) -> None:
        self.show(self.index - 1)

    def _lines(self, width: int) -> List[Line]:
        c = self.comparison
        head, counts = summary_words(c)
        lines: List[Line] = [[(head, "bold")], [(counts, "")], [(t("planact.legend"), "dim")]]
        if not c.users:
            lines.append([(t("planact.nothing"), "")])
            return lines
        return lines + render_user(c, self.index, width)

    def text_lines(self, width: Optional[int] = None) -> List[str]:
        """What a reader sees, as plain text lines (tests, screenshots)."""
        return ["".join(p for p, _ in line) for line in self._lines(width or self.content_size.width or 80)]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(width))

    def render(self) -> Content:
        parts = []
        for i, line in enumerate(self._lines(self.content_size.width or 80)):
            if i:
                parts.append("\n")
            parts += [(p, s) if s else p for p, s in line]
        return Content.assemble(*parts)


class PlanActualScreen(Screen):
    SCOPE = SCOPE
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    PlanActualScreen #planact-form { height: 3; padding: 0 1; }
    PlanActualScreen #planact-form Label { padding: 1 1 0 0; }
    PlanActualScreen #planact-month { width: 18; }
    PlanActualScreen #planact-partner { width: 14; }
    PlanActualScreen #planact-user { width: 1fr; }
    PlanActualScreen #planact-status { height: auto; padding: 0 1; background: $panel; }
    PlanActualScreen #planact-body { height: 1fr; border: round $panel; }
    PlanActualScreen #planact-body:focus { border: round $accent; }
    """

    def __init__(self, month: str = "", partner: str = "", user: str = "") -> None:
        super().__init__()
        self.initial = (month, partner, user)
        self.comparison: Optional[Comparison] = None
        self.loads = 0                      # finished comparisons (tests wait on state, not on time)

    def compose(self) -> ComposeResult:
        month, partner, user = self.initial
        w, _ = wareki.format_month(month)
        with Horizontal(id="planact-form"):
            yield Label(t("planact.month"))
            yield Input(w or month, placeholder=t("planact.month.placeholder"), id="planact-month")
            yield Label(t("planact.partner"))
            yield Input(partner, placeholder=t("planact.partner.placeholder"), id="planact-partner")
            yield Label(t("planact.user"))
            yield Input(user, placeholder=t("planact.user.placeholder"), id="planact-user")
        yield Static(t("planact.hint"), id="planact-status")
        yield VerticalScroll(id="planact-body", can_focus=True)
        yield Footer()

    def on_mount(self) -> None:
        if self.initial[0]:
            self.run_comparison()
        else:
            self.query_one("#planact-month", Input).focus()

    # -- comparing
    def _value(self, wid: str) -> str:
        return self.query_one(wid, Input).value.strip()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.run_comparison()

    def run_comparison(self) -> None:
        text = self._value("#planact-month")
        month = wareki.parse_month_text(text)
        if month is None:
            self._status(t("planact.bad_month", value=text))
            self.loads += 1
            return
        self._status(t("planact.loading"))
        self._compare(month, self._value("#planact-partner"), self._value("#planact-user"))

    @work(thread=True, exclusive=True, group="planact")
    def _compare(self, month: str, partner: str, user: str) -> None:
        from tui_client.ui.screens.inbox import engine_call

        try:
            result = engine_call(self.app, "plan_vs_actual", month, partner or None, user or None)
        except Exception as exc:  # noqa: BLE001 - shown in words, never a traceback
            self.app.call_from_thread(self._failed, exc)
            return
        self.app.call_from_thread(self.show, result, month)

    def _failed(self, exc: BaseException) -> None:
        from tui_client.ui.screens.inbox import reason_words

        self.loads += 1
        self._status(t("planact.failed", reason=reason_words(exc)))

    def _status(self, text: str) -> None:
        self.query_one("#planact-status", Static).update(text)

    def show(self, comparison: Optional[Comparison], month: str) -> None:
        self.loads += 1
        body = self.query_one("#planact-body", VerticalScroll)
        body.remove_children()
        self.comparison = None
        if comparison is None or comparison.problem:
            from tui_client.ui.screens.inbox import month_words

            problem = comparison.problem if comparison is not None else "no_plan"
            self._status(t(f"planact.problem.{problem}", month=month_words(month)))
            return
        self.comparison = comparison
        self._status(t("planact.hint"))
        body.mount(PlanActualView(comparison, id="planact-view"))
        body.focus()

    # -- keys
    def view(self) -> Optional[PlanActualView]:
        found = self.query(PlanActualView)
        return found.first() if found else None

    def action_next(self) -> None:
        if self.view() is not None:
            self.view().next_user()

    def action_prev(self) -> None:
        if self.view() is not None:
            self.view().prev_user()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_export(self) -> None:
        if self.comparison is None:
            self._status(t("planact.export.nothing"))
            return
        from tui_client.ui.screens.picker import FolderPicker

        start = getattr(getattr(self.app, "settings", None), "export_folder", "") or None
        self.app.push_screen(FolderPicker(start, t("planact.export.title")), self._export_to)

    def _export_to(self, folder: Optional[str]) -> None:
        if folder and self.comparison is not None:
            self._export(self.comparison, folder)

    @work(thread=True, exclusive=True, group="planact-export")
    def _export(self, comparison: Comparison, folder: str) -> None:
        from tui_client.ui.screens.inbox import engine_call

        try:
            path, findings = engine_call(self.app, "export_plan_vs_actual", comparison, folder)
        except Exception as exc:  # noqa: BLE001
            self.app.call_from_thread(self._failed, exc)
            return
        self.app.call_from_thread(self._exported, path, findings)

    def _exported(self, path, findings) -> None:
        from tui_client.ui.format import finding_text

        self.loads += 1
        self.exported = path
        if findings:
            self._status(" ".join(finding_text(f)[0] for f in findings))
        else:
            self._status(t("planact.export.done", path=str(path)))


def open_from(app, month: str = "", partner: str = "") -> None:
    """Open the screen (from the inbox, the archive or the palette); without a month, last month by
    the app's clock (実績 come back at the start of the next month)."""
    if not month:
        clock = getattr(app, "clock", None)
        if callable(clock):
            now = clock()
            y, m = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
            month = f"{y:04d}{m:02d}"
    app.push_screen(PlanActualScreen(month, partner))
