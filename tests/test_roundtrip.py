"""Import → export → import is lossless for every format, Chinese text and formula-like text included."""
import pytest
import shapely

from conftest import COMMUNITY, tiny_grids, feature_collection, tiny_regions
from gis_app import create_app
from gis_app.exports import export_layer
from gis_app.imports import import_file
from gis_app.storage import repository as repo
from gis_app.storage import session_scope, upgrade

PEOPLE = ("name,phone,photo,grid,role,backup\n"
          f"=张伟,13800000001,,{COMMUNITY}001,网格长,\n"
          f"李娜,13800000002,/photos/0123456789abcdef0123456789abcdef.jpg,{COMMUNITY}001,cleaner,13800000003\n"
          "王芳,13800000003,,,,\n")


def fresh_app(tmp_path, name):
    app = create_app({"SANIGRID_INSTANCE": str(tmp_path / name),
                      "SANIGRID_DATABASE_URL": f"sqlite:///{tmp_path / name / 'db.sqlite'}"})
    upgrade(app.config["SANIGRID_DATABASE_URL"])
    return app, app.extensions["sanigrid.engine"]


def snapshot(engine):
    with session_scope(engine) as s:
        grids = repo.load_grids(s).drop(columns=["start_date", "end_date", "version"])
        regions = repo.load_regions(s)
        people = repo.load_roles(s)
    return regions, grids, people


@pytest.fixture
def source(tmp_path):
    features = tiny_grids()
    features[0]["properties"].update({"remark": "=HYPERLINK(\"x\")", "sign_lon": 109.43, "sign_lat": 24.30})
    features[1]["properties"].update({"remark": "-负数开头", "name": "@阳和社区第2网格"})
    (tmp_path / "r.geojson").write_bytes(feature_collection(tiny_regions()))
    (tmp_path / "g.geojson").write_bytes(feature_collection(features))
    (tmp_path / "p.csv").write_text(PEOPLE, encoding="utf-8")
    app, engine = fresh_app(tmp_path, "source")
    for layer, name in (("regions", "r.geojson"), ("grids", "g.geojson"), ("people", "p.csv")):
        import_file(engine, app.config, layer, tmp_path / name)
    return engine


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp", "csv", "xlsx"])
def test_round_trip_is_lossless(source, tmp_path, fmt):
    app, engine = fresh_app(tmp_path, fmt)
    for layer in ("regions", "grids"):
        out = tmp_path / f"{layer}.{fmt}"
        export_layer(source, layer, fmt, out)
        report = import_file(engine, app.config, layer, out)
        assert report.created and not report.updated
    people_fmt = fmt if fmt in ("csv", "xlsx") else "csv"
    export_layer(source, "people", people_fmt, tmp_path / f"people.{people_fmt}")
    import_file(engine, app.config, "people", tmp_path / f"people.{people_fmt}")
    (r0, g0, p0), (r1, g1, p1) = snapshot(source), snapshot(engine)
    assert r0.drop(columns="geometry").equals(r1.drop(columns="geometry"))
    assert g0.drop(columns="geometry").equals(g1.drop(columns="geometry")), (g0.T, g1.T)
    same = lambda a, b: shapely.equals_exact(shapely.normalize(a.geometry.array),  # noqa: E731
                                             shapely.normalize(b.geometry.array), 0).all()
    assert same(g0, g1) and same(r0, r1)  # the same vertices, exactly (stored on a 1e-7° grid)
    assert p0.equals(p1)
    assert g1.set_index("code").loc[f"{COMMUNITY}001", "remark"] == "=HYPERLINK(\"x\")"
    assert "=张伟" in set(p1["name"])


def test_export_of_one_district_only(source, tmp_path):
    assert export_layer(source, "grids", "geojson", tmp_path / "a.geojson", district="450203") == 4
    assert export_layer(source, "grids", "geojson", tmp_path / "b.geojson", district="450202") == 0


def test_shapefile_in_gbk_round_trips(source, tmp_path):
    app, engine = fresh_app(tmp_path, "gbk")
    export_layer(source, "regions", "shp", tmp_path / "r.shp", encoding="gbk")
    assert "阳和街道".encode("gbk") in (tmp_path / "r.dbf").read_bytes()
    import_file(engine, app.config, "regions", tmp_path / "r.shp", encoding="gbk")
    assert set(snapshot(engine)[0]["name"]) == {"鱼峰区", "阳和街道", "阳和社区", "新圩社区"}
