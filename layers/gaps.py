"""Map layers of the coverage-gap report: holes, slivers, overlaps, grids out of bounds, under-staffed grids."""
from __future__ import annotations

import folium
import geopandas as gpd

from .base import ScreenLayerControl, offline_map
from .geojson import TextGeoJson

__all__ = ["STYLES", "MARKER_RADIUS_PX", "gap_layers", "gap_map", "kind_color", "region_layer"]

STYLES = {
    "hole": ("空洞", "#d7191c"),
    "sliver": ("缝隙", "#fdae61"),
    "overlap": ("网格重叠", "#7b3294"),
    "outside": ("超出边界", "#2c7bb6"),
    "understaffed": ("人员不齐网格", "#b35900"),
}
MARKER_RADIUS_PX = 7   # a hole of a few thousand m² is under a pixel at district zoom: its marker is not
TOOLTIP_FIELDS = ["kind_label", "region", "code", "other", "area_m2", "detail"]
TOOLTIP_ALIASES = ["问题", "区域", "网格", "另一网格", "面积(m²)", "说明"]
REGION_LABEL = "区域边界"


def kind_color(kind: str) -> str:
    """The colour of a finding's kind on the map; a staffing kind takes the under-staffed grids' colour."""
    return STYLES.get(kind, STYLES["understaffed"])[1]


def _style(color: str, fill: float) -> dict:
    return {"color": color, "weight": 2, "fillColor": color, "fillOpacity": fill}


OUTLINE = {"color": "#555", "weight": 1, "fillOpacity": 0}


def region_layer(regions: gpd.GeoDataFrame, name: str = REGION_LABEL, style: dict | None = None,
                 aliases=("编码", "名称"), interactive: bool = True) -> folium.FeatureGroup:
    """Return the region outlines (code and name on hover) as one layer."""
    group = folium.FeatureGroup(name=name)
    frame = regions.to_crs("EPSG:4326")[["code", "name", "geometry"]]
    frame = frame[frame.geometry.notna()]
    look = {**OUTLINE, **(style or {})}
    if len(frame):
        TextGeoJson(frame.to_json(), look, fields=["code", "name"], aliases=aliases,
                    interactive=interactive).add_to(group)
    return group


def gap_layers(features: gpd.GeoDataFrame, kind_labels: dict | None = None,
               aliases: dict | None = None) -> list[folium.FeatureGroup]:
    """Return one layer per gap kind present in ``features`` (columns of gis_app gap features).

    ``kind_labels`` (kind -> label) and ``aliases`` (tooltip field -> alias) replace the Chinese
    ones (STYLES, TOOLTIP_ALIASES) in the layer names and tooltips, e.g. with English.
    """
    frame = features.to_crs("EPSG:4326")
    if kind_labels:
        frame = frame.assign(kind_label=frame["kind"].map(kind_labels).fillna(frame["kind"]))
    names = {**dict(zip(TOOLTIP_FIELDS, TOOLTIP_ALIASES)), **(aliases or {})}
    layers = []
    for kind, (label, color) in STYLES.items():
        part = frame[frame["kind"] == kind]
        if part.empty:
            continue
        fields = [f for f in TOOLTIP_FIELDS if f in part.columns]
        group = folium.FeatureGroup(name=f"{(kind_labels or {}).get(kind, label)} ({len(part)})")
        TextGeoJson(part[fields + ["geometry"]].to_json(na="null"), _style(color, 0.15 if kind == "understaffed" else 0.5),
                    fields=fields, aliases=[names[f] for f in fields]).add_to(group)
        _markers(part, fields, [names[f] for f in fields], color).add_to(group)
        layers.append(group)
    return layers


def gap_map(regions: gpd.GeoDataFrame, features: gpd.GeoDataFrame, grids: gpd.GeoDataFrame | None = None, *,
            static_url: str = "/static", tiles: str | None = None, kind_labels: dict | None = None,
            aliases: dict | None = None, region_label: str = REGION_LABEL,
            region_aliases=("编码", "名称")) -> folium.Map | None:
    """Return the gap report's map: the region outlines, one layer per gap kind, the layer control.

    Fitted to the regions, else to ``grids`` (a plan checked without regions); None when neither
    has a shape. ``static_url`` and ``tiles`` as for ``offline_map``; the labels as for ``gap_layers``
    (``region_label``/``region_aliases``: the outlines' layer name and hover aliases).
    """
    shaped = regions[regions.geometry.notna() & ~regions.geometry.is_empty]
    if grids is not None and len(shaped) == 0:
        shaped = grids[grids.geometry.notna() & ~grids.geometry.is_empty]
    if len(shaped) == 0:
        return None
    bounds = shaped.to_crs("EPSG:4326").total_bounds if shaped.crs else shaped.total_bounds
    fmap = offline_map(bounds, static_url=static_url, tiles=tiles)
    region_layer(regions, name=region_label, aliases=region_aliases).add_to(fmap)
    for layer in gap_layers(features, kind_labels, aliases):
        layer.add_to(fmap)
    ScreenLayerControl().add_to(fmap)
    return fmap


def _markers(part: gpd.GeoDataFrame, fields: list, aliases: list, color: str) -> TextGeoJson:
    """A circle of MARKER_RADIUS_PX screen pixels at each finding's representative point: seen at every zoom."""
    part = part[part.geometry.notna() & ~part.geometry.is_empty]
    points = gpd.GeoDataFrame(part[fields].copy(), geometry=part.geometry.representative_point(), crs=part.crs)
    look = {"color": "#fff", "weight": 2, "fill": True, "fillColor": color, "fillOpacity": 0.95}
    return TextGeoJson(points.to_json(na="null"), look, fields=fields, aliases=aliases,
                       point_radius=MARKER_RADIUS_PX)
