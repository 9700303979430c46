"""The spatial gap kinds (holes, slivers, overlaps, grids out of bounds) in one PostGIS query.

Same rules as grids.coverage, so the gap report reads the same on both backends, but the
grids' geometries never leave the server: only the findings come back, as WKB in the metric
CRS. Everything is measured after ST_Transform to that CRS, never in degrees.

- Holes and slivers: per leaf region, the pieces of ST_SymDifference(region, ST_Union(its own
  grids)) kept by the dust and noise-width rules of grids.coverage.mismatch; a piece whose
  ST_PointOnSurface lies in the region is uncovered (a sliver below ``sliver``), the others
  are grids spilling out.
- Grids out of bounds: a grid's share of its region's spill pieces, reported when it is not
  within the region grown by the tolerance; a grid whose region is not a leaf of the scope,
  with all of it.
- Overlaps without a self-join of every grid (PostGIS 3.3 has no coverage validator): two grids
  of one region overlap by at most Σ area(grids) − area(union) of that region, and two grids of
  regions A and B by at most area(union A ∩ union B). Only the grids of regions where such a
  bound exceeds the tolerance, and grids in no region, are paired with their neighbours
  through the GiST index; a clean register pays for a few hundred union-to-union tests.
"""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pyproj
import shapely

from grids.coverage import DUST_M2, NOISE_WIDTH_M

from .db import fetch_raw

__all__ = ["GAPS_SQL", "SPATIAL_COLUMNS", "postgis_srid", "gap_params", "spatial_gaps", "grid_geometries"]

SPATIAL_COLUMNS = ["kind", "region", "code", "other", "area_m2", "geometry"]
# Areas summed over a region's grids carry float error; a bound this close to the tolerance
# still sends the region to the pairwise test (never a missed overlap, at most a wasted test).
SLACK_M2 = DUST_M2

GAPS_SQL = """
WITH scope AS (SELECT code, geom FROM regions WHERE code LIKE %(under)s),
parents AS (SELECT DISTINCT left(code, k) AS code FROM scope, generate_series(1, length(code) - 1) k),
leaves AS MATERIALIZED (
  SELECT code, ST_Transform(geom, %(srid)s) AS shell FROM scope
   WHERE geom IS NOT NULL AND code NOT IN (SELECT code FROM parents)),
g AS MATERIALIZED (
  SELECT code, community, geom, ST_Transform(geom, %(srid)s) AS m
    FROM grids WHERE code LIKE %(under)s AND end_date IS NULL),
unions AS MATERIALIZED (
  SELECT l.code, l.shell, u.u, u.total
    FROM leaves l LEFT JOIN (SELECT community, ST_Union(m) AS u, sum(ST_Area(m)) AS total
                               FROM g GROUP BY community) u ON u.community = l.code),
pieces AS (
  SELECT code AS region, shell, piece, ST_Area(piece) AS area
    FROM (SELECT code, shell, (ST_Dump(CASE WHEN u IS NULL THEN shell
                                            ELSE ST_SymDifference(shell, u) END)).geom AS piece
            FROM unions) d
   WHERE ST_GeometryType(piece) = 'ST_Polygon'),
mismatch AS MATERIALIZED (
  SELECT region, piece, area, ST_Contains(shell, ST_PointOnSurface(piece)) AS inside FROM pieces
   WHERE area >= %(dust)s AND 2 * area >= %(noise)s * ST_Perimeter(piece)),
cuts AS (
  SELECT g.code, s.region, ST_Intersection(g.m, s.piece) AS cut
    FROM mismatch s JOIN g ON g.community = s.region AND g.m && s.piece
   WHERE NOT s.inside AND ST_Intersects(g.m, s.piece)),
parts AS (SELECT code, region, ST_Union(cut) AS part FROM cuts WHERE ST_Area(cut) >= %(dust)s GROUP BY code, region),
crossing AS (
  SELECT a.code AS a, b.code AS b FROM unions a JOIN unions b ON a.code < b.code AND a.u && b.u
   WHERE ST_Relate(a.u, b.u, 'T********') AND ST_Area(ST_Intersection(a.u, b.u)) > %(overlap)s - %(slack)s),
risky AS (
  SELECT code FROM unions WHERE total - ST_Area(u) > %(overlap)s - %(slack)s
  UNION SELECT a FROM crossing UNION SELECT b FROM crossing),
suspects AS MATERIALIZED (
  SELECT code, geom, m FROM g
   WHERE community IN (SELECT code FROM risky) OR NOT EXISTS (SELECT 1 FROM leaves l WHERE l.code = g.community)),
pairs AS (
  SELECT least(s.code COLLATE "C", o.code COLLATE "C") AS code,
         greatest(s.code COLLATE "C", o.code COLLATE "C") AS other,
         ST_Intersection(s.m, ST_Transform(o.geom, %(srid)s)) AS shared
    FROM suspects s JOIN grids o ON o.geom && s.geom AND o.code <> s.code
   WHERE o.code LIKE %(under)s AND o.end_date IS NULL AND ST_Intersects(o.geom, s.geom)
     AND NOT (o.code COLLATE "C" < s.code COLLATE "C" AND o.code IN (SELECT code FROM suspects)))
SELECT kind, region, code, other, area, ST_AsBinary(geom) FROM (
  SELECT 1 AS o, CASE WHEN area < %(sliver)s THEN 'sliver' ELSE 'hole' END AS kind, region, NULL AS code,
         NULL AS other, area, piece AS geom FROM mismatch WHERE inside
  UNION ALL
  SELECT 2, 'overlap', g.community, p.code, p.other, ST_Area(p.shared), p.shared
    FROM pairs p JOIN g ON g.code = p.code WHERE ST_Area(p.shared) > %(overlap)s
  UNION ALL
  SELECT 3, 'outside', p.region, p.code, NULL, ST_Area(p.part), p.part
    FROM parts p JOIN leaves l ON l.code = p.region WHERE NOT ST_Within(p.part, ST_Buffer(l.shell, %(outside)s))
  UNION ALL
  SELECT 3, 'outside', NULL, code, NULL, ST_Area(m), m FROM g
   WHERE NOT EXISTS (SELECT 1 FROM leaves l WHERE l.code = g.community)) f
ORDER BY o, region COLLATE "C", code COLLATE "C", other COLLATE "C", area DESC"""


def postgis_srid(engine, crs) -> int | None:
    """Return the SRID of ``crs`` in the database's spatial_ref_sys, or None (no EPSG code there).

    Only a CRS that is an EPSG CRS outright counts (a PROJ string PROJ finds merely similar does
    not): areas are measured in exactly the configured CRS on both paths.
    """
    code = pyproj.CRS.from_user_input(crs).to_epsg(min_confidence=100)
    if code is None:
        return None
    rows = fetch_raw(engine, "SELECT srid FROM spatial_ref_sys WHERE auth_name = 'EPSG' AND auth_srid = %s", (code,))
    return rows[0][0] if rows else None


def gap_params(under: str | None, srid: int, settings) -> dict:
    """The query's parameters: the scope as a code prefix, the SRID and the tolerances of ``settings``."""
    return {"under": f"{under or ''}%", "srid": srid, "dust": DUST_M2, "noise": NOISE_WIDTH_M, "slack": SLACK_M2,
            "sliver": settings.sliver_area_m2, "overlap": settings.overlap_tolerance_m2,
            "outside": settings.outside_tolerance_m}


def spatial_gaps(engine, under: str | None, srid: int, settings) -> gpd.GeoDataFrame:
    """Return the hole, sliver, overlap and outside findings of a scope (:data:`SPATIAL_COLUMNS`).

    ``under``: a region code (its regions and grids by code prefix) or None (the register);
    ``settings``: a :class:`grids.gaps.GapSettings`. Geometries are in the CRS of ``srid``.
    """
    rows = fetch_raw(engine, GAPS_SQL, gap_params(under, srid, settings))
    frame = pd.DataFrame([r[:5] for r in rows], columns=SPATIAL_COLUMNS[:5])
    frame["area_m2"] = frame["area_m2"].astype(float)
    geoms = shapely.from_wkb([bytes(r[5]) for r in rows]) if rows else []
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=f"EPSG:{srid}"))


def grid_geometries(engine, codes, crs) -> tuple[gpd.GeoSeries, gpd.GeoSeries]:
    """Return the geometries of the grids with these codes in EPSG:4326 and in ``crs``, by code.

    Projected here, not with ST_Transform: PROJ in this process does 40,000 grids in a tenth of
    the server's time, and the server is busy with the spatial query meanwhile.
    """
    rows = fetch_raw(engine, "SELECT code, ST_AsBinary(geom) FROM grids WHERE code = ANY(%s)", (list(codes),))
    index = pd.Index([r[0] for r in rows], dtype=object)
    lonlat = gpd.GeoSeries(shapely.from_wkb([bytes(r[1]) for r in rows]) if rows else [], index=index,
                           crs="EPSG:4326")
    return lonlat, lonlat.to_crs(crs)
