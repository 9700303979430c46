"""Official code lists (6/9/12 digits) import as regions without boundaries, levels from the length."""
import pytest

from gis_app.errors import ValidationFailed
from gis_app.imports import import_file
from gis_app.storage import repository as repo
from gis_app.storage import session_scope


def test_liuzhou_code_lists_import_level_by_level(app, engine, shared_data):
    folder = shared_data / "admin-codes-liuzhou"
    for name in ("liuzhou_counties_4502xx.csv", "liuzhou_streets_towns_4502xxxxx.csv",
                 "liuzhou_communities_villages_4502xxxxxxxx.csv"):
        import_file(engine, app.config, "regions", folder / name, codes=True)
    with session_scope(engine) as s:
        regions = repo.load_regions(s).set_index("code")
    assert regions["level"].value_counts().to_dict() == {"community": 1240, "street": 118, "district": 10}
    assert regions.loc["450203008", ["name", "parent"]].tolist() == ["阳和街道", "450203"]
    assert regions.geometry.isna().all()


def test_streets_before_their_district_are_refused(app, engine, shared_data, tmp_path):
    path = tmp_path / "streets.csv"
    path.write_text("code,name\n450203008,阳和街道\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="1 problem"):
        import_file(engine, app.config, "regions", path, codes=True)


def test_codes_as_numbers_or_wrong_length_are_refused(app, engine, tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("code,name\n4502031,七位\n,无编码\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:
        import_file(engine, app.config, "regions", path, codes=True)
    assert [p.index for p in info.value.problems] == [0, 1]
