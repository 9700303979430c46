"""Photos: only those the app stored (uploaded, checked and re-encoded by Pillow, metadata gone)."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from conftest import COMMUNITY
from gis_app.errors import ValidationFailed
from gis_app.imports import import_file
from grids.photos import check_photo, is_app_photo

PHONE, G1 = "13800000001", f"{COMMUNITY}001"
OUTSIDE = ["http://evil.example/x.png", "https://evil.example/x.png", "//evil.example/x.png",
           "/\\evil.example/x.png", "javascript:alert(1)", "data:image/png;base64,iVBORw0KGgo=",
           "/photos/../sanigrid.sqlite", "/photos/ABC.jpg", " /photos/x.jpg", "zhang.jpg"]


def _jpeg_with_gps(size=(64, 48)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = image.getexif()
    exif[0x010F] = "PhoneMaker"                       # Make
    exif[0x8825] = {1: "N", 2: (24.0, 19.0, 30.0)}    # GPSInfo: latitude 24°19'30" N
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def _fetch(client, url):
    """GET a stored photo, closing the file the response streams from."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def _post(client, token, data: bytes, name="p.jpg", phone=PHONE, headers=None):
    return client.post(f"/api/v1/people/{phone}/photo", data={"photo": (io.BytesIO(data), name)},
                       headers=token() if headers is None else headers, content_type="multipart/form-data")


@pytest.fixture
def person(client, token):
    assert client.post("/api/v1/people", json={"phone": PHONE, "name": "张伟"}, headers=token()).status_code == 201


def test_an_upload_is_stored_reencoded_without_metadata_and_served(client, token, person):
    original = _jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get(0x8825) is not None
    answer = _post(client, token, original)
    assert answer.status_code == 200
    url = answer.json["photo"]
    assert is_app_photo(url) and client.get(f"/api/v1/people/{PHONE}").json["photo"] == url
    served = _fetch(client, url)
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    stored = Image.open(io.BytesIO(served.data))
    assert stored.format == "JPEG" and stored.size == (64, 48)
    assert dict(stored.getexif()) == {} and "exif" not in stored.info and served.data != original


def test_a_transparent_png_stays_png(client, token, person):
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(out, "PNG")
    url = _post(client, token, out.getvalue(), "p.png").json["photo"]
    assert url.endswith(".png") and Image.open(io.BytesIO(_fetch(client, url).data)).mode == "RGBA"


@pytest.mark.parametrize("data", [b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
                                  b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", b"\xff\xd8\xff\xe0 not really a jpeg", b""])
def test_anything_but_a_photo_is_refused(client, token, person, data):
    answer = _post(client, token, data)
    assert answer.status_code == 422 and "photo" in answer.json["detail"]
    assert client.get(f"/api/v1/people/{PHONE}").json["photo"] is None


def test_an_oversized_upload_is_refused(client, token, person):
    body = b"--b\r\nContent-Disposition: form-data; name=photo; filename=p.jpg\r\n\r\n" + b"0" * (11 * 1024 * 1024)
    answer = client.post(f"/api/v1/people/{PHONE}/photo", data=body, headers=token(),
                         content_type="multipart/form-data; boundary=b")
    assert answer.status_code == 413


def test_upload_needs_an_editor_and_a_known_person(client, token, person):
    assert _post(client, token, _jpeg_with_gps(), headers={}).status_code == 401
    assert _post(client, token, _jpeg_with_gps(), headers=token("viewer")).status_code == 403
    assert _post(client, token, _jpeg_with_gps(), phone="13900000000").status_code == 404
    assert client.post(f"/api/v1/people/{PHONE}/photo", headers=token()).status_code == 422


@pytest.mark.parametrize("photo", OUTSIDE)
def test_the_api_refuses_outside_photo_addresses(client, token, person, photo):
    created = client.post("/api/v1/people", json={"phone": "13800000009", "name": "李娜", "photo": photo},
                          headers=token())
    changed = client.patch(f"/api/v1/people/{PHONE}", json={"photo": photo}, headers=token())
    for answer in (created, changed):
        assert answer.status_code == 422
        assert "not a photo stored by the app" in answer.json["problems"][0]["reason"]
    assert client.get(f"/api/v1/people/{PHONE}").json["photo"] is None


def _people_csv(folder, photo):
    path = folder / "people.csv"
    path.write_text(f"name,phone,photo,grid,role,backup\n张伟,{PHONE},{photo},{G1},leader,\n", encoding="utf-8")
    return path


def test_a_people_file_may_name_a_photo_beside_it(loaded, engine, client, tmp_path):
    (tmp_path / "zhang.jpg").write_bytes(_jpeg_with_gps())
    import_file(engine, loaded.config, "people", _people_csv(tmp_path, "zhang.jpg"))
    url = client.get(f"/api/v1/people/{PHONE}").json["photo"]
    assert is_app_photo(url) and dict(Image.open(io.BytesIO(_fetch(client, url).data)).getexif()) == {}
    assert f'<img src="{url}"' in client.get(f"/grids/{G1}").get_data(as_text=True)


@pytest.mark.parametrize("photo, reason", [("//evil.example/x.png", "not a photo stored by the app"),
                                           ("http://evil.example/x.png", "not a photo stored by the app"),
                                           ("missing.jpg", "is not a file beside the people file"),
                                           ("people.csv.png", "not a readable JPEG, PNG or WebP image")])
def test_a_people_file_with_an_outside_or_bad_photo_is_refused_whole(loaded, engine, client, tmp_path, photo, reason):
    (tmp_path / "people.csv.png").write_text("name,phone\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as refused:
        import_file(engine, loaded.config, "people", _people_csv(tmp_path, photo))
    assert reason in str(refused.value)
    assert client.get(f"/api/v1/people/{PHONE}").status_code == 404
    assert not (tmp_path / "instance" / "photos").exists() or not any((tmp_path / "instance" / "photos").iterdir())


def test_a_people_file_with_no_photo_still_imports(loaded, engine, client, tmp_path):
    import_file(engine, loaded.config, "people", _people_csv(tmp_path, ""))
    assert client.get(f"/api/v1/people/{PHONE}").json["photo"] is None


def test_the_signboard_never_shows_an_outside_photo_already_in_the_register(loaded, engine, client, tmp_path):
    from sqlalchemy import update

    from gis_app.storage import session_scope
    from gis_app.storage.schema import Person
    import_file(engine, loaded.config, "people", _people_csv(tmp_path, ""))
    with session_scope(engine, write=True) as session:
        session.execute(update(Person).values(photo="//evil.example/track.png"))
    page = client.get(f"/grids/{G1}").get_data(as_text=True)
    assert "evil.example" not in page and "张伟" in page


def test_only_stored_photo_names_are_served(client):
    assert _fetch(client, "/photos/0123456789abcdef0123456789abcdef.jpg").status_code == 404
    assert client.get("/photos/..%2Fsanigrid.sqlite").status_code == 404


@pytest.mark.parametrize("photo", OUTSIDE[:-1])
def test_the_domain_keeps_only_app_photo_urls(photo):
    with pytest.raises(ValueError):
        check_photo(photo, files=True)
    assert check_photo("/photos/0123456789abcdef0123456789abcdef.jpg") is not None
    assert check_photo("") is None and check_photo("zhang.jpg", files=True) == "zhang.jpg"
