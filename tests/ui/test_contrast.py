"""The high-contrast theme, measured: WCAG 2.x contrast of at least 7:1 (AAA) for every text colour on
every background the theme paints, the derived CSS variables included (footer, tabs, cursor,
selection), computed from the theme's own colours with Textual's ``Color``."""

from __future__ import annotations

import pytest
from textual.color import Color

from tui_client.ui.theme import CONTRAST, CONTRAST_PAIRS, contrast_ratio, pair_ratios, resolve

pytestmark = pytest.mark.anyio


def test_the_arithmetic_matches_wcag_reference_values():
    assert contrast_ratio(Color.parse("#ffffff"), Color.parse("#000000")) == pytest.approx(21.0)
    assert contrast_ratio(Color.parse("#777777"), Color.parse("#ffffff")) == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio(Color.parse("#000000"), Color.parse("#000000")) == pytest.approx(1.0)
    variables = {"foreground": "#ffffff", "x": "$foreground 50%"}
    assert resolve("$x", variables, Color.parse("#000000")) == Color(128, 128, 128) or \
        resolve("$x", variables, Color.parse("#000000")) == Color(127, 127, 127)
    assert resolve("auto 87%", {}, Color.parse("#ffff00")).brightness < 0.2      # dark text on yellow


def test_every_pair_the_contrast_theme_paints_is_at_least_7_to_1():
    ratios = pair_ratios()
    assert len(ratios) == len(CONTRAST_PAIRS) > 100
    low = [(what, round(r, 2)) for what, r in ratios if r < 7.0]
    assert low == []


def test_the_derived_variables_named_in_the_pairs_exist():
    generated = CONTRAST.to_color_system().generate()
    for _, fg, bg in CONTRAST_PAIRS:
        for expr in (fg, bg):
            assert expr.split()[0][1:] in generated, expr


def test_the_default_faint_colours_would_fail_so_the_overrides_matter():
    """Textual's own derivation (no overrides) gives inactive tabs and placeholders < 7:1: the theme's
    ``variables`` and app.tcss's ``-high-contrast`` rules are what make it pass."""
    from textual.theme import Theme

    plain = Theme(name="plain", primary=CONTRAST.primary, background=CONTRAST.background,
                  foreground=CONTRAST.foreground, dark=True)
    pairs = (("inactive tab as Textual paints it", "$foreground 50%", "$background"),
             ("placeholder", "$text-disabled", "$background"))
    assert all(r < 7.0 for _, r in pair_ratios(plain, pairs))


def test_app_still_exports_the_theme_and_marks_itself_in_contrast():
    from tui_client.ui.app import CONTRAST as from_app

    assert from_app is CONTRAST


async def test_inactive_tabs_are_painted_at_full_strength_in_the_contrast_theme(tmp_path):
    from textual.widgets import Tab

    from fixed import FixedServices
    from uihelp import settle
    from tui_client.ui.app import TsunagiApp
    from tui_client.ui.settings import AppSettings

    app = TsunagiApp(FixedServices(), settings=AppSettings(theme="tsunagi-contrast"), home=str(tmp_path), poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.has_class("-high-contrast")
        black = Color.parse("#000000")
        tabs = list(app.query(Tab))
        assert len(tabs) >= 4 and any(not tab.has_class("-active") for tab in tabs)
        for tab in tabs:
            back = black + tab.styles.background        # translucent colours as they are painted
            assert contrast_ratio(back + tab.styles.color, back) >= 7, tab
