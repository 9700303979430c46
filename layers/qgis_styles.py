"""The viewer's styles as QGIS QML: grids by staffing status, region boundaries by level.

Written into a GeoPackage's ``layer_styles`` table (see gis_app.exports.export_geopackage),
QGIS opens each layer drawn as the viewer draws it. Colours come from the one status table
(:data:`layers.styles.STATUS_COLORS`) and the viewer's boundary styles.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from grids.staffing import STATUS_LABELS

from .catalog import BOUNDARY_STYLES
from .styles import STATUS_COLORS

__all__ = ["grid_status_qml", "region_level_qml", "qml"]

_LEVEL_LABELS = {"district": "区县", "street": "街道", "community": "社区"}
_PX_TO_MM = 0.26  # a Leaflet pixel as a QGIS line width in millimetres (96 dpi)


def _rgba(hex_colour: str, alpha: int = 255) -> str:
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return f"{int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha}"


def _fill_symbol(parent, name: str, props: dict, alpha: float = 1.0) -> None:
    symbol = ET.SubElement(parent, "symbol", type="fill", name=name, alpha=f"{alpha:g}", clip_to_extent="1",
                           force_rhr="0")
    layer = ET.SubElement(symbol, "layer", {"class": "SimpleFill", "enabled": "1", "locked": "0", "pass": "0"})
    options = ET.SubElement(layer, "Option", type="Map")
    for key, value in props.items():  # both spellings: <Option> (QGIS >= 3.20) and <prop> (older 3.x)
        ET.SubElement(options, "Option", type="QString", name=key, value=value)
        ET.SubElement(layer, "prop", k=key, v=value)


def qml(attribute: str, categories: list[tuple[str, str, dict]], alpha: float = 1.0) -> str:
    """A QML document: a categorized renderer on ``attribute``; categories are (value, label, fill props)."""
    root = ET.Element("qgis", version="3.22.0", styleCategories="Symbology")
    renderer = ET.SubElement(root, "renderer-v2", type="categorizedSymbol", attr=attribute, symbollevels="0",
                             enableorderby="0", forceraster="0")
    cats, symbols = ET.SubElement(renderer, "categories"), ET.SubElement(renderer, "symbols")
    for i, (value, label, props) in enumerate(categories):
        ET.SubElement(cats, "category", render="true", symbol=str(i), value=value, label=label)
        _fill_symbol(symbols, str(i), props, alpha)
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode")


def grid_status_qml() -> str:
    """Grids filled by staffing status in the viewer's colours (齐全 / 缺员 / 无人)."""
    return qml("status", [(status, f"{STATUS_LABELS[status]} {status}",
                           {"color": _rgba(colour), "style": "solid", "outline_color": "255,255,255,255",
                            "outline_style": "solid", "outline_width": "0.2", "outline_width_unit": "MM"})
                          for status, colour in STATUS_COLORS.items()], alpha=0.7)


def region_level_qml() -> str:
    """Region boundaries by level as the viewer draws them: outlines only, heavier for larger regions."""
    return qml("level", [(level, f"{_LEVEL_LABELS[level]} {level}",
                          {"color": "0,0,0,0", "style": "no", "outline_color": _rgba(style["color"]),
                           "outline_style": "dash" if style.get("dashArray") else "solid",
                           "outline_width": f"{style['weight'] * _PX_TO_MM:.2f}", "outline_width_unit": "MM"})
                         for level, style in BOUNDARY_STYLES.items()])
