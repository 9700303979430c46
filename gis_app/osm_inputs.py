"""Assignment inputs from an OpenStreetMap extract: buildings with households, the roads grid edges follow.

What ``sanigrid assign-grids --buildings F --roads F`` reads, made once from a ``.osm``/``.pbf``
(GDAL's OSM driver) or GDAL's GeoJSON of one (``*_multipolygons.geojson`` beside
``*_lines.geojson``). The households are the estimate assign-grids itself makes for
footprints without counts (:func:`grids.assign.estimate_from_properties`), and the roads
the classes it follows (:func:`grids.assign.is_block_road`), so a prepared file and the raw
extract give the same grids.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from grids.assign import ESTIMATE_NOTE, building_levels, estimate_from_properties, is_block_road
from grids.crs import WGS84, CRSError, metric_crs_for, to_metric
from grids.fileio import FileFormatError
from grids.fileio.ogr import read_ogr

from .errors import ValidationFailed
from .imports.reading import read_any_geometry

__all__ = ["OsmInputs", "prepare_osm", "OSM_SUFFIXES"]

OSM_SUFFIXES = (".osm", ".pbf")
_POLYGONS, _LINES = "_multipolygons.geojson", "_lines.geojson"


@dataclass
class OsmInputs:
    """Buildings (polygons: osm_id, name, building, levels, area_m2, households) and roads (lines), EPSG:4326."""

    buildings: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    notes: list


def prepare_osm(settings, source) -> OsmInputs:
    """Read an OSM extract; return its buildings with estimated households and its block-bounding roads."""
    polygons, lines = _read(settings, Path(source))
    buildings = _buildings(settings, *polygons)
    roads = _roads(*lines)
    notes = [ESTIMATE_NOTE, f"{len(buildings)} buildings hold {int(buildings['households'].sum())} households; "
                            f"{len(roads)} road lines of the classes that bound blocks"]
    return OsmInputs(buildings, roads, notes)


def _read(settings, path: Path):
    """((props, geoms) of the areas, (props, geoms) of the lines), both in EPSG:4326."""
    if not path.is_file():
        raise ValidationFailed(f"file not found: {path}")
    name = path.name.lower()
    if name.endswith(OSM_SUFFIXES):
        return tuple(_osm_layer(path, layer) for layer in ("multipolygons", "lines"))
    if name.endswith(_POLYGONS):
        lines = path.with_name(path.name[: -len(_POLYGONS)] + _LINES)
        if not lines.is_file():
            raise ValidationFailed(f"{path.name}: its lines file {lines.name} is not beside it")
        return tuple(read_any_geometry(p, settings)[:2] for p in (path, lines))
    raise ValidationFailed(f"{path.name}: give an OSM extract (.osm, .osm.pbf) or GDAL's "
                           f"*{_POLYGONS} of one (with its *{_LINES} beside it)")


def _osm_layer(path: Path, layer: str):
    try:
        frame = read_ogr(path, str(path), layer, None, "OSM")
    except FileFormatError as exc:
        raise ValidationFailed(str(exc)) from None
    props = frame.drop(columns=frame.geometry.name).to_dict("records")
    return props, np.array([g if g is not None and not g.is_empty else None for g in frame.geometry.array],
                           dtype=object)


def _buildings(settings, props, geoms) -> gpd.GeoDataFrame:
    keep = [i for i, (p, g) in enumerate(zip(props, geoms))
            if _text(p.get("building")) and g is not None and g.geom_type in ("Polygon", "MultiPolygon")]
    if not keep:
        raise ValidationFailed("the extract holds no building footprints")
    props, geoms = [props[i] for i in keep], np.asarray([geoms[i] for i in keep], dtype=object)
    try:
        metric = metric_crs_for(list(geoms), override=settings.get("SANIGRID_METRIC_CRS"))
    except CRSError as exc:
        raise ValidationFailed(str(exc)) from None
    area = shapely.area(to_metric(geoms, metric))
    return gpd.GeoDataFrame({
        "osm_id": [_osm_id(p) for p in props], "name": [_text(p.get("name")) for p in props],
        "building": [p.get("building") for p in props], "levels": [building_levels(p) for p in props],
        "area_m2": np.round(area, 1), "households": estimate_from_properties(area, props),
    }, geometry=list(geoms), crs=WGS84.crs)


def _roads(props, geoms) -> gpd.GeoDataFrame:
    keep = [i for i, (p, g) in enumerate(zip(props, geoms)) if _text(p.get("highway")) and is_block_road(p, g)]
    return gpd.GeoDataFrame({"osm_id": [_osm_id(props[i]) for i in keep],
                             "name": [_text(props[i].get("name")) for i in keep],
                             "highway": [props[i]["highway"] for i in keep]},
                            geometry=[geoms[i] for i in keep], crs=WGS84.crs)


def _osm_id(props) -> str | None:
    return _text(props.get("osm_id")) or _text(props.get("osm_way_id"))


def _text(value) -> str | None:
    """A property as text; None for a missing one (None, NaN, blank)."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)) or str(value).strip() == "":
        return None
    return str(value)
