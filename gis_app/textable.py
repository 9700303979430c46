"""Plain-text tables that line up Chinese (double-width) characters in a terminal."""
from __future__ import annotations

import unicodedata

__all__ = ["display_width", "render_table"]


def display_width(text: str) -> int:
    """Return how many terminal columns ``text`` takes (CJK wide characters count 2)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def render_table(headers: list[str], rows: list[list]) -> str:
    """Return rows under headers, each column padded to its widest cell."""
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([display_width(h)] + [display_width(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(_pad(h, w) for h, w in zip(headers, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(_pad(c, w) for c, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)
