"""The ``places`` collection: the key places (重点场所) register, with the grid each lies in (computed on read)."""
from __future__ import annotations

from grids.places import PLACE_KINDS

from ..storage.frontages import load_places
from ..storage.schema import Place
from .collections import register
from .layer_items import GRID_CODE, LayerSource, edit_queryables, layer_collection, layer_extent
from .queryables import queryable


def _load(session, *, bbox=None, grid=None, refs=None):
    return load_places(session, bbox=bbox, grid=grid, refs=refs)


SOURCE = LayerSource(model=Place, load=_load)
QUERYABLES = (
    queryable("ref", "string", ("编号", "Reference"), ("场所的稳定编号", "the place's stable reference"),
              column=Place.ref, max_length=64),
    # The kinds are configurable (SANIGRID_PLACE_KINDS): the schema names the default keys, not an enum.
    queryable("kind", "string", ("场所类别", "Kind"), (
        "类别键，默认：" + "、".join(f"{k} {v}" for k, v in PLACE_KINDS.items()),
        "the kind's key; by default one of " + ", ".join(PLACE_KINDS)), column=Place.kind, max_length=32),
    queryable("name", "string", ("名称", "Name"), ("场所名称，完全相同才匹配", "name, matched exactly"),
              column=Place.name, max_length=200),
    queryable("operator", "string", ("经营管理单位", "Operator"), ("经营或管理单位", "who runs the place"),
              column=Place.operator, max_length=200),
    queryable("contact", "string", ("联系人", "Contact"), ("联系人姓名", "contact person"), column=Place.contact,
              max_length=100),
    queryable("phone", "string", ("电话", "Phone"), ("联系电话，按记录的写法完全匹配", "phone, matched as recorded"),
              column=Place.phone, max_length=32),
    queryable("address", "string", ("地址", "Address"), ("门牌地址", "street address"), column=Place.address,
              max_length=200),
    queryable("licence_no", "string", ("卫生许可证号", "Hygiene licence"), ("公共场所卫生许可证编号",
              "number of the public-place hygiene licence"), column=Place.licence_no, max_length=64),
    queryable("licence_expires", "string", ("许可证到期日", "Licence expires"), ("卫生许可证到期日期",
              "the hygiene licence's last day"), column=Place.licence_expires, format="date"),
    queryable("health_certs", "integer", ("健康证数", "Health certificates"), ("从业人员健康证数量",
              "staff health certificates held"), column=Place.health_certs),
    queryable("staff", "integer", ("从业人数", "Staff"), ("从业人员人数", "people working there"), column=Place.staff),
    queryable("grid", "string", ("所在网格", "Grid"), ("点所在、或面积最大部分所在的网格（15位编码）",
              "the grid holding the point, or the largest part of the polygon (15-digit code)"), pattern=GRID_CODE),
    *edit_queryables(Place),
)

register(layer_collection(
    id="places",
    title={"zh": "重点场所", "en": "Key places"},
    description={"zh": "农贸市场、建筑工地、公共厕所、垃圾收集点与转运站、六小门店、学校、城中村、老旧小区等重点场所，"
                       "含卫生许可证与所在网格",
                 "en": "Farmers' markets, construction sites, public toilets, refuse points and transfer stations, "
                       "small shops, schools, urban villages, old compounds …: licences and the grid each lies in"},
    source=SOURCE, extent=lambda engine, settings: layer_extent(SOURCE, engine), queryables=QUERYABLES,
))
