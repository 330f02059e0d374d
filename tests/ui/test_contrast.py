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
    """Textual's own derivation (no overrides) gives placeholders < 7:1: the theme's ``variables``
    are what make it pass."""
    from textual.theme import Theme

    plain = Theme(name="plain", primary=CONTRAST.primary, background=CONTRAST.background,
                  foreground=CONTRAST.foreground, dark=True)
    pairs = (("placeholder", "$text-disabled", "$background"),)
    assert all(r < 7.0 for _, r in pair_ratios(plain, pairs))


def test_app_still_exports_the_theme_and_marks_itself_in_contrast():
    from tui_client.ui.app import CONTRAST as from_app

    assert from_app is CONTRAST


async def test_the_tab_bar_is_painted_at_full_strength_in_the_contrast_theme(tmp_path):
    from fixed import FixedServices
    from uihelp import settle
    from tui_client.ui.app import TsunagiApp
    from tui_client.ui.settings import AppSettings
    from tui_client.ui.widgets.tabbar import TabBar

    app = TsunagiApp(FixedServices(), settings=AppSettings(theme="tsunagi-contrast"), home=str(tmp_path), poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.has_class("-high-contrast")
        black = Color.parse("#000000")
        bar = app.query_one(TabBar)
        back = black + bar.styles.background            # translucent colours as they are painted
        fore = back + bar.styles.color
        assert contrast_ratio(fore, back) >= 7          # inactive labels
        # the active label is the same two colours reversed, and in brackets (not colour alone)
        line = bar.render()
        active = [span for span in line.spans if "reverse" in str(span.style)]
        assert len(active) == 1 and line.plain[active[0].start:active[0].end] == "[ホーム F1]"
