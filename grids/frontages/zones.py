"""The zone in front of a building (门前三包责任区) and the rules that size it.

The usual city rule: from the building's wall base to the kerb on main roads, to the road
centreline on lanes, sideways to the neighbour's wall (the building's own extent).
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ZoneRules", "ZONE_RULES"]


@dataclass(frozen=True)
class ZoneRules:
    """How deep a frontage zone reaches, and which building sides face a road.

    A main road's zone ends at the kerb, half the road's width from its centreline (the road's
    ``width_m``, else ``main_width_m``); a lane's at its centreline. No zone is deeper than
    ``max_depth_m``; a side farther than ``max_distance_m`` from every road faces none.
    """

    main_width_m: float = 20.0
    lane_width_m: float = 6.0
    max_depth_m: float = 30.0
    max_distance_m: float = 40.0

    def default_width(self, kind: str) -> float:
        return self.main_width_m if kind == "main" else self.lane_width_m


ZONE_RULES = ZoneRules()
