"""The preview screen and its widgets: day grid, labelled fields, findings list, messages."""

import asyncio
from datetime import datetime, timezone

import pytest
from rich.cells import cell_len
from textual.app import App
from textual.widgets import Static

from inboxhelp import settle
from tui_client.core import samples
from tui_client.core.defects import DEFECTS
from tui_client.core.preview import build_preview
from tui_client.office.models import FindingSummary, InboxItem, InboxState, Party, Preview
from tui_client.ui.screens.preview import PreviewScreen
from tui_client.ui.widgets.daygrid import DayGridView, bands_for, render_user
from tui_client.ui.widgets.fields import FieldsView
from tui_client.ui.widgets.findings import FindingsList, as_finding, finding_text

MONTH = samples.sample_month()


def _file(prefix):
    return next((n, b) for n, b in MONTH if n.startswith(prefix + "_"))


class Host(App):
    def __init__(self, screen):
        super().__init__()
        self.office = None
        self._preview = screen

    def on_mount(self):
        self.push_screen(self._preview)


def _run(screen, size, check):
    async def run():
        app = Host(screen)
        async with app.run_test(size=size) as pilot:
            await settle(pilot, lambda: screen.parts is not None)
            await check(app, pilot)
    asyncio.run(run())


@pytest.mark.parametrize("width,bands", [(80, 2), (119, 2), (120, 1), (160, 1)])
def test_day_grid_fits_the_width_in_cells_with_day_marks_in_text(width, bands):
    name, data = _file("UPPLAN")
    grid = build_preview(name, data, companions=MONTH).grid
    assert len(bands_for(width, 31)) == bands
    view = DayGridView(grid)
    lines = view.text_lines(width - 4)          # the widget's padding and the body's border
    assert all(cell_len(line) <= width - 4 for line in lines), max(lines, key=cell_len)
    text = "\n".join(lines)
    assert "令和7年5月（2025年5月）" in text
    assert "祝" in text and "土" in text and "日" in text     # 3–6 May holidays; weekends
    assert "訪問介護 09:30-10:30" in text and "111111" in text
    # the day columns of the two bands line up: day 1 and day 16 end in the same terminal column
    rows = ["".join(p for p, _ in r) for r in render_user(grid, grid.users[0], width - 4)]
    heads = [r for r in rows if r.rstrip().endswith(("15", "計"))]
    if bands == 2:
        first, second = heads
        assert cell_len(first[:first.index(" 1 ") + 2]) == cell_len(second[:second.index(" 16 ") + 3])


def test_grid_preview_screen_moves_between_users(tmp_path):
    name, data = _file("UPPLAN")
    screen = PreviewScreen(preview=build_preview(name, data, companions=MONTH))

    async def check(app, pilot):
        view = app.screen.query_one(DayGridView)
        assert view.user.name == samples.users(1)[0].name
        for _ in range(10):
            await pilot.press("right")
        assert view.index == 5                  # stops at the last user
        await pilot.press("left")
        assert view.index == 4
        assert "(5/6)" in "\n".join(view.text_lines(76))
    _run(screen, (80, 24), check)


def test_fields_preview_of_a_core_value_pages_records():
    screen = PreviewScreen(preview=build_preview(*_file("UPHOSOKU_000000")))

    async def check(app, pilot):
        view = app.screen.query_one(FieldsView)
        text = "\n".join(view.text_lines())
        assert "1件目 (1/6)" in text and "利用者性別" in text and "2：女性" in text
        assert "（空欄）" in text                # 利用者住所２ is empty: said in words
        await pilot.press("n")
        assert "2件目 (2/6)" in "\n".join(view.text_lines())
        assert "1件目" not in "\n".join(view.text_lines())
    _run(screen, (80, 24), check)


def test_multiline_free_text_keeps_its_lines_under_the_value_column():
    view = FieldsView(build_preview(*_file("UP1KYO")).records)
    lines = view.text_lines()
    i = next(n for n, line in enumerate(lines) if "自宅で暮らし続けたい。" in line)
    assert lines[i + 1].strip() == "家族も同じ思い。"
    assert lines[i + 1].index("家族") > 0 and cell_len(lines[i + 1][:lines[i + 1].index("家族")]) == \
        cell_len(lines[i][:lines[i].index("自宅")])


def test_findings_show_severity_where_message_and_fix_in_words():
    name, data = DEFECTS["E-FLD-004"]()[0]
    p = build_preview(name, data)
    screen = PreviewScreen(preview=p)

    async def check(app, pilot):
        findings = app.screen.query_one(FindingsList)
        texts = [str(s.render()) for s in findings.query(Static)]
        hit = next(t for t in texts if "E-FLD-004" in t)
        assert "✕ エラー" in hit and "行目" in hit and "列目" in hit and "→" in hit
        assert "エラー" in findings.border_title
    _run(screen, (80, 24), check)


def test_stored_finding_summaries_render_like_findings():
    s = FindingSummary("E-FLD-001", row=3, column=15, field="サービスコード")
    f = as_finding(s, "UPPLAN_x.CSV")
    assert f.code == "E-FLD-001" and f.row == 3 and f.file == "UPPLAN_x.CSV"
    text = finding_text(f).plain
    assert "3行目・15列目（O列） サービスコード" in text and "✕ エラー" in text
    w = finding_text(as_finding("W-PRV-001", "x.jpg")).plain
    assert "！ 注意" in w and "x.jpg" in w


def test_unreadable_file_says_why_and_shows_nothing_else():
    name, _ = _file("UPPLAN")
    screen = PreviewScreen(preview=build_preview(name, "利用者".encode("utf-8") * 3))

    async def check(app, pilot):
        texts = [str(s.render()) for s in app.screen.query_one(FindingsList).query(Static)]
        assert any("E-ENC-003" in t for t in texts)
        assert not app.screen.query(DayGridView) and not app.screen.query(FieldsView)
        assert "表示できる内容がありません" in str(app.screen.query_one("#preview-body Static").render())
    _run(screen, (80, 24), check)


def test_message_shows_its_text_and_lists_its_attachments():
    item = InboxItem(seq=1, key="m1", name="MSG_2712300011_2712300029_20250502093000.json", kind="message",
                     file_kind="MSG", month=None, sender=Party("2712300011", "43", "つなぎ居宅介護支援センター"),
                     recipient=Party("2712300029", "11"), received_at=datetime(2025, 5, 2, tzinfo=timezone.utc),
                     state=InboxState.NEW, content_sha256="", size=10, subject="5月の予定変更",
                     attachments=("memo.txt", "写真.jpg"))
    screen = PreviewScreen("m1", item=item, preview=Preview(item, text="[b]6日[/b]は休みです。\n7日に振替。",
                                                            attachments=item.attachments))

    async def check(app, pilot):
        body = str(app.screen.query_one("#preview-text").render())
        assert body == "[b]6日[/b]は休みです。\n7日に振替。"      # shown as written, not as markup
        listed = str(app.screen.query_one("#preview-attachments").render())
        assert "・memo.txt" in listed and "・写真.jpg" in listed
        head = str(app.screen.query_one("#preview-head").render())
        assert "メッセージ" in head and "つなぎ居宅介護支援センター" in head
    _run(screen, (80, 24), check)


def test_escape_goes_back():
    screen = PreviewScreen(preview=build_preview(*_file("UP2KYO")))

    async def check(app, pilot):
        assert app.screen is screen
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not screen
    _run(screen, (80, 24), check)
