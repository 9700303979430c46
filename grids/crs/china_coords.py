"""GCJ-02 (AMap, Tencent) and BD-09 (Baidu): the public obfuscation formulas and exact inverses.

A file in those systems looks exactly like EPSG:4326 and lies ~500 m off. The forward
shifts follow the public formula; the inverses iterate it (the one-step inverse found in
most snippets is off by metres).
"""
from __future__ import annotations

import math

import numpy as np

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


def _inside(lon, lat):
    return ((lon >= _CHINA_LON[0]) & (lon <= _CHINA_LON[1])
            & (lat >= _CHINA_LAT[0]) & (lat <= _CHINA_LAT[1]))


def _outside(lon, lat):
    return ~_inside(lon, lat)


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


def _convert(lon, lat, selected, function):
    """Apply ``function`` to the points ``selected(lon, lat)`` picks; scalars in, scalars out."""
    lon, lat, shape = _as_float_arrays(lon, lat)
    return _result(*_where(selected(lon, lat), function, lon, lat), shape)


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
    return _convert(lon, lat, _inside, _gcj_forward)


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
    return _convert(lon, lat, _inside, _gcj_inverse)


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
    return _convert(lon, lat, _finite, _bd_forward)


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
    return _convert(lon, lat, _finite, _bd_inverse)


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
