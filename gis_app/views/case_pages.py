"""The case pages: ``/cases`` (filters, paging, bulk dispatch) and ``/cases/<id>`` (facts, history, actions).

The pages only read; every action goes through ``POST /api/v1/cases/{id}/actions`` from
static/viewer/cases.js with the case's ETag as If-Match, so the rules live in one place.
"""
from __future__ import annotations

from flask import Blueprint, current_app, g, make_response, render_template, request, url_for
from marshmallow import ValidationError

from grids.cases import ACTION_LABELS, STATES
from grids.case_records import ADDRESSED_KINDS, SEVERITIES
from grids.checklists import INSPECTION_KINDS

from .. import case_rules as rules
from ..access import signed_in
from ..api.case_bodies import problems_of
from ..api.case_schemas import CaseListQuery
from ..api.case_scope import scoped_query
from ..casework import reads
from ..errors import ValidationFailed
from ..storage.case_sheet import read_case_sheet, read_parties
from ..storage.routing import read_engine
from .i18n import CASE_LABELS_EN, labels, language, remember_language, texts
from .signboard import extent_svg

__all__ = ["bp", "case_words", "case_sheet", "region_filter"]

bp = Blueprint("case_pages", __name__)
PAGE_SIZE = 50
REGION_KEYS = {6: "district", 9: "street", 12: "community", 15: "grid"}
FILTER_KEYS = ("district", "street", "community", "grid", "category", "state", "overdue", "cursor")
LEVELS_ZH = {"grid": "网格", "community": "社区", "street": "街道", "district": "区（县）", "city": "市"}
EDIT_ROLES = ("editor", "admin")


def case_words(lang: str, settings) -> dict:
    """The labels of states, actions, severities, parties, levels, inspection kinds and categories in ``lang``."""
    categories = rules.case_categories(settings)
    en = CASE_LABELS_EN
    return {"state": labels(lang, STATES, en["state"]),
            "action": labels(lang, {"register": "立案", "import": "导入", **ACTION_LABELS}, en["action"]),
            "severity": labels(lang, SEVERITIES, en["severity"]),
            "addressed_kind": labels(lang, ADDRESSED_KINDS, en["addressed_kind"]),
            "level": labels(lang, LEVELS_ZH, en["level"]),
            "inspection": labels(lang, INSPECTION_KINDS, en["inspection"]),
            "category": {k: (c.label_en if lang == "en" else c.label) for k, c in categories.items()}}


def region_filter(args) -> dict:
    """The list's filters from the query: ``region`` (6, 9, 12 or 15 digits) or the API's own names.

    422 (a page) for a region code of another length, an unknown category, state or overdue value.
    """
    raw = {k: args[k] for k in FILTER_KEYS if args.get(k, "") != ""}
    region = args.get("region", "").strip()
    if region:
        key = REGION_KEYS.get(len(region))
        if key is None or not region.isdigit():
            raise ValidationFailed(f"a region code has 6, 9, 12 or 15 digits, got {region[:40]!r}")
        raw[key] = region
    try:
        query = CaseListQuery().load(raw)
    except ValidationError as exc:
        raise ValidationFailed("the filters are invalid", problems_of(exc)) from None
    categories = rules.case_categories(current_app.config)
    if query.get("category") and query["category"] not in categories:
        raise ValidationFailed(f"unknown category {query['category'][:40]!r}; categories: {', '.join(categories)}")
    return query


def _editor():
    """The signed-in principal who may act from the page (an editor or admin with a cookie session), else None."""
    who = signed_in()
    return who if who is not None and who.role in EDIT_ROLES and g.get("by_cookie") else None


def _party_line(props: dict, parties: dict, words: dict) -> str:
    party = parties.get((props["addressed_kind"], props["addressed_ref"]))
    kind = words["addressed_kind"].get(props["addressed_kind"], props["addressed_kind"])
    name = party["name"] if party else (props["addressed_ref"] or "")
    return f"{name}（{kind}）" if name else kind


@bp.get("/cases")
def case_list():
    """The cases matching the filters, a page of 50 by id; signed-in editors tick cases and dispatch them."""
    lang = language()
    query = region_filter(request.args)
    scoped, _ = scoped_query(dict(query))
    engine, settings = read_engine(), current_app.config
    page = reads.case_page(engine, settings, {**scoped, "limit": PAGE_SIZE})
    rows = [f["properties"] for f in page["features"]]
    parties = read_parties(engine, [(p["addressed_kind"], p["addressed_ref"]) for p in rows])
    words = case_words(lang, settings)
    for p in rows:
        p["party_line"] = _party_line(p, parties, words)
    shown = {k: v for k, v in request.args.items() if k in ("region", *FILTER_KEYS) and k != "cursor" and v}
    next_url = url_for("case_pages.case_list", **shown, cursor=page["next_cursor"]) if page["next_cursor"] else None
    html = render_template("cases.html", rows=rows, words=words, text=texts(lang), lang=lang, editor=_editor(),
                           shown=shown, next_url=next_url, first_url=url_for("case_pages.case_list", **shown)
                           if query.get("cursor") else None)
    return remember_language(make_response(html), lang)


def case_sheet(case_id: str, lang: str) -> tuple[dict, str, dict, dict]:
    """(the case's properties, its ETag, what else its page shows, the words in ``lang``); 404/403 as the API."""
    _, scope = scoped_query({})
    engine, settings = read_engine(), current_app.config
    feature, etag = reads.get_case(engine, settings, case_id, scope)
    props = feature["properties"]
    sheet = read_case_sheet(engine, props)
    words = case_words(lang, settings)
    sheet["party_line"] = _party_line(props, {(props["addressed_kind"], props["addressed_ref"]): sheet["party"]}
                                      if sheet["party"] else {}, words)
    sheet["map"] = (extent_svg(sheet["grid"]["geometry"], sheet["neighbours"], settings, size=(320, 220),
                               marks=[(props["lon"], props["lat"])] if props["lon"] is not None else ())
                    if sheet["grid"] else None)
    return props, etag, sheet, words


def allowed_for(props: dict, who) -> list[str]:
    """The actions the page offers ``who``: the state's next steps, less defer for a non-admin and less
    verify/reject for the person who rectified the case (the API refuses both anyway)."""
    if who is None:
        return []
    allowed = [a for a in props["allowed_actions"] if a != "defer" or who.role == "admin"]
    if props.get("rectified_by") and props["rectified_by"] == who.actor:
        allowed = [a for a in allowed if a not in ("verify", "reject")]
    return allowed


@bp.get("/cases/<string(maxlength=64):case_id>")
def case_page(case_id):
    """One case: facts, addressed party, map, history, and a form per action the signed-in editor may take."""
    lang = language()
    props, etag, sheet, words = case_sheet(case_id, lang)
    who = _editor()
    html = render_template("case.html", case=props, etag=etag, sheet=sheet, words=words, text=texts(lang), lang=lang,
                           editor=who, allowed=allowed_for(props, who),
                           rectifier_hidden=who is not None and props["state"] == "rectified"
                           and props.get("rectified_by") == who.actor)
    return remember_language(make_response(html), lang)
