"""People and roles by grid code; locate answers the grid, its regions and its people."""
import pytest

from conftest import COMMUNITY, X0, Y0, to_lonlat
from gis_app.errors import NotFound, ValidationFailed
from gis_app.imports import import_file
from gis_app.register import locate, staffing_report

G1, G2 = f"{COMMUNITY}001", f"{COMMUNITY}002"
HEADER = "name,phone,photo,grid,role,backup\n"
ROWS = [
    f"张伟,13800000001,,{G1},网格长,",
    f"李娜,13800000002,,{G1},cleaner,13800000003",
    f"王芳,13800000003,,{G1},巡查员,",
    f"刘洋,13800000004,,{G1},管理责任人,",
    f"陈静,13800000005,,{G1},监督员,",
    f"杨敏,13800000006,,{G1},志愿者,",
    f"赵磊,13800000007,,{G2},保洁员,",
]


def people_csv(tmp_path, rows=ROWS):
    path = tmp_path / "people.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_locate_answers_grid_regions_and_people(loaded, engine, tmp_path):
    import_file(engine, loaded.config, "people", people_csv(tmp_path))
    point = to_lonlat(__import__("shapely").Point(X0 + 50, Y0 + 250))
    answer = locate(engine, point.x, point.y)
    assert answer["grid"]["code"] == G1
    assert (answer["community"]["name"], answer["street"]["name"], answer["district"]["name"]) == (
        "阳和社区", "阳和街道", "鱼峰区")
    cleaner = next(p for p in answer["people"] if p["role"] == "cleaner")
    assert cleaner["name"] == "李娜" and cleaner["backup"] == {"name": "王芳", "phone": "13800000003"}


def test_locate_outside_every_grid_is_not_found(loaded, engine):
    with pytest.raises(NotFound):
        locate(engine, 100.0, 20.0)


def test_locate_refuses_non_lonlat(loaded, engine):
    with pytest.raises(ValidationFailed, match="crs"):
        locate(engine, X0, Y0)


def test_locate_accepts_gcj02_when_said(loaded, engine):
    from grids.crs import wgs84_to_gcj02
    point = to_lonlat(__import__("shapely").Point(X0 + 350, Y0 + 50))
    lon, lat = wgs84_to_gcj02(point.x, point.y)
    assert locate(engine, lon, lat, crs="gcj02")["grid"]["code"] == f"{COMMUNITY}004"


def test_staffing_report_after_people_import(loaded, engine, tmp_path):
    import_file(engine, loaded.config, "people", people_csv(tmp_path))
    table, rollup = staffing_report(engine, loaded.config)
    status = dict(zip(table["code"], table["status"]))
    assert status == {G1: "short", G2: "short", f"{COMMUNITY}003": "unstaffed", f"{COMMUNITY}004": "unstaffed"}
    g1 = table.set_index("code").loc[G1]
    assert g1["shortfalls"] == ["cleaners_below_ratio"]  # 120 households need 2 cleaners, 1 given
    district = rollup.set_index("code").loc["450203"]
    assert district["grids"] == 4 and district["unstaffed"] == 2


@pytest.mark.parametrize("row, reason", [
    (f"孙强,13800000008,,{G1},网格长,", "exactly one leader"),
    (f"孙强,13800000008,,{G1},cleaner,13899999999", "neither in this file"),
    (f"孙强,13800000008,,{G1},cleaner,13800000008", "another person"),
    (f"孙强,13800000008,,450203008001099,cleaner,", "not an active grid"),
    (f"孙强,13800000008,,{G1},厨师,", "unknown role"),
    (f"孙强,not-a-phone,,{G1},cleaner,", "not a phone number"),
    (f"王芳,13800000003,,{G1},巡查员,", "13800000003 is listed twice as patroller"),
    (f"孙强,13800000007,,{G1},志愿者,", "phone 13800000007 belongs to 赵磊 earlier in the file, not 孙强"),
    (f"孙强,13800000008,,{G2},志愿者,13800000001", "only a cleaner"),
])
def test_bad_people_rows_are_refused_and_nothing_changes(loaded, engine, tmp_path, row, reason):
    with pytest.raises(ValidationFailed) as info:
        import_file(engine, loaded.config, "people", people_csv(tmp_path, ROWS + [row]))
    assert any(reason in p.reason for p in info.value.problems), str(info.value)
    table, _ = staffing_report(engine, loaded.config)
    assert set(table["status"]) == {"unstaffed"}
