"""The map of one grid's page: the grid in its staffing colour among its community's other grids."""
from __future__ import annotations

import folium
import geopandas as gpd

from .base import offline_map
from .geojson import TextGeoJson
from .styles import status_color

__all__ = ["grid_map"]

NEIGHBOUR_STYLE = {"color": "#888", "weight": 1, "fillOpacity": 0.05}


def grid_map(geometry, neighbours: gpd.GeoDataFrame, status: str, *, static_url: str = "/static",
             tiles: str | None = None) -> folium.Map:
    """Return the map of a grid (``geometry`` in EPSG:4326) and its ``neighbours`` (code, name on hover)."""
    fmap = offline_map(geometry.bounds, static_url=static_url, tiles=tiles)
    if len(neighbours):
        around = (neighbours.to_crs("EPSG:4326") if neighbours.crs else neighbours)[["code", "name", "geometry"]]
        TextGeoJson(around.to_json(), NEIGHBOUR_STYLE, fields=["code", "name"]).add_to(fmap)
    color = status_color(status)
    TextGeoJson(geometry.__geo_interface__, {"color": color, "weight": 3, "fillOpacity": 0.3}).add_to(fmap)
    return fmap
