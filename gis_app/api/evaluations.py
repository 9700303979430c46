"""/api/v1/evaluations: the monthly evaluation (月评), read per region, and publishing (freezing) a month."""
from __future__ import annotations

from flask import current_app
from marshmallow import fields

from grids.codes import one_region

from ..casework import evaluation as monthly
from ..errors import Forbidden
from . import engine, principal
from .body import Blueprint
from .case_schemas import KpiQuery
from .case_scope import scoped_query
from .respond import json_response
from .schemas import OpenSchema

PREFIX = "/evaluations"
blp = Blueprint("evaluations", __name__,
                description="Monthly evaluation 月评: score and city-wide rank per community, street and unit")
MONTH = "/<string(maxlength=32):month>"


class EvaluationQuery(KpiQuery):
    """The month (YYYY-MM) and at most one region; ranks stay city-wide."""


class EvaluationStatus(OpenSchema):
    month = fields.String(metadata={"description": "YYYY-MM"})
    published = fields.Boolean(metadata={"description": "true: the rows are frozen as published"})
    published_at = fields.String(allow_none=True, metadata={"description": "China time with its offset"})
    published_by = fields.String(allow_none=True)
    checklist_versions = fields.Dict(allow_none=True,
                                     metadata={"description": "inspection kind → checklist versions used"})
    rules_digest = fields.String(allow_none=True,
                                 metadata={"description": "SHA-256 of the case categories and evaluation weights"})


@blp.route("")
@blp.arguments(EvaluationQuery, location="query", as_kwargs=True)
@blp.response(200, OpenSchema)
def list_evaluations(month, **region):
    """Every community, street and unit of the month inside the region: scores, city-wide rank, rank change.

    A published month answers its stored rows; another month is computed from the register now.
    """
    region, _ = scoped_query(region)
    code = one_region(**{k: region.get(k) for k in ("district", "street", "community")})
    table, status = monthly.evaluation(engine(), current_app.config, month, code)
    return json_response({**status, "region": code, "rows": monthly.evaluation_records(table)})


@blp.route(MONTH)
@blp.response(200, EvaluationStatus)
def evaluation_status(month):
    """Whether the month is published, when, by whom, and under which checklists and rules."""
    return json_response(monthly.publication(engine(), month))


@blp.route(f"{MONTH}/publish", methods=["POST"])
@blp.response(201, EvaluationStatus)
@blp.doc(security=[{"bearer": []}])
def publish_evaluation(month):
    """Freeze an ended month (admins without a district scope): 409 when published already or not yet ended."""
    caller = principal("admin")
    if caller.district is not None:
        raise Forbidden(f"publishing covers the whole city; a sign-in scoped to district {caller.district} cannot")
    return json_response(monthly.publish(engine(), current_app.config, month, caller.actor), 201)
