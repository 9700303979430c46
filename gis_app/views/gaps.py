"""The Chinese coverage-gap report pages (the JSON and GeoJSON live in gis_app.api.gaps)."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, url_for

from ..api.where_query import region_list
from ..gap_output import KIND_LABELS, LEVEL_LABELS, ROLLUP_LABELS, finding_places, gap_features, summary
from ..gap_report import register_gaps
from ..storage.routing import read_engine

bp = Blueprint("gaps", __name__)


def _result(code):
    return register_gaps(read_engine(), current_app.config, code)


@bp.get("/gaps")
def gaps_index():
    """Which report to open: every district with its streets, each a link to its report."""
    regions = [r for r in region_list(read_engine()) if r["level"] in ("district", "street")]
    streets: dict = {}
    for r in regions:
        if r["level"] == "street":
            streets.setdefault(r["code"][:6], []).append(r)
    districts = [(r, streets.get(r["code"], [])) for r in regions if r["level"] == "district"]
    return render_template("gaps_index.html", districts=districts)


@bp.get("/gaps/<code>")
def gaps_page(code):
    """The report page of one region: the roll-up table, the findings and a map."""
    from layers.gaps import kind_color
    result = _result(code)
    param = {9: "street", 12: "community"}.get(len(code), "district")
    names = dict(zip(result.regions["code"], result.regions["name"]))
    findings = summary(result)["findings"]
    for finding, place in zip(findings, finding_places(result)):
        finding["place"], finding["color"] = place, kind_color(finding["kind"])
    return render_template("gaps.html", result=result, code=code, name=names.get(code) or code, param=param,
                           map_parts=_map_parts(result), rollup=result.report.rollup.to_dict("records"),
                           labels=ROLLUP_LABELS, level_labels=LEVEL_LABELS, kind_labels=KIND_LABELS,
                           findings=findings)


def _map_parts(result) -> dict | None:
    """Render the Folium map as the header, body and script parts the page template places."""
    from layers.base import ScreenLayerControl, offline_map
    from layers.gaps import gap_layers, region_layer

    regions = result.regions[result.regions.geometry.notna()]
    grids = result.grids[result.grids.geometry.notna()]  # on PostGIS only the grids a finding shows
    if len(regions) == 0 and len(grids) == 0:
        return None
    bounds = regions.total_bounds if len(regions) else grids.total_bounds
    fmap = offline_map(bounds, static_url=url_for("static", filename=""), tiles=current_app.config["SANIGRID_TILES"])
    region_layer(result.regions).add_to(fmap)
    for layer in gap_layers(gap_features(result)):
        layer.add_to(fmap)
    ScreenLayerControl().add_to(fmap)
    root = fmap.get_root()
    root.render()
    return {"header": root.header.render(), "html": root.html.render(), "script": root.script.render(),
            "name": fmap.get_name()}
