"""Importing roads and building footprints: what frontages are measured against (OSM extracts too).

Roads come from any line file with ``kind`` (``main``/``lane``), or from an OSM lines extract,
whose ``highway`` gives the kind (:func:`grids.frontages.road_kind`); lines that are no road
(rivers, paths, railways) are skipped with a note. Buildings likewise: an OSM areas file keeps
only the areas tagged ``building``. Both are upserted by ``ref`` (an OSM way's ``W<osm id>``).
"""
from __future__ import annotations

from grids.frontage_records import building_records, road_records
from grids.validation import Problem

from .common import Features, ImportReport, duplicate_codes, problems_of, refuse_if
from .frontages import land

__all__ = ["import_roads", "import_buildings"]

_SKIPPED = {"roads": "line(s) that are no road (an OSM path, or no highway: a river, a railway, a barrier)",
            "buildings": "area(s) not tagged building"}


def _import(engine, layer, make, feats: Features, dry_run, by, on_write) -> ImportReport:
    records, errors, skipped = make(feats.props, feats.geoms)
    for rec in records:
        rec["geometry"] = feats.geoms[rec["index"]]
    refs = {rec["index"]: rec["ref"] for rec in records}
    skipped_rows = set(skipped)   # a row that is no road is not held to the layer's geometry rules either
    feats.problems[:] = [p for p in feats.problems if p.index not in skipped_rows]
    feats.problems += problems_of(errors, refs) + duplicate_codes(records, key="ref")
    if not records:
        feats.problems.append(Problem(None, None, f"no {layer} to import: {len(skipped)} {_SKIPPED[layer]}"))
    refuse_if(feats.problems, feats.notes, layer)
    notes = feats.notes + ([f"skipped {len(skipped)} {_SKIPPED[layer]}"] if skipped else [])
    return land(engine, layer, records, notes, dry_run, by, on_write)


def import_roads(engine, settings, feats: Features, dry_run, by, on_write=None) -> ImportReport:
    """Check road centrelines (kind from ``kind`` or OSM ``highway``) and upsert them by ref."""
    return _import(engine, "roads", road_records, feats, dry_run, by, on_write)


def import_buildings(engine, settings, feats: Features, dry_run, by, on_write=None) -> ImportReport:
    """Check building footprints and upsert them by ref."""
    return _import(engine, "buildings", building_records, feats, dry_run, by, on_write)
