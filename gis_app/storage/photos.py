"""Photos the app stores: type-checked and re-encoded by Pillow, metadata stripped, random names.

Whatever arrives (a phone's JPEG with EXIF and GPS, a PNG, a WebP, or a file that only calls
itself an image) is decoded by Pillow and written again from its pixels alone: JPEG, or PNG
when it has transparency. No EXIF, GPS, ICC profile or text chunk survives. Files live in
``<instance>/photos/`` under a random name and are served by the app at ``/photos/<name>``.
"""
from __future__ import annotations

import io
import os
import secrets
from pathlib import Path

from grids.photos import PHOTO_NAME, photo_url

from ..errors import ValidationFailed

__all__ = ["MAX_PHOTO_BYTES", "MAX_PHOTO_PIXELS", "photo_folder", "reencode", "store_photo", "save_encoded",
           "exif_location"]

MAX_PHOTO_BYTES = 10 * 1024 * 1024      # a phone camera's JPEG is 2-6 MB
MAX_PHOTO_PIXELS = 50_000_000           # decoded size bound (Pillow's bomb check is 89 M)
ACCEPTED = ("JPEG", "PNG", "WEBP")


def photo_folder(instance) -> Path:
    """Return the folder of stored photos inside the instance folder."""
    return Path(instance) / "photos"


def _refuse(what: str, reason: str):
    raise ValidationFailed(f"{what}: {reason}")


def reencode(data: bytes, what: str = "photo") -> tuple[bytes, str]:
    """Return (image bytes, ".jpg" or ".png") re-encoded from the pixels of ``data``; refuse non-images."""
    from PIL import Image, ImageOps, UnidentifiedImageError
    if not data:
        _refuse(what, "the file is empty")
    if len(data) > MAX_PHOTO_BYTES:
        _refuse(what, f"the file is larger than {MAX_PHOTO_BYTES // (1024 * 1024)} MB")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ACCEPTED:
                _refuse(what, f"a {image.format} image; give a JPEG, PNG or WebP photo")
            if image.width * image.height > MAX_PHOTO_PIXELS:
                _refuse(what, f"{image.width}×{image.height} pixels is more than {MAX_PHOTO_PIXELS:,}")
            image.load()
            upright = ImageOps.exif_transpose(image)
    except ValidationFailed:
        raise
    except Image.DecompressionBombError:   # Pillow's own check at open: over twice its 89 M pixel limit
        _refuse(what, f"a decompression bomb: more than {MAX_PHOTO_PIXELS:,} pixels")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        _refuse(what, "not a readable JPEG, PNG or WebP image")
    alpha = upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P" and "transparency" in upright.info)
    mode, kind, ext = ("RGBA", "PNG", ".png") if alpha else ("RGB", "JPEG", ".jpg")
    converted = upright.convert(mode)
    clean = Image.frombytes(mode, converted.size, converted.tobytes())   # pixels only: no info, no EXIF
    out = io.BytesIO()
    clean.save(out, kind, **({"quality": 85, "optimize": True} if kind == "JPEG" else {"optimize": True}))
    return out.getvalue(), ext


def save_encoded(instance, encoded: bytes, ext: str) -> str:
    """Write re-encoded bytes under a fresh random name; return the photo's app URL."""
    folder = photo_folder(instance)
    folder.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16) + ext
    assert PHOTO_NAME.fullmatch(name)
    temporary = folder / f".{name}.part"
    temporary.write_bytes(encoded)
    os.replace(temporary, folder / name)
    return photo_url(name)


def store_photo(instance, data: bytes, what: str = "photo") -> str:
    """Re-encode ``data`` and store it; return the photo's app URL (/photos/<name>)."""
    return save_encoded(instance, *reencode(data, what))


def _degrees(value, ref) -> float | None:
    """EXIF (degrees, minutes, seconds) rationals and an N/S/E/W reference → signed decimal degrees."""
    try:
        d, m, sec = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    number = d + m / 60 + sec / 3600
    return -number if str(ref).strip().upper() in ("S", "W") else number


def exif_location(data: bytes) -> dict | None:
    """The camera's position from a photo's EXIF GPS tags, read before :func:`reencode` strips them.

    Returns ``{"lon", "lat", "datum", "taken_at"}`` or None when the photo carries no usable
    position. ``datum`` is the EXIF GPSMapDatum as written (phones write WGS-84); the position is
    kept as data beside the inspection, never trusted over the location the inspector gives.
    """
    from PIL import ExifTags, Image
    try:
        with Image.open(io.BytesIO(data)) as image:
            exif = image.getexif()
            gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
            taken = exif.get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime)
    except Exception:  # noqa: BLE001 - an unreadable photo has no position; reencode names the fault
        return None
    lat = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef, "N"))
    lon = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef, "E"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    datum = str(gps.get(ExifTags.GPS.GPSMapDatum) or "WGS-84").strip("\x00 ") or "WGS-84"
    return {"lon": round(lon, 7), "lat": round(lat, 7), "datum": datum,
            "taken_at": str(taken).strip("\x00 ") if taken else None}
