"""A photo's EXIF position is read as data before re-encoding strips it from the stored image."""
import io

import pytest
from PIL import ExifTags, Image

from gis_app.storage.photos import exif_location, reencode


def _jpeg(gps: dict | None, taken="2026:11:09 10:15:00") -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    if gps is not None:
        exif[ExifTags.IFD.GPSInfo] = gps
    exif[ExifTags.Base.DateTime] = taken
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def _liuzhou():
    # 鱼峰区 near 柳州 Longcheng Road: 24°18'45.6" N, 109°25'12.0" E
    return {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (24.0, 18.0, 45.6),
            ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (109.0, 25.0, 12.0),
            ExifTags.GPS.GPSMapDatum: "WGS-84"}


def test_the_position_is_read_and_the_stored_image_has_none():
    data = _jpeg(_liuzhou())
    found = exif_location(data)
    assert found == {"lon": round(109 + 25 / 60 + 12 / 3600, 7), "lat": round(24 + 18 / 60 + 45.6 / 3600, 7),
                     "datum": "WGS-84", "taken_at": "2026:11:09 10:15:00"}
    stored, ext = reencode(data)
    assert ext == ".jpg" and exif_location(stored) is None
    assert not Image.open(io.BytesIO(stored)).getexif()


def test_southern_and_western_references_are_negative():
    gps = _liuzhou() | {ExifTags.GPS.GPSLatitudeRef: "S", ExifTags.GPS.GPSLongitudeRef: "W"}
    found = exif_location(_jpeg(gps))
    assert found["lat"] < 0 and found["lon"] < 0


@pytest.mark.parametrize("data", [
    _jpeg(None),                                                          # no GPS at all
    _jpeg({ExifTags.GPS.GPSLatitude: (0.0, 0.0, 0.0), ExifTags.GPS.GPSLongitude: (0.0, 0.0, 0.0)}),  # null island
    _jpeg({ExifTags.GPS.GPSLatitude: (95.0, 0.0, 0.0), ExifTags.GPS.GPSLongitude: (109.0, 0.0, 0.0)}),
    b"PK\x03\x04 a zip calling itself a photo",
    b"",
])
def test_no_usable_position_gives_none(data):
    assert exif_location(data) is None
