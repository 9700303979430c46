"""Feature problems and geometry checks: what may be stored, and why not.

Every check names its culprit (feature index, code, reason) so a refused import can
be fixed in the source file. Nothing is repaired silently: an invalid geometry is
refused unless the caller asks for ``make_valid``, and every change made is noted.
The vectorised :func:`check_geometries` keeps 20,000-feature imports fast: only the
geometries that fail a vectorised test go through the per-geometry Python path.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import shapely

__all__ = ["Problem", "check_geometry", "check_geometries", "check_lonlat_range", "summarise_notes"]

_POLYGONAL = ("Polygon", "MultiPolygon")
_POLYGONAL_IDS = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)
_VALID = "Valid Geometry"
# Notes that repeat for many features are summarised with this many feature numbers shown.
_NOTE_EXAMPLES = 5


@dataclass(frozen=True)
class Problem:
    """One reason a feature (or the whole file, index None) cannot be imported."""

    index: int | None
    code: str | None
    reason: str

    def __str__(self) -> str:
        where = [] if self.index is None else [f"feature {self.index}"]
        if self.code not in (None, ""):
            where.append(f"(code {self.code})" if where else f"code {self.code}")
        return f"{' '.join(where)}: {self.reason}" if where else self.reason


def _code_text(code) -> str | None:
    """Codes are shown as text; a float or bool is not a code anyone wrote on purpose."""
    if code is None or isinstance(code, bool):
        return None
    if isinstance(code, float):
        return None if code != code else repr(code)
    return str(code)


def _polygonal_part(geom):
    """Return the Polygon/MultiPolygon made of ``geom``'s polygonal parts (may be empty)."""
    kind = geom.geom_type
    if kind in _POLYGONAL:
        return geom
    if kind != "GeometryCollection":
        return shapely.MultiPolygon()
    polys = []
    for part in shapely.get_parts(geom):
        polys.extend(shapely.get_parts(part) if part.geom_type == "MultiPolygon" else
                     [part] if part.geom_type == "Polygon" else [])
    polys = [p for p in polys if not p.is_empty]
    if not polys:
        return shapely.MultiPolygon()
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


def _first_nonfinite(geom):
    """Return the first x/y holding NaN or infinity, or None (Z is dropped anyway)."""
    coords = shapely.get_coordinates(geom)
    bad = ~np.isfinite(coords).all(axis=1)
    return tuple(coords[bad][0].tolist()) if bad.any() else None


def check_geometry(geom, *, make_valid: bool = False,
                   polygonal: bool = True) -> tuple[object | None, list[str], list[str]]:
    """Return (geometry to store or None, reasons it is refused, notes)."""
    if geom is None:
        return None, ["geometry is missing"], []
    if not isinstance(geom, shapely.Geometry):
        return None, [f"not a geometry: {type(geom).__name__}"], []
    if geom.is_empty:
        return None, ["geometry is empty"], []
    notes = []
    with np.errstate(invalid="ignore"):
        bad = _first_nonfinite(geom)
        if bad is not None:
            return None, [f"coordinate {bad} is not a finite number"], []
        if shapely.has_z(geom):
            geom = shapely.force_2d(geom)
            notes.append("Z coordinates dropped")
        if polygonal and geom.geom_type not in _POLYGONAL:
            parts = shapely.get_parts(geom) if geom.geom_type == "GeometryCollection" else []
            if len(parts) == 0 or any(p.geom_type not in _POLYGONAL for p in parts):
                return None, [f"geometry is a {geom.geom_type}; this layer needs Polygon or MultiPolygon"], []
            geom = _polygonal_part(geom)
            notes.append(f"GeometryCollection of polygons converted to {geom.geom_type}")
        reason = shapely.is_valid_reason(geom)
        if reason != _VALID:
            if not make_valid:
                return None, [f"invalid geometry: {reason}"], []
            geom = shapely.make_valid(geom, method="structure", keep_collapsed=False)
            if polygonal:
                geom = _polygonal_part(geom)
            if geom.is_empty:
                return None, [f"invalid geometry: {reason}; repairing it left nothing"], []
            notes.append(f"repaired: {reason}")
        geom = shapely.remove_repeated_points(geom, 0.0)
    return geom, [], notes


def summarise_notes(notes_by_feature: dict[str, list[int]]) -> list[str]:
    """Turn {note: [feature indexes]} into one line per note, so 20,000 alike notes stay readable."""
    lines = []
    for note, indexes in notes_by_feature.items():
        if len(indexes) == 1:
            lines.append(f"feature {indexes[0]}: {note}")
            continue
        shown = ", ".join(str(i) for i in indexes[:_NOTE_EXAMPLES])
        more = f" and {len(indexes) - _NOTE_EXAMPLES} more" if len(indexes) > _NOTE_EXAMPLES else ""
        lines.append(f"{note}: {len(indexes)} features ({shown}{more})")
    return lines


def check_geometries(geoms, codes=None, *, make_valid: bool = False,
                     polygonal: bool = True) -> tuple[list, list[Problem], list[str]]:
    """Check many geometries at once; only the ones failing a vectorised test take the slow path."""
    n = len(geoms)
    arr = np.empty(n, dtype=object)
    arr[:] = list(geoms)
    codes = list(codes) if codes is not None else [None] * n
    out = np.empty(n, dtype=object)
    problems: list[Problem] = []
    notes: dict[str, list[int]] = defaultdict(list)
    is_geom = np.fromiter((isinstance(g, shapely.Geometry) for g in arr), dtype=bool, count=n)
    ok = is_geom.copy()
    with np.errstate(invalid="ignore"):
        cand = arr[ok]
        fine = ~shapely.is_empty(cand) & ~shapely.has_z(cand)
        if polygonal:
            fine &= np.isin(shapely.get_type_id(cand), _POLYGONAL_IDS)
        fine &= _all_finite(cand)
        fine[fine] = shapely.is_valid(cand[fine])
        ok[ok] = fine
        out[ok] = shapely.remove_repeated_points(arr[ok], 0.0)
    for i in np.flatnonzero(~ok):
        geom, reasons, more = check_geometry(arr[i], make_valid=make_valid, polygonal=polygonal)
        out[i] = geom
        problems += [Problem(int(i), _code_text(codes[i]), r) for r in reasons]
        for note in more:
            notes[note].append(int(i))
    return list(out), problems, summarise_notes(notes)


def _all_finite(geoms) -> np.ndarray:
    """Per geometry: are all its x/y finite? (Z is dropped anyway.)"""
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    finite = np.ones(len(geoms), dtype=bool)
    bad = ~np.isfinite(coords).all(axis=1)
    if bad.any():
        finite[np.unique(index[bad])] = False
    return finite


def check_lonlat_range(geom) -> str | None:
    """Reason string if any coordinate is outside lon [-180, 180] / lat [-90, 90], suggesting --crs."""
    if geom is None or geom.is_empty:
        return None
    minx, miny, maxx, maxy = shapely.bounds(geom).tolist()
    if minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90:
        return None
    coords = shapely.get_coordinates(geom)
    out = (np.abs(coords[:, 0]) > 180) | (np.abs(coords[:, 1]) > 90)
    x, y = coords[out][0].tolist()
    if abs(x) > 360 or abs(y) > 360:
        return (f"coordinates ({x}, {y}) are not longitude/latitude; the file is probably in a "
                "projected CRS: give it with --crs EPSG:n")
    hint = " (are longitude and latitude swapped?)" if abs(y) <= 180 and abs(x) <= 90 else ""
    return f"coordinates ({x}, {y}) are outside longitude [-180, 180] / latitude [-90, 90]{hint}"
