"""Frontage geometry in a metric CRS: length, the road faced, shop points to fronts, pieces per grid.

Every function takes arrays of shapely geometries in one projected CRS in metres (callers
project with :func:`grids.crs.to_metric`) and is vectorised over them: no Python loop per
frontage except for the rare frontage counted twice where two grids overlap or share an edge.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

__all__ = ["frontage_length", "nearest_road", "points_to_segments", "split_by_grids", "PIECE_COLUMNS"]

PIECE_COLUMNS = ["frontage", "grid", "length_m", "geometry"]
_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)


def as_geometries(geoms, name: str) -> np.ndarray:
    """Geometries as a 1-d object array (a GeoSeries, a list, an array); refuse anything else."""
    out = np.asarray(getattr(geoms, "array", geoms), dtype=object)
    if out.ndim != 1:
        raise ValueError(f"{name} must be a 1-d sequence of geometries, not shape {out.shape}")
    crs = getattr(geoms, "crs", None)
    if crs is not None and crs.is_geographic:
        raise ValueError(f"{name} are in {crs.name}: frontages are measured in a projected CRS in metres")
    return out


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    return np.isin(shapely.get_type_id(geoms), _POLYGONAL)


def frontage_length(geoms) -> np.ndarray:
    """Street-facing length in metres: a line's length; a zone polygon's longer side.

    A polygon's longer side is that of its minimum rotated rectangle (a multipolygon sums its
    parts'); None or empty gives 0.
    """
    geoms = as_geometries(geoms, "geoms")
    out = np.nan_to_num(shapely.length(geoms), nan=0.0)
    zones = np.flatnonzero(_polygonal(geoms))
    if len(zones):
        parts, owner = shapely.get_parts(geoms[zones], return_index=True)
        np.put(out, zones, np.bincount(owner, _longer_side(parts), minlength=len(zones)))
    return out


def _longer_side(polygons: np.ndarray) -> np.ndarray:
    """The longer side of each polygon's minimum rotated rectangle (0 for a degenerate one)."""
    out = np.zeros(len(polygons))
    plain = _rectangles(polygons)  # most zones are rectangles already: their own sides
    boxes = polygons.copy()
    boxes[~plain] = shapely.oriented_envelope(polygons[~plain])
    rect = shapely.get_num_coordinates(boxes) == 5
    if rect.any():
        xy = shapely.get_coordinates(boxes[rect]).reshape(-1, 5, 2)
        sides = np.hypot(*np.moveaxis(np.diff(xy[:, :3], axis=1), 2, 0))
        out[rect] = sides.max(axis=1)
    out[~rect] = shapely.length(boxes[~rect])  # a degenerate envelope is a line or a point
    return out


def _rectangles(polygons) -> np.ndarray:
    """True for a polygon that is a rectangle without holes (its minimum rotated rectangle is itself)."""
    out = np.zeros(len(polygons), dtype=bool)
    four = np.flatnonzero((shapely.get_num_coordinates(polygons) == 5) & (shapely.get_num_interior_rings(polygons) == 0)
                          & (shapely.get_type_id(polygons) == 3))
    if len(four):
        xy = shapely.get_coordinates(polygons[four]).reshape(-1, 5, 2)
        edge = np.diff(xy, axis=1)
        size = np.hypot(edge[..., 0], edge[..., 1])
        dots = np.einsum("ijk,ijk->ij", edge, np.roll(edge, -1, axis=1))
        out[four] = (np.abs(dots) <= 1e-9 * size * np.roll(size, -1, axis=1)).all(axis=1) & (size > 0).all(axis=1)
    return out


def nearest_road(geoms, road_geoms, max_distance=None) -> tuple[np.ndarray, np.ndarray]:
    """The nearest road of each geometry and its distance in metres (an STRtree ``query_nearest``).

    Returns
    -------
    (numpy.ndarray of int, numpy.ndarray of float)
        The road's index, -1 where no road lies within ``max_distance`` (or there is none, or the
        geometry is missing), and the distance (NaN there).
    """
    geoms, roads = as_geometries(geoms, "geoms"), as_geometries(road_geoms, "road_geoms")
    index, distance = np.full(len(geoms), -1, dtype=np.intp), np.full(len(geoms), np.nan)
    present = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    if not len(present) or not len(roads):
        return index, distance
    (left, right), found = shapely.STRtree(roads).query_nearest(
        geoms[present], max_distance=max_distance, return_distance=True, all_matches=False)
    index[present[left]], distance[present[left]] = right, found
    return index, distance


def points_to_segments(points, widths_m, road_geoms, max_distance=None) -> np.ndarray:
    """Turn shop points with a front width into fronts: straight segments parallel to the nearest road.

    Each segment is ``widths_m`` long, centred on the point, which lies at its own distance from
    the road, on its own side: the road's projection of the point offset by that distance. Its
    direction is the road's chord over the front's width around the projection (the mean direction
    of a curved road there). None where no road is found.
    """
    points, roads = as_geometries(points, "points"), as_geometries(road_geoms, "road_geoms")
    widths = np.broadcast_to(np.asarray(widths_m, dtype=float), points.shape)
    if not np.all(np.isfinite(widths) & (widths > 0)):
        raise ValueError("widths_m must be positive numbers of metres")
    road, _ = nearest_road(points, roads, max_distance)
    out = np.full(len(points), None, dtype=object)
    found = np.flatnonzero(road >= 0)
    if len(found):
        out[found] = _segments(points[found], widths[found], roads[road[found]])
    return out


def _segments(points, widths, roads) -> np.ndarray:
    along = shapely.line_locate_point(roads, points)
    length = shapely.length(roads)
    ends = [shapely.get_coordinates(shapely.line_interpolate_point(roads, np.clip(along + k * widths / 2, 0, length)))
            for k in (-1, 1)]
    chord = ends[1] - ends[0]
    xy = shapely.get_coordinates(points)
    foot = shapely.get_coordinates(shapely.line_interpolate_point(roads, along))
    away = xy - foot  # perpendicular to the road's chord where the road is straight
    fallback = np.column_stack([-away[:, 1], away[:, 0]])  # a road shorter than a point: across the offset
    chord = np.where((np.hypot(*chord.T) > 1e-9)[:, None], chord, fallback)
    chord = np.where((np.hypot(*chord.T) > 1e-9)[:, None], chord, [1.0, 0.0])
    unit = chord / np.hypot(*chord.T)[:, None]
    half = unit * (widths / 2)[:, None]
    return shapely.linestrings(np.stack([xy - half, xy + half], axis=1))


def split_by_grids(frontage_geoms, grid_geoms) -> pd.DataFrame:
    """Cut frontages at grid boundaries: one row per (frontage, grid) piece with its street-facing length.

    A line piece counts its length; a zone polygon's piece its zone's :func:`frontage_length`
    times its share of the zone's area. A stretch inside two grids (overlapping grids, or a front
    drawn along a shared edge) counts once: a front wholly inside a grid goes whole to the first
    grid that covers it, and of a front cut by grid edges each grid gets what earlier ones did not.

    Returns
    -------
    pandas.DataFrame
        Columns frontage and grid (positions in the inputs), length_m, geometry (the piece);
        sorted by frontage, then grid.
    """
    fronts, cells = as_geometries(frontage_geoms, "frontage_geoms"), as_geometries(grid_geoms, "grid_geoms")
    usable = ~(shapely.is_missing(cells) | shapely.is_empty(cells))
    if not len(fronts) or not usable.any():
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(PIECE_COLUMNS, ("int64", "int64", float, object))})
    at = np.flatnonzero(usable)
    shapely.prepare(cells[at])
    left, right = shapely.STRtree(cells[at]).query(fronts)  # boxes that meet: candidates
    order = np.lexsort((at[right], left))
    left, right = left[order], at[right[order]]
    whole, left, right = _wholly_inside(fronts, cells, left, right)
    meets = shapely.intersects(cells[right], fronts[left])
    left, right = left[meets], right[meets]
    pieces = _once(fronts, left, _pieces(fronts[left], cells[right]))
    measure = np.concatenate([frontage_length(fronts[whole[0]]), _measure(fronts, left, pieces)])
    frame = pd.DataFrame({"frontage": np.concatenate([whole[0], left]).astype("int64"),
                          "grid": np.concatenate([whole[1], right]).astype("int64"), "length_m": measure,
                          "geometry": np.concatenate([fronts[whole[0]], pieces])})
    frame = frame[frame["length_m"].to_numpy() > 0]
    return frame.sort_values(["frontage", "grid"], kind="stable").reset_index(drop=True)


def _wholly_inside(fronts, cells, left, right):
    """Split the candidate pairs: fronts a grid covers go whole to the first such grid; the rest stay to cut."""
    covered = shapely.covers(cells[right], fronts[left])
    first = np.flatnonzero(covered)
    first = first[np.r_[True, left[first][1:] != left[first][:-1]]] if len(first) else first
    done = np.zeros(len(fronts), dtype=bool)
    done[left[first]] = True
    rest = ~done[left]
    return (left[first], right[first]), left[rest], right[rest]


def _pieces(fronts, cells) -> np.ndarray:
    """The part of each front inside its grid (fronts that cross a grid edge)."""
    out = shapely.intersection(fronts, cells)
    lines = np.flatnonzero(~_polygonal(fronts))  # a line meets a grid's edge in points too: keep its lines
    out[lines] = _lines_of(out[lines])
    return out


def _lines_of(geoms) -> np.ndarray:
    parts, owner = shapely.get_parts(geoms, return_index=True)
    keep = shapely.get_dimensions(parts) == 1
    out = np.full(len(geoms), None, dtype=object)
    if keep.any():
        shapely.multilinestrings(parts[keep], indices=owner[keep], out=out)
        taken = np.unique(owner[keep])
        out[taken] = shapely.line_merge(out[taken])
    return out


def _amount(geoms) -> np.ndarray:
    """What a piece holds of its frontage: length for lines, area for zones."""
    return np.where(_polygonal(geoms), shapely.area(geoms), np.nan_to_num(shapely.length(geoms), nan=0.0))


def _once(fronts, left, pieces) -> np.ndarray:
    """Where a frontage's pieces hold more than the frontage (grids overlap), take later grids' share off."""
    total = _amount(fronts)
    held = np.bincount(left, np.nan_to_num(_amount(pieces)), minlength=len(fronts))
    twice = np.flatnonzero(held > total * (1 + 1e-9) + 1e-6)
    for f in twice:
        rows = np.flatnonzero(left == f)
        taken = None
        for row in rows:
            piece = pieces[row]
            if taken is not None and piece is not None:
                pieces[row] = shapely.difference(piece, taken)
            taken = piece if taken is None else shapely.union(taken, piece)
    return pieces


def _measure(fronts, left, pieces) -> np.ndarray:
    """A piece's street-facing length: a line piece's length, a zone's length prorated by area."""
    out = np.nan_to_num(shapely.length(pieces), nan=0.0)
    zone = np.flatnonzero(_polygonal(fronts[left]))
    if len(zone):
        whole = shapely.area(fronts[left[zone]])
        share = np.divide(shapely.area(pieces[zone]), whole, out=np.zeros(len(zone)), where=whole > 0)
        out[zone] = np.nan_to_num(frontage_length(fronts[left[zone]]) * share, nan=0.0)
    return out
