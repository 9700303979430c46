"""The printable monthly evaluation page (月评排名): a ranking table per level, Chinese with English switchable."""
from __future__ import annotations

import pandas as pd
from flask import Blueprint, current_app, render_template, request

from grids.codes import one_region

from ..casework import clock
from ..casework.evaluation import EVALUATION_SHEETS, evaluation, evaluation_records
from ..storage.routing import read_engine
from .i18n import language, texts

bp = Blueprint("evaluation", __name__)
LEVELS_EN = {"community": "Communities", "street": "Streets", "unit": "Units (门前三包 and key places)"}


def last_month() -> str:
    """The month before today's (China time): the latest that can be complete."""
    return (pd.Timestamp(clock.now()).to_period("M") - 1).strftime("%Y-%m")


@bp.get("/evaluation")
def evaluation_page():
    """The month's ranking of communities, streets and units inside the region, city-wide ranks."""
    lang = language()
    month = request.args.get("month") or last_month()
    region = one_region(*(request.args.get(k) for k in ("district", "street", "community")), spelling="{}=")
    table, status = evaluation(read_engine(), current_app.config, month, region)
    rows = evaluation_records(table)
    names = EVALUATION_SHEETS if lang != "en" else LEVELS_EN
    levels = [(level, names[level], [r for r in rows if r["level"] == level]) for level in EVALUATION_SHEETS]
    param = {9: "street", 12: "community"}.get(len(region or ""), "district")
    return render_template("evaluation.html", month=month, region=region, region_param=param, status=status,
                           levels=levels, text=texts(lang), lang=lang)
