"""The colours the map draws in: one table for the Python layers and, through the page, the viewer's JS."""
from __future__ import annotations

__all__ = ["LAYER_STATUS_COLORS", "STATUS_COLORS", "FRONTAGE_STATUS_COLORS", "PLACE_COLOR", "status_color",
           "frontage_color"]

#: layer -> status -> its colour on every map and legend. viewer.js reads this one table from the page
#: (``data-status-colors`` on the viewer's body), never from a copy of its own; the names below are
#: views into it, not copies.
LAYER_STATUS_COLORS = {
    # staffing status of a grid (grids.staffing)
    "grids": {"complete": "#1a9641", "short": "#f08c00", "unstaffed": "#d7191c"},
    # effective status of a 门前三包 frontage (grids.frontages: signed past expires_on is expired)
    "frontages": {"signed": "#1b7837", "expired": "#e66101", "refused": "#b2182b", "not_visited": "#7f7f7f"},
}
STATUS_COLORS = LAYER_STATUS_COLORS["grids"]
FRONTAGE_STATUS_COLORS = LAYER_STATUS_COLORS["frontages"]
PLACE_COLOR = "#2166ac"   # the outline of a place drawn as a polygon (urban village, old compound, site)
UNKNOWN_COLOR = "#3388ff"


def status_color(status: str | None) -> str:
    """Return the colour of a staffing status (Leaflet's default blue for one the table does not know)."""
    return STATUS_COLORS.get(status or "", UNKNOWN_COLOR)


def frontage_color(status: str | None) -> str:
    """Return the colour of a frontage's effective status (Leaflet's default blue for an unknown one)."""
    return FRONTAGE_STATUS_COLORS.get(status or "", UNKNOWN_COLOR)
