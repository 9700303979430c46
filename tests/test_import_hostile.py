"""Hostile input through the real import path: a clear refusal, and the register unchanged."""
import pytest

from conftest import COMMUNITY, SHARED_DATA, tiny_grids, feature_collection
from test_geojson_strict import bytes_read
from gis_app.errors import ValidationFailed
from gis_app.imports import import_file
from gis_app.storage import repository as repo
from gis_app.storage import session_scope

CORPUS = sorted(p for p in (SHARED_DATA / "geojson-hostile-corpus").rglob("*.geojson"))
BAD_FOLDERS = ("invalid_geometries", "invalid_structure", "bad")


def state(engine):
    with session_scope(engine) as s:
        grids = repo.load_grids(s, retired=True)
        return list(grids["code"]), [g.wkb for g in grids.geometry], repo.register_version(s)


@pytest.fixture(scope="module")
def corpus_app(tmp_path_factory):
    """One loaded register for the whole corpus: every refusal must leave it as it was."""
    from conftest import tiny_regions
    from gis_app import create_app
    from gis_app.storage import upgrade
    root = tmp_path_factory.mktemp("corpus")
    app = create_app({"SANIGRID_INSTANCE": str(root), "SANIGRID_DATABASE_URL": f"sqlite:///{root}/db.sqlite"})
    upgrade(app.config["SANIGRID_DATABASE_URL"])
    engine = app.extensions["sanigrid.engine"]
    for layer, features in (("regions", tiny_regions()), ("grids", tiny_grids())):
        (root / f"{layer}.geojson").write_bytes(feature_collection(features))
        import_file(engine, app.config, layer, root / f"{layer}.geojson")
    return app


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_file_never_crashes_and_changes_nothing_when_refused(corpus_app, path):
    engine = corpus_app.extensions["sanigrid.engine"]
    before = state(engine)
    try:
        import_file(engine, corpus_app.config, "grids", path)
    except ValidationFailed as exc:
        assert str(exc).strip()
        assert state(engine) == before
    else:
        pytest.fail(f"{path.name} has no grid properties (name, community): it cannot land as grids")


def test_corpus_is_there():
    assert len(CORPUS) > 100 and any(p.parent.name in BAD_FOLDERS for p in CORPUS)


@pytest.mark.parametrize("content, message", [
    (b'{"type": "FeatureCollection", "features": [', "JSON"),
    ('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"阳和"},'
     '"geometry":null}]}'.encode("gbk"), "UTF-8"),
    (b'{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[NaN, 1]}}', "NaN"),
    (b'{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1e400, 1]}}', ""),
    (b"[" * 5000 + b"]" * 5000, "deep"),
])
def test_broken_json_is_refused_with_a_message(loaded, engine, tmp_path, content, message):
    path = tmp_path / "bad.geojson"
    path.write_bytes(content)
    before = state(engine)
    with pytest.raises(ValidationFailed) as info:
        import_file(engine, loaded.config, "grids", path)
    assert message.lower() in str(info.value).lower()
    assert state(engine) == before


def test_200_mb_of_junk_is_refused_quickly(loaded, engine, tmp_path):
    path = tmp_path / "junk.geojson"
    with open(path, "wb") as f:
        f.write(b"\x00\xffjunk" * 1000)
        f.truncate(200 * 1024 * 1024)
    before = bytes_read()
    with pytest.raises(ValidationFailed, match="larger than the limit"):
        import_file(engine, loaded.config, "grids", path)
    roomy = {**loaded.config, "SANIGRID_MAX_IMPORT_BYTES": 300 * 1024 * 1024}
    with pytest.raises(ValidationFailed, match="not a GeoJSON document"):
        import_file(engine, roomy, "grids", path)
    assert bytes_read() - before < 1024 * 1024  # refused by its size, then by its first bytes: never read


def bow_tie(ring):
    """Cross the diagonals of a four-corner ring: a self-intersecting figure inside the same cell."""
    a, b, c, d = ring[:4]
    return [a, c, b, d, a]


def test_unclosed_ring_and_self_intersection_are_refused(loaded, engine, tmp_path):
    features = tiny_grids()
    ring = features[0]["geometry"]["coordinates"][0]
    features[0]["geometry"] = {"type": "Polygon", "coordinates": [list(ring[:-1])]}
    other = features[1]["geometry"]["coordinates"][0]
    features[1]["geometry"] = {"type": "Polygon", "coordinates": [bow_tie(other)]}
    path = tmp_path / "rings.geojson"
    path.write_bytes(feature_collection(features))
    with pytest.raises(ValidationFailed) as info:
        import_file(engine, loaded.config, "grids", path)
    reasons = {p.index: p.reason.lower() for p in info.value.problems}
    assert "closed" in reasons[0] and "self-intersection" in reasons[1]


def test_make_valid_repairs_a_bow_tie_when_asked(app, engine, files, tmp_path):
    import_file(engine, app.config, "regions", files["regions"])
    features = tiny_grids()[:1]
    features[0]["geometry"] = {"type": "Polygon", "coordinates": [bow_tie(features[0]["geometry"]["coordinates"][0])]}
    path = tmp_path / "bowtie.geojson"
    path.write_bytes(feature_collection(features))
    report = import_file(engine, app.config, "grids", path, make_valid=True)
    assert report.created == [f"{COMMUNITY}001"] and any("repaired" in n for n in report.notes)
