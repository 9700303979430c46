"""Frontages (门前三包): the units responsible for the zone in front of their premises.

The domain of the second kind of responsible party, in a metric CRS and free of storage:
what a frontage is (:mod:`.model`), its geometry (:mod:`.geometry`: length, the road faced,
shop points to fronts, pieces per grid) and the zone rule (:mod:`.zones`: the fronts and zones
of buildings along a road layer) and the frontage gap per grid (:mod:`.gap`).
"""
from __future__ import annotations

from .gap import GAP_COLUMNS, frontage_gap, frontage_pieces, signed_pct, unregistered_length
from .geometry import PIECE_COLUMNS, frontage_length, nearest_road, points_to_segments, split_by_grids
from .model import (ITEM_SETS, LIABLE, ROAD_KINDS, STATUSES, UNIT_KINDS, UNSIGNED_STATUSES, check_credit_code,
                    effective_status, effective_statuses, expiring, road_kind)
from .zones import ZONE_COLUMNS, ZONE_RULES, ZoneRules, derive_zones

__all__ = ["ITEM_SETS", "STATUSES", "UNSIGNED_STATUSES", "UNIT_KINDS", "LIABLE", "ROAD_KINDS", "ZONE_RULES",
           "ZoneRules", "ZONE_COLUMNS", "derive_zones", "PIECE_COLUMNS", "effective_status", "effective_statuses", "expiring",
           "check_credit_code", "road_kind", "frontage_length", "nearest_road", "points_to_segments",
           "split_by_grids", "GAP_COLUMNS", "frontage_gap", "frontage_pieces", "signed_pct", "unregistered_length"]
