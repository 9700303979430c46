"""Coverage gaps per region (全覆盖无死角): one registry of gap kinds, one report, one roll-up.

A gap kind is one function registered with :func:`gap_kind`: it takes the :class:`GapInput`
and returns findings in :data:`FINDING_COLUMNS` (one row per hole, overlap, grid out of
bounds, staffing shortfall ...). :func:`gap_report` runs every registered kind and rolls the
findings up district → street → community; a later kind (frontage, inspection, facility
gaps) is one more decorated function and appears in the report and the roll-up as it is.
Inputs are in a metric CRS: areas are never measured in degrees.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import coverage
from .crs import check_geographic
from .gap_rollup import gap_rollup
from .staffing import staffing_table

__all__ = ["GapSettings", "GapInput", "GapReport", "GAP_KINDS", "gap_kind", "gap_report", "leaf_regions",
           "FINDING_COLUMNS", "SPATIAL_KINDS"]

FINDING_COLUMNS = ["kind", "region", "code", "other", "area_m2", "households", "cleaner_gap", "detail",
                   "geometry"]
SPATIAL_KINDS = ("hole", "sliver", "overlap", "outside")
# The registered gap kind that finds each spatial kind of finding (``gap_report(spatial=...)``).
_SPATIAL_GAP_KINDS_OF = {"hole": "holes", "sliver": "holes", "overlap": "overlaps", "outside": "outside"}
_SPATIAL_GAP_KINDS = set(_SPATIAL_GAP_KINDS_OF.values())
GAP_KINDS: dict = {}


@dataclass(frozen=True)
class GapSettings:
    """Tolerances of the analysis (the ``SANIGRID_*`` settings of the same names)."""

    sliver_area_m2: float = 10.0
    overlap_tolerance_m2: float = 1.0
    outside_tolerance_m: float = 1.0
    max_grids_per_person: int = 3


def leaf_regions(regions: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the regions that have a boundary and no sub-region among ``regions`` (usually communities).

    Parameters
    ----------
    regions : geopandas.GeoDataFrame
        Regions with a ``code`` column; a region's sub-regions have codes starting with its code.

    Returns
    -------
    geopandas.GeoDataFrame
        The rows of ``regions`` grids belong to, in their original order.
    """
    codes = sorted(regions["code"])
    parents = {a for a, b in zip(codes, codes[1:]) if b.startswith(a)}  # sorted: a child follows its parent
    return regions[~regions["code"].isin(parents) & regions.geometry.notna()]


@dataclass
class GapInput:
    """Regions (code, name, geometry), grids (code, region, households, geometry), roles or None.

    ``grids['region']`` is the leaf region (usually the community) each grid belongs to.
    Derived arrays shared by several gap kinds are computed once, on first use.
    """

    regions: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    roles: pd.DataFrame | None = None
    settings: GapSettings = field(default_factory=GapSettings)

    @functools.cached_property
    def leaves(self) -> gpd.GeoDataFrame:
        """Regions with a boundary and no sub-region in the input: where grids belong."""
        return leaf_regions(self.regions)

    @functools.cached_property
    def geoms(self) -> np.ndarray:
        return np.asarray(self.grids.geometry.array, dtype=object)

    @functools.cached_property
    def flagged(self) -> np.ndarray:
        return coverage.flag_invalid_edges(self.geoms)

    @functools.cached_property
    def tree(self) -> shapely.STRtree:
        """An STRtree of the grids, shared by the kinds that look for neighbours."""
        return shapely.STRtree(self.geoms)

    @functools.cached_property
    def unions(self) -> np.ndarray:
        """The union of each leaf region's grids, in the order of :attr:`leaves`."""
        return coverage.union_per_region(self.grids["region"], self.geoms, self.flagged, list(self.leaves["code"]))

    @functools.cached_property
    def pieces(self) -> pd.DataFrame:
        """Where each leaf region and its grids' union differ (:func:`grids.coverage.mismatch`)."""
        leaves = self.leaves
        return coverage.mismatch(list(leaves["code"]), leaves.geometry.array, self.unions)

    @functools.cached_property
    def staffing(self) -> pd.DataFrame | None:
        """The staffing table of the grids (None without roles)."""
        if self.roles is None:
            return None
        grids = pd.DataFrame({"code": self.grids["code"], "community": self.grids["region"],
                              "households": self.grids["households"].fillna(0).astype(int)})
        return staffing_table(grids, self.roles, self.settings.max_grids_per_person)


def gap_kind(name: str):
    """Register a function ``(GapInput) -> DataFrame of findings`` as gap kind ``name``."""
    def register(function):
        GAP_KINDS[name] = function
        return function
    return register


def _findings(frame: pd.DataFrame, **constant) -> pd.DataFrame:
    out = frame.assign(**constant) if len(frame) else pd.DataFrame(columns=FINDING_COLUMNS)
    return out.reindex(columns=FINDING_COLUMNS)


@gap_kind("holes")
def _holes(data: GapInput) -> pd.DataFrame:
    return _spatial(coverage.holes(data.pieces, data.settings.sliver_area_m2))


@gap_kind("overlaps")
def _overlaps(data: GapInput) -> pd.DataFrame:
    found = coverage.overlaps(data.grids["code"], data.geoms, data.flagged, data.settings.overlap_tolerance_m2,
                              data.tree)
    region = pd.Series(data.grids["region"].to_numpy(), index=data.grids["code"].to_numpy())
    return _spatial(found.assign(kind="overlap", region=found["code"].map(region)))


@gap_kind("outside")
def _outside(data: GapInput) -> pd.DataFrame:
    leaves = data.leaves
    found = coverage.outside(data.grids["code"], data.geoms, data.grids["region"], list(leaves["code"]),
                             leaves.geometry.array, data.pieces, data.settings.outside_tolerance_m, data.tree)
    return _spatial(found.assign(kind="outside"))


def _spatial(found: pd.DataFrame) -> pd.DataFrame:
    """Hole, sliver, overlap and outside findings with their details: one wording however they were found."""
    if not len(found):
        return _findings(found)
    found = found.reindex(columns=list(dict.fromkeys([*found.columns, "region", "other"])))
    found["detail"] = [_detail(k, r, o, a) for k, r, o, a in
                       zip(found["kind"], found["region"], found["other"], found["area_m2"])]
    return _findings(found)


def _detail(kind: str, region, other, area: float) -> str:
    if kind in ("hole", "sliver"):
        return f"{'缝隙' if kind == 'sliver' else '空洞'} {area:,.1f} m² 未被本区域网格覆盖"
    if kind == "overlap":
        return f"与网格{other}重叠 {area:,.1f} m²"
    return f"超出所属区域{region} {area:,.1f} m²"


@gap_kind("staffing")
def _staffing(data: GapInput) -> pd.DataFrame:
    table = data.staffing
    if table is None or table.empty:
        return _findings(pd.DataFrame())
    short = np.fromiter((bool(k) for k in table["shortfalls"]), dtype=bool, count=len(table))
    rows = table[short].explode(["shortfalls", "messages"])  # the table's rows are the grids', in order
    gap = (rows["required_cleaners"] - rows["cleaners"]).clip(lower=0)
    found = pd.DataFrame({
        "kind": rows["shortfalls"], "region": rows["community"], "code": rows["code"],
        "households": rows["households"], "cleaner_gap": gap.where(rows["shortfalls"] == "cleaners_below_ratio"),
        "detail": rows["messages"], "geometry": data.geoms[rows.index.to_numpy()] if len(rows) else []})
    return _findings(found.reset_index(drop=True))


@dataclass
class GapReport:
    """The findings (metric CRS), the roll-up per region, and the staffing table (None without roles)."""

    findings: gpd.GeoDataFrame
    rollup: pd.DataFrame
    staffing: pd.DataFrame | None
    settings: GapSettings


def gap_report(regions: gpd.GeoDataFrame, grids: gpd.GeoDataFrame, roles: pd.DataFrame | None = None,
               settings: GapSettings | None = None, kinds=None, spatial=None) -> GapReport:
    """Find every coverage gap of ``grids`` in ``regions`` and roll them up per region.

    Parameters
    ----------
    regions : geopandas.GeoDataFrame
        Columns code (6/9/12 digits), name, geometry, in a projected metric CRS.
    grids : geopandas.GeoDataFrame
        Columns code, region (the leaf region each grid belongs to), households,
        geometry, in the same CRS.
    roles : pandas.DataFrame, optional
        Columns grid, person, role, backup; None skips the staffing gaps.
    settings : GapSettings, optional
        Tolerances; the defaults of :class:`GapSettings` when None.
    kinds : iterable of str, optional
        Registered gap kinds to run (default: all of :data:`GAP_KINDS`).
    spatial : pandas.DataFrame or callable, optional
        Hole, sliver, overlap and outside findings found elsewhere by the same rules (columns
        kind, region, code, other, area_m2, geometry in the same CRS; e.g. in SQL on PostGIS),
        or a function of the :class:`GapInput` returning them, called once the other kinds
        have run (a query may run meanwhile). The kinds holes, overlaps and outside are then
        not run; ``grids`` need no geometry (a grid without one gives its staffing findings none).

    Returns
    -------
    GapReport
        ``findings`` (one row per gap, :data:`FINDING_COLUMNS`), ``rollup`` (one row
        per region with counts, areas, shortfalls and the coverage score) and ``staffing``.

    Raises
    ------
    ValueError
        For a geographic CRS, CRSs that differ, missing columns or an unknown kind.
    """
    data = GapInput(regions, grids, roles, settings or GapSettings())
    names = _check(data, kinds)
    found = [GAP_KINDS[name](data) for name in names if spatial is None or name not in _SPATIAL_GAP_KINDS]
    if spatial is not None:
        spatial = spatial(data) if callable(spatial) else spatial  # after the other kinds: a query ran meanwhile
        found.insert(0, _spatial(spatial[spatial["kind"].map(_SPATIAL_GAP_KINDS_OF).isin(names)]))
    found = [f for f in found if len(f)]
    frame = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=FINDING_COLUMNS)
    findings = gpd.GeoDataFrame(frame, geometry="geometry", crs=regions.crs)
    rollup = gap_rollup(data.regions, data.leaves, data.grids, findings, data.staffing)
    return GapReport(findings, rollup, data.staffing, data.settings)


def _check(data: GapInput, kinds) -> list:
    for name, frame, needed in (("regions", data.regions, {"code", "name"}),
                                ("grids", data.grids, {"code", "region", "households"})):
        missing = needed - set(frame.columns)
        if missing:
            raise ValueError(f"{name} lacks column(s) {', '.join(sorted(missing))}")
        if frame.crs is None:
            raise ValueError(f"{name} has no CRS; give them in a projected metric CRS")
        check_geographic(frame.crs)
    if data.regions.crs != data.grids.crs:
        raise ValueError(f"regions ({data.regions.crs}) and grids ({data.grids.crs}) must share one CRS")
    names = list(GAP_KINDS) if kinds is None else list(kinds)
    unknown = [n for n in names if n not in GAP_KINDS]
    if unknown:
        raise ValueError(f"unknown gap kind(s) {', '.join(unknown)}; known: {', '.join(GAP_KINDS)}")
    return names
