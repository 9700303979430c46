"""The roads grid edges follow: OSM highway classes that bound blocks, not the paths inside them."""
from __future__ import annotations

__all__ = ["ROAD_CLASSES", "is_block_road"]

# OSM highway classes grid edges follow; footways, paths, cycleways and service lanes are too fine.
ROAD_CLASSES = frozenset({"motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential",
                          "living_street", "motorway_link", "trunk_link", "primary_link", "secondary_link",
                          "tertiary_link"})


def is_block_road(props: dict, geom) -> bool:
    """True for a line a grid edge should follow: any line without a ``highway`` tag, else a class above."""
    return (geom is not None and geom.geom_type in ("LineString", "MultiLineString")
            and ("highway" not in props or props.get("highway") in ROAD_CLASSES))
