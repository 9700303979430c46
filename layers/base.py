"""An offline Folium map: Leaflet from the app's own /static, no CDN, basemap only if configured."""
from __future__ import annotations

import folium

__all__ = ["LEAFLET", "offline_map"]

LEAFLET = "vendor/leaflet-1.9.4"


class OfflineMap(folium.Map):
    """A folium.Map whose scripts and styles are only Leaflet, served by the app itself.

    folium's defaults load Leaflet, jQuery, Bootstrap and Font Awesome from CDNs, which an
    intranet without internet access cannot reach; the layers we draw need Leaflet only.
    """

    default_js: list = []
    default_css: list = []


def offline_map(bounds, static_url: str = "/static", tiles: str | None = None, **options) -> folium.Map:
    """Return a map fitted to ``bounds`` (minx, miny, maxx, maxy in EPSG:4326).

    ``tiles`` is a basemap URL template (the SANIGRID_TILES setting); None or 'none' draws
    no basemap, so nothing is fetched from outside the app. ``options`` go to folium.Map
    (e.g. ``prefer_canvas=True`` for thousands of polygons).
    """
    base = f"{static_url.rstrip('/')}/{LEAFLET}"
    fmap = OfflineMap(location=None, tiles=None, control_scale=True, **options)
    fmap.default_js = [("leaflet", f"{base}/leaflet.js")]
    fmap.default_css = [("leaflet_css", f"{base}/leaflet.css")]
    if tiles and tiles.lower() != "none":
        folium.TileLayer(tiles=tiles, attr="basemap", name="底图").add_to(fmap)
    minx, miny, maxx, maxy = bounds
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    return fmap
