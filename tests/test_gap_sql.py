"""On PostGIS the gap report's spatial kinds run in SQL (gis_app.storage.gap_sql): the same report as shapely's.

Each case is loaded into PostGIS and reported twice, through the SQL path and through the
shapely path on the same database; the findings (kind, region, code, other, area, geometry)
and the roll-up must agree. Each case also checks the finding it plants, with paper numbers.
"""
from __future__ import annotations

import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from conftest import COMMUNITY, DISTRICT, STREET, X0, Y0, feature_collection, tiny_regions, to_lonlat

from gis_app import gap_report
from gis_app.imports import import_file
from gis_app.storage import gap_sql, session_scope
from gis_app.storage import repository as repo
from grids.gaps import SPATIAL_KINDS

pytestmark = pytest.mark.postgresql

NEIGHBOUR = "450203008002"
UNKNOWN = "450203008009"  # a community code the register does not hold
# EPSG:4545 (CGCS2000 / 3-degree Gauss-Krüger CM 108°E) as a PROJ string: no EPSG code, so no PostGIS SRID.
GK108 = "+proj=tmerc +lat_0=0 +lon_0=108 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs"


def cells() -> dict:
    """Four 200 m x 150 m grids tiling the community and two tiling its neighbour, by code."""
    mine = [box(X0, Y0 + 150, X0 + 200, Y0 + 300), box(X0 + 200, Y0 + 150, X0 + 400, Y0 + 300),
            box(X0, Y0, X0 + 200, Y0 + 150), box(X0 + 200, Y0, X0 + 400, Y0 + 150)]
    theirs = [box(X0 + 400, Y0, X0 + 800, Y0 + 150), box(X0 + 400, Y0 + 150, X0 + 800, Y0 + 300)]
    return {**{f"{COMMUNITY}{i + 1:03d}": g for i, g in enumerate(mine)},
            **{f"{NEIGHBOUR}{i + 1:03d}": g for i, g in enumerate(theirs)}}


def load(app, engine, tmp_path, grids: dict) -> None:
    """Import the tiny city's regions, then write ``grids`` (code → metric geometry, or (geometry, community))
    straight to storage: the import would refuse the overlaps these cases plant on purpose."""
    regions = tmp_path / "regions.geojson"
    regions.write_bytes(feature_collection(tiny_regions()))
    import_file(engine, app.config, "regions", regions)
    with session_scope(engine, write=True) as session:
        for code, value in grids.items():
            geom, community = value if isinstance(value, tuple) else (value, code[:12])
            record = {"code": code, "geometry": shapely.set_precision(to_lonlat(geom), 1e-9), "community": community,
                      "name": f"网格{code[-3:]}", "type": "residential", "households": 150, "population": 450,
                      "sign_lon": None, "sign_lat": None, "area_m2": geom.area}
            repo.write_grid(session, record, "test", repo.now())
        repo.bump_register_version(session)


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _rows(result) -> list:
    f = result.report.findings
    rows = [((k, _text(r), _text(c), _text(o), "" if k in SPATIAL_KINDS else d), a, g)
            for k, r, c, o, d, a, g in zip(f["kind"], f["region"], f["code"], f["other"], f["detail"],
                                           f["area_m2"], f.geometry)]
    return sorted(rows, key=lambda row: (row[0], _text(row[1])))


def assert_same_report(sql, shapely_result) -> None:
    """The same findings (areas within 0.01 m² or 1e-6), geometries, roll-up, scope and metric CRS."""
    assert (sql.scope, sql.metric_crs) == (shapely_result.scope, shapely_result.metric_crs)
    ours, theirs = _rows(sql), _rows(shapely_result)
    assert [r[0] for r in ours] == [r[0] for r in theirs]
    for (key, area, geom), (_, their_area, their_geom) in zip(ours, theirs):
        if key[0] in SPATIAL_KINDS:
            assert area == pytest.approx(their_area, rel=1e-6, abs=0.01), key
        assert shapely.area(shapely.symmetric_difference(geom, their_geom)) <= max(0.01, 1e-6 * their_geom.area), key
    pd.testing.assert_frame_equal(sql.report.rollup, shapely_result.report.rollup, check_exact=False,
                                  rtol=1e-6, atol=0.01)


def both(engine, settings, under=None):
    """The report through the SQL path and through the shapely path, on the same database."""
    sql = gap_report._postgis_gaps(engine, settings, under)
    assert sql is not None, "the SQL path fell back to shapely"
    return sql, gap_report._shapely_gaps(engine, settings, under)


def found(result, kind) -> list:
    f = result.report.findings
    f = f[f["kind"] == kind]
    return sorted(zip(f["region"].map(_text), f["code"].map(_text), f["other"].map(_text), f["area_m2"]))


def _set(grids, code, geom):
    return {**grids, code: geom}


# name: (grids, kind, the findings of that kind expected on paper: (region, code, other, m²))
CASES = {
    "hole": (_set(cells(), f"{COMMUNITY}001", cells()[f"{COMMUNITY}001"].difference(
        box(X0 + 50, Y0 + 200, X0 + 80, Y0 + 240))), "hole", [(COMMUNITY, "", "", 1200)]),
    "sliver": (_set(cells(), f"{COMMUNITY}001", cells()[f"{COMMUNITY}001"].difference(
        box(X0 + 50, Y0 + 200, X0 + 150, Y0 + 200.05))), "sliver", [(COMMUNITY, "", "", 5)]),
    "overlap": (_set(cells(), f"{COMMUNITY}004", box(X0 + 180, Y0, X0 + 400, Y0 + 150)), "overlap",
                [(COMMUNITY, f"{COMMUNITY}003", f"{COMMUNITY}004", 3000)]),
    "grid inside another": (_set(cells(), f"{COMMUNITY}005", box(X0 + 10, Y0 + 10, X0 + 30, Y0 + 30)),
                            "overlap", [(COMMUNITY, f"{COMMUNITY}003", f"{COMMUNITY}005", 400)]),
    "grid drawn twice": (_set(cells(), f"{COMMUNITY}005", cells()[f"{COMMUNITY}003"]), "overlap",
                         [(COMMUNITY, f"{COMMUNITY}003", f"{COMMUNITY}005", 30000)]),
    "spilling 5 m": (_set(cells(), f"{COMMUNITY}004", box(X0 + 200, Y0, X0 + 405, Y0 + 150)), "outside",
                     [(COMMUNITY, f"{COMMUNITY}004", "", 750)]),
    "spilling less than the tolerance": (
        _set(cells(), f"{COMMUNITY}004", box(X0 + 200, Y0, X0 + 400.5, Y0 + 150)), "outside", []),
    "grid with an unknown community": (
        _set(cells(), f"{COMMUNITY}004", (cells()[f"{COMMUNITY}004"], UNKNOWN)), "outside",
        [("", f"{COMMUNITY}004", "", 30000)]),
    "community without grids": ({c: g for c, g in cells().items() if c.startswith(COMMUNITY)}, "hole",
                                [(NEIGHBOUR, "", "", 120000)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_sql_and_shapely_give_the_same_report(name, app, engine, tmp_path):
    grids, kind, expected = CASES[name]
    load(app, engine, tmp_path, grids)
    for under in (None, DISTRICT, COMMUNITY):
        ours, theirs = both(engine, app.config, under)
        assert_same_report(ours, theirs)
    ours = both(engine, app.config, DISTRICT)[0]
    got = found(ours, kind)
    assert [g[:3] for g in got] == [e[:3] for e in expected]
    assert [g[3] for g in got] == pytest.approx([e[3] for e in expected], rel=0.02)


def test_a_grid_spilling_into_the_next_community_overlaps_its_grid_too(app, engine, tmp_path):
    """Two communities' grids overlapping: found through the bound on their unions, not a self-join."""
    load(app, engine, tmp_path, CASES["spilling 5 m"][0])
    report = gap_report.register_gaps(engine, app.config, STREET)
    assert [f[:3] for f in found(report, "overlap")] == [(COMMUNITY, f"{COMMUNITY}004", f"{NEIGHBOUR}001")]
    assert found(report, "overlap")[0][3] == pytest.approx(750, rel=0.02)


def test_staffing_findings_carry_their_grid_geometry_fetched_for_them_only(app, engine, tmp_path):
    load(app, engine, tmp_path, cells())
    people = tmp_path / "people.csv"
    full = "".join(f"员{i},1380000000{i},,{COMMUNITY}001,{role},{backup}\n" for i, (role, backup) in enumerate(
        [("网格长", ""), ("保洁员", "13800000000"), ("保洁员", "13800000000"), ("巡查员", ""), ("管理责任人", ""),
         ("监督员", ""), ("志愿者", "")]))
    people.write_text("name,phone,photo,grid,role,backup\n" + full, encoding="utf-8")
    import_file(engine, app.config, "people", people)
    ours, theirs = both(engine, app.config, DISTRICT)
    assert_same_report(ours, theirs)
    shown = ours.grids[ours.grids.geometry.notna()]["code"].tolist()
    assert f"{COMMUNITY}001" not in shown and len(shown) == 5  # the fully staffed grid's geometry stays in SQL
    staffing = ours.report.findings[~ours.report.findings["kind"].isin(SPATIAL_KINDS)]
    assert staffing.geometry.notna().all() and set(staffing["code"]) == set(shown)


def test_the_demo_city_with_its_planted_gaps(app, engine):
    from gis_app.demo_loader import load_demo
    load_demo(engine, app.config, n_grids=600, seed=5, replace=False)
    ours, theirs = both(engine, app.config)
    assert_same_report(ours, theirs)
    kinds = set(ours.report.findings["kind"])
    assert "hole" in kinds and {"spread_too_thin", "cleaners_below_ratio"} <= kinds  # the planted ones
    district = sorted(ours.report.rollup.loc[ours.report.rollup["level"] == "district", "code"])[0]
    assert_same_report(*both(engine, app.config, district))


def test_a_metric_crs_without_an_srid_falls_back_to_shapely(app, engine, tmp_path):
    load(app, engine, tmp_path, CASES["overlap"][0])
    assert gap_sql.postgis_srid(engine, GK108) is None and gap_sql.postgis_srid(engine, "EPSG:4545") == 4545
    app.config["SANIGRID_METRIC_CRS"] = GK108
    assert gap_report._postgis_gaps(engine, app.config, DISTRICT) is None
    fallback = gap_report.register_gaps(engine, app.config, DISTRICT)
    assert gap_sql.postgis_srid(engine, fallback.metric_crs) is None
    assert [f[:3] for f in found(fallback, "overlap")] == [(COMMUNITY, f"{COMMUNITY}003", f"{COMMUNITY}004")]
    app.config["SANIGRID_METRIC_CRS"] = "EPSG:4545"  # the same projection with its EPSG code: the SQL path
    sql = gap_report.register_gaps(engine, app.config, DISTRICT)
    assert [f[:3] for f in found(sql, "overlap")] == [f[:3] for f in found(fallback, "overlap")]
    assert found(sql, "overlap")[0][3] == pytest.approx(found(fallback, "overlap")[0][3], rel=1e-6)
