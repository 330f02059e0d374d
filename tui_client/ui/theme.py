"""The high-contrast theme and the arithmetic that proves it: WCAG 2.x contrast ≥ 7:1 (level AAA) for
every text colour on every background the theme paints, including the CSS variables Textual derives
from it (footer, tabs, cursor, selection).

``CONTRAST_PAIRS`` lists those pairs as Textual CSS colour expressions (``$foreground``,
``$foreground 50%``, ``auto 87%``); ``pair_ratios`` resolves them the way Textual paints them (a
translucent colour is laid over the background under it; ``auto`` is the contrasting black or white)
and a test keeps every ratio at 7 or more. When a widget's own stylesheet uses a faint colour,
``app.tcss`` overrides it under the App class ``-high-contrast``, and the pair here names the colour
we paint instead. The tab bar (ui/widgets/tabbar.py) is ``$foreground`` on ``$background``, the active
label reversed.

Pure: Textual's ``Theme`` and ``Color`` only; no widget, no app.
"""

from __future__ import annotations

from typing import Dict, List, Mapping, Tuple

from textual.color import Color
from textual.theme import Theme

#: The App class set while the contrast theme is on (app.tcss brightens faint widget colours under it).
CONTRAST_CLASS = "-high-contrast"

#: Black and white with one bright accent; every state also has a word and a mark on screen.
CONTRAST = Theme(
    name="tsunagi-contrast",
    primary="#ffff00",
    secondary="#00ffff",
    accent="#ffff00",
    foreground="#ffffff",
    background="#000000",
    surface="#000000",
    panel="#000000",
    success="#00ff00",
    warning="#ffff00",
    error="#ff8a8a",
    dark=True,
    variables={
        # Textual derives these as translucent or dimmed colours; at full strength they keep 7:1.
        "text-muted": "#c8c8c8",
        "text-disabled": "#b4b4b4",
        "foreground-muted": "#c8c8c8",
        "foreground-disabled": "#b4b4b4",
        "input-selection-background": "#0000c0",
        "input-selection-foreground": "#ffffff",
        "block-cursor-blurred-background": "#3c3c3c",
        "block-cursor-blurred-foreground": "#ffffff",
        "footer-key-foreground": "#ffff00",
        "footer-description-foreground": "#ffffff",
    },
)

#: (what, text colour, background colour): every text-on-background pair the contrast theme paints.
CONTRAST_PAIRS: Tuple[Tuple[str, str, str], ...] = tuple(
    [(f"{fg} on {bg}", f"${fg}", f"${bg}")
     for fg in ("foreground", "primary", "secondary", "accent", "success", "warning", "error",
                "text-primary", "text-secondary", "text-accent", "text-success", "text-warning", "text-error",
                "text-muted", "text-disabled", "foreground-muted", "foreground-disabled")
     for bg in ("background", "surface", "panel", "surface-lighten-1", "boost", "surface-active")]
    + [
        ("text on background", "$text", "$background"),
        ("text on surface", "$text", "$surface"),
        ("footer", "$footer-foreground", "$footer-background"),
        ("footer key", "$footer-key-foreground", "$footer-background"),
        ("footer description", "$footer-description-foreground", "$footer-background"),
        ("footer key hover", "$footer-key-foreground", "$block-hover-background"),
        ("button", "$button-foreground", "$surface"),
        ("tab bar (inactive label)", "$foreground", "$background"),
        ("tab bar (active label, reverse video)", "$background", "$foreground"),
        ("cursor (focused list)", "$block-cursor-foreground", "$block-cursor-background"),
        ("cursor (blurred list)", "$block-cursor-blurred-foreground", "$block-cursor-blurred-background"),
        ("input cursor", "$input-cursor-foreground", "$input-cursor-background"),
        ("input selection", "$input-selection-foreground", "$input-selection-background"),
        ("primary button", "$button-color-foreground", "$primary"),
        ("link", "$link-color", "$background"),
        ("markdown heading", "$markdown-h1-color", "$background"),
    ]
)


def relative_luminance(color: Color) -> float:
    """WCAG 2.x relative luminance of an opaque sRGB colour."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.r) + 0.7152 * channel(color.g) + 0.0722 * channel(color.b)


def contrast_ratio(fg: Color, bg: Color) -> float:
    a, b = relative_luminance(fg), relative_luminance(bg)
    hi, lo = max(a, b), min(a, b)
    return (hi + 0.05) / (lo + 0.05)


def resolve(expr: str, variables: Mapping[str, str], under: Color) -> Color:
    """An opaque colour for a Textual CSS colour expression painted over ``under``.

    ``$name`` looks up a theme variable (itself an expression); a trailing ``N%`` is an alpha;
    ``auto`` is Textual's contrasting text colour for ``under``; ``transparent`` shows ``under``."""
    parts = expr.split()
    alpha = 1.0
    if len(parts) == 2 and parts[1].endswith("%"):
        alpha = float(parts[1][:-1]) / 100
    token = parts[0]
    if token.startswith("$"):
        return resolve(variables[token[1:]], variables, under) if alpha == 1.0 else (
            under + resolve(variables[token[1:]], variables, under).with_alpha(alpha))
    if token in ("transparent", "initial", "ansi_default"):
        return under
    if token == "auto":
        color = under.get_contrast_text(alpha)
    else:
        color = Color.parse(token)
        if alpha != 1.0:
            color = color.with_alpha(color.a * alpha)
    return (under + color).with_alpha(1.0)


def pair_ratios(theme: Theme = CONTRAST,
                pairs: Tuple[Tuple[str, str, str], ...] = CONTRAST_PAIRS) -> List[Tuple[str, float]]:
    """``(what, contrast ratio)`` for each pair, as the theme paints it over its background."""
    variables: Dict[str, str] = theme.to_color_system().generate()
    base = Color.parse(variables["background"])
    out = []
    for what, fg, bg in pairs:
        back = resolve(bg, variables, base)
        out.append((what, contrast_ratio(resolve(fg, variables, back), back)))
    return out
