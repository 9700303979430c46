"""Coverage gaps per region (全覆盖无死角): one registry of gap kinds, one report, one roll-up.

A gap kind is one function registered with :func:`gap_kind`: it takes the :class:`GapInput`
and returns findings in :data:`FINDING_COLUMNS` (one row per hole, overlap, grid out of
bounds, staffing shortfall ...). :func:`gap_report` runs every registered kind and rolls the
findings up district → street → community; a later kind (inspection, facility gaps) is one
more decorated function and appears in the report and the roll-up as it is. Given frontages
(门前三包) and a date, the grids whose signed share is below the floor are the kind
``frontage_unsigned`` and the roll-up gains the frontage columns and score term.
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
from .frontages import frontage_gap, frontage_pieces
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
    frontage_signed_floor: float = 90.0
    frontage_expiring_days: int = 30


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
    ``frontages`` (status, expires_on, geometry), the derived street ``fronts`` and ``today``
    feed the frontage gap, or are None. Derived arrays shared by several gap kinds are
    computed once, on first use.
    """

    regions: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    roles: pd.DataFrame | None = None
    settings: GapSettings = field(default_factory=GapSettings)
    frontages: gpd.GeoDataFrame | None = None
    fronts: object = None
    today: object = None

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

    @functools.cached_property
    def frontage_pieces(self) -> pd.DataFrame | None:
        """The frontages cut at grid edges, with their status on ``today`` and their grid's region."""
        if self.frontages is None:
            return None
        pieces = frontage_pieces(self.grids, self.frontages, self.today,
                                 expiring_days=self.settings.frontage_expiring_days)
        return pieces.assign(region=self.grids["region"].to_numpy()[pieces["grid"].to_numpy()])

    @functools.cached_property
    def frontage_table(self) -> pd.DataFrame | None:
        """The frontage gap per grid (:func:`grids.frontages.frontage_gap`) with the grid's region."""
        if self.frontages is None:
            return None
        table = frontage_gap(self.grids, self.frontages, self.today, fronts=self.fronts,
                             expiring_days=self.settings.frontage_expiring_days,
                             floor_pct=self.settings.frontage_signed_floor, pieces=self.frontage_pieces)
        return table.assign(region=self.grids["region"].to_numpy())


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


@gap_kind("frontage_unsigned")
def _frontage_unsigned(data: GapInput) -> pd.DataFrame:
    """One finding per grid whose signed frontage share is below the floor, drawn as its frontages."""
    table = data.frontage_table
    if table is None or not table["frontage_below_floor"].any():
        return _findings(pd.DataFrame())
    rows = table[table["frontage_below_floor"].to_numpy()]
    at = rows.index.to_numpy()
    drawn = _grid_frontages(data.frontage_pieces, at)
    drawn = np.where(pd.isna(drawn), data.geoms[at], drawn)  # no frontage registered: the grid itself
    floor = data.settings.frontage_signed_floor
    street = rows["frontage_length_m"] + rows["frontage_unregistered_m"].fillna(0)
    detail = [f"门前三包签约 {p:.1f}%，低于 {floor:g}%：已签 {s:,.0f} m / 沿街 {t:,.0f} m，未签单位 {u} 个"
              for p, s, t, u in zip(rows["frontage_signed_pct"], rows["frontage_signed_m"], street,
                                    rows["frontage_units_unsigned"])]
    found = pd.DataFrame({"kind": "frontage_unsigned", "region": rows["region"].to_numpy(),
                          "code": rows["code"].to_numpy(), "detail": detail, "geometry": drawn})
    return _findings(found)


def _grid_frontages(pieces: pd.DataFrame, grids: np.ndarray) -> np.ndarray:
    """The frontage pieces of each of ``grids`` (positions) as one geometry, None for a grid without any."""
    out = np.full(len(grids), None, dtype=object)
    mine = pieces[pieces["grid"].isin(grids)]
    if not len(mine):
        return out
    slot = pd.Index(grids).get_indexer(mine["grid"])
    parts, owner = shapely.get_parts(mine["geometry"].to_numpy(), return_index=True)
    slot, dims = slot[owner], shapely.get_dimensions(parts)
    order = np.lexsort((dims, slot))
    parts, slot, dims = parts[order], slot[order], dims[order]
    dim_of = pd.Series(dims).groupby(slot).agg(["min", "max"])
    for low, high, build in ((1, 1, shapely.multilinestrings), (2, 2, shapely.multipolygons),
                             (1, 2, shapely.geometrycollections)):
        chosen = dim_of.index[(dim_of["min"] == low) & (dim_of["max"] == high)].to_numpy()
        take = np.isin(slot, chosen) & (dims >= 1)
        if take.any():
            build(parts[take], indices=slot[take], out=out)
    return out


@dataclass
class GapReport:
    """The findings (metric CRS), the roll-up per region, the staffing table (None without roles)
    and the frontage gap per grid (None without frontages)."""

    findings: gpd.GeoDataFrame
    rollup: pd.DataFrame
    staffing: pd.DataFrame | None
    settings: GapSettings
    frontages: pd.DataFrame | None = None


def gap_report(regions: gpd.GeoDataFrame, grids: gpd.GeoDataFrame, roles: pd.DataFrame | None = None,
               settings: GapSettings | None = None, kinds=None, spatial=None, frontages=None, fronts=None,
               today=None) -> GapReport:
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
    frontages : geopandas.GeoDataFrame, optional
        Frontages (门前三包): columns status, expires_on, geometry (fronts or zones) in the
        same CRS; None leaves the frontage gap out and the report as without it.
    fronts : array_like of shapely.LineString, optional
        The street fronts derived from buildings and roads (:func:`grids.frontages.derive_zones`),
        for the unregistered street front; only with ``frontages``.
    today : datetime.date, optional
        The date commitments expire against; required with ``frontages``.

    Returns
    -------
    GapReport
        ``findings`` (one row per gap, :data:`FINDING_COLUMNS`), ``rollup`` (one row
        per region with counts, areas, shortfalls, frontage columns and the coverage
        score), ``staffing`` and ``frontages`` (the frontage gap per grid).

    Raises
    ------
    ValueError
        For a geographic CRS, CRSs that differ, missing columns, an unknown kind or status,
        or frontages without ``today``.
    """
    data = GapInput(regions, grids, roles, settings or GapSettings(), frontages, fronts, today)
    names = _check(data, kinds)
    found = [GAP_KINDS[name](data) for name in names if spatial is None or name not in _SPATIAL_GAP_KINDS]
    if spatial is not None:
        spatial = spatial(data) if callable(spatial) else spatial  # after the other kinds: a query ran meanwhile
        found.insert(0, _spatial(spatial[spatial["kind"].map(_SPATIAL_GAP_KINDS_OF).isin(names)]))
    found = [f for f in found if len(f)]
    frame = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=FINDING_COLUMNS)
    findings = gpd.GeoDataFrame(frame, geometry="geometry", crs=regions.crs)
    rollup = gap_rollup(data.regions, data.leaves, data.grids, findings, data.staffing, data.frontage_table,
                        data.frontage_pieces)
    if frontages is not None and "frontage_unsigned" in names and "frontage_unsigned_count" not in rollup:
        rollup.insert(rollup.columns.get_loc("hole_m2"), "frontage_unsigned_count", 0)  # none found: 0
    return GapReport(findings, rollup, data.staffing, data.settings, data.frontage_table)


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
    if data.frontages is not None:
        if data.today is None:
            raise ValueError("frontages need today: the date their commitments expire against")
        if data.frontages.crs != data.grids.crs:
            raise ValueError(f"frontages ({data.frontages.crs}) and grids ({data.grids.crs}) must share one CRS")
    names = list(GAP_KINDS) if kinds is None else list(kinds)
    unknown = [n for n in names if n not in GAP_KINDS]
    if unknown:
        raise ValueError(f"unknown gap kind(s) {', '.join(unknown)}; known: {', '.join(GAP_KINDS)}")
    return names
