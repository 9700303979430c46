"""Reads of the frontage (门前三包), place, road and building layers, as GeoDataFrames in EPSG:4326.

Every function takes the caller's session (or connection) and the same filters: ``bbox``
(lon/lat box), ``district`` (a region code: what lies in its grids) and ``grid`` (one grid
code). What depends on the grids is computed on read, never stored, so that a grid redrawn
tomorrow moves its frontages with it: a frontage's ``grids`` (the grids holding a piece of it,
:func:`grids.frontages.split_by_grids` in the metric CRS) and a place's ``grid`` (the grid
holding the point, or the largest part of the polygon). A frontage's ``effective_status`` is its
status on ``today`` (a signed commitment past ``expires_on`` is expired), also computed here.
The box is tested on the bounding-box columns (PostGIS: on the GiST index), then exactly in shapely.
"""
from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Float, bindparam, func, select

from grids.crs import metric_crs_for, to_metric
from grids.frontages import effective_statuses, split_by_grids

from .geometry import SRID
from .schema import Building, Frontage, Grid, Meta, Place, Road

__all__ = ["load_frontages", "load_places", "load_roads", "load_buildings", "FRONTAGE_COLUMNS", "PLACE_COLUMNS",
           "ROAD_COLUMNS", "BUILDING_COLUMNS", "layer_version", "grids_in", "count_rows", "grids_of"]

FRONTAGE_COLUMNS = ["ref", "unit_name", "unit_kind", "credit_code", "contact", "phone", "address", "liable",
                    "item_set", "items", "signed_on", "expires_on", "status", "photo", "road", "length_m",
                    "version", "updated_at", "updated_by"]
PLACE_COLUMNS = ["ref", "kind", "name", "operator", "contact", "phone", "address", "licence_no", "licence_expires",
                 "health_certs", "staff", "version", "updated_at", "updated_by"]
ROAD_COLUMNS = ["ref", "name", "kind", "width_m"]
BUILDING_COLUMNS = ["ref", "households"]
_CHUNK = 5000


def layer_version(session, layer: str) -> int:
    """Return the version of a layer (frontages, places, roads, buildings): every write of it bumps it."""
    value = session.scalar(select(Meta.value).where(Meta.key == f"{layer}_version"))
    return int(value or 0)


_MODELS = {"frontages": Frontage, "places": Place, "roads": Road, "buildings": Building}


def count_rows(session, layer: str) -> int:
    """Return how many rows a layer (frontages, places, roads, buildings) holds."""
    return session.scalar(select(func.count()).select_from(_MODELS[layer])) or 0


def _box_filter(stmt, model, box, dialect: str):
    """Rows whose bounding box meets ``box`` (PostGIS: the ``&&`` box operator on the GiST index).

    A box test on both backends (the exact test follows in shapely); ``&&`` also answers a
    degenerate box (a single point's bounds), which ST_Intersects with ST_MakeEnvelope does not.
    """
    if box is None:
        return stmt
    x0, y0, x1, y1 = box
    if dialect == "postgresql":
        envelope = func.ST_MakeEnvelope(*(bindparam(None, v, type_=Float) for v in box), SRID)
        return stmt.where(model.geom.op("&&")(envelope))
    return stmt.where(model.maxx >= x0, model.minx <= x1, model.maxy >= y0, model.miny <= y1)


def _dialect(session) -> str:
    bind = session.get_bind() if hasattr(session, "get_bind") else session
    return bind.dialect.name


def grids_in(session, box=None, under: str | None = None) -> gpd.GeoDataFrame:
    """Return the active grids (code, geometry) meeting ``box`` and under a region or grid code."""
    stmt = select(Grid.code, Grid.geom).where(Grid.end_date.is_(None)).order_by(Grid.code)
    if under:
        stmt = stmt.where(Grid.code.like(f"{under}%"))
    rows = session.execute(_box_filter(stmt, Grid, box, _dialect(session))).all()
    geoms = shapely.from_wkb([r[1] for r in rows]) if rows else np.array([], dtype=object)
    return gpd.GeoDataFrame({"code": [r[0] for r in rows]}, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"),
                            crs="EPSG:4326")


def _filter_box(session, bbox, under) -> tuple | None:
    """The box rows must meet: ``bbox``, narrowed to the bounds of the grids under ``under`` when given."""
    if not under:
        return bbox
    row = session.execute(select(func.min(Grid.minx), func.min(Grid.miny), func.max(Grid.maxx), func.max(Grid.maxy))
                          .where(Grid.end_date.is_(None), Grid.code.like(f"{under}%"))).one()
    if row[0] is None:
        return (0.0, 0.0, -1.0, -1.0)   # no grid there: a box nothing meets
    if bbox is None:
        return tuple(float(v) for v in row)
    box = (max(bbox[0], row[0]), max(bbox[1], row[1]), min(bbox[2], row[2]), min(bbox[3], row[3]))
    return box if box[0] <= box[2] and box[1] <= box[3] else (0.0, 0.0, -1.0, -1.0)


def _rows(session, model, columns, bbox, under, refs=None):
    """The rows of ``model`` meeting the filter box, ordered by ref; geometries tested exactly against ``bbox``."""
    box = _filter_box(session, bbox, under)
    attrs = [model.attrs] if hasattr(model, "attrs") else []
    stmt = select(*(getattr(model, c) for c in columns), *attrs, model.geom)
    stmt = _box_filter(stmt.order_by(model.ref), model, box, _dialect(session))
    if refs is not None:
        refs = sorted(set(refs))
        rows = [r for i in range(0, len(refs), _CHUNK)
                for r in session.execute(stmt.where(model.ref.in_(refs[i:i + _CHUNK]))).all()]
        rows.sort(key=lambda r: r[0])
    else:
        rows = session.execute(stmt).all()
    geoms = shapely.from_wkb([r[-1] for r in rows]) if rows else np.array([], dtype=object)
    if bbox is not None and len(rows):
        hit = shapely.intersects(geoms, shapely.box(*bbox))
        rows, geoms = [r for r, h in zip(rows, hit) if h], geoms[hit]
    return rows, geoms


def _frame(rows, geoms, columns, with_attrs: bool) -> gpd.GeoDataFrame:
    """A frame of the rows' fields (attributes spread into columns after them) and geometries in EPSG:4326."""
    records = [{**((r[len(columns)] or {}) if with_attrs else {}), **dict(zip(columns, r[:len(columns)]))}
               for r in rows]   # the register's fields win over an attribute of the same name
    frame = pd.DataFrame(records, columns=None if records else columns, dtype=object)   # None stays None
    frame = frame[columns + [c for c in frame.columns if c not in columns]]
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326")


def _metric(geoms, metric):
    return metric if metric is not None else metric_crs_for(geoms)


def _frontage_grids(geoms, grids: gpd.GeoDataFrame, metric) -> list[list[str]]:
    """The codes of the grids holding a piece of each frontage (split in the metric CRS), in code order."""
    out = [[] for _ in range(len(geoms))]
    if not len(geoms) or not len(grids):
        return out
    crs = _metric(np.concatenate([geoms, grids.geometry.to_numpy()]), metric)
    pieces = split_by_grids(to_metric(geoms, crs), to_metric(grids.geometry.to_numpy(), crs))
    pieces = pieces[pieces["length_m"] > 0]
    codes = grids["code"].to_numpy()
    for f, g in zip(pieces["frontage"].tolist(), pieces["grid"].tolist()):
        out[f].append(codes[g])
    return [sorted(set(c)) for c in out]


def _keep_under(frame: gpd.GeoDataFrame, column: str, under: str | None) -> gpd.GeoDataFrame:
    """Only the rows whose grid (or one of whose grids) lies under ``under``; a place in no grid (NaN) lies under none."""
    if not under:
        return frame
    values = frame[column].tolist()
    keep = [any(isinstance(c, str) and c.startswith(under) for c in (v if isinstance(v, list) else [v]))
            for v in values]
    return frame[np.asarray(keep, dtype=bool)].reset_index(drop=True)


def load_frontages(session, bbox=None, district=None, grid=None, *, refs=None, today=None,
                   metric=None) -> gpd.GeoDataFrame:
    """Return frontages meeting the filters, ordered by ref: the stored fields, ``effective_status``, ``grids``.

    ``today``: the day statuses are judged on (default: today). ``metric``: the metric CRS to split
    by grids in (default: the data's zone). ``refs``: only these frontages.
    """
    under = grid or district
    rows, geoms = _rows(session, Frontage, FRONTAGE_COLUMNS, bbox, under, refs)
    frame = _frame(rows, geoms, FRONTAGE_COLUMNS, with_attrs=True)
    frame["length_m"] = frame["length_m"].astype(float)
    frame.insert(frame.columns.get_loc("status") + 1, "effective_status",
                 effective_statuses(frame["status"], frame["expires_on"], today or date.today())
                 if len(frame) else [])
    box = tuple(shapely.total_bounds(geoms).tolist()) if len(geoms) else None
    around = grids_in(session, box, under) if box else grids_in(session, (0.0, 0.0, -1.0, -1.0))
    frame.insert(frame.columns.get_loc("length_m") + 1, "grids", _frontage_grids(geoms, around, metric))
    return _keep_under(frame, "grids", under)


def _place_grid(geoms, grids: gpd.GeoDataFrame, metric) -> list:
    """The grid holding each place: its point's, or the one with the largest part of its polygon (metric areas)."""
    out = [None] * len(geoms)
    if not len(geoms) or not len(grids):
        return out
    cells, codes = grids.geometry.to_numpy(), grids["code"].to_numpy()
    left, right = shapely.STRtree(cells).query(geoms, predicate="intersects")
    if not len(left):
        return out
    points = shapely.get_type_id(geoms[left]) == shapely.GeometryType.POINT
    share = np.zeros(len(left))
    areal = np.flatnonzero(~points)
    if len(areal):
        crs = _metric(np.concatenate([geoms, cells]), metric)
        parts = shapely.intersection(to_metric(geoms[left[areal]], crs), to_metric(cells[right[areal]], crs))
        share[areal] = shapely.area(parts)
    inside = np.flatnonzero(points)
    share[inside] = shapely.contains(cells[right[inside]], geoms[left[inside]]).astype(float)
    order = np.lexsort((codes[right].astype(str), -share, left))   # per place: largest share, then lowest code
    first = np.unique(left[order], return_index=True)[1]
    for k in order[first]:
        if share[k] > 0:
            out[left[k]] = codes[right[k]]
    return out


def load_places(session, bbox=None, district=None, grid=None, *, refs=None, metric=None) -> gpd.GeoDataFrame:
    """Return key places meeting the filters, ordered by ref: the stored fields and the ``grid`` holding each."""
    under = grid or district
    rows, geoms = _rows(session, Place, PLACE_COLUMNS, bbox, under, refs)
    frame = _frame(rows, geoms, PLACE_COLUMNS, with_attrs=True)
    box = tuple(shapely.total_bounds(geoms).tolist()) if len(geoms) else (0.0, 0.0, -1.0, -1.0)
    frame.insert(frame.columns.get_loc("staff") + 1, "grid", _place_grid(geoms, grids_in(session, box, under), metric))
    return _keep_under(frame, "grid", under)


def _in_grids(session, frame: gpd.GeoDataFrame, under: str | None) -> gpd.GeoDataFrame:
    """Only the rows meeting a grid under ``under`` (roads and buildings carry no grid of their own)."""
    if not under or not len(frame):
        return frame
    cells = grids_in(session, tuple(frame.total_bounds.tolist()), under).geometry.to_numpy()
    hit = np.zeros(len(frame), dtype=bool)
    if len(cells):
        left, _ = shapely.STRtree(cells).query(frame.geometry.to_numpy(), predicate="intersects")
        hit[left] = True
    return frame[hit].reset_index(drop=True)


def load_roads(session, bbox=None, district=None, grid=None, *, refs=None) -> gpd.GeoDataFrame:
    """Return road centrelines (ref, name, kind, width_m) meeting the filters, ordered by ref (``refs``: only these)."""
    rows, geoms = _rows(session, Road, ROAD_COLUMNS, bbox, grid or district, refs)
    return _in_grids(session, _frame(rows, geoms, ROAD_COLUMNS, with_attrs=False), grid or district)


def load_buildings(session, bbox=None, district=None, grid=None) -> gpd.GeoDataFrame:
    """Return building footprints (ref, households) meeting the filters, ordered by ref."""
    rows, geoms = _rows(session, Building, BUILDING_COLUMNS, bbox, grid or district)
    return _in_grids(session, _frame(rows, geoms, BUILDING_COLUMNS, with_attrs=False), grid or district)


def grids_of(session, layer: str, geoms, metric=None) -> list[list[str]]:
    """The grid codes each geometry (EPSG:4326) of a frontage or place would lie in: the access checks' question."""
    geoms = np.asarray(list(geoms), dtype=object)
    if not len(geoms):
        return []
    around = grids_in(session, tuple(shapely.total_bounds(geoms).tolist()))
    if layer == "frontages":
        return _frontage_grids(geoms, around, metric)
    return [[g] if g else [] for g in _place_grid(geoms, around, metric)]
