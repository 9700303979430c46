"""Importing frontages (门前三包) and key places: records, shop points to fronts, the road faced, one write.

A frontage is a line along the building front or the zone polygon; a shop point with ``front_m``
becomes a segment of that width along the nearest stored road (:func:`grids.frontages.points_to_segments`
in the metric CRS), refused when no road layer is loaded or the point lies farther from every
road than the zone rule's ``max_distance_m``. Where a road layer is loaded, a frontage that names
no road gets the name of the nearest one. Rows are upserted by ``ref``, all or nothing.
"""
from __future__ import annotations

import math

import numpy as np
import shapely

from grids.crs import to_metric, to_wgs84_geometries
from grids.frontage_records import frontage_records
from grids.frontages import ZONE_RULES, frontage_length, nearest_road, points_to_segments
from grids.places import place_records
from grids.validation import Problem

from ..config import frontage_item_sets, place_kinds
from ..storage import session_scope
from ..storage import repository as repo
from ..storage.frontage_writes import (BUILDING_FIELDS, FRONTAGE_FIELDS, PLACE_FIELDS, ROAD_FIELDS, stored_records,
                                      upsert_layer)
from ..storage.frontages import count_rows, load_roads
from .common import Features, ImportReport, after_write, duplicate_codes, metric_crs_or_refuse, problems_of, refuse_if
from .photo_files import photo_files, store_photo_files
from .reading import PRECISION_DEG

__all__ = ["import_frontages", "import_places", "land"]

_METRES_PER_DEGREE = 111_320.0   # only to widen a query box: every distance is measured in the metric CRS
NO_ROADS = ("{n} shop point(s) with front_m need the road layer to become fronts along a road: "
            "import it first (sanigrid import roads FILE)")


def _placed(records, feats: Features) -> None:
    """Give each record its row index and geometry."""
    for i, rec in enumerate(records):
        rec["index"], rec["geometry"] = i, feats.geoms[i]


def import_frontages(engine, settings, feats: Features, dry_run, by, on_write=None, *, photo_dir=None,
                     instance=None) -> ImportReport:
    """Check frontages, turn shop points into fronts, name the road faced, and upsert them by ref."""
    records, errors = frontage_records(feats.props, frontage_item_sets(settings), feats.geoms)
    _placed(records, feats)
    feats.problems += problems_of(errors, [r["ref"] for r in records]) + duplicate_codes(records, key="ref")
    feats.problems += _points_without_width(records)
    bad = {p.index for p in feats.problems}
    usable = [r for r in records if r["geometry"] is not None and r["index"] not in bad]
    metric = metric_crs_or_refuse(settings, [r["geometry"] for r in usable], feats.problems, feats.notes,
                                  "frontages")
    with session_scope(engine) as session:
        roads = _roads_near(session, usable)
        known = len(roads) or count_rows(session, "roads")
    if known and not len(roads):   # roads there, but none in reach: the message names how far the nearest is
        with session_scope(engine) as session:
            roads = load_roads(session)
    feats.problems += _fronts_from_points(usable, roads, metric)
    _name_roads(usable, roads, metric)
    lengths = frontage_length(to_metric([r["geometry"] for r in usable], metric)) if usable else []
    for rec, length in zip(usable, np.asarray(lengths).tolist()):
        rec["length_m"] = round(length, 2)
    encoded = photo_files([r["photo"] for r in records], [r["ref"] for r in records], photo_dir, feats.problems,
                          what="frontages file", upload="a stored photo's /photos/<name> URL")
    refuse_if(feats.problems, feats.notes, "frontages")
    if dry_run or not encoded:
        return land(engine, "frontages", records, feats.notes, dry_run, by, on_write)
    urls = store_photo_files(encoded, instance)
    for rec in records:
        rec["photo"] = urls.get(rec["photo"], rec["photo"])
    return land(engine, "frontages", records, feats.notes, dry_run, by, on_write)


def _points_without_width(records) -> list:
    return [Problem(r["index"], r["ref"], "a point frontage needs front_m (the width of its front in metres) "
                                          "to become a segment along the nearest road")
            for r in records if r["geometry"] is not None and r["geometry"].geom_type == "Point"
            and r["front_m"] is None]


def _roads_near(session, records):
    """The stored roads within reach of the records (a box widened by the zone rule's distance)."""
    if not records:
        return load_roads(session, bbox=(0.0, 0.0, -1.0, -1.0))
    x0, y0, x1, y1 = shapely.total_bounds([r["geometry"] for r in records]).tolist()
    margin = 2 * ZONE_RULES.max_distance_m / (_METRES_PER_DEGREE * max(math.cos(math.radians(max(abs(y0), abs(y1)))),
                                                                       0.01))
    return load_roads(session, bbox=(x0 - margin, y0 - margin, x1 + margin, y1 + margin))


def _fronts_from_points(records, roads, metric) -> list:
    """Replace each shop point by its front along the nearest road (EPSG:4326, on the register's grid)."""
    points = [r for r in records if r["geometry"].geom_type == "Point"]
    if not points:
        return []
    if not len(roads):
        return [Problem(None, None, NO_ROADS.format(n=len(points)))]
    road_geoms = to_metric(roads.geometry.to_numpy(), metric)
    at = to_metric([r["geometry"] for r in points], metric)
    fronts = points_to_segments(at, [r["front_m"] for r in points], road_geoms, ZONE_RULES.max_distance_m)
    problems = []
    far = [k for k, f in enumerate(fronts) if f is None]
    if far:
        index, distance = nearest_road(at[far], road_geoms)
        for k, road, metres in zip(far, index.tolist(), distance.tolist()):
            name = roads["name"].iloc[road] or roads["ref"].iloc[road]
            problems.append(Problem(points[k]["index"], points[k]["ref"],
                                    f"the shop point lies {metres:.0f} m from the nearest road ({name}); a front "
                                    f"is at most {ZONE_RULES.max_distance_m:g} m from its road: check lon/lat "
                                    "(and --crs), or import the road it faces"))
    found = [k for k, f in enumerate(fronts) if f is not None]
    if found:
        lonlat = to_wgs84_geometries(np.asarray([fronts[k] for k in found], dtype=object), metric)
        for k, line in zip(found, shapely.set_precision(lonlat, PRECISION_DEG)):
            points[k]["geometry"] = line
    return problems


def _name_roads(records, roads, metric) -> None:
    """Fill ``road`` from the nearest named road within the zone rule's distance, where the record names none."""
    unnamed = [r for r in records if r["road"] is None and r["geometry"].geom_type != "Point"]
    named = roads[roads["name"].notna()] if len(roads) else roads
    if not unnamed or not len(named):
        return
    index, _ = nearest_road(to_metric([r["geometry"] for r in unnamed], metric),
                            to_metric(named.geometry.to_numpy(), metric), ZONE_RULES.max_distance_m)
    names = named["name"].tolist()
    for rec, road in zip(unnamed, index.tolist()):
        if road >= 0:
            rec["road"] = names[road]


def import_places(engine, settings, feats: Features, dry_run, by, on_write=None) -> ImportReport:
    """Check key places and upsert them by ref."""
    records, errors = place_records(feats.props, place_kinds(settings), feats.geoms)
    _placed(records, feats)
    feats.problems += problems_of(errors, [r["ref"] for r in records]) + duplicate_codes(records, key="ref")
    refuse_if(feats.problems, feats.notes, "places")
    return land(engine, "places", records, feats.notes, dry_run, by, on_write)


_FIELDS = {"frontages": FRONTAGE_FIELDS, "places": PLACE_FIELDS, "roads": ROAD_FIELDS, "buildings": BUILDING_FIELDS}


def land(engine, layer, records, notes, dry_run, by, on_write=None) -> ImportReport:
    """Sort valid records into created, updated and unchanged by ref, and write the changed ones in one transaction."""
    report = ImportReport(layer, "", dry_run, notes=notes)
    with session_scope(engine, write=not dry_run) as session:
        stored = stored_records(session, layer, [r["ref"] for r in records])
        for rec in records:
            old = stored.get(rec["ref"])
            bucket = report.created if old is None else (
                report.unchanged if _same(old, rec, _FIELDS[layer]) else report.updated)
            bucket.append(rec["ref"])
        if not dry_run:
            unchanged = set(report.unchanged)
            upsert_layer(session, layer, [r for r in records if r["ref"] not in unchanged], by, repo.now(),
                         versions={ref: old.get("version", 0) for ref, old in stored.items()})
            after_write(on_write, session, report)
    return report


def _same(old: dict, new: dict, fields) -> bool:
    """Whether a record would change nothing stored (numbers to the centimetre, the geometry exactly)."""
    for field in fields:
        a, b = old.get(field), new.get(field)
        if isinstance(a, float) or isinstance(b, float):
            if (a is None) != (b is None) or (a is not None and abs(a - b) > 0.005):
                return False
        elif a != b:
            return False
    return (old.get("attrs") or {}) == (new.get("attrs") or {}) and bool(
        shapely.equals_exact(old["geometry"], new["geometry"], 1e-9))
