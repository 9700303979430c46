"""/api/v1/gaps: the coverage-gap summary (JSON) and its features (GeoJSON) of the register or one region."""
from __future__ import annotations

from flask import Response, current_app
from .body import Blueprint

from grids.codes import one_region

from ..gap_output import gap_features, summary
from ..gap_report import register_gaps
from . import engine
from .respond import GEOJSON, json_response
from .schemas import OpenSchema, UnderQuery

PREFIX = "/gaps"
blp = Blueprint("gaps_api", __name__, description="Coverage gaps: holes, overlaps, out-of-bounds, staffing")


def _gaps(under: dict):
    return register_gaps(engine(), current_app.config, one_region(**under, spelling="{}="))


@blp.route("")
@blp.arguments(UnderQuery, location="query", as_kwargs=True)
@blp.response(200, OpenSchema)
def gaps_summary(**under):
    """The roll-up district → street → community and every finding, as JSON."""
    return json_response(summary(_gaps(under)))


@blp.route("/features")
@blp.arguments(UnderQuery, location="query", as_kwargs=True)
@blp.response(200, OpenSchema, content_type=GEOJSON)
def gaps_feature_collection(**under):
    """Holes, slivers, overlaps, out-of-bounds parts and under-staffed grids as GeoJSON."""
    features = gap_features(_gaps(under))
    return Response(features.to_json(na="null", drop_id=True, to_wgs84=False), mimetype=GEOJSON)
