"""Every screen at 80x24 (issue 15): nothing overflows, nothing is cut off, and it grows when the
terminal does. Pilot tests on the real app over the fixed service layer (``fixed.py``) or a real
office; they assert on widget regions and text, never on pixels."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static
from textual.widgets._footer import FooterKey

from fixed import FixedServices, batch_plan, outbox_items
from uihelp import settle
from tui_client.catalog import t
from tui_client.ui import actions
from tui_client.ui.app import TsunagiApp
from tui_client.ui.settings import AppSettings
from tui_client.ui.widgets.keybar import KeyBar

pytestmark = pytest.mark.anyio

WIDTH, HEIGHT = 80, 24


def _app(tmp_path):
    settings = AppSettings(export_folder="/demo/export", import_folder="/demo/import")
    return TsunagiApp(FixedServices(), settings=settings, home=str(tmp_path), poll=False)


def _text(app, selector) -> str:
    return str(app.screen.query_one(selector, Static).render())


def _fits(widget, width=WIDTH) -> bool:
    return widget.region.x >= 0 and widget.region.right <= width


def _no_sideways_scroll(table: DataTable) -> bool:
    return table.virtual_size.width <= table.scrollable_content_region.width


@pytest.mark.parametrize("tab, key, selector, names", [
    ("batch", "f4", "#batch-table", [f.name for f in batch_plan().files]),
    ("outbox", "f3", "#outbox-table", [i.name for i in outbox_items()]),
])
async def test_file_tables_drop_the_name_column_at_80_columns_and_name_the_selected_file_below(
        tmp_path, tab, key, selector, names):
    app = _app(tmp_path)
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        await pilot.press(key)
        await settle(pilot)
        table = app.query_one(selector, DataTable)
        assert table.row_count == len(names)
        assert not table.name_shown and len(table.columns) == len(table._labels)
        assert _fits(table) and _no_sideways_scroll(table)
        await pilot.press("down")
        await settle(pilot)
        detail = app.query_one(f"#{tab}-detail", Static)
        assert names[1] in _text(app, f"#{tab}-detail") and _fits(detail)
        assert detail.region.y >= table.region.bottom            # below the table, on screen
        assert detail.region.bottom <= HEIGHT - 1                # above the footer

        # a wide terminal has room for the whole name: the column comes back, the cursor stays
        await pilot.resize_terminal(180, 40)
        await settle(pilot)
        assert table.name_shown and table.get_row_at(1)[-1] == names[1] and table.cursor_row == 1
        assert _no_sideways_scroll(table)
        await pilot.resize_terminal(WIDTH, HEIGHT)
        await settle(pilot)
        assert not table.name_shown and table.cursor_row == 1 and _no_sideways_scroll(table)


async def test_batch_summary_and_send_hint_are_each_on_their_own_line(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        await pilot.press("f4")
        await settle(pilot)
        summary, hint = app.query_one("#batch-summary", Static), app.query_one("#batch-hint", Static)
        assert _text(app, "#batch-hint") == t("batch.send_hint")
        assert t("batch.send_hint") not in _text(app, "#batch-summary")
        plan = batch_plan()
        assert _text(app, "#batch-summary").startswith(
            t("batch.summary", total=len(plan.files), ok=len(plan.sendable), bad=len(plan.files) - len(plan.sendable),
              boxes=1))
        assert summary.region.height == 1 and hint.region.height == 1
        assert hint.region.y == summary.region.bottom and hint.region.bottom <= HEIGHT - 1
        assert _fits(summary) and _fits(hint)


@pytest.mark.parametrize("tab", ["home", "inbox", "outbox", "batch", "compose"])
async def test_footer_shows_the_screens_keys_and_quit_and_palette_within_80_columns(tmp_path, tab):
    app = _app(tmp_path)
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        await pilot.press(actions.get(f"tab.{tab}").key)
        await settle(pilot)
        bar = app.screen.query_one(KeyBar)                          # the main screen's one-line key line
        shown = {description for _, _, description in bar.keys()}
        scope = app.query_one(f"#tab-{tab}").SCOPE
        # the inbox's list shows its own Enter (開く); home's list keeps its Enter hidden (the home
        # screen says 「Enterでその画面へ」 on its first line)
        wanted = {a.label for a in actions.actions_for(scope) if a.footer and (a.key != "enter" or tab == "inbox")}
        assert wanted | {t("action.quit"), t("action.palette")} == shown
        assert bar.spans()[-1][1] <= WIDTH and _fits(bar), bar.spans()


async def test_settings_edit_the_archive_retention_through_the_config_module(tmp_path):
    from textual.widgets import Input

    from tui_client import office as office_mod
    from tui_client import sample_certs
    from tui_client.ui.services import Services

    home = str(tmp_path / "pc")
    office_mod.setup_demo_office("cm", "https://127.0.0.1:9", home)
    number = sample_certs.office("cm")["office_number"]
    cm, findings = office_mod.Office.open(number, home=home)
    assert cm is not None, findings
    try:
        app = TsunagiApp(Services(cm), home=home, poll=False)
        async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
            await settle(pilot)
            await pilot.press("f9")
            await settle(pilot)
            field = app.screen.query_one("#settings-retention_years", Input)
            assert field.value == "5" and not field.disabled and _fits(field)
            for bad in ("0", "101", "ten"):
                field.value = bad
                await pilot.press("ctrl+s")
                await settle(pilot)
                text = _text(app, "#settings-problems")
                assert t("settings.retention_years") in text and bad in text
            assert office_mod.load_settings(number, home)[0].retention_years == 5    # nothing saved
            field.value = " 7 "
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert not app.screen.query("#settings-retention_years")          # the dialog closed
        assert cm.settings.retention_years == 7
        assert office_mod.load_settings(number, home)[0].retention_years == 7
        assert office_mod.load_settings(number, home)[0].relay_url == "https://127.0.0.1:9"
    finally:
        cm.close()


async def test_setup_check_shortens_long_folder_paths_in_the_middle_on_their_own_line(tmp_path):
    from rich.cells import cell_len

    from tui_client.ui.screens.setup import SetupScreen

    deep = tmp_path.joinpath("介護ソフト", "出力先フォルダ[2025]", *(["とても長いフォルダの名前"] * 4), "送信用")
    deep.mkdir(parents=True)
    assert cell_len(str(deep)) > WIDTH
    settings = AppSettings(export_folder=str(deep), import_folder=str(tmp_path))
    app = TsunagiApp(None, settings=settings, home=str(tmp_path), poll=False)
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SetupScreen) and screen.checks
        box = screen.query_one("#setup-checks", Static)
        lines = str(box.render()).split("\n")
        paths = [line for line in lines if "/" in line]        # (a fix in words may wrap; a path never)
        assert len(paths) == 2 and all(cell_len(line) <= box.content_region.width for line in paths), paths
        shortened = [line for line in lines if "…" in line and line.endswith("送信用")]
        assert len(shortened) == 1 and shortened[0].startswith("    " + str(tmp_path)[:10])
        assert str(tmp_path) in "\n".join(lines)             # the short path, whole, beside its check
        # wider: the same path, still one line of its own and never wrapped
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        paths = [line for line in str(box.render()).split("\n") if "/" in line]
        assert len(paths) == 2 and all(cell_len(line) <= box.content_region.width for line in paths), paths


@pytest.mark.parametrize("text, width", [
    ("/home/ケアマネ/介護ソフト/出力/送信用", 20), ("/a/b", 10), ("あいうえおかきくけこ", 9), ("abcdef", 1), ("abc", 0)])
def test_middle_ellipsis_counts_cells_and_keeps_both_ends(text, width):
    from rich.cells import cell_len

    from tui_client.ui.format import middle_ellipsis

    short = middle_ellipsis(text, width)
    assert cell_len(short) <= width
    if cell_len(text) <= width:
        assert short == text
    elif width > 1:
        head, tail = short.split("…")
        assert text.startswith(head) and text.endswith(tail) and head and tail


async def test_toasts_break_japanese_where_the_line_ends_not_at_a_space(tmp_path):
    """Failed before the fix: ``…直してから c で確認…`` broke after ``c`` and left the line half
    empty; a finding's ``{row}行目の {field}`` split there too."""
    from rich.cells import cell_len
    from textual.widgets._toast import Toast

    from tui_client.office.models import FindingSummary
    from tui_client.ui.format import finding_text, toast_text

    what, fix = finding_text(FindingSummary("E-FLD-001", row=3, column=15, field="サービスコード", value="99XXXX"))
    messages = [t("batch.nothing_to_send"), f"{what}\n{fix}", "「[1]月分.CSV」を保存しました。"]
    app = _app(tmp_path)
    async with app.run_test(size=(WIDTH, HEIGHT), notifications=True) as pilot:
        await settle(pilot)
        for message in messages:
            app.notify(message, timeout=60)
        await settle(pilot)
        toasts = list(app.query(Toast))
        assert len(toasts) == len(messages)
        for toast, message in zip(toasts, messages):
            assert _fits(toast)
            width = toast.content_region.width
            # the lines as drawn (after the toast wrapped them)
            lines = [toast.render_line(y).text.strip() for y in range(toast.size.height)]
            lines = [line for line in lines if line]
            paragraphs = toast_text(message).split("\n")
            assert "".join(lines) == "".join(paragraphs)           # all of it, nothing cut
            ends, done = set(), 0
            for para in paragraphs:
                done += len(para)
                ends.add(done)
            done = 0
            for line in lines:
                done += len(line)
                if done not in ends:        # inside a paragraph: the line is full
                    assert cell_len(line) >= width - 1, (line, width, lines)


@pytest.mark.parametrize("keys, scope", [(("f9",), "settings"), (("f3", "down", "down", "w"), "confirm"),
                                         (("f4", "o"), "picker")])
async def test_a_dialog_shows_its_own_keys_in_the_footer_not_the_screen_below(tmp_path, keys, scope):
    app = _app(tmp_path)
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        assert getattr(app.screen, "SCOPE", "") == scope
        footer_keys = [k for k in app.screen.query(FooterKey)]
        shown = {k.description for k in footer_keys}
        wanted = {a.label for a in actions.actions_for(scope) if a.footer}
        assert wanted and wanted <= shown
        assert all(k.region.width and _fits(k) for k in footer_keys)
        assert shown <= wanted | {t("action.quit"), t("action.palette")}    # nothing of the tab below
