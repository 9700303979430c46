"""An offline Folium map: Leaflet from the app's own /static, no CDN, basemap only if configured."""
from __future__ import annotations

import folium
from folium.template import Template

__all__ = ["LEAFLET", "NARROW_SCREEN", "ScreenLayerControl", "offline_map"]

LEAFLET = "vendor/leaflet-1.9.4"
NARROW_SCREEN = "(max-width: 640px)"   # a phone held upright: the layer control would cover the map's search


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


class ScreenLayerControl(folium.LayerControl):
    """The layer control, open on a desktop and collapsed to its icon on a narrow screen.

    Leaflet reads ``collapsed`` once, when the control is added, so the choice is made in the
    browser from the screen's width (NARROW_SCREEN) rather than here.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }}_layers = {
                base_layers : {
                    {%- for key, val in this.base_layers.items() %}
                    {{ key|tojson }} : {{val}},
                    {%- endfor %}
                },
                overlays :  {
                    {%- for key, val in this.overlays.items() %}
                    {{ key|tojson }} : {{val}},
                    {%- endfor %}
                },
            };
            let {{ this.get_name() }} = L.control.layers(
                {{ this.get_name() }}_layers.base_layers,
                {{ this.get_name() }}_layers.overlays,
                Object.assign({{ this.options|tojavascript }},
                              {collapsed: window.matchMedia({{ this.narrow|tojson }}).matches})
            ).addTo({{this._parent.get_name()}});
        {% endmacro %}
    """)

    def __init__(self, narrow: str = NARROW_SCREEN, **options):
        super().__init__(collapsed=False, **options)
        self.narrow = narrow
