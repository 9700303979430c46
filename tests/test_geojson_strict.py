"""grids.geojson_: hostile bytes, oversize files, and RFC 7946 structure rules."""
from __future__ import annotations

import gc
import math
import tracemalloc

import orjson
import pytest

from grids.geojson_ import GeoJSONError, parse_geojson_bytes, read_geojson_file

SQUARE = [[108.40, 24.30], [108.41, 24.30], [108.41, 24.31], [108.40, 24.31], [108.40, 24.30]]
MB = 1024 * 1024


def feature(coords=None, props=None, kind="Polygon") -> dict:
    return {"type": "Feature", "properties": props if props is not None else {},
            "geometry": {"type": kind, "coordinates": [SQUARE] if coords is None else coords}}


def fc(*features) -> bytes:
    return orjson.dumps({"type": "FeatureCollection", "features": list(features)})


def only_problem(data: bytes) -> str:
    parsed = parse_geojson_bytes(data)
    assert len(parsed.problems) == 1, parsed.problems
    return str(parsed.problems[0])


@pytest.mark.parametrize("number", [b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1e400"])
def test_non_finite_numbers_refused(number):
    data = fc(feature()).replace(b"108.4,", number + b",", 1)
    with pytest.raises(GeoJSONError, match=r"^not valid JSON at line 1, column \d+: "):
        parse_geojson_bytes(data)


def test_3000_deep_nesting_refused_without_recursion_error():
    with pytest.raises(GeoJSONError, match="nested more than 1024 levels deep"):
        parse_geojson_bytes(b"[" * 3000 + b"]" * 3000)
    deep = b'{"type":"Feature","geometry":null,"properties":{"a":' + b"[" * 100 + b"]" * 100 + b"}}"
    with pytest.raises(GeoJSONError, match="nested more than 1024"):
        parse_geojson_bytes(b'{"a":' * 3000 + b"1" + b"}" * 3000)
    assert "feature 0: \"properties\" is nested more than 64 levels deep" == only_problem(deep)


def test_truncated_json_refused():
    data = fc(feature())
    with pytest.raises(GeoJSONError, match="not valid JSON at line 1, column .*unexpected end of data"):
        parse_geojson_bytes(data[: len(data) // 2])


def test_gbk_text_refused_as_not_utf8():
    data = fc(feature(props={"name": "柳州市城中区"})).decode().encode("gbk")
    with pytest.raises(GeoJSONError, match=r"text is not UTF-8 \(byte \d+, line 1.*GBK/GB18030.*--encoding") as err:
        parse_geojson_bytes(data)
    assert "柳州市城中区" in str(err.value)


def test_utf8_bom_accepted_and_utf16_refused():
    data = fc(feature(props={"name": "阳和街道"}))
    assert parse_geojson_bytes(b"\xef\xbb\xbf" + data).records[0]["properties"] == {"name": "阳和街道"}
    with pytest.raises(GeoJSONError, match="not UTF-8 but UTF-16"):
        parse_geojson_bytes(data.decode().encode("utf-16"))


def bytes_read() -> int:
    """Bytes this process has read through read() calls so far (Linux /proc/self/io rchar)."""
    with open("/proc/self/io") as f:
        return int(next(line for line in f if line.startswith("rchar:")).split()[1])


def test_200_mb_junk_refused_fast_without_reading(tmp_path):
    path = tmp_path / "junk.geojson"
    with open(path, "wb") as f:
        f.write(b"PK\x03\x04 not json")
        f.truncate(200 * MB)  # sparse: instant to create
    tracemalloc.start()
    before = bytes_read()
    with pytest.raises(GeoJSONError, match="not a GeoJSON document.*ZIP archive"):
        read_geojson_file(path, max_bytes=300 * MB)
    read = bytes_read() - before
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert read < 1 * MB and peak < 1 * MB


def test_file_over_max_bytes_refused_by_size(tmp_path):
    path = tmp_path / "big.geojson"
    with open(path, "wb") as f:
        f.truncate(200 * MB)
    before = bytes_read()
    with pytest.raises(GeoJSONError, match="file is 209,715,200 bytes, larger than the limit of 104,857,600 bytes"):
        read_geojson_file(path)
    assert bytes_read() - before < 64 * 1024


@pytest.mark.parametrize(("data", "message"), [
    (b"", "the file is empty"),
    (b"   \n", "the file is empty"),
    (b"null", "not a GeoJSON document: it starts with b'null'"),
    (b"SQLite format 3\x00....", "looks like an SQLite database"),
    (b"[1, 2]", "the document is an array, not a GeoJSON object"),
])
def test_not_geojson_documents(tmp_path, data, message):
    path = tmp_path / "x.geojson"
    path.write_bytes(data)
    with pytest.raises(GeoJSONError, match=message.replace("(", r"\(").replace("[", r"\[")) as err:
        read_geojson_file(path)
    assert [str(p) for p in err.value.problems] == [str(err.value)]


def test_missing_file_is_a_geojson_error(tmp_path):
    with pytest.raises(GeoJSONError, match="cannot read nothing.geojson"):
        read_geojson_file(tmp_path / "nothing.geojson")


def test_unclosed_ring_refused_not_closed():
    ring = SQUARE[:-1]
    message = only_problem(fc(feature(props={"code": "450202001001001"}), feature([ring], {"code": "450202001001002"})))
    assert message.startswith("feature 1 (code 450202001001002): Polygon: ring 0: ring not closed")


def test_short_ring_refused():
    assert "at least 4 positions" in only_problem(fc(feature([[SQUARE[0], SQUARE[1], SQUARE[0]]])))


def test_winding_order_is_not_an_error():
    parsed = parse_geojson_bytes(fc(feature([SQUARE[::-1]])))
    assert parsed.problems == [] and parsed.notes == []


def test_3d_coordinates_noted_and_dropped():
    ring3 = [[x, y, 90.0] for x, y in SQUARE]
    parsed = parse_geojson_bytes(fc(feature(), feature([ring3]), feature([ring3])))
    assert parsed.problems == [] and parsed.notes == ["Z coordinates dropped: 2 features (1, 2)"]
    assert not parsed.records[1]["geometry"].has_z and parsed.records[1]["geometry"].area > 0


def test_bare_geometry_becomes_one_record():
    parsed = parse_geojson_bytes(orjson.dumps({"type": "MultiPolygon", "coordinates": [[SQUARE]]}))
    (record,) = parsed.records
    assert record["index"] == 0 and record["properties"] == {} and record["geometry"].geom_type == "MultiPolygon"


@pytest.mark.parametrize(("crs", "expected"), [
    ({"type": "name", "properties": {"name": "EPSG:4490"}}, "EPSG:4490"),
    ({"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4326"}}, "EPSG:4326"),
    ({"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}, "EPSG:4326"),
    ({"type": "name", "properties": {"name": "http://www.opengis.net/def/crs/EPSG/0/4545"}}, "EPSG:4545"),
    ({"type": "EPSG", "properties": {"code": 4545}}, "EPSG:4545"),
    ({"type": "name", "properties": {"name": "gcj02"}}, "gcj02"),
    (None, None),
])
def test_legacy_crs_member_returned(crs, expected):
    data = orjson.dumps({"type": "FeatureCollection", "crs": crs, "features": [feature()]})
    assert parse_geojson_bytes(data).crs == expected


def test_unintelligible_crs_member_refused():
    data = orjson.dumps({"type": "FeatureCollection", "crs": {"type": "link"}, "features": []})
    with pytest.raises(GeoJSONError, match='legacy "crs" member .* is not understood'):
        parse_geojson_bytes(data)


def test_chinese_properties_and_ids_preserved():
    props = {"code": "450203008001001", "name": "阳和社区第1网格", "负责人": "张三", "households": 120}
    parsed = parse_geojson_bytes(fc({**feature(props=props), "id": "网格-1"}))
    assert parsed.records[0]["properties"] == props and parsed.records[0]["id"] == "网格-1"


@pytest.mark.parametrize("position", [[True, 24.3], [108.4, False], [108.4, 24.3, True]])
def test_bool_is_not_a_coordinate(position):
    data = fc(feature(position, kind="Point"))
    assert "is not a number" in only_problem(data)


@pytest.mark.parametrize(("position", "reason"), [
    ([1, 2, 3, 4], "has 4 numbers"), ([], "empty coordinates"), ([5], "has 1 number"), (["1", 2], "is not a number"),
])
def test_bad_point_positions(position, reason):
    if not position:  # RFC 7946 3.1: an empty coordinates array is an empty geometry, not a structure error
        assert parse_geojson_bytes(fc(feature(position, kind="Point"))).records[0]["geometry"].is_empty
    else:
        assert reason in only_problem(fc(feature(position, kind="Point")))


def test_empty_position_inside_ring_refused():
    ring = [SQUARE[0], [], *SQUARE[2:]]
    assert "ring 0, position 1: empty position []" in only_problem(fc(feature([ring])))


def test_feature_problems_are_all_listed():
    parsed = parse_geojson_bytes(fc(feature(), None, {"type": "Feature", "geometry": None}, feature(props=[])))
    assert [p.index for p in parsed.problems] == [1, 2, 3]
    assert len(parsed.records) == 4


def test_top_level_structure_errors_raise():
    with pytest.raises(GeoJSONError, match="must be written 'FeatureCollection'"):
        parse_geojson_bytes(b'{"type": "featureCollection", "features": []}')
    with pytest.raises(GeoJSONError, match=r'"features" must be an array, not an object'):
        parse_geojson_bytes(b'{"type": "FeatureCollection", "features": {}}')


def test_gc_state_restored_after_failure():
    assert gc.isenabled()
    with pytest.raises(GeoJSONError):
        parse_geojson_bytes(b'{"type": ')
    assert gc.isenabled()


def test_20000_polygons_parse(tmp_path):
    """Correct at city scale; the speed itself is measured by bench/register.py, not asserted here."""
    def ring(i):
        cx, cy = 109.0 + (i % 200) * 0.001, 24.0 + (i // 200) * 0.001
        angles = [k * math.pi / 9.5 for k in range(19)]
        pts = [[cx + 0.0004 * math.cos(a), cy + 0.0004 * math.sin(a)] for a in angles]
        return [[*pts, pts[0]]]
    path = tmp_path / "grids.geojson"
    path.write_bytes(fc(*(feature(ring(i), {"code": f"450202001001{i % 1000:03d}", "name": f"网格{i}"})
                          for i in range(20_000))))
    parsed = read_geojson_file(path)
    assert parsed.problems == [] and len(parsed.records) == 20_000
    assert parsed.records[-1]["geometry"].is_valid
