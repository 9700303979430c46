"""/api/v1/search: find grids by code, name or the name of a person serving them (the viewer's search box)."""
from __future__ import annotations

import shapely
from .body import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import or_, select

from ..access import read_scope
from ..storage import session_scope
from ..storage.schema import Grid, Person, Role
from . import engine
from .respond import json_response
from .schemas import OpenSchema, Text

__all__ = ["blp", "search_grids"]

PREFIX = "/search"
blp = Blueprint("search", __name__, description="Search grids by code, name or person (地图搜索)")


class SearchQuery(Schema):
    q = Text(required=True, validate=validate.Length(min=1, max=50))
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 100))


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_grids(engine, text: str, limit: int = 20, under: str | None = None) -> list[dict]:
    """Return active grids whose code starts with, or whose name or a person's name contains, ``text``.

    ``under``: only grids whose code starts with this region code (a district-scoped sign-in).
    """
    text = text.strip()
    like = f"%{_escaped(text)}%"
    served = (select(Role.grid, Person.name).join(Person, Role.person_id == Person.id)
              .where(Person.name.like(like, escape="\\")).subquery())
    stmt = (select(Grid.code, Grid.name, Grid.geom, served.c.name.label("person"))
            .outerjoin(served, served.c.grid == Grid.code)
            .where(Grid.end_date.is_(None), Grid.code.like(f"{under or ''}%"),
                   or_(Grid.code.like(f"{_escaped(text)}%", escape="\\"), Grid.name.like(like, escape="\\"),
                       served.c.name.is_not(None)))
            .order_by(Grid.code).limit(limit * 5))
    with session_scope(engine) as session:
        rows = session.execute(stmt).all()
    found: dict = {}
    for row in rows:
        entry = found.setdefault(row.code, {"code": row.code, "name": row.name, "people": [], "geom": row.geom})
        if row.person and row.person not in entry["people"]:
            entry["people"].append(row.person)
    return [_answer(e) for e in list(found.values())[:limit]]


def _answer(entry: dict) -> dict:
    geom = shapely.from_wkb(entry.pop("geom"))
    point = shapely.point_on_surface(geom)
    return {**entry, "bbox": list(geom.bounds), "point": [point.x, point.y]}


@blp.route("")
@blp.arguments(SearchQuery, location="query", as_kwargs=True)
@blp.response(200, OpenSchema(many=True))
def search(q, limit):
    """Grids matching a code prefix, a grid name or a person's name, with their extent and an inside point."""
    return json_response(search_grids(engine(), q, limit, under=read_scope()))
