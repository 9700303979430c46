"""Polygons in a metric CRS: project and densify, tile a parent into weighted cells, node shared edges."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from pyproj import Transformer

METRIC_CRS = "EPSG:4545"          # CGCS2000 3-degree Gauss-Krüger, CM 108°E: fits Liuzhou
_DENSIFY_DEG = 0.001              # ~100 m: a long edge bends by metres when projected ...
DENSIFY_M = 100.0                 # ... so outlines are densified before and after projecting
_NODE_M = 1e-6                    # a neighbour's vertex this close to an edge is put into it
CRUMB_M2 = 1e-3                   # polygon crumbs from clipping below this are dropped


@lru_cache(maxsize=4)
def _transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def project(geoms, src: str, dst: str):
    """Transform shapely geometries (scalar or array) vertex by vertex from ``src`` to ``dst``."""
    transformer = _transformer(src, dst)

    def apply(xy):
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, apply)


def project_to_metric(geom):
    """Densify a lon/lat outline, then project it into :data:`METRIC_CRS`."""
    return project(densify(geom, _DENSIFY_DEG), "EPSG:4326", METRIC_CRS)


def project_to_lonlat(geoms):
    """Project metric geometries back to EPSG:4326."""
    return project(geoms, METRIC_CRS, "EPSG:4326")


def densify(geom, step: float):
    """Return ``geom`` with extra vertices so that no edge is longer than ``step``.

    Unlike shapely.segmentize, the inserted vertices do not depend on the direction an edge
    is walked in, so an edge shared by two neighbours stays shared vertex for vertex.
    """
    polygons = []
    for polygon in shapely.get_parts(geom):
        rings = [_densify_ring(np.asarray(ring.coords), step)
                 for ring in (polygon.exterior, *polygon.interiors)]
        polygons.append(shapely.Polygon(rings[0], rings[1:]))
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


def _densify_ring(xy, step: float) -> np.ndarray:
    start, end = xy[:-1], xy[1:]
    pieces = np.maximum(np.ceil(np.hypot(*(end - start).T) / step), 1).astype(int)
    flip = (start[:, 0] > end[:, 0]) | ((start[:, 0] == end[:, 0]) & (start[:, 1] > end[:, 1]))
    low = np.where(flip[:, None], end, start)
    high = np.where(flip[:, None], start, end)
    seg = np.repeat(np.arange(len(start)), pieces)
    k = np.arange(len(seg)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    j = np.where(flip[seg], pieces[seg] - k, k)      # steps from the edge's lower end
    points = low[seg] + (high[seg] - low[seg]) * (j / pieces[seg])[:, None]
    points[k == 0] = start[seg[k == 0]]
    return np.concatenate([points, xy[-1:]])


def node_edges(geoms: np.ndarray, parents: np.ndarray) -> np.ndarray:
    """Insert into each polygon the vertices that neighbours with another parent have on its edges.

    Cells of one parent already share their edges vertex for vertex; across a parent's
    boundary this makes the whole level one clean coverage (no T-junctions).
    """
    a, b = shapely.STRtree(geoms).query(geoms, predicate="dwithin", distance=_NODE_M)
    across = parents[a] != parents[b]
    a, b = a[across], b[across]
    order = np.argsort(a, kind="stable")
    a, b = a[order], b[order]
    out = geoms.copy()
    for _ in range(4):          # a vertex put into one polygon may belong in the next one too
        before = shapely.get_num_coordinates(out)
        for i, group in zip(*_groups(a)):
            points = shapely.points(shapely.get_coordinates(out[b[group]]))
            points = points[shapely.dwithin(points, out[i].boundary, _NODE_M)]
            if len(points):
                out[i] = shapely.snap(out[i], shapely.multipoints(points), _NODE_M)
        if (shapely.get_num_coordinates(out) == before).all():
            break
    return out


def _groups(sorted_keys: np.ndarray):
    """Return each distinct key of a sorted array with the slice of its run."""
    if not len(sorted_keys):
        return [], []
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    ends = np.r_[starts[1:], len(sorted_keys)]
    return sorted_keys[starts], [slice(s, e) for s, e in zip(starts, ends)]


def tile(parent, weights, anchor, rng) -> np.ndarray:
    """Split ``parent`` into ``len(weights)`` cells, their areas growing with weight away from ``anchor``.

    Seeds come from a weighted k-means over random points in the parent (a centroidal
    Voronoi tiling); the cells are the seeds' Voronoi cells clipped to the parent.
    """
    weights = np.asarray(weights, dtype=float)
    if len(weights) == 1:
        return np.array([parent], dtype=object)
    points = _sample(parent, max(24 * len(weights), 400), rng)
    distance = np.hypot(*(points - anchor).T)
    density, seeds = _banded_density(distance, weights)
    seeds = _kmeans(points, density, points[seeds].copy())
    cells = _clip_cells(seeds, parent)
    by_distance = np.argsort(np.hypot(*(seeds - anchor).T), kind="stable")
    out = np.empty(len(weights), dtype=object)
    out[np.argsort(weights, kind="stable")] = cells[by_distance]
    return out


def _sample(parent, count: int, rng) -> np.ndarray:
    """Return ``count`` uniform random points (n, 2) inside ``parent``."""
    x0, y0, x1, y1 = parent.bounds
    fill = parent.area / max((x1 - x0) * (y1 - y0), 1e-9)
    shapely.prepare(parent)
    found = []
    while sum(len(f) for f in found) < count:
        n = int(count / fill * 1.2) + 16
        x, y = rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)
        inside = shapely.contains_xy(parent, x, y)
        found.append(np.column_stack([x[inside], y[inside]]))
    return np.concatenate(found)[:count]


def _banded_density(distance, weights):
    """Give each point the density of the unit whose distance band (by area share) it lies in.

    Units sorted by weight take consecutive bands of the points ranked by distance; a
    centroidal tiling makes cell area vary as density**-1/2, so density = weight**-2.
    Returns the densities and, per band, the index of one point to start k-means from.
    """
    w = np.sort(weights)
    bounds = np.cumsum(w) / w.sum()
    rank = np.argsort(distance, kind="stable")
    quantile = np.empty(len(distance))
    quantile[rank] = (np.arange(len(distance)) + 0.5) / len(distance)
    band = np.minimum(np.searchsorted(bounds, quantile, side="right"), len(w) - 1)
    middles = (bounds - w / w.sum() / 2) * len(distance)
    starts = rank[np.minimum(middles.astype(int), len(distance) - 1)]
    return w[band] ** -2.0, starts


def _kmeans(points, density, seeds, iterations: int = 8) -> np.ndarray:
    """Run weighted Lloyd iterations, then snap each seed onto one of its own points."""
    k = len(seeds)
    nearest = _nearest_finder(points, k)
    for _ in range(iterations):
        label = nearest(seeds)
        mass = np.bincount(label, density, k)
        moved = mass > 0
        cx = np.bincount(label, density * points[:, 0], k)
        cy = np.bincount(label, density * points[:, 1], k)
        seeds[moved] = np.column_stack([cx[moved] / mass[moved], cy[moved] / mass[moved]])
    return _snap(points, seeds, nearest(seeds))


def _nearest_finder(points, k: int):
    """Return a function giving, for each point, the index of its nearest seed."""
    if k <= 64:
        return lambda seeds: ((points[:, None, :] - seeds[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    geoms = shapely.points(points)
    return lambda seeds: shapely.STRtree(shapely.points(seeds)).query_nearest(geoms, all_matches=False)[1]


def _snap(points, seeds, label) -> np.ndarray:
    """Move each seed onto its closest own point, so that it lies inside the parent."""
    gap = np.hypot(*(points - seeds[label]).T)
    order = np.lexsort((gap, label))
    first = order[np.r_[True, label[order][1:] != label[order][:-1]]]
    chosen = np.full(len(seeds), -1)
    chosen[label[first]] = first
    for j in np.flatnonzero(chosen < 0):   # a seed that lost all its points: take a free one
        free = np.setdiff1d(np.arange(len(points)), chosen)
        chosen[j] = free[np.argmin(np.hypot(*(points[free] - seeds[j]).T))]
    return points[chosen].copy()


def _clip_cells(seeds, parent) -> np.ndarray:
    diagram = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=parent, ordered=True)
    cells = shapely.intersection(shapely.get_parts(diagram), parent)
    cells = np.array([polygonal(c) for c in cells], dtype=object)
    return _reattach_islands(cells, shapely.points(seeds))


def polygonal(geom):
    """Return the polygon parts of a clipping result (no lines, points or crumbs)."""
    parts = shapely.get_parts(shapely.get_parts(geom))
    parts = parts[(shapely.get_type_id(parts) == 3) & (shapely.area(parts) > CRUMB_M2)]
    return parts[0] if len(parts) == 1 else shapely.multipolygons(parts)


def _reattach_islands(cells, seeds) -> np.ndarray:
    """Give each detached piece of a clipped cell to the neighbour it shares the most edge with."""
    tree = shapely.STRtree(cells)
    for i in np.flatnonzero(shapely.get_type_id(cells) == 6):
        parts = shapely.get_parts(cells[i])
        home = shapely.intersects(parts, seeds[i])
        if not home.any():
            home[np.argmax(shapely.area(parts))] = True
        kept = list(parts[home])
        for part in parts[~home]:
            near = tree.query(part, predicate="dwithin", distance=_NODE_M)
            near = near[near != i]
            shared = shapely.length(shapely.intersection(part.boundary, shapely.boundary(cells[near])))
            if len(near) and shared.max() > 1.0:
                j = near[np.argmax(shared)]
                cells[j] = polygonal(shapely.union(cells[j], part))
            else:
                kept.append(part)
        cells[i] = kept[0] if len(kept) == 1 else shapely.multipolygons(kept)
    return cells
