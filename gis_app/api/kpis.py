"""/api/v1/kpis: the month's case measures per grid, community, street, district, unit and person."""
from __future__ import annotations

from flask import current_app

from grids.codes import one_region

from ..casework.measures import kpi_records, kpi_table
from . import engine
from .body import Blueprint
from .case_schemas import KpiQuery
from .case_scope import scoped_query
from .respond import json_response
from .schemas import OpenSchema

PREFIX = "/kpis"
blp = Blueprint("kpis", __name__, description="Monthly case measures 月评指标 (closure and on-time rates)")


@blp.route("")
@blp.arguments(KpiQuery, location="query", as_kwargs=True)
@blp.response(200, OpenSchema)
def kpi_report(month, **region):
    """Due, deferred, closed, closed on time, the rates (percent, two decimals) and days to close, per level."""
    region, _ = scoped_query(region)
    code = one_region(**{k: region.get(k) for k in ("district", "street", "community")})
    rows = kpi_records(kpi_table(engine(), current_app.config, month, code))
    return json_response({"month": month, "region": code, "rows": rows})
