"""Export layers to GeoJSON, GeoPackage, Shapefile, CSV or xlsx, optionally for one district.

:func:`export_geopackage` writes every layer of a district into one GeoPackage, with the
viewer's styles in its ``layer_styles`` table so that QGIS opens the layers styled.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pandas as pd

from grids.codes import check_region_code
from grids.fileio import write_table, write_vector
from grids.fileio.formats import replace_file, short_error
from grids.fileio.ogr import ogr_ready

from .errors import NotFound, ValidationFailed
from .storage import repository as repo
from .storage import session_scope

__all__ = ["EXPORT_LAYERS", "EXPORT_FORMATS", "export_layer", "people_rows", "GPKG_LAYERS", "GpkgLayer",
           "export_geopackage", "register_layer_frame"]

EXPORT_LAYERS = ("regions", "grids", "people", "roles", "frontages", "places")
EXPORT_FORMATS = ("geojson", "gpkg", "shp", "csv", "xlsx")
TABLE_FORMATS = ("csv", "xlsx")
PEOPLE_COLUMNS = ["name", "phone", "photo", "grid", "role", "backup"]


def export_layer(engine, layer: str, fmt: str, path, *, district: str | None = None,
                 encoding: str | None = None) -> int:
    """Write ``layer`` to ``path`` in ``fmt``; return the number of rows written."""
    _check_arguments(layer, fmt, district)
    with session_scope(engine) as session:
        if layer in ("people", "roles"):
            frame = people_rows(session, under=district, with_idle=layer == "people")
        elif layer == "regions":
            frame = repo.load_regions(session, under=district)
        elif layer in ("frontages", "places"):
            frame = register_layer_frame(session, layer, district, lists_as_text=fmt != "geojson")
        else:
            frame = _grids_frame(repo.load_grids(session, under=district))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    if layer in ("people", "roles"):
        write_table(frame, path, fmt)
    else:
        write_vector(frame, path, fmt, encoding=encoding)
    return len(frame)


def _check_arguments(layer, fmt, district) -> None:
    if layer not in EXPORT_LAYERS:
        raise ValidationFailed(f"unknown layer {layer!r}; exportable layers: {', '.join(EXPORT_LAYERS)}")
    if fmt not in EXPORT_FORMATS:
        raise ValidationFailed(f"unknown format {fmt!r}; formats: {', '.join(EXPORT_FORMATS)}")
    if layer in ("people", "roles") and fmt not in TABLE_FORMATS:
        raise ValidationFailed(f"layer {layer} has no geometry; export it as csv or xlsx")
    if district is not None:
        check_region_code(district)


def _grids_frame(grids):
    frame = grids.copy()
    for column in ("start_date", "end_date"):
        frame[column] = [d.isoformat() if d is not None and not pd.isna(d) else None for d in frame[column]]
    return frame


_LIST_COLUMNS = ("items", "grids")
_EXPORT_DROPPED = ("updated_by",)


def register_layer_frame(session, layer: str, district: str | None, *, lists_as_text: bool = True):
    """Frontages or places as exported: dates as ISO text, lists (items, grids) joined by ``;`` unless GeoJSON.

    The importer reads both spellings of a list back, and skips the derived columns
    (``effective_status``, ``grids``, ``length_m``, a place's ``grid``), so an export imports again unchanged.
    """
    from .storage.frontages import load_frontages, load_places
    frame = (load_frontages if layer == "frontages" else load_places)(session, district=district)
    frame = frame.drop(columns=[c for c in _EXPORT_DROPPED if c in frame.columns])
    for column in frame.columns:
        if column == frame.geometry.name:
            continue
        values = frame[column].tolist()
        if column in _LIST_COLUMNS and lists_as_text:
            frame[column] = [";".join(v) if isinstance(v, list) else v for v in values]
        elif any(hasattr(v, "isoformat") for v in values):
            frame[column] = [v.isoformat() if hasattr(v, "isoformat") else v for v in values]
    return frame


def people_rows(session, *, under: str | None = None, with_idle: bool = True) -> pd.DataFrame:
    """Return one row per role (and, with_idle, per person serving no grid): the people CSV shape."""
    roles = repo.load_roles(session, under=under)
    people = repo.load_people(session)
    photo = dict(zip(people["phone"], people["photo"]))
    rows = pd.DataFrame({"name": roles["name"], "phone": roles["person"], "photo": roles["person"].map(photo),
                         "grid": roles["grid"], "role": roles["role"], "backup": roles["backup"]},
                        columns=PEOPLE_COLUMNS)
    # People without a role row of their own: backups (needed to re-import) and, for a whole
    # register, people serving no grid at all.
    no_role = ~people["phone"].isin(set(roles["person"]))
    wanted = people["phone"].isin(set(roles["backup"].dropna()))
    if with_idle and under is None:
        wanted |= True
    extra = people[no_role & wanted]
    if len(extra):
        rows = pd.concat([rows, extra.reindex(columns=PEOPLE_COLUMNS)], ignore_index=True)
    return rows.astype(object).where(rows.notna(), None)


# --- one GeoPackage of every layer -----------------------------------------------------------------

@dataclass(frozen=True)
class GpkgLayer:
    """One layer of the district GeoPackage: how to load it and, for a map layer, its QML style."""

    name: str
    load: Callable  # (session, engine, settings, district) -> GeoDataFrame (map layer) or DataFrame (table)
    style: Callable | None = None  # () -> QML text, stored as the layer's default style


def _gpkg_regions(session, engine, settings, district):
    return repo.load_regions(session, under=district)


def _gpkg_grids(session, engine, settings, district):
    from .register import staffing_report
    grids = _grids_frame(repo.load_grids(session, under=district))
    table, _ = staffing_report(engine, settings, district)
    status = dict(zip(table["code"], table["status"]))
    return grids.assign(status=[status.get(c) for c in grids["code"]])


def _gpkg_people(session, engine, settings, district):
    roles = repo.load_roles(session, under=district)
    serving = set(roles["person"]) | set(roles["backup"].dropna())
    people = repo.load_people(session)
    return people[people["phone"].isin(serving)].reset_index(drop=True)


def _gpkg_frontages(session, engine, settings, district):
    return register_layer_frame(session, "frontages", district)


def _gpkg_places(session, engine, settings, district):
    return register_layer_frame(session, "places", district)


def _gpkg_roles(session, engine, settings, district):
    return repo.load_roles(session, under=district)[["grid", "person", "name", "role", "backup", "backup_name"]]


def _qml(name):
    def style():
        from layers import qgis_styles
        return getattr(qgis_styles, name)()
    return style


#: Every layer of the district GeoPackage, in order; a later layer (inspections, cases) is one
#: more line here once its table exists.
GPKG_LAYERS = (
    GpkgLayer("regions", _gpkg_regions, _qml("region_level_qml")),
    GpkgLayer("grids", _gpkg_grids, _qml("grid_status_qml")),
    GpkgLayer("people", _gpkg_people),
    GpkgLayer("roles", _gpkg_roles),
    GpkgLayer("frontages", _gpkg_frontages),
    GpkgLayer("places", _gpkg_places),
)
GPKG_GEOMETRY_COLUMN = "geom"
GPKG_VERSION = "1.2"  # what GDAL 3.6 (Debian's QGIS 3.22) reads without a warning


def export_geopackage(engine, settings, district: str, path, layers=GPKG_LAYERS) -> dict:
    """Write every layer of ``district`` into one GeoPackage at ``path``; return rows per layer.

    Map layers get their QML as the default style in ``layer_styles`` (QGIS's convention), so
    QGIS draws them as the viewer does; people and roles are attribute tables. The file is
    written beside ``path`` and moved in place only when complete.
    """
    district = check_region_code(district)
    if len(district) != 6:
        raise ValidationFailed(f"give a 6-digit district code, got {district!r}")
    with session_scope(engine) as session:
        if repo.load_regions(session, level="district", under=district).empty:
            raise NotFound(f"district {district} is not in the register")
        frames = {layer.name: layer.load(session, engine, settings, district) for layer in layers}
    styles = [(layer.name, layer.style()) for layer in layers if layer.style is not None]
    replace_file(Path(path), lambda tmp: _write_gpkg(tmp, frames, styles))
    return {name: len(frame) for name, frame in frames.items()}


def _write_gpkg(path: Path, frames: dict, styles: list) -> None:
    import geopandas as gpd
    import pyogrio
    now = datetime.now(timezone.utc).replace(microsecond=0)
    style_rows = pd.DataFrame({
        "f_table_catalog": "", "f_table_schema": "", "f_table_name": [n for n, _ in styles],
        "f_geometry_column": GPKG_GEOMETRY_COLUMN, "styleName": [n for n, _ in styles],
        "styleQML": [q for _, q in styles], "styleSLD": "", "useAsDefault": True,
        "description": "sanigrid viewer style", "owner": "sanigrid", "ui": "", "update_time": pd.Timestamp(now)})
    try:
        for name, frame in [*frames.items(), ("layer_styles", style_rows)]:
            spatial = isinstance(frame, gpd.GeoDataFrame)
            pyogrio.write_dataframe(ogr_ready(frame) if spatial else frame,
                                    path, layer=name, driver="GPKG", dataset_options={"VERSION": GPKG_VERSION},
                                    layer_options={"GEOMETRY_NAME": GPKG_GEOMETRY_COLUMN} if spatial else None)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        raise ValidationFailed(f"cannot write the GeoPackage ({short_error(exc)})") from None
