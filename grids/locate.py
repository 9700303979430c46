"""Which grid holds a point: a bounding-box index query, then prepared contains_xy.

:class:`GridIndex` is shapely's immutable STRtree, for bulk look-ups (a million points, the
reports); callers build it again when the register changes. :class:`LiveGridIndex` is an
``rtree`` index patched in place grid by grid, for the running app's tiles and ``locate``.
:class:`ResponsibleIndex` answers which frontage (or key place) is responsible at a point.
"""
from __future__ import annotations

import threading

import numpy as np
import rtree
import shapely

__all__ = ["GridIndex", "LiveGridIndex", "ResponsibleIndex"]


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


class LiveGridIndex:
    """Grids in an ``rtree`` (libspatialindex) index that one insert, update or retire patches in place.

    The running app's index for map tiles and single-point ``locate``: changing one grid costs
    microseconds, where :class:`GridIndex` (an immutable STRtree, faster for bulk queries) is
    built again whole. Geometries are EPSG:4326; each grid keeps a slot (its rtree id), reused
    when the grid changes, freed when it is removed.
    """

    def __init__(self, codes=(), geometries=()):
        codes = list(codes)
        geometries = np.asarray(list(geometries), dtype=object)
        if len(codes) != len(geometries):
            raise ValueError(f"{len(codes)} codes but {len(geometries)} geometries")
        self._lock = threading.RLock()
        self._slot = {code: i for i, code in enumerate(codes)}
        self._codes = np.array(codes + [None] * max(16, len(codes)), dtype=object)
        self._geoms = np.full(len(self._codes), None, dtype=object)
        self._geoms[: len(codes)] = geometries
        self._free: list[int] = list(range(len(self._codes) - 1, len(codes) - 1, -1))
        if len(geometries):
            shapely.prepare(geometries)
        bounds = shapely.bounds(geometries) if len(geometries) else np.empty((0, 4))
        stream = ((i, tuple(b), None) for i, b in enumerate(bounds))
        self._tree = rtree.index.Index(stream) if len(codes) else rtree.index.Index()
        if len(codes):  # the first delete from a bulk-loaded tree costs ~10 ms: pay it here, not at the first edit
            self._tree.delete(0, tuple(bounds[0]))
            self._tree.insert(0, tuple(bounds[0]))

    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, code) -> bool:
        return code in self._slot

    def upsert(self, code: str, geometry) -> None:
        """Add a grid, or replace the outline of one already indexed."""
        shapely.prepare(geometry)
        with self._lock:
            slot = self._slot.get(code)
            if slot is not None:
                self._tree.delete(slot, shapely.bounds(self._geoms[slot]).tolist())
            else:
                slot = self._take_slot()
                self._slot[code] = slot
                self._codes[slot] = code
            self._geoms[slot] = geometry
            self._tree.insert(slot, shapely.bounds(geometry).tolist())

    def remove(self, code: str) -> None:
        """Take a grid out of the index (retired); unknown codes are ignored."""
        with self._lock:
            slot = self._slot.pop(code, None)
            if slot is None:
                return
            self._tree.delete(slot, shapely.bounds(self._geoms[slot]).tolist())
            self._codes[slot] = self._geoms[slot] = None
            self._free.append(slot)

    def _take_slot(self) -> int:
        if not self._free:
            size = len(self._codes)
            self._codes = np.concatenate([self._codes, np.full(size, None, dtype=object)])
            self._geoms = np.concatenate([self._geoms, np.full(size, None, dtype=object)])
            self._free = list(range(2 * size - 1, size - 1, -1))
        return self._free.pop()

    def locate(self, lon: float, lat: float):
        """Return the code of the grid holding one point (the smallest code if two do), or None."""
        with self._lock:
            slots = np.fromiter(self._tree.intersection((lon, lat, lon, lat)), dtype=np.int64)
            if not len(slots):
                return None
            hit = slots[shapely.contains_xy(self._geoms[slots], lon, lat)]
            return min(self._codes[hit]) if len(hit) else None

    def query_bbox(self, minx, miny, maxx, maxy) -> tuple[np.ndarray, np.ndarray]:
        """Return (codes, geometries) of the grids intersecting a lon/lat box, ordered by code."""
        with self._lock:
            slots = np.fromiter(self._tree.intersection((minx, miny, maxx, maxy)), dtype=np.int64)
            if len(slots):
                slots = slots[shapely.intersects(self._geoms[slots], shapely.box(minx, miny, maxx, maxy))]
            codes, geoms = self._codes[slots], self._geoms[slots]
        order = sorted(range(len(codes)), key=codes.__getitem__)
        return codes[order], geoms[order]


class ResponsibleIndex:
    """Which shape answers for a point, in a metric CRS: the polygon holding it, else the nearest line near it.

    For frontages (门前三包): a zone polygon holding the point, or a front line within ``tolerance``
    metres of it (the pavement in front of a shop). For key places: only a polygon holding it
    (``tolerance`` 0; a place drawn as a point holds nothing). Geometries are in one projected CRS
    in metres; None entries are skipped.
    """

    def __init__(self, geometries):
        self.geometries = np.asarray(list(geometries), dtype=object)
        present = ~shapely.is_missing(self.geometries) if len(self.geometries) else np.zeros(0, dtype=bool)
        self._at = np.flatnonzero(present)
        shapely.prepare(self.geometries[self._at])
        self.tree = shapely.STRtree(self.geometries[self._at])

    def __len__(self) -> int:
        return len(self._at)

    def responsible(self, x: float, y: float, tolerance: float = 0.0) -> tuple[int, float] | None:
        """Return (position, distance in metres) of the shape answering for (x, y), or None.

        A polygon holding the point answers first (distance 0; the smallest of several); then the
        line nearest the point within ``tolerance``; ties go to the lower position.
        """
        if not len(self._at):
            return None
        point = shapely.Point(x, y)
        found = self._at[self.tree.query(point, predicate="dwithin", distance=tolerance)] if tolerance > 0 else \
            self._at[self.tree.query(point, predicate="intersects")]
        if not len(found):
            return None
        geoms = self.geometries[found]
        polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))
        holding = found[polygonal & shapely.intersects(geoms, point)]
        if len(holding):
            areas = shapely.area(self.geometries[holding])
            return int(holding[np.lexsort((holding, areas))[0]]), 0.0
        lines = found[~polygonal & (shapely.get_dimensions(geoms) == 1)]
        if not len(lines) or tolerance <= 0:
            return None
        distance = shapely.distance(self.geometries[lines], point)
        best = np.lexsort((lines, distance))[0]
        return int(lines[best]), float(distance[best])
