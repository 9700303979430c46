"""The colours the map draws in: one table for the Python layers and, through the page, the viewer's JS."""
from __future__ import annotations

__all__ = ["STATUS_COLORS", "status_color"]

#: staffing status of a grid (grids.staffing) -> its colour on every map and legend; viewer.js reads
#: this table from the page (``data-status-colors`` on the viewer's body), never from a copy of its own
STATUS_COLORS = {"complete": "#1a9641", "short": "#f08c00", "unstaffed": "#d7191c"}
UNKNOWN_COLOR = "#3388ff"


def status_color(status: str | None) -> str:
    """Return the colour of a staffing status (Leaflet's default blue for one the table does not know)."""
    return STATUS_COLORS.get(status or "", UNKNOWN_COLOR)
