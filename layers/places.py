"""Key places (重点场所) on the map: one icon per kind, a popup with name, kind, operator and licence.

As for frontages (layers.frontages): :func:`place_layer` draws a GeoDataFrame with
:class:`~layers.geojson.TextGeoJson`; the viewer's layer fetches ``/api/v1/places?bbox=`` by
viewport from street zoom on. The icons are the app's own SVG files, ``static/icons/places/<kind>.svg``
(``other.svg`` for a kind a city adds to ``SANIGRID_PLACE_KINDS``); a place drawn as a polygon
(an urban village, a building site) gets its outline and its icon at a point inside.
"""
from __future__ import annotations

from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd

from grids.places import PLACE_KINDS

from .geojson import TextGeoJson
from .registry import register
from .styles import PLACE_COLOR
from .viewer import STREET_ZOOM, ViewportGeoJson

__all__ = ["PLACE_LABELS", "ICON_KINDS", "ICON_PX", "icon_files", "icon_path", "icon_urls", "place_labels",
           "place_layer"]

ICON_DIR = "icons/places"          # under static/
ICON_PX = 28
STATIC = Path(__file__).resolve().parents[1] / "static"
#: Chinese labels: the popup's field names here, the default kinds the domain's (grids.places.PLACE_KINDS)
PLACE_LABELS = {
    "layer": "重点场所", "name": "名称", "kind": "类别", "operator": "经营/管理单位", "contact": "联系人",
    "phone": "电话", "address": "地址", "licence_no": "卫生许可证", "licence_expires": "许可证有效期至",
    "health_certs": "健康证(张)", "staff": "从业人员", "grid": "所在网格",
    **{f"kind_{key}": label for key, label in PLACE_KINDS.items()},
}
#: the kinds with an icon of their own: every default kind
ICON_KINDS = tuple(PLACE_KINDS)
POPUP_FIELDS = ["name", "kind", "operator", "contact", "phone", "address", "licence_no", "licence_expires",
                "health_certs", "staff", "grid"]
POLYGON_STYLE = {"color": PLACE_COLOR, "weight": 2, "dashArray": "5 4", "fillColor": PLACE_COLOR,
                 "fillOpacity": 0.08, "bubblingMouseEvents": False}


def icon_path(kind: str) -> str:
    """The icon of a kind, relative to static/ (``other.svg`` for a kind without one)."""
    return f"{ICON_DIR}/{kind if kind in ICON_KINDS else 'other'}.svg"


def icon_urls(static_url: str = "/static") -> dict:
    """kind -> icon URL for every kind with an icon, and ``"*"`` for any other kind."""
    base = static_url.rstrip("/")
    return {**{kind: f"{base}/{icon_path(kind)}" for kind in ICON_KINDS}, "*": f"{base}/{icon_path('*')}"}


def place_labels(labels: dict | None = None) -> dict:
    """The Chinese labels with ``labels`` (English, or a city's own kinds) laid over them."""
    return {**PLACE_LABELS, **(labels or {})}


def place_layer(places: gpd.GeoDataFrame, *, labels: dict | None = None, static_url: str = "/static",
                name: str | None = None, show: bool = True) -> folium.FeatureGroup:
    """Return the places (contract columns: kind, name, operator, licence_no, ...) as one layer of icons.

    Points are drawn as their kind's icon; polygons as a dashed outline with the icon at a point
    inside. Every popup value is text (TextGeoJson).
    """
    words = place_labels(labels)
    group = folium.FeatureGroup(name=name or words["layer"], show=show)
    if places.empty:
        return group
    frame = places.to_crs("EPSG:4326") if places.crs else places
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty].copy()
    frame["_kind"] = frame["kind"].astype(str)
    shown = _popup_frame(frame, words)
    fields = [f for f in POPUP_FIELDS if f in shown.columns]
    aliases = [words[f] for f in fields]
    areas = shown[shown.geom_type.isin(["Polygon", "MultiPolygon"])]
    if len(areas):
        TextGeoJson(areas[fields + ["geometry"]].to_json(na="null"), POLYGON_STYLE, fields=fields, aliases=aliases,
                    popup=True).add_to(group)
    points = gpd.GeoDataFrame(shown[fields + ["_kind"]], geometry=shown.geometry.representative_point(),
                              crs=shown.crs)
    TextGeoJson(points.to_json(na="null"), {}, fields=fields, aliases=aliases, popup=True,
                icons=icon_urls(static_url), icon_field="_kind", icon_px=ICON_PX).add_to(group)
    return group


def _popup_frame(frame: gpd.GeoDataFrame, words: dict) -> gpd.GeoDataFrame:
    out = frame.copy()
    out["kind"] = out["_kind"].map(lambda k: words.get(f"kind_{k}", k))
    if "licence_expires" in out.columns:
        out["licence_expires"] = out["licence_expires"].map(lambda d: None if d is None or pd.isna(d) else str(d)[:10])
    for column in ("health_certs", "staff"):
        if column in out.columns:
            out[column] = out[column].map(lambda n: None if n is None or pd.isna(n) else int(n))
    return out


def icon_files() -> list[Path]:
    """The icon files the layers point at (every kind's and the fallback), for the tests and the docs."""
    return [STATIC / icon_path(kind) for kind in (*ICON_KINDS, "*")]


@register("places", PLACE_LABELS["layer"], order=41)
def places(context):
    """The viewer's key places: fetched by viewport from street zoom on, one icon per kind."""
    words = place_labels(context.get("labels", {}).get("places"))
    return ViewportGeoJson(context["urls"]["places"], "places", words, min_zoom=STREET_ZOOM, style=POLYGON_STYLE,
                           icons=icon_urls(context.get("static_url", "/static")))
