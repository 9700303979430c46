"""Import layers from files: read → convert CRS → validate → one transaction, all or nothing.

The CLI and the API call :func:`import_file`; a refused import raises
:class:`ValidationFailed` listing every problem (a domain error from any step, e.g. a CRS or a
file that cannot be read, becomes one here, in one place), writes nothing to the register and
leaves one line in the import log.
"""
from __future__ import annotations

from pathlib import Path

from grids.frontage_records import BUILDING_GEOMETRIES, FRONTAGE_GEOMETRIES, ROAD_GEOMETRIES
from grids.gc_pause import gc_paused
from grids.places import PLACE_GEOMETRIES
from grids.validation import check_geometries

from ..errors import REFUSED, ValidationFailed
from ..storage import repository as repo
from ..storage import refresh_statistics, session_scope
from .common import Features, ImportReport
from .cases import import_case_rows, import_inspection_rows, read_rows
from .frontages import import_frontages, import_places
from .grids import import_grids
from .people import import_people_rows
from .reading import of_types, read_features, read_file_features, read_table_or_refuse, snap_to_register_grid
from .roads import import_buildings, import_roads
from .screen import screen_lonlat, screen_rows, screen_source
from .regions import import_region_codes, import_regions

__all__ = ["LAYERS", "ImportReport", "import_file", "import_frames", "read_features"]

LAYERS = ("regions", "grids", "people", "frontages", "places", "roads", "buildings", "inspections", "cases")
_TABLES = {"regions": ("regions",), "grids": ("grids",), "people": ("people", "roles"),  # what each layer writes
           "frontages": ("frontages",), "places": ("places",), "roads": ("roads",), "buildings": ("buildings",),
           "inspections": ("inspections", "cases", "case_events"), "cases": ("cases", "case_events")}
# The geometry types of the layers that are not polygons only (regions and grids are).
GEOMETRY_TYPES = {"frontages": FRONTAGE_GEOMETRIES, "places": PLACE_GEOMETRIES, "roads": ROAD_GEOMETRIES,
                  "buildings": BUILDING_GEOMETRIES}
_IMPORTERS = {"frontages": import_frontages, "places": import_places, "roads": import_roads,
              "buildings": import_buildings}
_RECORDS = {"inspections": import_inspection_rows, "cases": import_case_rows}   # tables of rows, points optional


def import_file(engine, settings: dict, layer: str, path, *, crs=None, encoding=None, dry_run=False,
                make_valid=False, codes=False, by="cli", on_write=None) -> ImportReport:
    """Import ``path`` into ``layer``; raise ValidationFailed (nothing written) on any problem.

    ``on_write(session, report)`` runs inside the write transaction, after the rows are written
    and before the commit (the API's ETag re-check and audit entry); raising there rolls back.
    """
    if layer not in LAYERS:
        raise ValidationFailed(f"unknown layer {layer!r}; importable layers: {', '.join(LAYERS)}")

    def run():
        if layer == "people":
            rows = read_table_or_refuse(path, encoding)
            screen_rows(rows, settings, file=Path(path).name)
            return import_people_rows(engine, rows, dry_run, by, on_write,
                                      photo_dir=Path(path).parent, instance=settings["SANIGRID_INSTANCE"])
        if layer in _RECORDS:
            return _RECORDS[layer](engine, settings, read_rows(path, settings, crs=crs, encoding=encoding), dry_run,
                                   by, on_write)
        if layer == "regions" and codes:
            return import_region_codes(engine, path, encoding, dry_run, by, on_write)
        feats = read_file_features(path, crs, encoding, make_valid, settings, GEOMETRY_TYPES.get(layer))
        if layer == "frontages":
            return import_frontages(engine, settings, feats, dry_run, by, on_write, photo_dir=Path(path).parent,
                                    instance=settings["SANIGRID_INSTANCE"])
        importer = _IMPORTERS.get(layer) or (import_regions if layer == "regions" else import_grids)
        return importer(engine, settings, feats, dry_run, by, on_write)

    return _logged(engine, by, layer, str(path), dry_run, run)


def _logged(engine, by, layer, source, dry_run, run) -> ImportReport:
    """Run an import and leave one line in the import log, landed or refused."""
    try:
        with gc_paused():  # bulk work: GC passes over the rows cost half a grid import's time
            report = run()
    except REFUSED as exc:
        refusal = exc if isinstance(exc, ValidationFailed) else ValidationFailed.of(exc)
        with session_scope(engine, write=True) as session:
            repo.log_import(session, by=by, layer=layer, source=source, landed=False, summary=str(refusal)[:4000])
        if refusal is exc:
            raise
        raise refusal from None
    report.source = source
    if not dry_run:
        with session_scope(engine, write=True) as session:
            repo.log_import(session, by=by, layer=layer, source=source, landed=True, summary=report.summary())
        refresh_statistics(engine, _TABLES[layer])
    return report


def import_frames(engine, settings: dict, layer: str, frame, *, by="cli", dry_run=False,
                  on_write=None, retire=()) -> ImportReport:
    """Import an in-memory frame (a GeoDataFrame in EPSG:4326 of any layer but people, a people DataFrame).

    The same validation and transaction as a file import: used by the demo, scripts and the API
    (``on_write`` as in :func:`import_file`). ``retire`` (grids only): codes of active grids the
    frame replaces: they are left out of the overlap check and retired in the same transaction
    (a redraw by ``sanigrid assign-grids``).
    """
    def run():
        if layer == "people":
            screen_rows(frame, settings)
            return import_people_rows(engine, frame, dry_run, by, on_write)
        props = frame.drop(columns=frame.geometry.name).to_dict("records")
        codes = [p.get("code", p.get("ref")) for p in props]
        screened, refused = screen_source(list(frame.geometry.array), codes, "EPSG:4326", settings)
        screened, outside = screen_lonlat(screened, codes, settings)
        types = GEOMETRY_TYPES.get(layer)
        geoms, problems, notes = check_geometries(list(screened), codes, polygonal=types is None)
        geoms = of_types(geoms, codes, types, problems) if types else geoms
        screened_out = {q.index for q in refused + outside}
        problems = refused + outside + [p for p in problems if p.index not in screened_out]
        feats = Features(props, snap_to_register_grid(geoms, codes, problems, types), notes, problems)
        if layer in _IMPORTERS:
            return _IMPORTERS[layer](engine, settings, feats, dry_run, by, on_write)
        if layer == "grids":
            return import_grids(engine, settings, feats, dry_run, by, on_write, retire=retire)
        return import_regions(engine, settings, feats, dry_run, by, on_write)

    if layer not in LAYERS or layer in _RECORDS:
        raise ValidationFailed(f"layer {layer!r} is not imported from a frame; frame layers: "
                               f"{', '.join(k for k in LAYERS if k not in _RECORDS)}")
    return _logged(engine, by, layer, "<frame>", dry_run, run)
