"""/api/v1/regions: districts, streets and communities."""
from __future__ import annotations

from .body import Blueprint

from . import engine
from .respond import geojson_response, json_response
from .schemas import FeatureSchema, OpenSchema, RegionListQuery
from .where_query import region_feature, region_list

PREFIX = "/regions"
blp = Blueprint("regions", __name__, description="Regions: districts 区, streets 街道, communities 社区")


@blp.route("")
@blp.arguments(RegionListQuery, location="query", as_kwargs=True)
@blp.response(200, OpenSchema(many=True))
def list_regions(level=None, parent=None):
    """List regions (code, name, level, parent), optionally of one level or under one parent."""
    return json_response(region_list(engine(), level=level, parent=parent))


@blp.route("/<string(minlength=6, maxlength=12):code>")
@blp.response(200, FeatureSchema, content_type="application/geo+json")
def get_region(code):
    """One region as a GeoJSON Feature with its boundary."""
    return geojson_response(region_feature(engine(), code))
