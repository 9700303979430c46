"""Uploads to import files and exports to download files, in the instance's temp folder."""
from __future__ import annotations

import tempfile
from pathlib import Path

from ..audit import record as audit
from ..auth import check_scope
from ..errors import Forbidden, ValidationFailed
from ..exports import export_layer
from ..imports import import_file

__all__ = ["import_upload", "export_to_file"]

SUFFIXES = {".geojson", ".json", ".gpkg", ".zip", ".csv", ".xlsx"}
MIMETYPES = {"geojson": "application/geo+json", "gpkg": "application/geopackage+sqlite3", "shp": "application/zip",
             "csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
SUFFIX_OF = {"geojson": ".geojson", "gpkg": ".gpkg", "shp": ".zip", "csv": ".csv", "xlsx": ".xlsx"}


def _workdir(settings) -> Path:
    root = Path(settings["SANIGRID_INSTANCE"]) / "uploads"
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=root))


def _save(request, folder: Path) -> Path:
    upload = request.files.get("file")
    if upload is not None:
        suffix = Path((upload.filename or "").replace("\\", "/")).suffix.lower()
        if suffix not in SUFFIXES:
            raise ValidationFailed(f"the file must end in one of {', '.join(sorted(SUFFIXES))}, got {suffix or 'none'}")
        path = folder / f"upload{suffix}"
        upload.save(path)
        return path
    if request.mimetype in ("application/geo+json", "application/json"):
        path = folder / "upload.geojson"
        path.write_bytes(request.get_data(cache=False))
        return path
    raise ValidationFailed("send the file as multipart/form-data field 'file', or a GeoJSON body")


def _hook(principal, layer, source):
    def hook(session, report):
        if layer == "grids":
            check_scope(principal, *(report.created + report.updated))
        audit(session, principal.actor, "import", layer, source,
              None, {"created": report.created, "updated": report.updated})
    return hook


def import_upload(engine, settings, principal, layer, request, *, dry_run, crs, encoding, make_valid) -> dict:
    """Save the request's file and import it like ``sanigrid import`` (grids scoped by district)."""
    if principal.district is not None and layer != "grids":
        raise Forbidden(f"a token scoped to {principal.district} may import grids only")
    folder = _workdir(settings)
    try:
        path = _save(request, folder)
        report = import_file(engine, settings, layer, path, crs=crs, encoding=encoding, dry_run=dry_run,
                             make_valid=make_valid, by=principal.actor, on_write=_hook(principal, layer, path.name))
    finally:
        _clean(folder)
    if dry_run and layer == "grids":
        check_scope(principal, *(report.created + report.updated))
    return {**report.as_dict(), "source": _sent_name(request, path)}


def _sent_name(request, path: Path) -> str:
    """The name the client gave its file (its last part only), never where the server kept it."""
    upload = request.files.get("file")
    name = (upload.filename or "") if upload is not None else ""
    return name.replace("\\", "/").rsplit("/", 1)[-1] or path.name


def export_to_file(engine, settings, layer, fmt, district) -> tuple[bytes, str, str]:
    """Export ``layer`` like ``sanigrid export``; return (content, file name, media type)."""
    folder = _workdir(settings)
    path = folder / f"{layer}{SUFFIX_OF[fmt]}"
    try:
        export_layer(engine, layer, fmt, path, district=district)
        return path.read_bytes(), path.name, MIMETYPES[fmt]
    finally:
        _clean(folder)


def _clean(folder: Path) -> None:
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()
