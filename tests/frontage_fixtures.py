"""The tiny city's street: one main road, a street front across two grids, a zone and a public toilet.

Shared by the frontage and place tests (imports, API, locate, grid page): 阳和大道 runs west→east
10 m north of the boundary between the tiny city's northern and southern grids.
"""
import pytest
from shapely.geometry import LineString, Point, box

from conftest import X0, Y0, feature, feature_collection
from gis_app.imports import import_file

ROAD_Y = Y0 + 160


def write(tmp_path, name, features):
    path = tmp_path / name
    path.write_bytes(feature_collection(features))
    return path


def shop_front(**props):
    return feature({"ref": "F1", "unit_name": "柳州螺蛳粉店", "unit_kind": "个体商户", "phone": "138 0000 1111",
                    "status": "signed", "signed_on": "2024-01-01", "expires_on": "2030-06-30",
                    "address": "阳和大道1号", "items": ["sanitation", "order"], "remark": "=老字号", **props},
                   LineString([(X0 + 140, ROAD_Y + 10), (X0 + 260, ROAD_Y + 10)]))


def gate_zone(**props):
    return feature({"ref": "F2", "unit_name": "阳和街道办事处", "unit_kind": "government", "status": "refused",
                    "liable": "owner", **props}, box(X0 + 20, ROAD_Y - 20, X0 + 60, ROAD_Y - 2))


def toilet(**props):
    return feature({"ref": "P1", "kind": "公共厕所", "name": "阳和公厕", "operator": "柳州市环卫处",
                    "phone": "0772-1234567", "licence_no": "柳卫公字〔2024〕第001号", "licence_expires": "2026-05-01",
                    "health_certs": 3, "staff": 4, **props}, Point(X0 + 50, Y0 + 50))


def road_file(tmp_path):
    return write(tmp_path, "roads.geojson", [feature({"ref": "R1", "name": "阳和大道", "kind": "main"},
                                                     LineString([(X0 - 50, ROAD_Y), (X0 + 450, ROAD_Y)]))])


@pytest.fixture
def streets(loaded, engine, tmp_path):
    """The tiny city with its road, one street front, one zone and one public toilet."""
    import_file(engine, loaded.config, "roads", road_file(tmp_path))
    import_file(engine, loaded.config, "frontages", write(tmp_path, "f.geojson", [shop_front(), gate_zone()]))
    import_file(engine, loaded.config, "places", write(tmp_path, "p.geojson", [toilet()]))
    return loaded


