"""门前三包 frontages on the map: lines (or zones) coloured by effective status, one popup per unit.

Two ways onto a map, one look: :func:`frontage_layer` draws a GeoDataFrame (a grid's page, a
report) with :class:`~layers.geojson.TextGeoJson`; the viewer's layer (registered here) fetches the
frontages of the view from ``/api/v1/frontages?bbox=`` from street zoom on
(:class:`~layers.viewer.ViewportGeoJson`, ``sanigrid.viewportGeoJSON`` in viewer.js). Both colour by
the one status table (:data:`layers.styles.FRONTAGE_STATUS_COLORS`) and label in Chinese unless the
caller passes other labels (the viewer passes gis_app.views.i18n's English ones).
"""
from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd

from grids.frontages import STATUSES, UNIT_KINDS

from .geojson import TextGeoJson
from .registry import register
from .styles import FRONTAGE_STATUS_COLORS, frontage_color
from .viewer import STREET_ZOOM, ViewportGeoJson

__all__ = ["FRONTAGE_LABELS", "POPUP_FIELDS", "LINE_WEIGHT", "frontage_layer", "frontage_labels",
           "frontage_style"]

#: Chinese labels: the popup's field names and the commitment items here; the statuses and unit kinds
#: are the domain's own (grids.frontages STATUSES, UNIT_KINDS)
FRONTAGE_LABELS = {
    "layer": "门前三包", "unit_name": "责任单位", "unit_kind": "单位类别", "status": "签约状态", "items": "责任事项",
    "signed_on": "签订日期", "expires_on": "到期日期", "contact": "联系人", "phone": "电话", "address": "地址",
    "road": "所临道路", "length_m": "长度(m)", "grids": "所在网格",
    "item_sanitation": "市容环境卫生", "item_order": "市容秩序", "item_greenery": "绿化", "item_facilities": "公共设施",
    "item_snow": "除雪铲冰",
    **{f"status_{key}": label for key, label in STATUSES.items()},
    **{f"kind_{key}": label for key, label in UNIT_KINDS.items()},
}
#: what a popup shows, in this order (coded values - status, unit kind, items - in words)
POPUP_FIELDS = ["unit_name", "unit_kind", "status", "items", "signed_on", "expires_on", "contact", "phone",
                "address", "road", "length_m", "grids"]
LINE_WEIGHT = 5   # px: a shop front of 6 m is 3 px long at street zoom; thick enough to hit with a finger


def frontage_labels(labels: dict | None = None) -> dict:
    """The Chinese labels with ``labels`` (e.g. English, or a city's own item names) laid over them."""
    return {**FRONTAGE_LABELS, **(labels or {})}


def frontage_style(status: str) -> dict:
    """The Leaflet style of a frontage of one effective status; a click stays with the frontage."""
    color = frontage_color(status)
    return {"color": color, "weight": LINE_WEIGHT, "opacity": 0.9, "fillColor": color, "fillOpacity": 0.35,
            "bubblingMouseEvents": False}


def frontage_layer(frontages: gpd.GeoDataFrame, *, labels: dict | None = None, name: str | None = None,
                   show: bool = True) -> folium.FeatureGroup:
    """Return the frontages (contract columns: unit_name, status or effective_status, items, ...) as one layer.

    Colour: ``effective_status`` when the frame has it (signed past expiry is expired), else ``status``.
    Every value in a popup is text (TextGeoJson), so a unit named ``<img onerror=…>`` stays a name.
    """
    words = frontage_labels(labels)
    group = folium.FeatureGroup(name=name or words["layer"], show=show)
    if frontages.empty:
        return group
    frame = _popup_frame(frontages.to_crs("EPSG:4326") if frontages.crs else frontages, words)
    fields = [f for f in POPUP_FIELDS if f in frame.columns]
    for status in [*FRONTAGE_STATUS_COLORS, *sorted(set(frame["_status"]) - set(FRONTAGE_STATUS_COLORS))]:
        part = frame[frame["_status"] == status]
        if len(part):
            TextGeoJson(part[fields + ["geometry"]].to_json(na="null"), frontage_style(status), fields=fields,
                        aliases=[words[f] for f in fields], popup=True).add_to(group)
    return group


def _popup_frame(frame: gpd.GeoDataFrame, words: dict) -> gpd.GeoDataFrame:
    """The frame with its coded values in words: status, unit kind and items; dates as ISO text."""
    status = frame["effective_status"] if "effective_status" in frame.columns else frame["status"]
    out = frame[frame.geometry.notna() & ~frame.geometry.is_empty].copy()
    out["_status"] = status.loc[out.index].fillna("").astype(str)
    out["status"] = out["_status"].map(lambda s: words.get(f"status_{s}", s))
    if "unit_kind" in out.columns:
        out["unit_kind"] = out["unit_kind"].map(lambda k: words.get(f"kind_{k}", k) if isinstance(k, str) else k)
    if "items" in out.columns:
        out["items"] = out["items"].map(lambda items: _items_text(items, words))
    for column in ("signed_on", "expires_on"):
        if column in out.columns:
            out[column] = out[column].map(lambda d: None if d is None or pd.isna(d) else str(d)[:10])
    if "grids" in out.columns:
        out["grids"] = out["grids"].map(lambda g: "、".join(g) if isinstance(g, (list, tuple)) else g)
    if "length_m" in out.columns:
        out["length_m"] = out["length_m"].map(lambda m: None if m is None or pd.isna(m) else round(float(m), 1))
    return out


def _items_text(items, words: dict):
    """Item keys as words joined by 、 (a city's own item without a label shows as its key)."""
    if items is None or isinstance(items, float):
        return None
    keys = items.split(",") if isinstance(items, str) else list(items)
    return "、".join(words.get(f"item_{k.strip()}", k.strip()) for k in keys if k.strip())


@register("frontages", FRONTAGE_LABELS["layer"], order=40)
def frontages(context):
    """The viewer's frontages: fetched by viewport from street zoom on, coloured by effective status."""
    words = frontage_labels(context.get("labels", {}).get("frontages"))
    return ViewportGeoJson(context["urls"]["frontages"], "frontages", words, min_zoom=STREET_ZOOM,
                           style={"weight": LINE_WEIGHT, "opacity": 0.9, "fillOpacity": 0.35})
