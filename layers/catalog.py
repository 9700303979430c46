"""The viewer's layers, each one registration: region boundaries, grids by staffing status, coverage gaps.

``context`` (built by the viewer page) holds ``regions`` (GeoDataFrame: code, name, level,
geometry, already simplified for display), ``urls`` (``grid_tiles``, ``gaps``), ``version``
(the register version), ``zoom`` (min, max of grid tiles) and ``en`` (English labels wanted).
"""
from __future__ import annotations

from .gaps import region_layer
from .registry import register
from .viewer import GridTiles, RemoteGeoJson

BOUNDARY_STYLES = {
    "district": {"color": "#333", "weight": 3},
    "street": {"color": "#555", "weight": 2, "dashArray": "6 4"},
    "community": {"color": "#777", "weight": 1},
}


def _boundaries(level: str, context: dict):
    regions = context["regions"]
    part = regions[regions["level"] == level]
    if part.empty:
        return None
    aliases = ("code", "name") if context.get("en") else ("编码", "名称")
    return region_layer(part, style=BOUNDARY_STYLES[level], aliases=aliases, interactive=False)


@register("districts", "区县边界", order=10)
def districts(context):
    return _boundaries("district", context)


@register("streets", "街道边界", order=11)
def streets(context):
    return _boundaries("street", context)


@register("communities", "社区边界", order=12)
def communities(context):
    return _boundaries("community", context)


@register("grids", "网格（按人员状态）", order=20)
def grids(context):
    low, high = context["zoom"]
    return GridTiles(context["urls"]["grid_tiles"], context["version"], min_zoom=low, max_zoom=high)


@register("gaps", "覆盖缺口", show=False, order=30)
def gaps(context):
    return RemoteGeoJson(context["urls"]["gaps"], {"color": "#7b3294", "weight": 2, "fillOpacity": 0.4},
                         label="kind_label")
