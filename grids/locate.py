"""Which grid holds a point: an STRtree bounding-box query, then prepared contains_xy.

The index is immutable (shapely's STRtree): callers rebuild it when the register changes
and cache it per register version.
"""
from __future__ import annotations

import numpy as np
import shapely

__all__ = ["GridIndex"]


class GridIndex:
    """Point-in-grid look-ups over a fixed set of grid geometries (EPSG:4326)."""

    def __init__(self, codes, geometries):
        self.codes = np.asarray(list(codes), dtype=object)
        self.geometries = np.asarray(list(geometries), dtype=object)
        if len(self.codes) != len(self.geometries):
            raise ValueError(f"{len(self.codes)} codes but {len(self.geometries)} geometries")
        shapely.prepare(self.geometries)
        self.tree = shapely.STRtree(self.geometries)

    def __len__(self) -> int:
        return len(self.codes)

    def locate_xy(self, lon, lat) -> np.ndarray:
        """Return the grid code holding each (lon, lat) point, or None where no grid does.

        A point inside two overlapping grids gets one of them: writes refuse overlaps, so
        that happens only inside the tolerance.
        """
        lon = np.asarray(lon, dtype="float64")
        lat = np.asarray(lat, dtype="float64")
        if lon.shape != lat.shape or lon.ndim != 1:
            raise ValueError(f"lon and lat must be 1-D arrays of one length, got {lon.shape} and {lat.shape}")
        result = np.full(len(lon), None, dtype=object)
        if not len(self.codes) or not len(lon):
            return result
        pidx, gidx = self._candidates(lon, lat)
        hit = shapely.contains_xy(self.geometries[gidx], lon[pidx], lat[pidx])
        result[pidx[hit]] = self.codes[gidx[hit]]
        return result

    def locate(self, lon: float, lat: float):
        """Return the code of the grid holding one point, or None."""
        return self.locate_xy([lon], [lat])[0]

    def query_bbox(self, minx, miny, maxx, maxy) -> np.ndarray:
        """Return the codes of grids that intersect a lon/lat box."""
        box = shapely.box(minx, miny, maxx, maxy)
        idx = self.tree.query(box, predicate="intersects")
        return self.codes[np.sort(idx)]

    def _candidates(self, lon, lat):
        points = shapely.points(lon, lat)
        pidx, gidx = self.tree.query(points)
        return pidx, gidx
