"""Export layers to GeoJSON, GeoPackage, Shapefile, CSV or xlsx, optionally for one district."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from grids.codes import check_region_code
from grids.fileio import write_table, write_vector

from .errors import ValidationFailed
from .storage import repository as repo
from .storage import session_scope

__all__ = ["EXPORT_LAYERS", "EXPORT_FORMATS", "export_layer", "people_rows"]

EXPORT_LAYERS = ("regions", "grids", "people", "roles")
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
