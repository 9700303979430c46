"""grids.fileio: lossless round trips, GBK Shapefiles, RFC 7946 GeoJSON, GDAL as a client,
formula escaping and refusal of corrupt files."""
import functools
import os
import re
import shutil
import subprocess
import zipfile

import geopandas as gpd
import numpy as np
import openpyxl
import orjson
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import MultiPolygon, Polygon

from grids.fileio import (FORMATS, SHP_FIELD_NAMES, FileFormatError, escape_formula, read_table, read_vector,
                          unescape_formula, write_table, write_vector)

OGRINFO = shutil.which("ogrinfo")


def needs_ogrinfo(test):
    """GDAL's own client is part of the test: `make test` installs Debian gdal-bin, so its absence fails."""
    def wrapper(*args, **kwargs):
        if OGRINFO is None:
            pytest.fail("Debian gdal-bin (ogrinfo) is not installed: run `make test`, which installs it")
        return test(*args, **kwargs)
    return functools.wraps(test)(wrapper)


def _square(x, y, d):
    # clockwise on purpose: the GeoJSON writer must turn exteriors counter-clockwise
    ring = [(x, y), (x, y + d), (x + d, y + d), (x + d, y), (x, y)]
    return [(round(a, 7), round(b, 7)) for a, b in ring]


def grids_frame():
    # every coordinate lies on the 1e-7 grid GeoJSON rounds to
    hole = [(109.4110000, 24.3110000), (109.4120000, 24.3110000), (109.4120000, 24.3120000),
            (109.4110000, 24.3120000), (109.4110000, 24.3110000)]
    multi = MultiPolygon([Polygon(_square(109.4100000, 24.3100000, 0.0050000), [hole]),
                          Polygon(_square(109.4200000, 24.3100000, 0.0012345))])
    return gpd.GeoDataFrame({
        "code": ["450203008001001", "450203008001002", "450203008001003"],
        "name": ["阳和街道第一网格", "=柳州市鱼峰区=测试", "-负一号网格"],
        "community": ["450203008001"] * 3,
        "type": ["residential", "@商业街", "market"],
        "households": [120, 0, 35],
        "population": [300, 0, 90],
        "sign_lon": [109.4123456, np.nan, 109.4201234],
        "sign_lat": [24.3123456, np.nan, 24.3101234],
        "start_date": ["2024-01-01", "2024-03-15", "2024-05-01"],
        "end_date": [None, "2024-06-30", None],
        "version": [1, 2, 1],
        "area_m2": [251234.5, 0.25, 15123.75],
        "负责人电话": ["0772-1234567", "+86 772 7654321", "13800000000号"],
        "responsible_unit": ["鱼峰区城管局", "'=SUM(A1)", "'x"],
        "delta": [-5, 3, -1],
    }, geometry=[multi, Polygon(_square(109.4300000, 24.3200000, 0.0020000)), Polygon(_square(109.44, 24.33, 0.001))],
        crs="EPSG:4326")


def _read_geojson(path):
    """An independent reader: orjson + shapely, not the module under test."""
    doc = orjson.loads(path.read_bytes())
    frame = gpd.GeoDataFrame.from_features(doc["features"], crs="EPSG:4326")
    return frame[[c for c in frame.columns if c != "geometry"] + ["geometry"]], doc


def _same(expected, got):
    expected, got = expected.copy(), got.copy()
    expected["geometry"] = shapely.normalize(expected.geometry.values)
    got["geometry"] = shapely.normalize(got.geometry.values)
    assert_geodataframe_equal(got, expected, check_dtype=True, check_like=False)


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_is_lossless(tmp_path, fmt):
    frame = grids_frame()
    path = tmp_path / f"grids.{fmt}"
    write_vector(frame, path, fmt)
    if fmt == "geojson":
        got, _ = _read_geojson(path)
        crs = "EPSG:4326"
    else:
        got, crs = read_vector(path)
    if fmt in ("csv", "xlsx"):
        assert crs is None
        got = got.set_crs("EPSG:4326")
    else:
        assert crs == "EPSG:4326"
    assert list(got.columns) == list(frame.columns)
    assert all(isinstance(c, str) for c in got["code"]) and got["code"][0] == "450203008001001"
    assert all(isinstance(c, str) for c in got["community"])
    _same(frame, got)


def test_zipped_shapefile_round_trip(tmp_path):
    frame = grids_frame()
    write_vector(frame, tmp_path / "grids.zip", "shp", encoding="gbk")
    with zipfile.ZipFile(tmp_path / "grids.zip") as zf:
        assert {n.rsplit(".", 1)[-1] for n in zf.namelist()} >= {"shp", "shx", "dbf", "prj", "cpg", "json"}
    got, crs = read_vector(tmp_path / "grids.zip")
    assert crs == "EPSG:4326"
    _same(frame, got)


def test_shapefile_field_names_are_short_and_restored(tmp_path):
    frame = grids_frame()
    frame.insert(len(frame.columns) - 1, "required_cleaners", [2, 0, 1])
    write_vector(frame, tmp_path / "g.shp", "shp")
    fields = [f for f in gpd.read_file(tmp_path / "g.shp", engine="pyogrio", ignore_geometry=True).columns]
    assert all(len(f.encode("utf-8")) <= 10 for f in fields)
    assert "households" in fields and "sign_lon" in fields and "start_date" in fields
    assert SHP_FIELD_NAMES["required_cleaners"] in fields and "负责人" in fields and "responsibl" in fields
    got, _ = read_vector(tmp_path / "g.shp")
    assert list(got.columns) == list(frame.columns)
    # rewriting without long names removes the stale name file
    write_vector(frame[["code", "name", "geometry"]], tmp_path / "g.shp", "shp")
    assert not (tmp_path / "g.fields.json").exists()
    assert list(read_vector(tmp_path / "g.shp")[0].columns) == ["code", "name", "geometry"]


def test_gbk_shapefile(tmp_path):
    frame = grids_frame()
    write_vector(frame, tmp_path / "g.shp", "shp", encoding="gbk")
    assert (tmp_path / "g.cpg").read_text().strip().upper() == "GBK"
    dbf = (tmp_path / "g.dbf").read_bytes()
    assert "阳和街道第一网格".encode("gbk") in dbf
    assert "阳和街道第一网格".encode("utf-8") not in dbf
    for encoding in ("gbk", None):       # explicit, or from the .cpg
        got, _ = read_vector(tmp_path / "g.shp", encoding=encoding)
        assert got["name"][0] == "阳和街道第一网格"
        _same(frame, got)
    # a GBK file that lost its .cpg is refused with advice, not read as mojibake
    os.remove(tmp_path / "g.cpg")
    with pytest.raises(FileFormatError, match="gbk"):
        read_vector(tmp_path / "g.shp")
    assert read_vector(tmp_path / "g.shp", encoding="gbk")[0]["name"][0] == "阳和街道第一网格"


def test_geojson_is_rfc7946(tmp_path):
    frame = grids_frame()
    x, y = 109.440000049, 24.330000001234                 # more than 7 decimals in
    frame.loc[2, "geometry"] = Polygon([(x, y), (x, y + 0.001), (x + 0.001, y + 0.001), (x + 0.001, y)])
    write_vector(frame, tmp_path / "g.geojson", "geojson")
    raw = (tmp_path / "g.geojson").read_bytes()
    text = raw.decode("utf-8")                       # UTF-8, Chinese not \u-escaped
    assert "阳和街道第一网格" in text and "\\u" not in text
    doc = orjson.loads(raw)
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    assert len(doc["features"]) == 3

    def positions(coords):
        if isinstance(coords[0], (int, float)):
            yield coords
        else:
            for c in coords:
                yield from positions(c)

    holes = 0
    for feature in doc["features"]:
        for x, y in positions(feature["geometry"]["coordinates"]):
            assert round(x, 7) == x and round(y, 7) == y
        geom = shapely.geometry.shape(feature["geometry"])
        for poly in getattr(geom, "geoms", [geom]):
            assert shapely.is_ccw(poly.exterior)                  # input rings were clockwise
            assert not any(shapely.is_ccw(ring) for ring in poly.interiors)
            holes += len(poly.interiors)
    assert holes == 1
    assert not re.search(r"\d\.\d{8,}", text)                   # nothing beyond 7 decimals anywhere
    assert doc["features"][0]["geometry"]["type"] == "MultiPolygon"
    assert len(doc["features"][0]["geometry"]["coordinates"][0]) == 2      # exterior and hole
    assert doc["features"][2]["geometry"]["coordinates"][0][0] == [109.44, 24.33]
    props = doc["features"][1]["properties"]
    assert props["code"] == "450203008001002" and props["sign_lon"] is None and props["end_date"] == "2024-06-30"
    assert props["name"] == "=柳州市鱼峰区=测试"          # GeoJSON is not a spreadsheet: no escaping


@needs_ogrinfo
@pytest.mark.parametrize("fmt", ["gpkg", "shp", "geojson"])
def test_gdal_reads_what_we_write(tmp_path, fmt):
    frame = grids_frame()
    path = tmp_path / f"grids.{fmt}"
    write_vector(frame, path, fmt, encoding="gbk" if fmt == "shp" else None)
    # the system's GDAL with its own data files, not those pyogrio's bundled GDAL points to
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GDAL_", "PROJ_"))}
    summary = subprocess.run([OGRINFO, "-ro", "-al", "-so", str(path)], capture_output=True, check=True, env=env)
    assert re.search(rb"Feature Count: 3\b", summary.stdout)
    full = subprocess.run([OGRINFO, "-ro", "-al", str(path)], capture_output=True, check=True, env=env)
    out = full.stdout.decode("utf-8")
    assert "阳和街道第一网格" in out and "=柳州市鱼峰区=测试" in out
    assert "450203008001001" in out
    assert b"ERROR" not in full.stderr


def test_formula_escaping_csv(tmp_path):
    frame = grids_frame()
    write_vector(frame, tmp_path / "g.csv", "csv")
    raw = (tmp_path / "g.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")                     # BOM for Excel
    text = raw.decode("utf-8-sig")
    assert "'=柳州市鱼峰区=测试" in text and "'-负一号网格" in text and "'@商业街" in text
    assert "''=SUM(A1)" in text and ",'x," in text            # a quote of the user's own is kept
    assert ",-5," in text and ",'-5" not in text               # negative numbers are numbers
    assert "'+86 772" in text
    got, _ = read_vector(tmp_path / "g.csv")
    assert got["name"].tolist() == frame["name"].tolist()
    assert got["delta"].tolist() == [-5, 3, -1]


def test_formula_escaping_xlsx(tmp_path):
    frame = grids_frame()
    write_vector(frame, tmp_path / "g.xlsx", "xlsx")
    wb = openpyxl.load_workbook(tmp_path / "g.xlsx")
    ws = wb.active
    assert ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    name, delta = header.index("name") + 1, header.index("delta") + 1
    assert ws.cell(3, name).value.startswith("'=") and ws.cell(3, name).data_type == "s"
    assert ws.cell(4, name).value == "'-负一号网格"
    assert ws.cell(2, delta).value == -5 and ws.cell(2, delta).data_type == "n"
    assert ws.cell(2, header.index("code") + 1).value == "450203008001001"
    assert ws.cell(2, header.index("geometry") + 1).value.startswith("MULTIPOLYGON")
    wb.close()


@pytest.mark.parametrize("value, escaped", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-x", "'-x"), ("@a", "'@a"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("'=x", "''=x"), ("''", "'''"), ("'a", "'a"), ("'", "'"), ("阳和", "阳和"), ("", ""),
    (-5, -5), (-1.5, -1.5), (None, None),
])
def test_escape_formula_is_reversible(value, escaped):
    assert escape_formula(value) == escaped
    assert unescape_formula(escape_formula(value)) == value


def test_people_table_round_trip(tmp_path):
    people = pd.DataFrame({"name": ["张三", "=HYPERLINK(\"x\")"], "phone": ["13800000001", "13800000002"],
                           "grid": ["450203008001001", None], "role": ["cleaner", "leader"],
                           "backup": ["13800000002", None]})
    for fmt in ("csv", "xlsx"):
        write_table(people, tmp_path / f"people.{fmt}", fmt)
        got = read_table(tmp_path / f"people.{fmt}")
        pd.testing.assert_frame_equal(got, people)


def test_xlsx_refuses_overlong_cells(tmp_path):
    ring = [(109.4 + 0.001 * np.cos(a), 24.3 + 0.001 * np.sin(a)) for a in np.linspace(0, 2 * np.pi, 2000)]
    frame = gpd.GeoDataFrame({"code": ["450203008001001"]}, geometry=[Polygon(ring)], crs="EPSG:4326")
    with pytest.raises(FileFormatError, match="gpkg"):
        write_vector(frame, tmp_path / "big.xlsx", "xlsx")
    assert not (tmp_path / "big.xlsx").exists()
    write_vector(frame, tmp_path / "big.gpkg", "gpkg")        # the suggested way out works


def test_shapefile_refuses_text_it_would_cut(tmp_path):
    frame = grids_frame()
    frame["备注"] = "阳" * 100                                  # 300 bytes in UTF-8
    with pytest.raises(FileFormatError, match="254"):
        write_vector(frame, tmp_path / "g.shp", "shp")
    assert list(tmp_path.iterdir()) == []


def test_corrupt_inputs_are_refused(tmp_path):
    frame = grids_frame()
    write_vector(frame, tmp_path / "g.gpkg", "gpkg")
    data = (tmp_path / "g.gpkg").read_bytes()
    (tmp_path / "cut.gpkg").write_bytes(data[: len(data) // 3])
    write_vector(frame, tmp_path / "g.shp", "shp")
    os.remove(tmp_path / "g.dbf")
    (tmp_path / "rand.zip").write_bytes(np.random.default_rng(7).bytes(4096))
    (tmp_path / "rand.gpkg").write_bytes(np.random.default_rng(8).bytes(4096))
    (tmp_path / "rand.xlsx").write_bytes(np.random.default_rng(9).bytes(4096))
    (tmp_path / "bad.csv").write_bytes("code,geometry\n450203008001001,POLYGON((1 2\n".encode())
    (tmp_path / "gbk.csv").write_bytes("code,name\n450203008001001,阳和\n".encode("gbk"))
    for name, words in [("cut.gpkg", "GeoPackage"), ("g.shp", ".dbf"), ("rand.zip", "zip"),
                        ("rand.gpkg", "GeoPackage"), ("rand.xlsx", "xlsx"), ("bad.csv", "WKT"),
                        ("gbk.csv", "gbk"), ("missing.gpkg", "not found"), ("g.dwg", "unknown")]:
        with pytest.raises(FileFormatError, match=re.escape(words)) as info:
            read_vector(tmp_path / name)
        assert type(info.value) is FileFormatError and "Traceback" not in str(info.value)
    assert read_table(tmp_path / "gbk.csv", encoding="gbk")["name"][0] == "阳和"


def test_write_refuses_what_the_format_cannot_hold(tmp_path):
    frame = grids_frame()
    with pytest.raises(FileFormatError):
        write_vector(frame, tmp_path / "g.gpkg", "gpkg", encoding="gbk")
    frame.loc[0, "name"] = "阳和€\u2603"                          # the snowman has no GBK code
    with pytest.raises(FileFormatError, match="UTF-8"):
        write_vector(frame, tmp_path / "g.shp", "shp", encoding="gbk")
    with pytest.raises(FileFormatError):
        write_vector(frame, tmp_path / "g.kml", "kml")
