"""Reading files for import: parse, convert the CRS, validate geometry, snap to the register grid."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely

from grids.crs import parse_crs, to_wgs84_geometries
from grids.fields import coordinate_field, is_blank
from grids.fileio import TABLE_FORMATS, format_of, geometries_from_wkt, read_table, read_vector
from grids.geojson_ import read_geojson_file
from grids.validation import Problem, check_geometries

from ..errors import ValidationFailed
from .common import Features, refuse_if
from .screen import screen_lonlat, screen_source

__all__ = ["GEOJSON_SUFFIXES", "PRECISION_DEG", "read_file_features", "read_features", "snap_to_register_grid",
           "read_table_or_refuse", "read_any_geometry", "of_types"]

GEOJSON_SUFFIXES = {".geojson", ".json"}
PRECISION_DEG = 1e-7


def read_file_features(path, crs, encoding, make_valid, settings, geometry_types=None) -> Features:
    """Read, convert and check a vector file's features; ``geometry_types`` the layer's (default polygons).

    A CSV or xlsx without a WKT ``geometry`` column but with ``lon`` and ``lat`` is read as points.
    """
    path = Path(path)
    if not path.is_file():
        raise ValidationFailed(f"file not found: {path}")
    props, geoms, declared, notes, parse_problems = _read_raw(path, encoding, settings)
    if not props:  # an empty layer would land as nothing yet move the register's version
        raise ValidationFailed(f"{path.name} holds no features: nothing to import")
    source_crs = _source_crs(crs, declared, notes)
    codes = [p.get("code", p.get("ref")) for p in props]
    converted, screened = screen_source(geoms, codes, source_crs, settings)
    converted, outside = screen_lonlat(_to_wgs84(converted, source_crs), codes, settings)
    parse_problems = list(parse_problems) + screened + outside
    polygonal = geometry_types is None
    checked, problems, more_notes = check_geometries(list(converted), codes, make_valid=make_valid,
                                                     polygonal=polygonal)
    if not polygonal:
        checked = of_types(checked, codes, geometry_types, problems)
    # A feature the parser already refused has no geometry: report the parser's reason, not "missing".
    broken = {p.index for p in parse_problems}
    problems = list(parse_problems) + [p for p in problems if p.index not in broken]
    return Features(props, snap_to_register_grid(checked, codes, problems, geometry_types), notes + more_notes,
                    problems)


def of_types(geoms, codes, types, problems) -> list:
    """Refuse geometries of other types than the layer's (``types``: shapely type names)."""
    out = list(geoms)
    for i, geom in enumerate(out):
        if geom is not None and geom.geom_type not in types:
            problems.append(Problem(i, codes[i], f"geometry is a {geom.geom_type}; this layer needs "
                                                 f"{' or '.join(types)}"))
            out[i] = None
    return out


def read_features(path, settings: dict, *, crs=None, encoding=None, make_valid=False):
    """Read and check a vector file as an import would, without importing it.

    Returns ``(properties, geometries in EPSG:4326, notes)``; raises ValidationFailed
    listing every problem (feature index, code, reason).
    """
    feats = read_file_features(path, crs, encoding, make_valid, settings)
    refuse_if(feats.problems, feats.notes, Path(path).name)
    return feats.props, feats.geoms, feats.notes


def read_any_geometry(path, settings: dict, *, crs=None, encoding=None):
    """Read a vector file of any geometry type (points, lines, polygons) into EPSG:4326.

    For inputs that are not register layers (buildings, roads): the same parsers, size limit
    and CRS rules as an import, without the polygon checks. Returns ``(properties, geometries,
    notes)``; a feature without a usable geometry has None.
    """
    path = Path(path)
    if not path.is_file():
        raise ValidationFailed(f"file not found: {path}")
    props, geoms, declared, notes, _ = _read_raw(path, encoding, settings)
    source_crs = _source_crs(crs, declared, notes)
    out = np.array([g if g is not None and not g.is_empty else None for g in geoms], dtype=object)
    codes = [p.get("code") for p in props]
    out, problems = screen_source(out, codes, source_crs, settings)
    refuse_if(problems, notes, path.name)
    return props, _to_wgs84(out, source_crs), notes


def _to_wgs84(geoms, source_crs) -> np.ndarray:
    """Transform the present geometries to EPSG:4326 (their coordinates were checked: PROJ should not fail)."""
    out = np.array(geoms, dtype=object)
    present = np.array([g is not None for g in out], dtype=bool)
    if present.any():
        out[present] = to_wgs84_geometries(out[present], source_crs)   # a PROJ failure is a CRSError (422)
    return out


_POLYGON_TYPES = ("Polygon", "MultiPolygon")
_TYPE_IDS = {"Point": 0, "LineString": 1, "Polygon": 3, "MultiPoint": 4, "MultiLineString": 5, "MultiPolygon": 6}


def snap_to_register_grid(geoms, codes, problems, geometry_types=None) -> np.ndarray:
    """Snap valid geometries to the register's precision grid of 1e-7° (about 1 cm).

    GeoJSON exports carry 7 decimals (RFC 7946 advice), so storing on the same grid
    makes import → export → import lossless; GEOS keeps the snapped result valid. Rings are
    stored counter-clockwise outside, clockwise inside (RFC 7946's right-hand rule).
    """
    out = np.empty(len(geoms), dtype=object)
    out[:] = list(geoms)
    ok = np.flatnonzero([g is not None for g in out])
    if len(ok):
        snap = ok[_off_the_grid(out[ok])]   # on the grid already (7 decimals): nothing moves, GEOS is skipped
        out[snap] = shapely.set_precision(out[snap], PRECISION_DEG)
        out[ok] = shapely.orient_polygons(out[ok])
    wanted = [_TYPE_IDS[t] for t in (geometry_types or _POLYGON_TYPES)]
    collapsed = ok[shapely.is_empty(out[ok]) | ~np.isin(shapely.get_type_id(out[ok]), wanted)]
    for i in collapsed.tolist():
        problems.append(Problem(i, codes[i], "geometry collapses at 1e-7° (about 1 cm) precision"))
        out[i] = None
    return out


def _off_the_grid(geoms) -> np.ndarray:
    """Which geometries have a coordinate that snapping to the 1e-7° grid would move (GEOS rounds x·10⁷)."""
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    scale = round(1 / PRECISION_DEG)   # 10,000,000 exactly (1 / 1e-7 is 9999999.999999998)
    moved = (np.round(coords * scale) / scale != coords).any(axis=1)
    return np.bincount(index[moved], minlength=len(geoms)) > 0


def _read_raw(path: Path, encoding, settings):
    if path.suffix.lower() in GEOJSON_SUFFIXES:
        parsed = read_geojson_file(path, max_bytes=settings["SANIGRID_MAX_IMPORT_BYTES"])
        props = [dict(r["properties"] or {}) for r in parsed.records]
        return props, [r["geometry"] for r in parsed.records], parsed.crs, list(parsed.notes), parsed.problems
    if path.stat().st_size > settings["SANIGRID_MAX_IMPORT_BYTES"]:
        raise ValidationFailed(f"{path.name} is larger than the import limit of "
                               f"{settings['SANIGRID_MAX_IMPORT_BYTES']:,} bytes")
    if format_of(path) in TABLE_FORMATS:
        return _table_features(path, read_table(path, encoding=encoding))
    frame, declared = read_vector(path, encoding=encoding)
    props = frame.drop(columns=frame.geometry.name).to_dict("records")
    return props, list(frame.geometry.array), declared, [], []


def _table_features(path: Path, table):
    """A CSV/xlsx's rows and geometries: WKT in ``geometry``, else points at ``lon``/``lat`` (kept as properties)."""
    if "geometry" in table.columns:
        geoms = geometries_from_wkt(table["geometry"], path.name)
        return table.drop(columns="geometry").to_dict("records"), list(geoms), None, [], []
    if not {"lon", "lat"} <= set(table.columns):
        raise ValidationFailed(f"{path.name}: no 'geometry' column (WKT) and no 'lon' and 'lat' columns; "
                               f"columns are {', '.join(map(str, table.columns))}")
    props, geoms, problems = table.to_dict("records"), [], []
    for i, row in enumerate(props):
        errors = []
        lon, lat = coordinate_field(row, "lon", 180, errors), coordinate_field(row, "lat", 90, errors)
        errors += [f"{key} is missing" for key in ("lon", "lat") if is_blank(row.get(key))]
        problems += [Problem(i, _code_of(row), e) for e in errors]
        geoms.append(shapely.Point(lon, lat) if not errors else None)
    return props, geoms, None, [], problems


def _code_of(row):
    value = row.get("ref", row.get("code"))
    return None if is_blank(value) else str(value)


def _source_crs(crs, declared, notes):
    if crs:
        if declared and parse_crs(declared) != parse_crs(crs):
            notes.append(f"the file says {declared}; using {crs} as given with --crs")
        return parse_crs(crs)
    return parse_crs(declared) if declared else parse_crs("EPSG:4326")


def read_table_or_refuse(path, encoding):
    """Read a CSV or xlsx table into a DataFrame, or refuse the file with the reason."""
    path = Path(path)
    if not path.is_file():
        raise ValidationFailed(f"file not found: {path}")
    return read_table(path, encoding=encoding)
