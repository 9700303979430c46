"""/api/v1/import/{layer} and /api/v1/export/{layer}: the CLI's import and export over HTTP."""
from __future__ import annotations

import io

from flask import current_app, request, send_file
from .body import Blueprint

from . import engine, principal
from .respond import json_response
from .schemas import ExportQuery, ImportQuery, OpenSchema
from .transfer_files import export_to_file, import_upload

PREFIX = ""
blp = Blueprint("transfer", __name__, description="Import and export layers (the same code as the CLI)")
IMPORT_BODY = {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                       "properties": {"file": {"type": "string", "format": "binary"}}}},
    "application/geo+json": {"schema": {"type": "object"}}}}


@blp.route("/import/<any(regions, grids, people):layer>", methods=["POST"])
@blp.arguments(ImportQuery, location="query", as_kwargs=True)
@blp.response(200, OpenSchema)
@blp.doc(requestBody=IMPORT_BODY, security=[{"bearer": []}])
def import_layer(layer, dry_run=False, crs=None, encoding=None, make_valid=False):
    """Import a file (multipart ``file``) or a GeoJSON body: all or nothing; ``dry_run`` reports only."""
    report = import_upload(engine(), current_app.config, principal("editor"), layer, request,
                           dry_run=dry_run, crs=crs, encoding=encoding, make_valid=make_valid)
    return json_response(report)


@blp.route("/export/<any(regions, grids, people, roles):layer>")
@blp.arguments(ExportQuery, location="query", as_kwargs=True)
@blp.response(200, content_type="application/octet-stream")
def export_layer(layer, format="geojson", district=None):
    """Export a layer as GeoJSON, GeoPackage, zipped Shapefile, CSV or xlsx."""
    content, name, mimetype = export_to_file(engine(), current_app.config, layer, format, district)
    return send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=name)
