"""Coordinate reference systems: input CRSs, GCJ-02 / BD-09, and metric measurement.

Geometry is stored in EPSG:4326 longitude/latitude (CGCS2000, EPSG:4490, is treated
as equal to it: the two differ by centimetres). Areas, lengths and distances are
never measured in degrees: geometries are projected to a metric CRS first, by
default the CGCS2000 3-degree Gauss-Krüger zone whose central meridian is nearest
the data (EPSG:4534 = CM 75°E … EPSG:4554 = CM 135°E; Liuzhou → EPSG:4545), or a
projected CRS in metres that the caller passes in (the ``SANIGRID_METRIC_CRS``
setting; this module reads no environment variables).

Chinese web maps draw in GCJ-02 (AMap, Tencent) or BD-09 (Baidu). A file in those
systems looks exactly like EPSG:4326 and lies ~500 m off, so they are accepted only
when the user names them (:func:`parse_crs`), and converted with the public
obfuscation formula (forward) and an exact iterative inverse (the one-step inverse
found in most snippets is off by metres).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
import pyproj
import shapely

__all__ = [
    "CRSError", "InputCRS", "WGS84", "GCJ02", "BD09", "ACCEPTED_FORMS",
    "parse_crs", "out_of_china",
    "wgs84_to_gcj02", "gcj02_to_wgs84",
    "gcj02_to_bd09", "bd09_to_gcj02", "wgs84_to_bd09", "bd09_to_wgs84",
    "to_wgs84_geometries", "metric_crs_for", "gk_zone_crs", "check_geographic",
    "to_metric", "area_m2",
]

ACCEPTED_FORMS = (
    "'wgs84', 'EPSG:4326', '4326', 'CRS84', 'EPSG:4490' (CGCS2000, treated as WGS84), "
    "'gcj02' / 'GCJ-02' (AMap, Tencent), 'bd09' / 'BD-09' (Baidu), "
    "any other EPSG code such as 'EPSG:4545' or 4545, an OGC URN such as "
    "'urn:ogc:def:crs:EPSG::4545', or a pyproj.CRS"
)

# GCJ-02: Krasovsky 1940 ellipsoid, as in the public formula.
_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323
# BD-09 on top of GCJ-02.
_X_PI = math.pi * 3000.0 / 180.0
_BD_DLON = 0.0065
_BD_DLAT = 0.006
# The rectangle the GCJ-02 algorithm treats as "China".
_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)
# Exact inverses: iterate the forward transform until the residual is below this.
_INVERSE_TOL_DEG = 1e-10
_INVERSE_MAX_ITER = 10

# CGCS2000 3-degree Gauss-Krüger zones without zone prefix: EPSG:4534 (CM 75°E) ...
# EPSG:4554 (CM 135°E), one code per 3 degrees.
_GK_FIRST_EPSG, _GK_FIRST_CM, _GK_LAST_CM = 4534, 75, 135
_WGS84_EPSG_CODES = (4326, 4490)


class CRSError(ValueError):
    """A CRS that cannot be used where it was given; the message says why."""


@dataclass(frozen=True)
class InputCRS:
    """The coordinate system of incoming geometries, as the user named it.

    Attributes
    ----------
    kind : str
        ``'wgs84'`` (EPSG:4326, CGCS2000 EPSG:4490 and OGC CRS84), ``'gcj02'``,
        ``'bd09'``, or ``'proj'`` for any other CRS pyproj knows.
    crs : pyproj.CRS or None
        The pyproj CRS for ``'proj'``; EPSG:4326 for every ``'wgs84'`` form (so they
        compare equal); None for the Chinese web-map systems, which pyproj does not know.
    label : str
        A short human-readable name for messages (not compared).
    """

    kind: str
    crs: pyproj.CRS | None = None
    label: str = field(default="", compare=False)

    @property
    def epsg(self) -> int | None:
        """The EPSG code of :attr:`crs` when it has one, else None."""
        return None if self.crs is None else self.crs.to_epsg()


WGS84 = InputCRS("wgs84", pyproj.CRS.from_epsg(4326), "WGS84 (EPSG:4326)")
GCJ02 = InputCRS("gcj02", None, "GCJ-02 (AMap/Tencent)")
BD09 = InputCRS("bd09", None, "BD-09 (Baidu)")

_NAMED = {
    "wgs84": WGS84, "wgs1984": WGS84, "crs84": WGS84, "ogc:crs84": WGS84,
    "gcj02": GCJ02, "bd09": BD09, "bd09ll": BD09,
}


# --------------------------------------------------------------------------- parsing

def parse_crs(value) -> InputCRS:
    """Parse the CRS a user gave for incoming coordinates.

    Parameters
    ----------
    value : str, int, pyproj.CRS or InputCRS
        ``'gcj02'``, ``'GCJ-02'``, ``'bd09'``, ``'BD-09'``, ``'wgs84'``,
        ``'EPSG:4326'``, ``'4490'``, ``4545``, ``'CRS84'``,
        ``'urn:ogc:def:crs:EPSG::4545'``, a :class:`pyproj.CRS` …

    Returns
    -------
    InputCRS
        EPSG:4326, EPSG:4490 and CRS84 give kind ``'wgs84'``; the Chinese web-map
        systems give ``'gcj02'`` / ``'bd09'``; anything else pyproj knows gives
        ``'proj'``.

    Raises
    ------
    CRSError
        When the value names no CRS; the message lists the accepted forms.
    """
    if isinstance(value, InputCRS):
        return value
    if isinstance(value, pyproj.CRS):
        return _from_pyproj(value)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise CRSError(f"unknown CRS {value!r}; accepted: {ACCEPTED_FORMS}")
    if isinstance(value, int):
        return _from_pyproj(_pyproj_crs(f"EPSG:{value}", value))
    text = value.strip()
    if not text:
        raise CRSError(f"empty CRS; accepted: {ACCEPTED_FORMS}")
    named = _NAMED.get(_squash(text))
    if named is not None:
        return named
    if text.isdigit():
        text = f"EPSG:{text}"
    return _from_pyproj(_pyproj_crs(text, value))


def _squash(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch not in " -_")


def _pyproj_crs(text, original) -> pyproj.CRS:
    try:
        return pyproj.CRS.from_user_input(text)
    except pyproj.exceptions.CRSError:
        raise CRSError(f"unknown CRS {original!r}; accepted: {ACCEPTED_FORMS}") from None


def _from_pyproj(crs: pyproj.CRS) -> InputCRS:
    if _is_wgs84_like(crs):
        if crs.to_epsg() == 4490:
            return InputCRS("wgs84", WGS84.crs, "EPSG:4490 (CGCS2000, treated as WGS84)")
        return WGS84
    return InputCRS("proj", crs, _describe(crs))


def _is_wgs84_like(crs: pyproj.CRS) -> bool:
    if crs.to_epsg() in _WGS84_EPSG_CODES:
        return True
    return crs.to_authority() == ("OGC", "CRS84")


def _describe(crs: pyproj.CRS) -> str:
    authority = crs.to_authority()
    code = f"{authority[0]}:{authority[1]}" if authority else "custom CRS"
    return f"{code} ({crs.name})"


# ------------------------------------------------------------------ GCJ-02 and BD-09

def _as_float_arrays(lon, lat):
    """Broadcast lon/lat to flat float64 arrays; also return the shape to restore."""
    lon, lat = np.broadcast_arrays(np.asarray(lon, dtype=np.float64),
                                   np.asarray(lat, dtype=np.float64))
    return lon.ravel(), lat.ravel(), lon.shape


def _result(lon, lat, shape):
    if shape == ():
        return float(lon[0]), float(lat[0])
    return lon.reshape(shape), lat.reshape(shape)


def out_of_china(lon, lat):
    """Tell which points lie outside the rectangle the GCJ-02 algorithm calls China.

    Parameters
    ----------
    lon, lat : float or array_like
        Longitudes and latitudes in degrees (broadcast together).

    Returns
    -------
    numpy.ndarray of bool
        True outside lon 72.004–137.8347, lat 0.8293–55.8271 (and for NaN);
        a numpy bool for scalar input.
    """
    lon, lat, shape = _as_float_arrays(lon, lat)
    return _outside(lon, lat).reshape(shape)[()]


def _outside(lon, lat):
    inside = ((lon >= _CHINA_LON[0]) & (lon <= _CHINA_LON[1])
              & (lat >= _CHINA_LAT[0]) & (lat <= _CHINA_LAT[1]))
    return ~inside


def _gcj_offsets_m(x, y):
    """The GCJ-02 distortion in metres, for x = lon - 105, y = lat - 35."""
    sqrt_abs_x = np.sqrt(np.abs(x))
    common = 20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x
            + (common
               + 20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)
               + 160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)
               ) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x
            + (common
               + 20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)
               + 150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)
               ) * 2.0 / 3.0)
    return dlon, dlat


def _gcj_forward(lon, lat):
    """WGS84 → GCJ-02 everywhere (no China test); arrays in, arrays out."""
    dlon_m, dlat_m = _gcj_offsets_m(lon - 105.0, lat - 35.0)
    rad_lat = np.radians(lat)
    magic = 1.0 - _GCJ_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat_m * 180.0 / ((_GCJ_A * (1.0 - _GCJ_EE)) / (magic * sqrt_magic) * np.pi)
    dlon = dlon_m * 180.0 / (_GCJ_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return lon + dlon, lat + dlat


def _bd_forward(lon, lat):
    """GCJ-02 → BD-09 (Baidu applies it everywhere); arrays in, arrays out."""
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def _bd_rough_inverse(lon, lat):
    x, y = lon - _BD_DLON, lat - _BD_DLAT
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _where(mask, function, lon, lat):
    """Apply a lon/lat array function to the points in ``mask``; others pass through."""
    out_lon, out_lat = lon.copy(), lat.copy()
    out_lon[mask], out_lat[mask] = function(lon[mask], lat[mask])
    return out_lon, out_lat


def _gcj_inverse(lon, lat):
    f_lon, f_lat = _gcj_forward(lon, lat)
    return _iterate_inverse(_gcj_forward, lon, lat, 2.0 * lon - f_lon, 2.0 * lat - f_lat)


def _bd_inverse(lon, lat):
    return _iterate_inverse(_bd_forward, lon, lat, *_bd_rough_inverse(lon, lat))


def _finite(lon, lat):
    """Points that are coordinates at all (NaN, infinities and wild values are not)."""
    return (np.abs(lon) <= 360.0) & (np.abs(lat) <= 90.0)


def _iterate_inverse(forward, target_lon, target_lat, lon, lat):
    """Refine (lon, lat) until forward(lon, lat) == target within the tolerance.

    Fixed-point iteration p ← p − (forward(p) − target); the GCJ-02 and BD-09
    distortions vary slowly, so each step gains several digits. Only points not yet
    converged are recomputed.
    """
    lon, lat = lon.copy(), lat.copy()
    todo = np.arange(lon.size)
    for _ in range(_INVERSE_MAX_ITER):
        if todo.size == 0:
            break
        f_lon, f_lat = forward(lon[todo], lat[todo])
        d_lon, d_lat = f_lon - target_lon[todo], f_lat - target_lat[todo]
        lon[todo] -= d_lon
        lat[todo] -= d_lat
        todo = todo[np.maximum(np.abs(d_lon), np.abs(d_lat)) >= _INVERSE_TOL_DEG]
    return lon, lat


def wgs84_to_gcj02(lon, lat):
    """Convert WGS84 lon/lat to GCJ-02 (AMap/Tencent).

    Parameters
    ----------
    lon, lat : float or array_like
        WGS84 degrees; arrays of any shape (broadcast together).

    Returns
    -------
    tuple
        ``(lon, lat)`` in GCJ-02: floats for scalar input, else float64 arrays.
        Points outside China (:func:`out_of_china`) are returned unchanged.
    """
    lon, lat, shape = _as_float_arrays(lon, lat)
    return _result(*_where(~_outside(lon, lat), _gcj_forward, lon, lat), shape)


def gcj02_to_wgs84(lon, lat):
    """Convert GCJ-02 lon/lat to WGS84 exactly (iterated inverse).

    Parameters
    ----------
    lon, lat : float or array_like
        GCJ-02 degrees; arrays of any shape (broadcast together).

    Returns
    -------
    tuple
        ``(lon, lat)`` in WGS84 such that :func:`wgs84_to_gcj02` gives the input back
        within 1e-10 degrees; points outside China are returned unchanged.
    """
    lon, lat, shape = _as_float_arrays(lon, lat)
    return _result(*_where(~_outside(lon, lat), _gcj_inverse, lon, lat), shape)


def gcj02_to_bd09(lon, lat):
    """Convert GCJ-02 lon/lat to BD-09 (Baidu).

    Parameters
    ----------
    lon, lat : float or array_like
        GCJ-02 degrees.

    Returns
    -------
    tuple
        ``(lon, lat)`` in BD-09 (floats for scalar input, else arrays); Baidu's
        shift applies everywhere; only non-coordinates (NaN, infinite, |lon| > 360,
        |lat| > 90) pass through unchanged.
    """
    lon, lat, shape = _as_float_arrays(lon, lat)
    return _result(*_where(_finite(lon, lat), _bd_forward, lon, lat), shape)


def bd09_to_gcj02(lon, lat):
    """Convert BD-09 (Baidu) lon/lat to GCJ-02 exactly (iterated inverse).

    Parameters
    ----------
    lon, lat : float or array_like
        BD-09 degrees.

    Returns
    -------
    tuple
        ``(lon, lat)`` in GCJ-02 such that :func:`gcj02_to_bd09` gives the input back
        within 1e-10 degrees.
    """
    lon, lat, shape = _as_float_arrays(lon, lat)
    return _result(*_where(_finite(lon, lat), _bd_inverse, lon, lat), shape)


def wgs84_to_bd09(lon, lat):
    """Convert WGS84 lon/lat to BD-09 (via GCJ-02).

    Parameters
    ----------
    lon, lat : float or array_like
        WGS84 degrees.

    Returns
    -------
    tuple
        ``(lon, lat)`` in BD-09.
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon, lat):
    """Convert BD-09 (Baidu) lon/lat to WGS84 exactly (via GCJ-02, both inverses iterated).

    Parameters
    ----------
    lon, lat : float or array_like
        BD-09 degrees.

    Returns
    -------
    tuple
        ``(lon, lat)`` in WGS84.
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


# ------------------------------------------------------------- geometry transforms

def _geom_array(geoms):
    return np.asarray(geoms, dtype=object)


def _xy_function(pair_function):
    """Adapt a lon/lat pair function to shapely.transform(interleaved=False)."""
    def transform(x, y, z=None):
        new_x, new_y = pair_function(x, y)
        return (new_x, new_y) if z is None else (new_x, new_y, z)
    return transform


@functools.lru_cache(maxsize=64)
def _transformer(source: pyproj.CRS, target: pyproj.CRS) -> pyproj.Transformer:
    # pyproj >= 3.1 Transformers are thread-safe, so one cached instance is shared.
    return pyproj.Transformer.from_crs(source, target, always_xy=True)


def _proj_function(source: pyproj.CRS, target: pyproj.CRS):
    transformer = _transformer(source, target)

    def transform(x, y, z=None):
        if z is None:
            return transformer.transform(x, y, errcheck=True)
        return transformer.transform(x, y, z, errcheck=True)
    return transform


def _apply(geoms, function):
    return shapely.transform(_geom_array(geoms), function, include_z=None, interleaved=False)


def to_wgs84_geometries(geoms, crs):
    """Transform geometries from the given input CRS to EPSG:4326 lon/lat.

    Parameters
    ----------
    geoms : array_like of shapely.Geometry
        Geometries (None allowed) in ``crs``.
    crs : InputCRS, str, int or pyproj.CRS
        Anything :func:`parse_crs` accepts.

    Returns
    -------
    numpy.ndarray of shapely.Geometry
        The geometries in WGS84 lon/lat, Z values kept. For a ``'wgs84'`` input the
        geometries are returned unchanged (an object array is not even copied).

    Raises
    ------
    CRSError
        When ``crs`` is unknown, or pyproj cannot transform some coordinates.
    """
    source = parse_crs(crs)
    if source.kind == "wgs84":
        return _geom_array(geoms)
    if source.kind == "gcj02":
        return _apply(geoms, _xy_function(gcj02_to_wgs84))
    if source.kind == "bd09":
        return _apply(geoms, _xy_function(bd09_to_wgs84))
    try:
        return _apply(geoms, _proj_function(source.crs, WGS84.crs))
    except pyproj.exceptions.ProjError as exc:
        raise CRSError(f"cannot transform from {source.label} to WGS84: {exc}") from None


def _metric_crs(value) -> pyproj.CRS:
    """Return ``value`` as a pyproj CRS, projected and in metres, or raise CRSError."""
    crs = check_geographic(value)
    if not crs.is_projected:
        raise CRSError(f"{_describe(crs)} is not a projected CRS; "
                       "areas and lengths need a projected CRS in metres such as EPSG:4545")
    units = {axis.unit_name for axis in crs.axis_info}
    if units != {"metre"}:
        raise CRSError(f"{_describe(crs)} has axis units {sorted(units)}; "
                       "areas and lengths are measured in a projected CRS in metres")
    return crs


def check_geographic(crs) -> pyproj.CRS:
    """Refuse a geographic CRS where a metric one is required.

    Parameters
    ----------
    crs : str, int, pyproj.CRS or InputCRS
        The CRS to check (anything :func:`parse_crs` accepts).

    Returns
    -------
    pyproj.CRS
        The CRS, when it is not geographic.

    Raises
    ------
    CRSError
        When the CRS is geographic (lon/lat degrees, including GCJ-02 and BD-09)
        or unknown.
    """
    parsed = parse_crs(crs)
    if parsed.kind in ("gcj02", "bd09") or parsed.crs.is_geographic:
        raise CRSError(f"{parsed.label} is geographic; areas are never measured in degrees: "
                       "use a projected CRS in metres such as EPSG:4545")
    return parsed.crs


def gk_zone_crs(lon: float) -> pyproj.CRS:
    """Return the CGCS2000 3-degree Gauss-Krüger zone whose central meridian is nearest.

    Parameters
    ----------
    lon : float
        A longitude in degrees east, within 73.5–136.5 (the zones' reach).

    Returns
    -------
    pyproj.CRS
        EPSG:4534 (CM 75°E) … EPSG:4554 (CM 135°E).

    Raises
    ------
    CRSError
        For a longitude outside the zones' reach.
    """
    lon = float(lon)
    if not (_GK_FIRST_CM - 1.5 <= lon <= _GK_LAST_CM + 1.5):
        raise CRSError(f"longitude {lon:g} is outside the CGCS2000 Gauss-Krüger zones "
                       f"(CM {_GK_FIRST_CM}°E–{_GK_LAST_CM}°E); give a metric CRS explicitly")
    index = int(math.floor((lon - _GK_FIRST_CM) / 3.0 + 0.5))
    index = min(max(index, 0), (_GK_LAST_CM - _GK_FIRST_CM) // 3)
    return pyproj.CRS.from_epsg(_GK_FIRST_EPSG + index)


def _lonlat_bounds(geoms, bounds):
    if bounds is None:
        bounds = shapely.total_bounds(_geom_array(geoms))
    try:
        minx, miny, maxx, maxy = (float(v) for v in bounds)
    except (TypeError, ValueError):
        raise CRSError(f"bounds {bounds!r} must be four numbers (minx, miny, maxx, maxy)") from None
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        raise CRSError("no coordinates to choose a metric CRS from (empty geometries)")
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise CRSError(f"bounds {bounds!r} are not lon/lat degrees; "
                       "geometries must be in EPSG:4326 before they are measured")
    return minx, miny, maxx, maxy


def metric_crs_for(geoms=None, *, bounds=None, override=None) -> pyproj.CRS:
    """Choose the projected CRS in metres in which to measure the given data.

    Parameters
    ----------
    geoms : array_like of shapely.Geometry, optional
        The data, in EPSG:4326 lon/lat; used for its bounds.
    bounds : tuple of float, optional
        ``(minx, miny, maxx, maxy)`` in lon/lat, instead of ``geoms``.
    override : str, int or pyproj.CRS, optional
        The configured metric CRS (e.g. the ``SANIGRID_METRIC_CRS`` setting);
        wins over the data when given (None or an empty string: not set).

    Returns
    -------
    pyproj.CRS
        ``override`` when given; otherwise the CGCS2000 3-degree Gauss-Krüger zone
        whose central meridian is nearest the centre longitude of the data's bounds
        (EPSG:4534 … EPSG:4554).

    Raises
    ------
    CRSError
        When ``override`` is geographic or not in metres, or when there is nothing
        to choose from (no data, empty data, bounds not in degrees, or data outside
        the zones' reach of 73.5–136.5°E).
    """
    if isinstance(override, str) and not override.strip():
        override = None  # an empty setting means "not set"
    if override is not None:
        return _metric_crs(override)
    if geoms is None and bounds is None:
        raise CRSError("metric_crs_for needs geometries, bounds or an override")
    minx, _, maxx, _ = _lonlat_bounds(geoms, bounds)
    return gk_zone_crs((minx + maxx) / 2.0)


def to_metric(geoms, metric_crs):
    """Project EPSG:4326 geometries into a metric CRS for measuring.

    Parameters
    ----------
    geoms : array_like of shapely.Geometry
        Geometries in EPSG:4326 lon/lat.
    metric_crs : str, int or pyproj.CRS
        A projected CRS in metres, e.g. from :func:`metric_crs_for`.

    Returns
    -------
    numpy.ndarray of shapely.Geometry
        The geometries in ``metric_crs`` (easting, northing in metres).

    Raises
    ------
    CRSError
        When ``metric_crs`` is geographic or not in metres, or pyproj fails.
    """
    target = _metric_crs(metric_crs)
    try:
        return _apply(geoms, _proj_function(WGS84.crs, target))
    except pyproj.exceptions.ProjError as exc:
        raise CRSError(f"cannot project to {_describe(target)}: {exc}") from None


def area_m2(geoms, metric_crs=None):
    """Area in square metres of EPSG:4326 geometries, measured in a metric CRS.

    Parameters
    ----------
    geoms : array_like of shapely.Geometry
        Geometries in EPSG:4326 lon/lat (None gives NaN).
    metric_crs : str, int or pyproj.CRS, optional
        The CRS to measure in; by default :func:`metric_crs_for` the geometries.

    Returns
    -------
    numpy.ndarray of float
        Planar areas in m² in ``metric_crs``.
    """
    if metric_crs is None:
        metric_crs = metric_crs_for(geoms)
    return np.asarray(shapely.area(to_metric(geoms, metric_crs)), dtype=np.float64)
