"""The frontage gap per grid: how much of the street front is under a signed, unexpired commitment.

A frontage counts in every grid it lies in, by the length of its piece there
(:func:`grids.frontages.split_by_grids`). With the street fronts derived from buildings and roads
(:func:`grids.frontages.derive_zones`), the front no unit has registered counts too: a front is
registered where a frontage lies along it (within ``match_m``, and no farther than from any other
front), over the stretch the frontage's projection onto it covers. The signed share is then
signed / (registered + unregistered) length; without fronts, signed / registered.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from .geometry import as_geometries, split_by_grids
from .model import STATUSES, UNSIGNED_STATUSES, effective_statuses, expiring

__all__ = ["frontage_pieces", "frontage_gap", "unregistered_length", "GAP_COLUMNS"]

GAP_COLUMNS = ["code", "frontage_length_m", "frontage_signed_m", "frontage_signed_pct", "frontage_units",
               "frontage_units_unsigned", "frontage_expiring_30d", "frontage_unregistered_m", "frontage_below_floor"]
_NEARER_M = 0.5  # a frontage registers the fronts it lies nearest to, give or take this


def _check(grids, frontages) -> None:
    for name, frame, needed in (("grids", grids, {"code"}), ("frontages", frontages, {"status"})):
        missing = needed - set(frame.columns)
        if missing:
            raise ValueError(f"{name} lacks column(s) {', '.join(sorted(missing))}")
        if frame.crs is not None and frame.crs.is_geographic:
            raise ValueError(f"{name} are in {frame.crs.name}: frontages are measured in a projected CRS in metres")
    if grids.crs is not None and frontages.crs is not None and grids.crs != frontages.crs:
        raise ValueError(f"grids ({grids.crs}) and frontages ({frontages.crs}) must share one CRS")
    unknown = sorted(set(frontages["status"].astype(str)) - set(STATUSES))
    if unknown:
        raise ValueError(f"unknown frontage status(es) {', '.join(unknown)}; known: {', '.join(STATUSES)}")


def frontage_pieces(grids, frontages, today, *, expiring_days: int = 30) -> pd.DataFrame:
    """One row per (frontage, grid) piece with the frontage's status on ``today``.

    Returns
    -------
    pandas.DataFrame
        Columns frontage and grid (positions), code (the grid's), length_m, geometry, status
        (effective on ``today``), signed, unsigned and expiring (bool).
    """
    _check(grids, frontages)
    ends = frontages["expires_on"] if "expires_on" in frontages.columns else [None] * len(frontages)
    status = effective_statuses(frontages["status"], ends, today)
    soon = expiring(frontages["status"], ends, today, expiring_days)
    pieces = split_by_grids(frontages.geometry.array, grids.geometry.array)
    at = pieces["frontage"].to_numpy()
    return pieces.assign(code=grids["code"].to_numpy()[pieces["grid"].to_numpy()], status=status[at],
                         signed=status[at] == "signed", unsigned=np.isin(status[at], UNSIGNED_STATUSES),
                         expiring=soon[at])


def unregistered_length(grid_geoms, frontage_geoms, fronts, *, match_m: float = 5.0) -> np.ndarray:
    """Per grid, the length of street front (``fronts``) along which no frontage is registered."""
    cells, registered = as_geometries(grid_geoms, "grid_geoms"), as_geometries(frontage_geoms, "frontage_geoms")
    lines = as_geometries(fronts, "fronts")
    length = np.nan_to_num(shapely.length(lines), nan=0.0)
    free = np.clip(length - _covered(lines, registered, match_m), 0, None)
    pieces = split_by_grids(lines, cells)
    at = pieces["frontage"].to_numpy()
    share = np.divide(free[at], length[at], out=np.zeros(len(at)), where=length[at] > 0)
    return np.bincount(pieces["grid"].to_numpy(), pieces["length_m"].to_numpy() * share, minlength=len(cells))


def _covered(lines, registered, match_m) -> np.ndarray:
    """Per front, the length the projections of the frontages along it cover (overlaps once)."""
    out = np.zeros(len(lines))
    usable = ~(shapely.is_missing(registered) | shapely.is_empty(registered))
    if not len(lines) or not usable.any():
        return out
    near = shapely.box(*(shapely.bounds(registered) + [-match_m, -match_m, match_m, match_m]).T)
    reg, line = shapely.STRtree(lines).query(near)  # boxes that meet: candidates
    reg, line = _nearest_pairs(reg, line, registered, lines, match_m)
    xy, pair = shapely.get_coordinates(registered[reg], return_index=True)
    t = _along(lines, line[pair], xy)
    t0, t1 = np.full(len(reg), np.inf), np.full(len(reg), -np.inf)
    np.minimum.at(t0, pair, t), np.maximum.at(t1, pair, t)
    intervals = pd.DataFrame({"line": line, "t0": t0, "t1": t1}).sort_values(["line", "t0"], kind="stable")
    reach = intervals.groupby("line")["t1"].cummax()  # how far the stretches before each one reach
    before = reach.groupby(intervals["line"]).shift(fill_value=-np.inf)
    gained = (intervals["t1"] - np.maximum(intervals["t0"], before)).clip(lower=0)
    np.add.at(out, intervals["line"].to_numpy(), gained.to_numpy())
    return out


def _along(lines, line, xy) -> np.ndarray:
    """How far along ``lines[line]`` each point projects (numpy for straight fronts, shapely for the rest)."""
    straight = shapely.get_num_coordinates(lines) == 2
    ends = np.full((len(lines), 4), np.nan)
    ends[straight] = shapely.get_coordinates(lines[straight]).reshape(-1, 4)
    a, b = ends[line, :2], ends[line, 2:]
    edge = b - a
    size = np.hypot(edge[:, 0], edge[:, 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.clip(np.einsum("ij,ij->i", xy - a, edge) / size, 0, size)
    bent = ~straight[line]
    if bent.any():
        t[bent] = shapely.line_locate_point(lines[line[bent]], shapely.points(xy[bent]))
    return np.nan_to_num(t)


def _nearest_pairs(reg, line, registered, lines, match_m):
    """Keep the (frontage, front) pairs within ``match_m`` where the front is (about) the nearest."""
    gap = shapely.distance(registered[reg], lines[line])
    close = gap <= match_m
    reg, line, gap = reg[close], line[close], gap[close]
    nearest = np.full(len(registered), np.inf)
    np.minimum.at(nearest, reg, gap)
    keep = gap <= nearest[reg] + _NEARER_M
    return reg[keep], line[keep]


def frontage_gap(grids, frontages, today, *, expiring_days: int = 30, floor_pct: float = 90.0, fronts=None,
                 match_m: float = 5.0, pieces: pd.DataFrame | None = None) -> pd.DataFrame:
    """The frontage gap of each grid.

    Parameters
    ----------
    grids : geopandas.GeoDataFrame
        Columns code, geometry, in a projected CRS in metres.
    frontages : geopandas.GeoDataFrame
        Columns status, expires_on (optional), geometry (fronts or zones), in the same CRS.
    today : datetime.date or str
        The date expiry is judged on (the domain reads no clock).
    expiring_days : int
        The window of ``frontage_expiring_30d`` (SANIGRID_FRONTAGE_EXPIRING_DAYS).
    floor_pct : float
        A grid whose signed share is below is a gap (SANIGRID_FRONTAGE_SIGNED_FLOOR).
    fronts : array_like of shapely.LineString, optional
        The street fronts derived from buildings and roads; None leaves
        ``frontage_unregistered_m`` NaN and the share over the registered length.
    match_m : float
        How far from a front a frontage may lie and still register it.
    pieces : pandas.DataFrame, optional
        :func:`frontage_pieces` of the same input, when already computed.

    Returns
    -------
    pandas.DataFrame
        One row per grid, in the grids' order, with :data:`GAP_COLUMNS`.
    """
    if pieces is None:
        pieces = frontage_pieces(grids, frontages, today, expiring_days=expiring_days)
    n, at = len(grids), pieces["grid"].to_numpy()
    length = np.bincount(at, pieces["length_m"].to_numpy(), minlength=n)
    signed = np.bincount(at, pieces["length_m"].to_numpy() * pieces["signed"].to_numpy(), minlength=n)
    free = np.full(n, np.nan) if fronts is None else unregistered_length(
        grids.geometry.array, frontages.geometry.array, fronts, match_m=match_m)
    pct = signed_pct(signed, length + np.nan_to_num(free))
    return pd.DataFrame({
        "code": grids["code"].to_numpy(), "frontage_length_m": length, "frontage_signed_m": signed,
        "frontage_signed_pct": pct, "frontage_units": np.bincount(at, minlength=n),
        "frontage_units_unsigned": np.bincount(at, pieces["unsigned"].to_numpy(), minlength=n).astype(int),
        "frontage_expiring_30d": np.bincount(at, pieces["expiring"].to_numpy(), minlength=n).astype(int),
        "frontage_unregistered_m": free, "frontage_below_floor": np.nan_to_num(pct, nan=np.inf) < floor_pct})


def signed_pct(signed, street) -> np.ndarray:
    """100 × signed / street-front length; NaN where there is no street front."""
    signed, street = np.asarray(signed, dtype=float), np.asarray(street, dtype=float)
    return np.divide(100 * signed, street, out=np.full(street.shape, np.nan), where=street > 0)
