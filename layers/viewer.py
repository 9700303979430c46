"""The viewer's own Leaflet layers as folium elements: grids by tile, layers fetched when switched on,
layers fetched by viewport at street zoom.

The JavaScript behind them (``sanigrid.GridTiles``, ``sanigrid.remoteGeoJSON``,
``sanigrid.viewportGeoJSON``) is the app's static ``viewer/viewer.js``; these classes only place it
in a folium map, so the layer control, ``show`` and the drawing order stay folium's.
"""
from __future__ import annotations

from branca.element import Element, MacroElement
from folium.map import Layer
from folium.template import Template

from .geojson import script_json

__all__ = ["GridTiles", "RemoteGeoJson", "STREET_ZOOM", "ViewportGeoJson", "ViewerSetup", "viewer_map"]

STREET_ZOOM = 16   # a street and its shop fronts fill the screen: ~2.2 m per pixel at Liuzhou's latitude


class GridTiles(Layer):
    """Grids coloured by staffing status, fetched per web-map tile from ``url`` ({key} = z/x/y)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = new sanigrid.GridTiles({
                url: {{ this.url|tojson }}, version: {{ this.version|tojson }},
                minZoom: {{ this.min_zoom }}, maxZoom: {{ this.max_zoom }},
                renderer: L.canvas({padding: 0.5, tolerance: 3})
            });
        {% endmacro %}
    """)

    def __init__(self, url: str, version, *, min_zoom: int, max_zoom: int, name: str | None = None):
        super().__init__(name=name, overlay=True)
        self._name = "GridTiles"
        self.url, self.version, self.min_zoom, self.max_zoom = url, str(version), min_zoom, max_zoom


class RemoteGeoJson(Layer):
    """A GeoJSON layer fetched from the app the first time it is switched on (off by default)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = sanigrid.remoteGeoJSON({
                url: {{ this.url|tojson }}, style: {{ this.style|tojson }}, label: {{ this.label|tojson }}
            });
        {% endmacro %}
    """)

    def __init__(self, url: str, style: dict, *, label: str | None = None, name: str | None = None):
        super().__init__(name=name, overlay=True)
        self._name = "RemoteGeoJson"
        self.url, self.style, self.label = url, style, label


class ViewportGeoJson(Layer):
    """Features of the view fetched from ``url?bbox=minx,miny,maxx,maxy`` from ``min_zoom`` on (frontages, places).

    ``kind`` names the drawing in viewer.js (``frontages``: lines in the page's status colours;
    ``places``: an icon per kind from ``icons``); ``labels`` are its popup's and legend's words.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = sanigrid.viewportGeoJSON({
                url: {{ this.url_json }}, kind: {{ this.kind_json }}, minZoom: {{ this.min_zoom }},
                labels: {{ this.labels_json }}, style: {{ this.style_json }}, icons: {{ this.icons_json }}
            });
        {% endmacro %}
    """)

    def __init__(self, url: str, kind: str, labels: dict, *, min_zoom: int = STREET_ZOOM, style: dict | None = None,
                 icons: dict | None = None, name: str | None = None):
        super().__init__(name=name, overlay=True)
        self._name = "ViewportGeoJson"
        self.url_json, self.kind_json = script_json(url), script_json(kind)
        self.labels_json, self.style_json = script_json(labels), script_json(style or {})
        self.icons_json, self.min_zoom = script_json(icons or {}), int(min_zoom)


class ViewerSetup(MacroElement):
    """Legend, search box and click-to-locate on the map; ``grids`` is the GridTiles layer (or None)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            sanigrid.setup({{ this._parent.get_name() }}, {{ this.grids }});
        {% endmacro %}
    """)

    def __init__(self, grids: GridTiles | None):
        super().__init__()
        self._name = "ViewerSetup"
        self.grids = grids.get_name() if grids is not None else "null"


def script_tag(src: str) -> Element:
    """Return a <script src> element for a map's header (the app's own static files only)."""
    return Element(f'<script src="{src}"></script>')


def viewer_map(bounds, context: dict, label=None, *, static_url: str = "/static", tiles: str | None = None):
    """Return the viewer's folium map fitted to ``bounds``: every registered layer built for ``context``
    (see layers.catalog), named by ``label(spec)`` (default: the Chinese label), the layer control and
    the legend, search and click-to-locate (ViewerSetup on the grid tiles)."""
    from .base import ScreenLayerControl, offline_map
    from .registry import build_layers

    fmap = offline_map(bounds, static_url=static_url, tiles=tiles, prefer_canvas=True)
    grids = None
    for layer in build_layers(context, label or (lambda spec: spec.label)):
        layer.add_to(fmap)
        grids = layer if isinstance(layer, GridTiles) else grids
    ScreenLayerControl().add_to(fmap)
    ViewerSetup(grids).add_to(fmap)
    return fmap
