"""The review's colours, shared by the page, the PDF and (as CSS variables) review.css."""

from __future__ import annotations

GOOD, BAD, MUTED = "#1e7b53", "#c0392b", "#6b7684"  # better, worse, grey (small or within chance)
INK_HEX = "#1d2430"


def rgb(hex_colour: str) -> tuple[int, int, int]:
    """'#1e7b53' -> (30, 123, 83)."""
    digits = hex_colour.lstrip("#")
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


INK, SOFT = rgb(INK_HEX), rgb(MUTED)
