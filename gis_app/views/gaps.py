"""The coverage-gap report pages, Chinese with English switchable (the JSON and GeoJSON live in gis_app.api.gaps)."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, url_for

from ..api.where_query import region_list
from ..gap_output import FINDING_LABELS, KIND_LABELS, LEVEL_LABELS, ROLLUP_LABELS, finding_places, gap_features, summary
from ..gap_report import register_gaps
from ..storage.routing import read_engine
from .i18n import FINDING_LABELS_EN, KIND_LABELS_EN, LEVEL_LABELS_EN, ROLLUP_LABELS_EN, labels, language, texts
from .viewer import map_parts

bp = Blueprint("gaps", __name__)


def _result(code):
    return register_gaps(read_engine(), current_app.config, code)


@bp.get("/gaps")
def gaps_index():
    """Which report to open: every district with its streets, each a link to its report."""
    lang = language()
    regions = [r for r in region_list(read_engine()) if r["level"] in ("district", "street")]
    streets: dict = {}
    for r in regions:
        if r["level"] == "street":
            streets.setdefault(r["code"][:6], []).append(r)
    districts = [(r, streets.get(r["code"], [])) for r in regions if r["level"] == "district"]
    return render_template("gaps_index.html", districts=districts, text=texts(lang), lang=lang)


@bp.get("/gaps/<code>")
def gaps_page(code):
    """The report page of one region: the roll-up table, the findings and a map."""
    from layers.gaps import kind_color
    lang = language()
    result = _result(code)
    param = {9: "street", 12: "community"}.get(len(code), "district")
    names = dict(zip(result.regions["code"], result.regions["name"]))
    findings = summary(result)["findings"]
    for finding, place in zip(findings, finding_places(result)):
        finding["place"], finding["color"] = place, kind_color(finding["kind"])
    kinds = labels(lang, KIND_LABELS, KIND_LABELS_EN)
    columns = labels(lang, FINDING_LABELS, FINDING_LABELS_EN)
    fmap = _gap_map(result, lang, kinds, columns)
    return render_template("gaps.html", result=result, code=code, name=names.get(code) or code, param=param,
                           map_parts=map_parts(fmap) if fmap is not None else None,
                           rollup=result.report.rollup.to_dict("records"),
                           labels=labels(lang, ROLLUP_LABELS, ROLLUP_LABELS_EN),
                           level_labels=labels(lang, LEVEL_LABELS, LEVEL_LABELS_EN), kind_labels=kinds,
                           columns=columns, findings=findings, text=texts(lang), lang=lang)


def _gap_map(result, lang: str, kinds: dict, columns: dict):
    """The report's map (layers.gaps), in the page's language; None when nothing has a shape."""
    from layers.gaps import gap_map
    text = texts(lang)
    return gap_map(result.regions, gap_features(result), result.grids, static_url=url_for("static", filename=""),
                   tiles=current_app.config["SANIGRID_TILES"], kind_labels=kinds, aliases=columns,
                   region_label=text["region_outlines"],
                   region_aliases=(text["code"], text["place_name"]))
