"""Two PCs of one office see the same inbox (issue 15): a real relay on loopback, the care
manager's office set up on two PCs (one keystore, two home folders, hence two device ids), a
provider sends its 実績; PC 1's app receives it, then PC 2's app (a second TsunagiApp run) lists the
same item with the words 他のPCで受信済み, and the provider's 送信 tab shows 受信済み once."""

from __future__ import annotations

import pytest
from textual.geometry import Region
from textual.widgets import DataTable, Static

from uihelp import settle, table_column
from tui_client.catalog import t
from tui_client.office.models import OutboxState
from tui_client.ui.app import TsunagiApp
from tui_client.ui.screens.inbox import other_pc_words
from tui_client.ui.screens.preview import PreviewScreen
from tui_client.ui.services import Services

pytestmark = pytest.mark.anyio


async def _inbox_of(office, home, size=(80, 24), screenshot=None):
    """Run the office's app on its PC: poll once, open the 受信 tab; (items, kinds in the table,
    the visible detail lines of the first row, spaces dropped: wrapping may fall on one)."""
    app = TsunagiApp(Services(office), home=str(home), poll=False)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        app.refresh_now()
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert app.active_tab() == "inbox"
        tab = app.query_one("#tab-inbox")
        tab.reload()
        await settle(pilot)
        table = app.query_one("#inbox-table", DataTable)
        kinds = [c.strip() for c in table_column(table, 4)]
        shown = app.query_one("#inbox-detail", Static)
        # what the terminal shows of it (its visible lines, wrapped), not the text it was given
        region = Region(0, 0, shown.size.width, shown.size.height)
        detail = "".join(strip.text for strip in shown.render_lines(region)).replace(" ", "")
        if screenshot:
            app.save_screenshot(str(screenshot))
        await pilot.press("enter")                         # the preview's header says it too
        await settle(pilot)
        assert isinstance(app.screen, PreviewScreen)
        head = str(app.screen.query_one("#preview-head", Static).render())
        return list(tab.page.items), kinds, detail, head


async def test_a_second_pc_of_the_office_sees_the_same_inbox(open_office, tmp_path):
    from tui_client.cli.demo import month_files

    pc1, pc2 = open_office("cm", "cm-pc1"), open_office("cm", "cm-pc2")
    homecare, day = open_office("homecare", "homecare-pc"), open_office("day-main", "day-pc")
    assert pc1.device != pc2.device                       # two PCs, one keystore
    assert pc1.keystore.certificate == pc2.keystore.certificate
    _, actuals = month_files({"cm": pc1, "homecare": homecare, "day-main": day}, "202505")
    assert not pc1.register()
    report = homecare.send([actuals["homecare"]])
    assert report.sent, report.findings
    name = actuals["homecare"][0]

    first, kinds1, detail1, head1 = await _inbox_of(pc1, tmp_path / "cm-pc1")
    assert [i.name for i in first] == [name] and kinds1 == [t("kind.UPJSK")]
    assert first[0].other_pc_received_at is None           # PC 1 was the first
    mark = t("pcs.other_pc_received", time="").split("（")[0]
    assert mark not in detail1 and mark not in head1

    second, kinds2, detail2, head2 = await _inbox_of(pc2, tmp_path / "cm-pc2", screenshot=tmp_path / "pc2.svg")
    assert [i.name for i in second] == [name] and kinds2 == kinds1
    item = second[0]
    assert item.content_sha256 == first[0].content_sha256
    assert item.other_pc_received_at is not None
    assert other_pc_words(item, wide=False).replace(" ", "") in detail2, detail2
    assert other_pc_words(item) in head2, head2

    # each PC got it once: polling again brings nothing new to either
    assert pc1.receive().received == [] and pc2.receive().received == []
    assert pc2.inbox().total == pc1.inbox().total == 1

    # the sender sees one 受信済み, at the first PC's time (the relay keeps the first receipt)
    app = TsunagiApp(Services(homecare), home=str(tmp_path / "homecare-pc"), poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        app.refresh_now()
        await settle(pilot)
        outbox = app.query_one("#tab-outbox")
        assert [(i.name, i.state) for i in outbox.items] == [(name, OutboxState.RECEIVED)]
        assert table_column(app.query_one("#outbox-table", DataTable), 0) == ["✓ " + t("state.outbox.received")]
    (sent,) = homecare.client.sent()
    assert sent.received_at.startswith(item.other_pc_received_at.strftime("%Y-%m-%dT%H:%M:%S"))
