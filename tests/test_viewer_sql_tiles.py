"""On PostGIS the viewer's tiles are SQL: the same grids, statuses and outlines as SQLite's index path,
a write shows in the next tile without any in-process index, and ``.mvt`` tiles decode in GDAL."""
from __future__ import annotations

import re

import mercantile

import numpy as np
import orjson
import pyogrio
import pyproj
import pytest
import shapely
from shapely.geometry import box, mapping, shape

from conftest import COMMUNITY, METRIC, X0, Y0, to_lonlat
from gis_app.api.grid_query import METRES_PER_DEGREE
from grids.crs import to_metric
from gis_app.storage import live_index as live
from gis_app.storage import tiles as tile_data
from gis_app.storage.tiles import tile_bounds

pytestmark = pytest.mark.postgresql
G1 = f"{COMMUNITY}001"
HALF_WORLD = 20_037_508.342789244  # EPSG:3857 metres from the centre to the edge of the web map


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    tile = mercantile.tile(lon, lat, z)
    return tile.x, tile.y


def tiles_over(points, z: int) -> list[tuple[int, int]]:
    return sorted({tile_of(p.x, p.y, z) for p in points})


def served(client, z, x, y, fmt="geojson"):
    response = client.get(f"/tiles/grids/{z}/{x}/{y}.{fmt}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def features(client, z, x, y) -> dict:
    return {f["properties"]["code"]: f for f in orjson.loads(served(client, z, x, y).data)["features"]}


@pytest.fixture
def demo(app, engine):
    """The 600-grid demo city (real codes, planted shortfalls and one unstaffed grid) on PostGIS."""
    from gis_app.demo_loader import load_demo
    load_demo(engine, app.config, n_grids=600, seed=0, replace=False)
    return app


def index_path(engine, settings):
    """SQLite's tile path on the same register: the live index and the statuses, built here."""
    index = live._build_index(engine)
    return index, live._build_statuses(engine, settings["SANIGRID_MAX_GRIDS_PER_PERSON"])


def test_sql_tiles_hold_the_index_paths_grids_statuses_and_outlines(demo, engine):
    client = demo.test_client()
    index, status = index_path(engine, demo.config)
    codes, geoms = index.query_bbox(-180, -90, 180, 90)
    centres = shapely.point_on_surface(geoms[::20])
    statuses, checked = set(), 0
    for z in (11, 13, 15, 17, 19):
        for x, y in tiles_over(centres, z):
            body = served(client, z, x, y).data
            assert max(len(d) for d in re.findall(rb"\.(\d+)", body)) <= tile_data._decimals(z)
            ours = {f["properties"]["code"]: f for f in orjson.loads(body)["features"]}
            theirs = {f["properties"]["code"]: f for f in orjson.loads(
                tile_data._encode_index(index, status, z, tile_bounds(z, x, y)))["features"]}
            assert ours and list(ours) == list(theirs), (z, x, y)
            assert {c: f["properties"]["status"] for c, f in ours.items()} == \
                {c: f["properties"]["status"] for c, f in theirs.items()}
            tolerance_m = tile_data._screen_tolerance(z) * METRES_PER_DEGREE  # half a pixel, at most, in metres
            for code, feature in ours.items():
                a, b = shape(feature["geometry"]), shape(theirs[code]["geometry"])
                if tolerance_m:
                    distance = shapely.hausdorff_distance(*to_metric([a, b], METRIC))
                    assert distance < tolerance_m, (z, code, distance, tolerance_m)
                else:  # full detail: the stored vertices, coordinate for coordinate
                    assert np.array_equal(shapely.get_coordinates(a), shapely.get_coordinates(b)), (z, code)
                statuses.add(feature["properties"]["status"])
                checked += 1
    assert statuses == {"complete", "short", "unstaffed"} and checked > 300
    assert engine not in live._indexes  # the product built no in-process index on PostGIS


def test_a_write_changes_the_next_tile_without_an_index(loaded, engine, token, tmp_path):
    from gis_app.imports import import_file
    from gis_app.register import staffing_report
    from test_people_and_locate import people_csv
    import_file(engine, loaded.config, "people", people_csv(tmp_path))
    client = loaded.test_client()
    corner = to_lonlat(shapely.Point(X0 + 10, Y0 + 290))  # inside G1, near its north-west corner
    z = 18
    x, y = tile_of(corner.x, corner.y, z)
    before = features(client, z, x, y)[G1]
    assert before["properties"]["status"] == "short"  # 120 households need 2 cleaners; G1 has one
    smaller = mapping(shapely.set_precision(to_lonlat(box(X0, Y0 + 200, X0 + 150, Y0 + 300)), 1e-7))
    etag = client.get(f"/api/v1/grids/{G1}").headers["ETag"]
    answer = client.patch(f"/api/v1/grids/{G1}", json={"properties": {"households": 100}, "geometry": smaller},
                          headers={**token(), "If-Match": etag})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    after = features(client, z, x, y)[G1]
    table, _ = staffing_report(engine, loaded.config)
    assert after["properties"]["status"] == dict(zip(table["code"], table["status"]))[G1] == "complete"
    stored = client.get(f"/api/v1/grids/{G1}").get_json()["geometry"]
    assert after["geometry"] == stored and shape(stored).equals(shape(smaller))
    assert engine not in live._indexes


def mvt_frame(tmp_path, client, z, x, y):
    """Decode a served .mvt tile with GDAL's MVT driver (z/x/y from the file's path; CLIP=NO: as sent,
    buffer included, where GDAL would cut at the tile's edge)."""
    path = tmp_path / str(z) / str(x) / f"{y}.pbf"
    path.parent.mkdir(parents=True, exist_ok=True)
    response = served(client, z, x, y, "mvt")
    assert response.mimetype == "application/vnd.mapbox-vector-tile"
    path.write_bytes(response.data)
    return pyogrio.read_dataframe(path, layer="grids", CLIP="NO")


def test_vector_tiles_decode_in_gdal_with_the_geojson_tiles_grids(demo, engine, tmp_path):
    client = demo.test_client()
    codes, geoms = live._build_index(engine).query_bbox(-180, -90, 180, 90)
    stored = dict(zip(codes, geoms))
    web = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    to_3857 = lambda g: shapely.transform(g, lambda xy: np.column_stack(web.transform(xy[:, 0], xy[:, 1])))  # noqa: E731
    for z in (12, 14, 16):
        for x, y in tiles_over(shapely.point_on_surface(geoms[::60]), z):
            frame = mvt_frame(tmp_path, client, z, x, y)
            geojson = features(client, z, x, y)
            assert frame.crs == "EPSG:3857"
            assert sorted(zip(frame["code"], frame["status"])) == \
                sorted((c, f["properties"]["status"]) for c, f in geojson.items()) != []
            west, south, east, north = mercantile.xy_bounds(x, y, z)
            size = east - west
            pad = size * tile_data.MVT_BUFFER / tile_data.MVT_EXTENT
            clip = box(west - pad, north - size - pad, west + size + pad, north + pad)
            unit = size / tile_data.MVT_EXTENT  # one step of the tile's integer grid
            for code, geom in zip(frame["code"], frame.geometry):
                expected = to_3857(stored[code]).intersection(clip)
                # ST_AsMVTGeom snaps to that grid (half a step diagonally) and repairs what snapping
                # made invalid (a sliver of a spike may go); a misplaced tile would be off by hundreds.
                assert shapely.hausdorff_distance(geom, expected) <= 3 * unit, (z, code)
