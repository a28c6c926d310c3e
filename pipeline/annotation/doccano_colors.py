"""How far apart the label colours look in Doccano, so that an annotator never mistakes one label for another.

Doccano 1.8.4 draws a span's label colour at 60 % opacity over the white page, which washes colours out: two
labels that differ clearly as hex codes can look alike in the editor. The contract kept here: every pair of the
scheme's colours, as rendered, is at least ``MIN_DELTA_E`` apart in CIEDE2000 (the CIE's current colour-difference
formula; 1 is a just-noticeable difference). Pure functions, no dependencies, checked by the tests.
"""

from __future__ import annotations

import itertools
import math

RENDERED_OPACITY = 0.6
MIN_DELTA_E = 30.0

RGB = tuple[float, float, float]
LAB = tuple[float, float, float]


def hex_rgb(color: str) -> RGB:
    """``#rrggbb`` as three numbers in 0–255."""
    value = color.lstrip("#")
    if len(value) != 6:
        raise ValueError(f"{color!r}: expected #rrggbb")
    return tuple(float(int(value[i : i + 2], 16)) for i in (0, 2, 4))  # type: ignore[return-value]


def rendered(color: str, opacity: float = RENDERED_OPACITY, background: RGB = (255.0, 255.0, 255.0)) -> RGB:
    """The colour on screen: ``color`` at ``opacity`` over ``background``, blended in sRGB as browsers do."""
    return tuple(opacity * c + (1 - opacity) * b for c, b in zip(hex_rgb(color), background))  # type: ignore[return-value]


def _linear(c: float) -> float:
    """An sRGB channel (0–255) as linear light (0–1)."""
    c /= 255.0
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def srgb_to_lab(rgb: RGB) -> LAB:
    """CIE L*a*b* (D65 white) of an sRGB colour given in 0–255."""
    r, g, b = (_linear(c) for c in rgb)
    x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047
    y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b
    z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29

    fx, fy, fz = f(x), f(y), f(z)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def ciede2000(lab1: LAB, lab2: LAB) -> float:
    """ΔE00 between two L*a*b* colours (Sharma, Wu and Dalal 2005, with kL = kC = kH = 1)."""
    l1, a1, b1 = lab1
    l2, a2, b2 = lab2
    c_mean = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_mean**7 / (c_mean**7 + 25**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360 if c2p else 0.0
    dl, dc = l2 - l1, c2p - c1p
    if c1p * c2p == 0:
        dh = 0.0
    elif abs(h2p - h1p) <= 180:
        dh = h2p - h1p
    else:
        dh = h2p - h1p - 360 if h2p > h1p else h2p - h1p + 360
    dh_big = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2))
    l_mean, cp_mean = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        h_mean = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        h_mean = (h1p + h2p) / 2
    else:
        h_mean = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (
        1
        - 0.17 * math.cos(math.radians(h_mean - 30))
        + 0.24 * math.cos(math.radians(2 * h_mean))
        + 0.32 * math.cos(math.radians(3 * h_mean + 6))
        - 0.20 * math.cos(math.radians(4 * h_mean - 63))
    )
    d_theta = 30 * math.exp(-(((h_mean - 275) / 25) ** 2))
    r_c = 2 * math.sqrt(cp_mean**7 / (cp_mean**7 + 25**7))
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / math.sqrt(20 + (l_mean - 50) ** 2)
    s_c = 1 + 0.045 * cp_mean
    s_h = 1 + 0.015 * cp_mean * t
    r_t = -math.sin(math.radians(2 * d_theta)) * r_c
    return math.sqrt((dl / s_l) ** 2 + (dc / s_c) ** 2 + (dh_big / s_h) ** 2 + r_t * (dc / s_c) * (dh_big / s_h))


def rendered_delta_e(color1: str, color2: str) -> float:
    """ΔE00 between two label colours as Doccano shows them."""
    return ciede2000(srgb_to_lab(rendered(color1)), srgb_to_lab(rendered(color2)))


def relative_luminance(color: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb``."""
    r, g, b = (_linear(c) for c in hex_rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def text_color(background: str) -> str:
    """Black or white, whichever contrasts more with ``background`` (Doccano writes label names on their colour)."""
    lum = relative_luminance(background)
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#ffffff"


def closest_pairs(colors: dict[str, str]) -> list[tuple[float, str, str]]:
    """Every pair of labels with the rendered ΔE00 between their colours, closest first."""
    return sorted((rendered_delta_e(colors[a], colors[b]), a, b) for a, b in itertools.combinations(colors, 2))
