"""The 保管庫 tab: search by user and month, page, open the preview, export (choice, folder picker,
the cp932 index on disk), verify; snapshots at 80x24 and 120x40 in the default and the ANSI theme.

The office is a real demo office (real store, no relay contacted) fed by the folder import with
fixed sample files and a fixed clock, so what the tab shows is the same on every run."""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import DataTable, Footer, Input

from inboxhelp import received_office
from uihelp import settle as _settle
from tui_client.core import samples
from tui_client.ui.screens.archive import ArchiveTab
from tui_client.ui.services import Services

CM, HC = "1370100011", "1370100029"
NOW = datetime(2025, 6, 1, 0, 30, tzinfo=timezone.utc)
SIZES = [(80, 24), (120, 40)]

THEMES = ["textual-dark", "ansi-dark"]

pytestmark = pytest.mark.anyio


def _files():
    cmo, hco = samples.SampleOffice(CM, "43", "cm"), samples.SampleOffice(HC, "11", "hc")
    people = samples.users(3, seed=5)
    out = []
    for month, serial in (("202505", "20250425100000"), ("202506", "20250525100000")):
        out += samples.use_bundle(month, hco, people, sender=cmo, providers=[hco], serial=serial)
    return out, people


@pytest.fixture
def office(tmp_path):
    o = received_office(str(tmp_path / "pc"), [])
    files, _ = _files()
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    for name, data in files:
        (downloads / name).write_bytes(data)
    assert len(o.import_folder(downloads, now=NOW).imported) == 6
    _sent_with_evidence(o)
    yield o
    o.close()


SENT = "UPJSK_202505_1370100029_11_1370100011_43_20250602093000.CSV"


def _sent_with_evidence(office) -> None:
    """A 実績 this office sent, the way the store records it: the outbox row confirmed by the relay
    (envelope kept) and the recipient's receipt kept later (fixed times, stand-in bytes)."""
    rec = {"name": SENT, "kind": "file", "recipient": CM, "recipient_service": "43", "content_sha256": "0" * 64,
           "queued_at": "2025-06-02T00:30:00Z", "size": 5}
    office.db.outbox_put(SENT, rec, b"sealed", b"plain")
    office.db.confirm_sent([(SENT, dict(rec, relay_id="r-1", sent_at="2025-06-02T00:31:00Z",
                                        state="received", receipt_received_at="2025-06-02T01:00:00Z"))])
    office.db.archive_update("sent", SENT, receipt=b"receipt")


class ArchiveApp(App):
    """The smallest host of the tab, as the app hosts it: ``services``, ``office``, a fixed clock."""

    def __init__(self, office, page_size: int = 4):
        super().__init__()
        self.services = Services(office)
        self.page_size = page_size
        self.clock = lambda: NOW

    @property
    def office(self):
        return self.services.office

    def compose(self):
        yield ArchiveTab(page_size=self.page_size, id="tab-archive")
        yield Footer()


async def settle(pilot, until) -> None:
    """Until ``until()`` holds, on state and never on time (bounded); the folder picker's tree
    loader is not waited for (uihelp.settle)."""
    for _ in range(50):
        await _settle(pilot)
        if until():
            return
    raise AssertionError("the screen did not reach the expected state")


def _rows(app):
    table = app.query_one("#archive-table", DataTable)
    return [table.get_row_at(i) for i in range(table.row_count)]


async def _search(pilot, **fields):
    tab = pilot.app.query_one(ArchiveTab)
    for key, value in fields.items():
        pilot.app.query_one(f"#archive-{key}", Input).value = value
    pilot.app.query_one("#archive-user", Input).focus()
    await pilot.press("enter")
    await settle(pilot, lambda: tab.page.items is not None and tab.query_ is not None)


async def test_search_by_user_and_by_month_and_page(office):
    _, people = _files()
    app = ArchiveApp(office)
    async with app.run_test(size=(120, 40)) as pilot:
        tab = app.query_one(ArchiveTab)
        await settle(pilot, lambda: tab.page.total == 7)
        assert len(_rows(app)) == 4 and tab.page.has_more
        app.query_one("#archive-table").focus()
        await pilot.press("n")
        await settle(pilot, lambda: tab.page.offset == 4)
        assert len(_rows(app)) == 3 and not tab.page.has_more
        assert _rows(app)[-1][1] == "送信" and _rows(app)[-1][5] == "封筒✓受領✓"
        await pilot.press("p")
        await settle(pilot, lambda: tab.page.offset == 0)

        await _search(pilot, month="202506")
        await settle(pilot, lambda: tab.page.total == 3)
        assert all("202506" in r.name for r in tab.page.items)     # names: on the detail line at 120 columns
        assert all(row[4] == "令和7年6月" for row in _rows(app))
        await _search(pilot, month="", user=people[1].insured)
        await settle(pilot, lambda: tab.query_.user == people[1].insured and tab.page.total == 6)
        await _search(pilot, user=people[1].name, month="202505")
        await settle(pilot, lambda: tab.query_.month == "202505" and tab.page.total == 1)
        assert tab.page.items[0].name.startswith("UPHOSOKU_202505")
        await _search(pilot, user="", month="202513")                  # not a month: said, not searched
        assert tab.query_.month == "202505"


async def test_enter_opens_the_preview_and_v_verifies(office):
    app = ArchiveApp(office)
    async with app.run_test(size=(120, 40)) as pilot:
        tab = app.query_one(ArchiveTab)
        await settle(pilot, lambda: tab.page.total == 7)
        app.query_one("#archive-table").focus()
        await pilot.press("v")
        await settle(pilot, lambda: any("証跡を確かめました" in n.message for n in app._notifications))
        await pilot.press("enter")
        from tui_client.ui.screens.preview import PreviewScreen

        await settle(pilot, lambda: isinstance(app.screen, PreviewScreen) and app.screen.parts is not None)
        assert app.screen.parts["name"] == tab.page.items[0].name


async def test_export_of_a_month_through_the_choice_and_the_folder_picker(office, tmp_path):
    app = ArchiveApp(office)
    target = tmp_path / "inspection"
    target.mkdir()
    async with app.run_test(size=(120, 40)) as pilot:
        tab = app.query_one(ArchiveTab)
        await _search(pilot, month="202505")
        await settle(pilot, lambda: tab.page.total == 4)
        app.query_one("#archive-table").focus()
        await pilot.press("e")
        from tui_client.ui.screens.archive_export import ExportChoice
        from tui_client.ui.screens.picker import FolderPicker

        await settle(pilot, lambda: isinstance(app.screen, ExportChoice))
        await pilot.press("m")
        await settle(pilot, lambda: isinstance(app.screen, FolderPicker))
        app.screen.query_one("#picker-path", Input).value = str(target)
        app.screen.query_one("#picker-path", Input).focus()
        await pilot.press("enter")
        await settle(pilot, lambda: any("書き出しました" in n.message for n in app._notifications))
    folders = list(target.iterdir())
    assert len(folders) == 1
    with open(folders[0] / "index.csv", encoding="cp932", newline="") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == 5 and all(r[5] == "令和7年5月（2025年5月）" for r in rows[1:])
    sent = [r for r in rows[1:] if r[1] == "送信"]
    assert len(sent) == 1 and sent[0][8] == "2025-06-02 01:00:00" and sent[0][10] and sent[0][11]
    assert all((folders[0] / r[6]).is_file() for r in rows[1:])


async def test_retention_says_what_goes_and_asks(office):
    app = ArchiveApp(office)
    app.clock = lambda: NOW.replace(year=2031)         # six years on: every record is past five
    async with app.run_test(size=(120, 40)) as pilot:
        tab = app.query_one(ArchiveTab)
        await settle(pilot, lambda: tab.page.total == 7)
        app.query_one("#archive-table").focus()
        await pilot.press("d")
        from tui_client.ui.screens.confirm import ConfirmScreen

        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = app.screen.question
        assert "7件" in question and "令和7年5月 4件" in question and "令和7年6月 3件" in question
        await pilot.press("n")                                        # no: nothing goes
        await settle(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert office.archive().total == 7
        await pilot.press("d")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await settle(pilot, lambda: tab.page.total == 0)
    assert office.archive().total == 0


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_archive_tab_snapshot(snap_compare, office, size, theme):
    async def run_before(pilot):
        tab = pilot.app.query_one(ArchiveTab)
        await settle(pilot, lambda: tab.page.total == 7)
        pilot.app.query_one("#archive-table").focus()
        await pilot.press("down")
        await settle(pilot, lambda: True)

    app = ArchiveApp(office, page_size=8)
    app.theme = theme
    assert snap_compare(app, terminal_size=size, run_before=run_before)


async def test_filters_at_80x24_each_have_room_and_a_label_and_work_by_keyboard(office):
    """Failed before the fix: on one row at 80 columns the three inputs got about 12 cells each,
    cutting their placeholders (利用者: 被保険者番号か氏名) and what was typed."""
    from rich.cells import cell_len
    from textual.widgets import Label, Select

    from tui_client.catalog import t

    app = ArchiveApp(office)
    async with app.run_test(size=(80, 24)) as pilot:
        tab = app.query_one(ArchiveTab)
        await settle(pilot, lambda: tab.page.total == 7)
        fields = {"user": ("archive.form.user", "archive.form.user.placeholder"),
                  "partner": ("archive.col.partner", "archive.form.partner.placeholder"),
                  "month": ("archive.form.month", "archive.form.month.placeholder"),
                  "kind": ("archive.col.kind", "archive.form.kind.prompt"),
                  "state": ("archive.col.state", "archive.form.state.prompt")}
        labels = {str(label.render()): label.region for label in tab.query(Label)}
        regions = []
        for key, (label_key, prompt_key) in fields.items():
            widget = app.query_one(f"#archive-{key}", Select if key in ("kind", "state") else Input)
            region = widget.region
            assert region.x >= 0 and region.right <= 80 and region.height == 1, (key, region)
            # the whole prompt, and for a list its arrow, or six digits and the cursor
            need = cell_len(t(prompt_key)) + (3 if isinstance(widget, Select) else 1)
            assert region.width >= need, (key, region)
            label = labels[t(label_key)]
            assert label.y == region.y and label.right <= region.x, key      # its word just before it
            assert all(not region.overlaps(other) for other in regions), key
            regions.append(region)
        table = app.query_one("#archive-table", DataTable)
        assert table.region.y >= max(r.bottom for r in regions) and table.region.height > 1
        # keyboard only: / to the form, tab along it, type a month, Enter searches
        table.focus()
        await pilot.press("slash", "tab", "tab", *"202506", "enter")
        await settle(pilot, lambda: tab.query_.month == "202506" and tab.page.total == 3)
        assert app.focused is app.query_one("#archive-month", Input)


async def test_at_80x24_the_table_has_the_keyboard_and_every_footer_key_fits(office):
    from textual.widgets._footer import FooterKey

    from tui_client.catalog import t
    from tui_client.ui import actions

    app = ArchiveApp(office)
    async with app.run_test(size=(80, 24)) as pilot:
        tab = app.query_one(ArchiveTab)
        await settle(pilot, lambda: tab.page.total == 7)
        tab.focus_first()
        await settle(pilot, lambda: app.focused is app.query_one("#archive-table"))
        keys = list(app.screen.query(FooterKey))
        wanted = {a.label for a in actions.actions_for("archive") if a.footer}
        assert wanted <= {k.description for k in keys}
        assert all(k.region.width and k.region.right <= 80 for k in keys), [(k.description, k.region) for k in keys]
        title = str(app.query_one("#archive-title").render())
        assert t("archive.tab.page_keys", next="n", prev="p") in title        # 7 records, 4 a page


async def test_at_80_columns_the_table_fits_and_the_detail_names_file_and_partner_whole(office):
    """Failed before: with the file name and a partner's name the table was wider than 80 columns
    and scrolled sideways. Now the name goes to the detail line below, the partner is cut with …
    where it must be and is on the detail line whole; a wide terminal shows both columns whole."""
    from rich.cells import cell_len
    from textual.widgets import Static

    from tui_client.core import wire

    long_name = "つなぎ居宅介護支援事業所　ひだまりの丘　北山出張所（テスト）"   # 56 cells
    office._remember({CM: wire.DirectoryEntry(CM, True, name=long_name)})
    app = ArchiveApp(office, page_size=8)
    async with app.run_test(size=(80, 24)) as pilot:
        tab = app.query_one(ArchiveTab)
        await settle(pilot, lambda: tab.page.total == 7)
        table = app.query_one("#archive-table", DataTable)

        def fits() -> bool:
            return table.virtual_size.width <= table.scrollable_content_region.width

        assert fits() and not table.name_shown
        table.focus()
        await pilot.press("down")
        await settle(pilot, lambda: table.cursor_row == 1)
        record = tab.selected()
        partner = record.partner.name or record.partner.office
        detail = str(app.query_one("#archive-detail", Static).render())
        assert record.name in detail and partner in detail
        assert partner == long_name
        shown = str(table.get_row_at(1)[6])
        assert shown.endswith("…") and partner.startswith(shown[:-1]) and cell_len(shown) < cell_len(partner)

        rows = [(r.partner.name or r.partner.office, r.name) for r in tab.page.items]
        wide = 2 + sum(max(cell_len(str(table.get_row_at(i)[c])) for i in range(table.row_count)) + 2
                       for c in range(6)) + max(cell_len(p) for p, _ in rows) + 2 + max(cell_len(n) for _, n in rows) + 2
        await pilot.resize_terminal(wide - 3, 40)        # a vertical scrollbar's room (2) kept: not yet
        await settle(pilot, lambda: table.get_row_at(1)[6] == partner)   # the partner whole, no name
        assert not table.name_shown and fits()
        await pilot.resize_terminal(wide + 2, 40)
        await settle(pilot, lambda: table.name_shown)
        assert fits() and table.get_row_at(1)[6] == partner and table.get_row_at(1)[-1] == record.name
        assert table.cursor_row == 1
        await pilot.resize_terminal(80, 24)
        await settle(pilot, lambda: not table.name_shown)
        assert fits() and table.cursor_row == 1
