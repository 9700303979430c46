"""The ``roads`` collection: the road centrelines frontages face and shop points are placed along."""
from __future__ import annotations

from ..storage.frontages import load_roads
from ..storage.schema import Road
from .collections import register
from .layer_items import LayerSource, layer_collection, layer_extent
from .queryables import queryable


def _load(session, *, bbox=None, grid=None, refs=None):
    return load_roads(session, bbox=bbox, grid=grid, refs=refs)


SOURCE = LayerSource(model=Road, load=_load)
QUERYABLES = (
    queryable("ref", "string", ("编号", "Reference"), ("道路的稳定编号（OSM 导入为 way 编号）",
              "the road's stable reference"), column=Road.ref, max_length=64),
    queryable("name", "string", ("道路名称", "Name"), ("道路名称，完全相同才匹配", "road name, matched exactly"),
              column=Road.name, max_length=200),
    queryable("kind", "string", ("道路类别", "Kind"), ("main 主干道（临街责任区到路缘石）、lane 街巷（到道路中心线）",
              "main (zones reach the kerb) or lane (zones reach the centreline)"), column=Road.kind,
              enum=("main", "lane")),
    queryable("width_m", "number", ("路宽（m）", "Width (m)"), ("道路宽度（米），按要素中写出的值完全匹配",
              "road width in metres, matched exactly as the feature shows it"), column=Road.width_m),
)

register(layer_collection(
    id="roads",
    title={"zh": "道路中心线", "en": "Roads"},
    description={"zh": "门前三包所临的道路中心线：名称、类别（主干道、街巷）、路宽",
                 "en": "The road centrelines frontages face: name, kind (main road or lane), width"},
    source=SOURCE, extent=lambda engine, settings: layer_extent(SOURCE, engine), queryables=QUERYABLES,
))
