"""GeoJSON drawn in one style, with its properties shown as text on hover: the map layer for register data.

Two faults of folium's own ``GeoJson`` + ``GeoJsonTooltip`` make it unfit for text that users type:

* the tooltip joins property values into an HTML string for ``innerHTML``, so a grid named
  ``<img src=x onerror=…>`` runs script for whoever hovers it;
* branca renders each element's script twice, the second time as a *Jinja template*: a name
  holding ``{{ … }}`` is evaluated on the server (``{{7*7}}`` shows 49, and Jinja's globals reach
  ``os``), and one holding ``{%`` makes every map page fail.

:class:`TextGeoJson` writes its data with :func:`script_json` (HTML-safe JSON in which no Jinja
delimiter is left) and builds the tooltip with DOM nodes and ``textContent``.
"""
from __future__ import annotations

import json
import re

from folium.map import Layer
from folium.template import Template
from jinja2.utils import htmlsafe_json_dumps

__all__ = ["TextGeoJson", "script_json"]

_DELIMITER = re.compile(r"\{(?=[{%#])")   # "{{", "{%", "{#": in JSON text only ever inside a string


def script_json(value) -> str:
    """Return ``value`` as JSON safe inside ``<script>`` and inert to the second (Jinja) rendering."""
    return _DELIMITER.sub(r"\\u007b", str(htmlsafe_json_dumps(value)))


class TextGeoJson(Layer):
    """Features (a GeoJSON dict or string) in one Leaflet ``style``; ``fields`` shown on hover as text.

    ``aliases`` label the fields (default: the field names); ``interactive=False`` draws outlines
    that let clicks through to the map (the viewer's boundaries); ``point_radius`` draws points as
    circles of that many screen pixels (seen at every zoom) instead of pin markers; ``popup=True``
    shows the fields on a click instead of on hover (the click stays with the feature);
    ``icons`` (value of ``icon_field`` -> image URL, ``"*"`` for any other value) draws points as
    those images, ``icon_px`` square.
    """

    _template = Template("""
        {% macro header(this, kwargs) %}
            <style>.sg-tooltip th { text-align: left; padding: 1px 8px 1px 0; }</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.geoJSON({{ this.data_json }}, {
                style: {{ this.style_json }}, interactive: {{ this.interactive_json }}
                {%- if this.point_radius %},
                pointToLayer: function (feature, latlng) {
                    return L.circleMarker(latlng, {radius: {{ this.point_radius }}});
                }{% elif this.icons_json %},
                pointToLayer: function (feature, latlng) {
                    var icons = {{ this.icons_json }}, value = (feature.properties || {})[{{ this.icon_field_json }}];
                    var size = {{ this.icon_px }}, url = Object.prototype.hasOwnProperty.call(icons, value) ? icons[value] : icons["*"];
                    return L.marker(latlng, {icon: L.icon({iconUrl: url, iconSize: [size, size],
                                                           iconAnchor: [size / 2, size / 2], popupAnchor: [0, -size / 2]})});
                }{% endif %}
            });
            {% if this.fields %}
            {{ this.get_name() }}.{{ "bindPopup" if this.popup else "bindTooltip" }}(function (layer) {
                var fields = {{ this.fields_json }}, aliases = {{ this.aliases_json }};
                var props = (layer.feature && layer.feature.properties) || {};
                var table = document.createElement("table");
                fields.forEach(function (field, i) {
                    var value = props[field];
                    if (value === null || value === undefined || value === "") { return; }
                    var row = table.insertRow(), label = document.createElement("th");
                    label.textContent = aliases[i];
                    row.appendChild(label);
                    row.insertCell().textContent = typeof value === "object" ? JSON.stringify(value) : String(value);
                });
                return table;
            }, {{ '{maxWidth: 360, className: "sg-tooltip"}' if this.popup else '{sticky: true, className: "sg-tooltip"}' }});
            {% endif %}
        {% endmacro %}
    """)

    def __init__(self, data, style: dict, *, fields=(), aliases=None, interactive: bool = True,
                 name: str | None = None, show: bool = True, point_radius: int | None = None,
                 popup: bool = False, icons: dict | None = None, icon_field: str | None = None, icon_px: int = 28):
        super().__init__(name=name, overlay=True, control=name is not None, show=show)
        self._name = "TextGeoJson"
        data = json.loads(data) if isinstance(data, str) else data
        self.data_json, self.style_json = script_json(data), script_json(style)
        self.interactive_json = script_json(bool(interactive))
        self.point_radius = int(point_radius) if point_radius else None
        self.popup = bool(popup)
        self.icons_json = script_json(dict(icons)) if icons else None
        self.icon_field_json, self.icon_px = script_json(icon_field), int(icon_px)
        self.fields = list(fields)
        self.fields_json = script_json(self.fields)
        self.aliases_json = script_json(list(aliases) if aliases is not None else self.fields)
