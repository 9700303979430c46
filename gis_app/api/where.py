"""/api/v1/locate and /api/v1/staffing: who is responsible here, and how well staffed."""
from __future__ import annotations

from flask import current_app
from .body import Blueprint

from ..access import read_scope
from ..errors import NotFound
from . import engine
from .respond import json_response
from .schemas import LocateQuery, OpenSchema, UnderQuery
from .where_query import locate_answer, staffing

PREFIX = ""
blp = Blueprint("where", __name__, description="Locate a point; staffing per grid and region")


@blp.route("/locate")
@blp.arguments(LocateQuery(), location="query", as_kwargs=True)
@blp.response(200, OpenSchema)
def locate_point(lon, lat, crs=None):
    """The grid, community, street and district holding a point, the people responsible, the frontage unit and place."""
    answer = locate_answer(engine(), lon, lat, crs)
    scope = read_scope()
    if scope is not None and not str((answer.get("district") or {}).get("code") or "").startswith(scope):
        raise NotFound(f"this sign-in sees only district {scope}; the point lies outside it")
    return json_response(answer)


@blp.route("/staffing")
@blp.arguments(UnderQuery, location="query", as_kwargs=True)
@blp.response(200, OpenSchema)
def staffing_view(**under):
    """Every grid's staffing status with a roll-up per region (one of district, street, community)."""
    return json_response(staffing(engine(), current_app.config, under))
