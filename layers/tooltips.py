"""Tooltips that show a feature's properties as text, never as HTML.

folium's GeoJsonTooltip joins the property values into an HTML string and sets ``innerHTML``:
a grid or region named ``<img src=x onerror=…>`` would run script for everyone who hovers it.
:class:`TextTooltip` builds the same table with DOM nodes and ``textContent``, so every value,
whatever it holds, is shown literally.
"""
from __future__ import annotations

from folium.features import GeoJsonTooltip
from folium.template import Template

__all__ = ["TextTooltip"]


class TextTooltip(GeoJsonTooltip):
    """folium's GeoJsonTooltip (same arguments and look) with every label and value set as text."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.bindTooltip(function (layer) {
            var fields = {{ this.fields | tojson }}, aliases = {{ this.aliases | tojson }};
            var props = (layer.feature && layer.feature.properties) || {};
            var div = document.createElement("div"), table = document.createElement("table");
            fields.forEach(function (field, i) {
                var value = props[field];
                if (value === null || value === undefined) { return; }
                var row = table.insertRow();
                {% if this.labels %}var th = document.createElement("th");
                th.textContent = aliases[i];
                row.appendChild(th);{% endif %}
                row.insertCell().textContent = typeof value === "object" ? JSON.stringify(value) : String(value);
            });
            div.appendChild(table);
            return div;
        }, {{ this.tooltip_options | tojavascript }});
        {% endmacro %}
    """)
