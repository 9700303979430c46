"""Transform geometries between CRSs: any input CRS to EPSG:4326, and pyproj pipelines."""
from __future__ import annotations

import functools

import numpy as np
import pyproj
import shapely

from .china_coords import bd09_to_wgs84, gcj02_to_wgs84
from .parsing import WGS84, CRSError, parse_crs

def geom_array(geoms):
    """Return geometries as a numpy object array (an object array is not copied)."""
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


def proj_function(source: pyproj.CRS, target: pyproj.CRS):
    """Return an x/y(/z) function for shapely.transform that runs a cached pyproj Transformer."""
    transformer = _transformer(source, target)

    def transform(x, y, z=None):
        if z is None:
            return transformer.transform(x, y, errcheck=True)
        return transformer.transform(x, y, z, errcheck=True)
    return transform


def apply_to_coords(geoms, function):
    """Apply an x/y(/z) coordinate function to every geometry, keeping Z values."""
    return shapely.transform(geom_array(geoms), function, include_z=None, interleaved=False)


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
        return geom_array(geoms)
    if source.kind == "gcj02":
        return apply_to_coords(geoms, _xy_function(gcj02_to_wgs84))
    if source.kind == "bd09":
        return apply_to_coords(geoms, _xy_function(bd09_to_wgs84))
    try:
        return apply_to_coords(geoms, proj_function(source.crs, WGS84.crs))
    except pyproj.exceptions.ProjError as exc:
        raise CRSError(f"cannot transform from {source.label} to WGS84: {exc}") from None
