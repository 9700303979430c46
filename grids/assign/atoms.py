"""Cut a community into atoms: the small pieces grids are assembled from.

Atoms tile the community exactly, so any union of them tiles it too: a grid that is a
union of atoms needs no clipping and leaves no holes. Roads first cut the community into
blocks (grid edges then follow roads); a block holding more households than a grid may
hold is cut further into the Voronoi cells of its buildings. Everything is in metres.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

__all__ = ["Atoms", "make_atoms", "blocks_of"]

# Atoms touching along less than this (metres), e.g. at a corner, are not neighbours (rook adjacency).
_MIN_SHARED_EDGE_M = 0.01
_SNAP_M = 0.001


@dataclass
class Atoms:
    """Atom polygons with their households, areas, perimeters, centroids and rook adjacency.

    ``edges`` is an (m, 2) array of adjacent atom pairs (i < j) and ``shared`` the length of
    the boundary each pair shares: what the assignment needs to keep grids contiguous and to
    know a grid's perimeter without building it.
    """

    geoms: np.ndarray
    households: np.ndarray
    area: np.ndarray
    perimeter: np.ndarray
    xy: np.ndarray
    edges: np.ndarray
    shared: np.ndarray

    def __len__(self) -> int:
        return len(self.geoms)

    def neighbours(self) -> list[list[tuple[int, float]]]:
        """Return, per atom, its (neighbour, shared edge length) pairs."""
        out = [[] for _ in range(len(self))]
        for (i, j), s in zip(self.edges.tolist(), self.shared.tolist()):
            out[i].append((j, s))
            out[j].append((i, s))
        return out


def blocks_of(outline, roads=None) -> np.ndarray:
    """Return the faces the roads cut ``outline`` into (the outline itself without roads).

    Dangling road ends cut nothing; the faces are checked to cover the outline exactly and
    any piece polygonising missed is kept as a face of its own.
    """
    if roads is None or len(roads) == 0:
        return np.array([outline], dtype=object)
    lines = shapely.intersection(np.asarray(roads, dtype=object), outline)
    lines = [g for g in shapely.get_parts(lines) if g.geom_type in ("LineString", "LinearRing")]
    noded = shapely.union_all(np.array([outline.boundary, *lines], dtype=object))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    inside = shapely.contains_properly(outline, shapely.point_on_surface(faces)) if len(faces) else []
    faces = [shapely.intersection(f, outline) for f, keep in zip(faces, inside) if keep]
    faces = [p for f in faces for p in shapely.get_parts(f) if p.geom_type == "Polygon" and p.area > 0]
    rest = shapely.difference(outline, shapely.union_all(np.array(faces, dtype=object))) if faces else outline
    faces += [p for p in shapely.get_parts(rest) if p.geom_type == "Polygon" and p.area > 1e-6]
    return np.array(faces, dtype=object)


def _voronoi_split(block, points: np.ndarray, households: np.ndarray) -> tuple[list, list]:
    """Cut ``block`` into the Voronoi cells of its building points (households go with their cell)."""
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(points), extend_to=block,
                                                       ordered=True))
    geoms, counts = [], []
    point_geoms = shapely.points(points)
    for cell, point, h in zip(cells, point_geoms, households):
        for part in shapely.get_parts(shapely.intersection(cell, block)):
            if part.geom_type != "Polygon" or part.area <= 0:
                continue
            geoms.append(part)
            counts.append(int(h) if part.intersects(point) else 0)
            if counts[-1]:
                h = 0  # a point on a shared edge counts once
    return geoms, counts


def _merge_duplicates(points: np.ndarray, households: np.ndarray):
    """Buildings at the same point (to the centimetre) are one Voronoi site holding their sum."""
    keys = np.round(points, 2)
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    sums = np.bincount(inverse.ravel(), weights=households, minlength=len(unique))
    return unique, sums.astype(np.int64)


def make_atoms(outline, points: np.ndarray, households: np.ndarray, roads=None,
               split_above: int = 0) -> Atoms:
    """Return the atoms of ``outline``: road blocks, cut into building Voronoi cells when needed.

    ``points`` (n, 2) are building points inside the outline with their ``households``; a block
    holding more than ``split_above`` households is cut into Voronoi cells (0: always cut).
    """
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    households = np.asarray(households, dtype=np.int64)
    blocks = blocks_of(outline, roads)
    block_of = _block_index(blocks, points)
    geoms, counts = [], []
    for b, block in enumerate(blocks):
        mine = block_of == b
        total = int(households[mine].sum())
        if mine.sum() >= 2 and total > split_above:
            pts, hh = _merge_duplicates(points[mine], households[mine])
            if len(pts) >= 2:
                g, c = _voronoi_split(block, pts, hh)
                geoms += g
                counts += c
                continue
        geoms.append(block)
        counts.append(total)
    return _with_adjacency(np.array(geoms, dtype=object), np.array(counts, dtype=np.int64))


def _block_index(blocks: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Return the block each point lies in (the nearest block for a point on a road line)."""
    if len(points) == 0:
        return np.zeros(0, dtype=np.int64)
    pts = shapely.points(points)
    tree = shapely.STRtree(blocks)
    found = np.full(len(points), -1, dtype=np.int64)
    hit_point, hit_block = tree.query(pts, predicate="intersects")
    found[hit_point[::-1]] = hit_block[::-1]  # first hit wins
    missing = found < 0
    if missing.any():
        found[missing] = tree.query_nearest(pts[missing], all_matches=False)[1]
    return found


def _with_adjacency(geoms: np.ndarray, households: np.ndarray) -> Atoms:
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    boundaries = shapely.boundary(geoms)
    shared = shapely.length(shapely.intersection(boundaries[a], boundaries[b])) if len(a) else np.zeros(0)
    # Edges cut by different operations (a Voronoi cell's side, the next block's side) are collinear
    # only to rounding: measure those within a millimetre of each other.
    loose = np.flatnonzero(shared <= _MIN_SHARED_EDGE_M)
    if len(loose):
        near = shapely.intersection(boundaries[a[loose]], shapely.buffer(boundaries[b[loose]], _SNAP_M))
        shared[loose] = shapely.length(near)
    rook = shared > _MIN_SHARED_EDGE_M
    centroids = shapely.centroid(geoms)
    return Atoms(geoms=geoms, households=households, area=shapely.area(geoms), perimeter=shapely.length(geoms),
                 xy=np.column_stack([shapely.get_x(centroids), shapely.get_y(centroids)]),
                 edges=np.column_stack([a[rook], b[rook]]).astype(np.int64), shared=shared[rook])
