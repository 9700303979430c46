"""Measure in metres: choose a metric CRS, refuse geographic ones, project, and take areas."""
from __future__ import annotations

import math

import numpy as np
import pyproj
import shapely

from .parsing import WGS84, CRSError, describe_crs, parse_crs
from .transforms import apply_to_coords, geom_array, proj_function

# CGCS2000 3-degree Gauss-Krüger zones without zone prefix: EPSG:4534 (CM 75°E) ...
# EPSG:4554 (CM 135°E), one code per 3 degrees.
_GK_FIRST_EPSG, _GK_FIRST_CM, _GK_LAST_CM = 4534, 75, 135


def _metric_crs(value) -> pyproj.CRS:
    """Return ``value`` as a pyproj CRS, projected and in metres, or raise CRSError."""
    crs = check_geographic(value)
    if not crs.is_projected:
        raise CRSError(f"{describe_crs(crs)} is not a projected CRS; "
                       "areas and lengths need a projected CRS in metres such as EPSG:4545")
    units = {axis.unit_name for axis in crs.axis_info}
    if units != {"metre"}:
        raise CRSError(f"{describe_crs(crs)} has axis units {sorted(units)}; "
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
        bounds = shapely.total_bounds(geom_array(geoms))
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
        return apply_to_coords(geoms, proj_function(WGS84.crs, target))
    except pyproj.exceptions.ProjError as exc:
        raise CRSError(f"cannot project to {describe_crs(target)}: {exc}") from None


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
