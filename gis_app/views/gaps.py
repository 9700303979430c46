"""The Chinese coverage-gap report page (the JSON and GeoJSON live in gis_app.api.gaps)."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, url_for

from ..gap_output import KIND_LABELS, LEVEL_LABELS, ROLLUP_LABELS, gap_features, summary
from ..gap_report import register_gaps
from ..storage.routing import read_engine

bp = Blueprint("gaps", __name__)


def _result(code):
    return register_gaps(read_engine(), current_app.config, code)


@bp.get("/gaps/<code>")
def gaps_page(code):
    """The report page of one region: the roll-up table, the findings and a map."""
    result = _result(code)
    param = {9: "street", 12: "community"}.get(len(code), "district")
    return render_template("gaps.html", result=result, code=code, param=param, map_parts=_map_parts(result),
                           rollup=result.report.rollup.to_dict("records"), labels=ROLLUP_LABELS,
                           level_labels=LEVEL_LABELS, kind_labels=KIND_LABELS,
                           findings=summary(result)["findings"])


def _map_parts(result) -> dict | None:
    """Render the Folium map as the header, body and script parts the page template places."""
    import folium

    from layers.base import offline_map
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
    folium.LayerControl(collapsed=False).add_to(fmap)
    root = fmap.get_root()
    root.render()
    return {"header": root.header.render(), "html": root.html.render(), "script": root.script.render()}
