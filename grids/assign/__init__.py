"""Grid assignment: draw grids that tile a community with balanced households, staff them by the rules.

Pure domain code in a metric CRS: :mod:`.atoms` cuts a community into pieces, :mod:`.partition`
groups them into contiguous compact grids within household bounds, :mod:`.draw` makes the
proposal and its report, :mod:`.households` estimates households from footprints, :mod:`.roads`
picks the roads grid edges follow, and :mod:`.staff` assigns people to posts with a min-cost flow.
"""
from __future__ import annotations

from .atoms import Atoms, blocks_of, make_atoms
from .draw import DrawnGrids, building_points, draw_grids, match_codes, polsby_popper, summary
from .households import (ESTIMATE_NOTE, building_levels, estimate_from_properties, estimate_households,
                         osm_levels)
from .partition import Bounds, partition
from .roads import ROAD_CLASSES, is_block_road

__all__ = ["Atoms", "Bounds", "DrawnGrids", "ESTIMATE_NOTE", "ROAD_CLASSES", "blocks_of", "building_levels",
           "building_points", "draw_grids", "estimate_from_properties", "estimate_households", "is_block_road",
           "make_atoms", "match_codes", "osm_levels", "partition", "polsby_popper", "summary"]
