"""Glue of ``sanigrid frontages derive``: building footprints and roads in, frontage zones out.

The zone rule is pure (:func:`grids.frontages.derive_zones`, in the metric CRS); this module reads
the two files as the imports read them (OSM extracts too: only areas tagged ``building``, only
lines that are roads, the kind from ``highway``), writes the derived zones as GeoJSON and, with
``apply``, imports them as frontages through the validated, transactional import path (status
``not_visited``: nobody has visited the units yet), so a refused write changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from grids.crs import to_metric, to_wgs84_geometries
from grids.fileio import write_vector
from grids.frontage_records import BUILDING_GEOMETRIES, ROAD_GEOMETRIES, building_records, frontage_ref, road_records
from grids.frontages import UNIT_KINDS, derive_zones
from grids.validation import Problem

from .config import metric_crs
from .errors import ValidationFailed
from .imports import ImportReport, import_frames
from .imports.common import problems_of, refuse_if
from .imports.reading import PRECISION_DEG, read_file_features

__all__ = ["DerivedFronts", "derive_frontages", "write_fronts", "UNREGISTERED"]

UNREGISTERED = "待登记单位"   # the unit name of a derived zone until someone visits and signs it up


@dataclass
class DerivedFronts:
    """The derived zones (EPSG:4326 frame, one row per street-facing building side) and what the import did."""

    fronts: gpd.GeoDataFrame
    notes: list = field(default_factory=list)
    imported: ImportReport | None = None


def _read(settings, path, geometry_types, records_of, what, crs, encoding):
    """(records with their geometries, notes) of a buildings or roads file; refused on any problem."""
    feats = read_file_features(path, crs, encoding, False, settings, geometry_types)
    records, errors, skipped = records_of(feats.props, feats.geoms)
    kept = {r["index"] for r in records}
    problems = [p for p in feats.problems if p.index is None or p.index in kept]
    problems += problems_of(errors, {r["index"]: r["ref"] for r in records})
    if not records:
        problems.append(Problem(None, None, f"{path}: no {what} in the file"))
    refuse_if(problems, feats.notes, what)
    for rec in records:
        rec["geometry"] = feats.geoms[rec["index"]]
        rec["name"] = rec.get("name") or _text(feats.props[rec["index"]].get("name"))
    notes = feats.notes + ([f"{what}: skipped {len(skipped)} feature(s) that are no {what[:-1]}"] if skipped else [])
    return records, notes


def _text(value):
    return None if value is None or value != value or not str(value).strip() else str(value).strip()


def derive_frontages(engine, settings, buildings, roads, *, unit_kind="individual", crs=None, encoding=None,
                     apply=False, by="cli") -> DerivedFronts:
    """Derive the frontage zones of ``buildings`` along ``roads``; with ``apply`` import them as frontages."""
    if unit_kind not in UNIT_KINDS:
        raise ValidationFailed(f"unit kind {unit_kind!r} is not one of {', '.join(UNIT_KINDS)}")
    houses, notes = _read(settings, buildings, BUILDING_GEOMETRIES, building_records, "buildings", crs, encoding)
    streets, more = _read(settings, roads, ROAD_GEOMETRIES, road_records, "roads", crs, encoding)
    metric = metric_crs(settings, [r["geometry"] for r in houses + streets])
    widths = [np.nan if r["width_m"] is None else r["width_m"] for r in streets]
    zones = derive_zones(to_metric([r["geometry"] for r in houses], metric),
                         to_metric([r["geometry"] for r in streets], metric), [r["kind"] for r in streets], widths)
    fronts = _fronts(zones, houses, streets, metric, unit_kind)
    if len(fronts) < len(zones):
        more.append(f"{len(zones) - len(fronts)} zone(s) too small to keep at 1e-7° (about 1 cm) left out")
    notes = notes + more + [f"{len(fronts)} street-facing side(s) of {fronts['building'].nunique()} of "
                            f"{len(houses)} building(s) face a road; measured in {metric.name}"]
    result = DerivedFronts(fronts, notes)
    if apply and len(fronts):
        result.imported = import_frames(engine, settings, "frontages", fronts.drop(columns=["building"]), by=by)
    return result


def _fronts(zones, houses, streets, metric, unit_kind) -> gpd.GeoDataFrame:
    """The zones as frontage features in EPSG:4326: a unit to be registered per building side."""
    geoms = to_wgs84_geometries(zones.geometry.to_numpy(), metric) if len(zones) else np.array([], dtype=object)
    geoms = shapely.orient_polygons(shapely.set_precision(geoms, PRECISION_DEG)) if len(geoms) else geoms
    building = [houses[b]["ref"] for b in zones["building"].tolist()]
    names = [houses[b]["name"] or f"{UNREGISTERED}（{houses[b]['ref']}）" for b in zones["building"].tolist()]
    frame = pd.DataFrame({
        "unit_name": names, "unit_kind": unit_kind, "status": "not_visited",
        "road": [streets[r]["name"] for r in zones["road"].tolist()], "building": building,
        "front_length_m": np.round(zones["length_m"].to_numpy(dtype=float), 2),
        "depth_m": np.round(zones["depth_m"].to_numpy(dtype=float), 2)})
    frame.insert(0, "ref", [frontage_ref(n, None, g) for n, g in zip(names, geoms)])
    out = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326")
    return out[out.geometry.geom_type == "Polygon"].reset_index(drop=True) if len(out) else out


def write_fronts(result: DerivedFronts, path) -> None:
    """Write the derived zones as GeoJSON (RFC 7946)."""
    write_vector(result.fronts, path, "geojson")
