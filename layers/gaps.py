"""Map layers of the coverage-gap report: holes, slivers, overlaps, grids out of bounds, under-staffed grids."""
from __future__ import annotations

import folium
import geopandas as gpd

__all__ = ["STYLES", "MARKER_RADIUS_PX", "gap_layers", "kind_color", "region_layer"]

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


def kind_color(kind: str) -> str:
    """The colour of a finding's kind on the map; a staffing kind takes the under-staffed grids' colour."""
    return STYLES.get(kind, STYLES["understaffed"])[1]


def _style(color: str, fill: float):
    return lambda _feature: {"color": color, "weight": 2, "fillColor": color, "fillOpacity": fill}


OUTLINE = {"color": "#555", "weight": 1, "fillOpacity": 0}


def region_layer(regions: gpd.GeoDataFrame, name: str = "区域边界", style: dict | None = None,
                 aliases=("编码", "名称"), interactive: bool = True) -> folium.FeatureGroup:
    """Return the region outlines (code and name on hover) as one layer."""
    group = folium.FeatureGroup(name=name)
    frame = regions.to_crs("EPSG:4326")[["code", "name", "geometry"]]
    frame = frame[frame.geometry.notna()]
    look = {**OUTLINE, **(style or {})}
    if len(frame):
        folium.GeoJson(frame.to_json(), style_function=lambda _f: look, interactive=interactive,
                       tooltip=folium.GeoJsonTooltip(["code", "name"], aliases=list(aliases))).add_to(group)
    return group


def gap_layers(features: gpd.GeoDataFrame) -> list[folium.FeatureGroup]:
    """Return one layer per gap kind present in ``features`` (columns of gis_app gap features)."""
    frame = features.to_crs("EPSG:4326")
    layers = []
    for kind, (label, color) in STYLES.items():
        part = frame[frame["kind"] == kind]
        if part.empty:
            continue
        fields = [f for f in TOOLTIP_FIELDS if f in part.columns]
        aliases = [TOOLTIP_ALIASES[TOOLTIP_FIELDS.index(f)] for f in fields]
        group = folium.FeatureGroup(name=f"{label} ({len(part)})")
        folium.GeoJson(part[fields + ["geometry"]].to_json(na="null"),
                       style_function=_style(color, 0.15 if kind == "understaffed" else 0.5),
                       tooltip=folium.GeoJsonTooltip(fields, aliases=aliases)).add_to(group)
        _markers(part, fields, aliases, color).add_to(group)
        layers.append(group)
    return layers


def _markers(part: gpd.GeoDataFrame, fields: list, aliases: list, color: str) -> folium.GeoJson:
    """A circle of MARKER_RADIUS_PX screen pixels at each finding's representative point: seen at every zoom."""
    part = part[part.geometry.notna() & ~part.geometry.is_empty]
    points = gpd.GeoDataFrame(part[fields].copy(), geometry=part.geometry.representative_point(), crs=part.crs)
    look = {"color": "#fff", "weight": 2, "fill": True, "fillColor": color, "fillOpacity": 0.95,
            "radius": MARKER_RADIUS_PX}
    return folium.GeoJson(points.to_json(na="null"), marker=folium.CircleMarker(radius=MARKER_RADIUS_PX),
                          style_function=lambda _f: look,
                          tooltip=folium.GeoJsonTooltip(fields, aliases=aliases))
