"""The CRSs the OGC API serves (Part 2): CRS84, CGCS2000 (EPSG:4490) and the register's metric CRS.

Coordinates follow each CRS's own axis order, as Part 2 requires: CRS84 is lon/lat, EPSG:4490 is
lat/lon, the CGCS2000 Gauss-Krüger zones (EPSG:4534 … 4554) are northing/easting. pyproj
Transformers built without ``always_xy`` read and write exactly that order.
"""
from __future__ import annotations

import functools
import re

import numpy as np
import pyproj
import shapely

from grids.crs import CRSError
from grids.fileio.geojson_out import GEOJSON_DECIMALS, rfc7946_geometries

from ..config import metric_crs
from .problems import InvalidParameter

__all__ = ["CRS84", "epsg_uri", "supported_crs", "parse_crs_param", "to_crs84_bounds", "output_geometries"]

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CGCS2000 = "http://www.opengis.net/def/crs/EPSG/0/4490"
METRE_DECIMALS = 3  # 1 mm
_EPSG_FORMS = (re.compile(r"^https?://www\.opengis\.net/def/crs/EPSG/0/(\d+)$"),
               re.compile(r"^\[?EPSG:(\d+)\]?$", re.IGNORECASE))
_CRS84_FORMS = {CRS84, "https://www.opengis.net/def/crs/OGC/1.3/CRS84", "CRS84", "OGC:CRS84", "[OGC:CRS84]"}


def epsg_uri(code: int) -> str:
    return f"http://www.opengis.net/def/crs/EPSG/0/{code}"


def supported_crs(bounds, settings) -> list[str]:
    """Return the CRS URIs offered: CRS84, EPSG:4490 and the metric CRS of the register (when known)."""
    out = [CRS84, CGCS2000]
    try:
        metric = metric_crs(settings, bounds=bounds) \
            if bounds is not None or settings.get("SANIGRID_METRIC_CRS") else None
    except CRSError:
        metric = None  # register outside the Gauss-Krüger zones and no setting: no metric CRS on offer
    code = metric.to_epsg() if metric is not None else None
    if code and epsg_uri(code) not in out:
        out.append(epsg_uri(code))
    return out


def _normalise(text: str) -> str | None:
    text = text.strip()
    if text in _CRS84_FORMS:
        return CRS84
    for form in _EPSG_FORMS:
        match = form.match(text)
        if match:
            return epsg_uri(int(match.group(1)))
    return None


def parse_crs_param(name: str, text: str | None, offered: list[str]) -> str:
    """Return the URI named by a ``crs``/``bbox-crs`` value (CRS84 when absent); 400 if not offered."""
    if text is None:
        return CRS84
    uri = _normalise(text)
    if uri not in offered:
        raise InvalidParameter(f"{name}={text!r} is not offered; use one of: {', '.join(offered)}")
    return uri


@functools.lru_cache(maxsize=16)
def _transformer(source: str, target: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(_pyproj(source), _pyproj(target))  # authority axis order


def _pyproj(uri: str) -> pyproj.CRS:
    return pyproj.CRS("OGC:CRS84") if uri == CRS84 else pyproj.CRS.from_epsg(int(uri.rsplit("/", 1)[1]))


def to_crs84_bounds(box: tuple[float, float, float, float], uri: str) -> tuple[float, ...]:
    """Return a bbox given in ``uri``'s axis order as (minlon, minlat, maxlon, maxlat), edges densified."""
    if uri == CRS84:
        return box
    return tuple(_transformer(uri, CRS84).transform_bounds(*box, densify_pts=21))


def output_geometries(geoms, uri: str) -> np.ndarray:
    """Return lon/lat geometries as written for ``uri``: RFC 7946 rounding, then the CRS's axis order."""
    out = rfc7946_geometries(geoms)
    if uri == CRS84:
        return out
    transformer = _transformer(CRS84, uri)
    decimals = GEOJSON_DECIMALS if _pyproj(uri).is_geographic else METRE_DECIMALS
    present = np.array([g is not None for g in out], dtype=bool)
    if present.any():
        moved = shapely.transform(out[present], lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))
        out[present] = shapely.transform(moved, lambda c: np.round(c, decimals))
    return out
