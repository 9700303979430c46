"""gis_app/views/ renders pages: it asks storage and the register for data and never queries itself, and it
asks layers/ for whole maps (``grid_map``, ``gap_map``, ``viewer_map``) and never builds one by hand."""
from __future__ import annotations

import ast

import pytest

from conftest import REPO

VIEWS = sorted((REPO / "gis_app" / "views").glob("*.py"))
NO_QUERIES = ("sqlalchemy", "storage.schema", "storage.repository", "storage.db", "session_scope", "fetch_raw")
# Map making: folium and branca themselves, and the parts layers/ assembles maps from (an empty map,
# the layer control, the registry's layers, the GeoJSON element, the layer builders).
NO_MAP_MAKING = ("folium", "branca", "layers.base", "layers.geojson", "layers.registry.build_layers")
ADDING = {"add_to", "add_child", "add_children"}   # how a folium element is put on a map


def _tree(path):
    return ast.parse(path.read_text(encoding="utf-8"))


def _imports(path) -> list[str]:
    out = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            out += [f"{node.module or ''}.{a.name}" for a in node.names]
    return out


def _map_making(path) -> list[str]:
    """What in a view module builds a map by hand: map-making imports and calls that add to a map."""
    found = []
    for name in _imports(path):
        module, _, last = name.rpartition(".")
        if (any(name == bad or name.startswith(bad + ".") or module == bad for bad in NO_MAP_MAKING)
                or (module.startswith("layers") and (last.endswith(("_layer", "_layers")) or last[:1].isupper()
                                                     and not last.isupper()))):
            found.append(f"import {name}")
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ADDING:
            found.append(f"line {node.lineno}: .{node.func.attr}()")
    return found


@pytest.mark.parametrize("path", VIEWS, ids=lambda p: p.name)
def test_a_view_module_imports_nothing_that_queries(path):
    assert [name for name in _imports(path) if any(bad in name for bad in NO_QUERIES)] == []


@pytest.mark.parametrize("path", VIEWS, ids=lambda p: p.name)
def test_a_view_module_builds_no_map_by_hand(path):
    assert _map_making(path) == []


def test_the_check_sees_a_query_import(tmp_path):
    sample = tmp_path / "bad.py"
    sample.write_text("from sqlalchemy import select\nfrom ..storage import session_scope\n", encoding="utf-8")
    assert len([n for n in _imports(sample) if any(bad in n for bad in NO_QUERIES)]) == 2


def test_the_check_sees_a_map_built_by_hand(tmp_path):
    """The gap page's map as the view once built it, and the other ways of making one in a view."""
    sample = tmp_path / "bad.py"
    sample.write_text("""
import folium
from branca.element import Element
def _map_parts(result):
    from layers.base import ScreenLayerControl, offline_map
    from layers.gaps import gap_layers, region_layer
    from layers.registry import build_layers
    from layers.viewer import GridTiles, ViewerSetup
    from layers.geojson import TextGeoJson
    fmap = offline_map((0, 0, 1, 1))
    region_layer(result.regions).add_to(fmap)
    fmap.add_child(folium.Marker([0, 0]))
""", encoding="utf-8")
    found = _map_making(sample)
    assert [f for f in found if f.startswith("import")] == [
        "import folium", "import branca.element.Element", "import layers.base.ScreenLayerControl",
        "import layers.base.offline_map", "import layers.gaps.gap_layers", "import layers.gaps.region_layer",
        "import layers.registry.build_layers", "import layers.viewer.GridTiles", "import layers.viewer.ViewerSetup",
        "import layers.geojson.TextGeoJson"]
    assert [f for f in found if not f.startswith("import")] == ["line 11: .add_to()", "line 12: .add_child()"]
    fine = tmp_path / "fine.py"
    fine.write_text("from layers.gaps import gap_map, kind_color\nfrom layers.styles import STATUS_COLORS\n"
                    "from layers.viewer import viewer_map\nfrom layers.registry import registered\n", encoding="utf-8")
    assert _map_making(fine) == []
