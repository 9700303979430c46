"""The ``frontages`` collection: the 门前三包 units and the street fronts or zones they signed for.

The features are ``load_frontages``' rows, with one change for map readers: ``status`` is the
status on today (a signed commitment past ``expires_on`` is ``expired``, nobody having edited it)
and ``recorded_status`` the status as recorded, so that ``?status=expired`` and a QGIS style
on ``status`` show what is true today. ``grids`` (the grids holding a piece of the frontage) is
computed on read; ``?grid=…`` keeps the frontages with a piece in that grid. ``datetime`` keeps
the commitments in effect then (``signed_on`` … ``expires_on``, an open end when none).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, or_

from grids.frontages import LIABLE, STATUSES, UNIT_KINDS

from ..storage.frontages import load_frontages
from ..storage.schema import Frontage
from .collections import register
from .layer_items import GRID_CODE, LayerSource, edit_queryables, layer_collection, layer_extent
from .queryables import queryable


def _served(frame):
    """``status`` becomes the status on today, the stored one ``recorded_status`` (beside it)."""
    frame = frame.drop(columns=[c for c in ("recorded_status",) if c in frame.columns])
    frame = frame.rename(columns={"status": "recorded_status", "effective_status": "status"})
    columns = list(frame.columns)
    at = columns.index("recorded_status")
    columns.remove("status")
    columns.insert(at, "status")
    return frame[columns]


def _load(session, *, bbox=None, grid=None, refs=None):
    return _served(load_frontages(session, bbox=bbox, grid=grid, refs=refs))


def _status_on(value: str, today: date):
    """The SQL form of ``effective_status``: signed and expired before today counts as expired."""
    past = and_(Frontage.status == "signed", Frontage.expires_on.is_not(None), Frontage.expires_on < today)
    if value == "expired":
        return or_(Frontage.status == "expired", past)
    if value == "signed":
        return and_(Frontage.status == "signed", or_(Frontage.expires_on.is_(None), Frontage.expires_on >= today))
    return Frontage.status == value


def _choices(labels: dict) -> tuple[str, str]:
    return "、".join(f"{k} {v}" for k, v in labels.items()), "one of " + ", ".join(labels)


SOURCE = LayerSource(model=Frontage, load=_load, conditions={"status": _status_on},
                     period=(Frontage.signed_on, Frontage.expires_on))
QUERYABLES = (
    queryable("ref", "string", ("编号", "Reference"), ("责任单位的稳定编号", "the unit's stable reference"),
              column=Frontage.ref, max_length=64),
    queryable("unit_name", "string", ("单位名称", "Unit name"), ("责任单位名称，完全相同才匹配",
              "name of the responsible unit, matched exactly"), column=Frontage.unit_name, max_length=200),
    queryable("unit_kind", "string", ("单位类别", "Unit kind"), _choices(UNIT_KINDS), column=Frontage.unit_kind,
              enum=tuple(UNIT_KINDS)),
    queryable("credit_code", "string", ("统一社会信用代码", "Credit code"), ("18位统一社会信用代码",
              "18-character unified social credit code"), column=Frontage.credit_code,
              pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$"),
    queryable("contact", "string", ("联系人", "Contact"), ("联系人姓名", "contact person"), column=Frontage.contact,
              max_length=100),
    queryable("phone", "string", ("电话", "Phone"), ("联系电话，按记录的写法完全匹配", "phone, matched as recorded"),
              column=Frontage.phone, max_length=32),
    queryable("address", "string", ("地址", "Address"), ("门牌地址", "street address"), column=Frontage.address,
              max_length=200),
    queryable("liable", "string", ("责任人", "Liable"), _choices(LIABLE), column=Frontage.liable, enum=tuple(LIABLE)),
    queryable("item_set", "string", ("责任事项组", "Item set"), ("如 三包、五包", "e.g. 三包 or 五包"),
              column=Frontage.item_set, max_length=32),
    queryable("signed_on", "string", ("签订日期", "Signed on"), ("责任书签订日期", "the day the commitment was signed"),
              column=Frontage.signed_on, format="date"),
    queryable("expires_on", "string", ("到期日期", "Expires on"), ("责任书到期日期（当天仍有效）",
              "the commitment's last day"), column=Frontage.expires_on, format="date"),
    queryable("status", "string", ("当前状态", "Status today"), (
        "今天的状态（已签但过了到期日即为 expired 已过期）：" + _choices(STATUSES)[0],
        "the status on today (signed past expires_on counts as expired): " + _choices(STATUSES)[1]),
        enum=tuple(STATUSES)),
    queryable("recorded_status", "string", ("登记状态", "Recorded status"), ("登记的状态（不考虑到期）",
              "the status as recorded (expiry not applied)"), column=Frontage.status, enum=tuple(STATUSES)),
    queryable("photo", "string", ("责任书照片", "Card photo"), ("照片文件名", "the card photo's file name"),
              column=Frontage.photo, max_length=500),
    queryable("road", "string", ("所临道路", "Road"), ("所临道路名称", "name of the road faced"), column=Frontage.road,
              max_length=200),
    queryable("length_m", "number", ("临街长度（m）", "Length (m)"), ("在米制坐标系中量算的长度，按要素中写出的值完全匹配",
              "length in the metric CRS; matched exactly as the feature shows it"), column=Frontage.length_m),
    queryable("grid", "string", ("所在网格", "Grid"), ("有一段位于该网格（15位编码）的责任区；要素的 grids 列出全部网格",
              "a grid (15-digit code) holding a piece of the frontage; the feature's grids lists them all"),
              pattern=GRID_CODE),
    *edit_queryables(Frontage),
)

register(layer_collection(
    id="frontages",
    title={"zh": "门前三包责任区", "en": "Frontages (门前三包)"},
    description={"zh": "临街单位的门前三包责任段（线）或责任区（面）：单位、事项、到期日、今天的状态、所在网格；"
                       "datetime 查询当时有效的责任书",
                 "en": "The street fronts (lines) or zones (polygons) street-facing units signed for: unit, items, "
                       "expiry, status today, grids; datetime keeps the commitments in effect then"},
    source=SOURCE, extent=lambda engine, settings: layer_extent(SOURCE, engine), queryables=QUERYABLES,
))
