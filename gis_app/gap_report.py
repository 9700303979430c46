"""The coverage-gap report (全覆盖无死角) of the register, or of a grid plan in two files.

Both read their input, project it to the metric CRS and call :func:`grids.gaps.gap_report`;
the CLI, the API and the report page call these two functions, never grids.gaps directly.
On PostGIS the register's holes, overlaps and grids out of bounds are found in SQL
(storage.gap_sql) and handed to gap_report, which adds the staffing kind and the roll-up:
grid geometries stay on the server but for the grids a staffing finding shows.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from grids.codes import CodeError, check_region_code
from grids.coverage import assign_regions
from grids.frontages import derive_zones
from grids.gaps import SPATIAL_KINDS, GapReport, GapSettings, gap_report, leaf_regions

from .config import metric_crs
from .errors import NotFound, ValidationFailed
from .imports import read_features
from .storage import gap_sql, on_postgis, session_scope
from .storage import frontages as frontage_store
from .storage import repository as repo

__all__ = ["GapResult", "gap_settings", "register_gaps", "file_gaps"]


@dataclass
class GapResult:
    """A gap report with what it was run on: ``scope`` (a region code or a file name)."""

    report: GapReport
    regions: gpd.GeoDataFrame   # EPSG:4326, code, name, level
    grids: gpd.GeoDataFrame     # EPSG:4326, code, name, region, households (on PostGIS a geometry only
                                # where a staffing finding needs it)
    scope: str
    metric_crs: str


def gap_settings(settings: dict) -> GapSettings:
    """Return the analysis tolerances from the app settings."""
    return GapSettings(sliver_area_m2=float(settings["SANIGRID_SLIVER_AREA_M2"]),
                       overlap_tolerance_m2=float(settings["SANIGRID_OVERLAP_TOLERANCE_M2"]),
                       outside_tolerance_m=float(settings["SANIGRID_OUTSIDE_TOLERANCE_M"]),
                       max_grids_per_person=int(settings["SANIGRID_MAX_GRIDS_PER_PERSON"]),
                       frontage_signed_floor=float(settings["SANIGRID_FRONTAGE_SIGNED_FLOOR"]),
                       frontage_expiring_days=int(settings["SANIGRID_FRONTAGE_EXPIRING_DAYS"]))


@dataclass
class FrontageInput:
    """The register's frontages (EPSG:4326) and, with roads and buildings loaded, the derived street fronts."""

    frontages: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    today: date

    def metric(self, metric: str):
        """(frontages, fronts) in ``metric`` for grids.gaps.gap_report; (None, None) without frontages."""
        if not len(self.frontages):
            return None, None
        frontages = self.frontages[["ref", "status", "expires_on", "geometry"]].to_crs(metric)
        fronts = None
        if len(self.roads) and len(self.buildings):
            roads = self.roads.to_crs(metric)
            zones = derive_zones(self.buildings.to_crs(metric).geometry.array, roads.geometry.array,
                                 roads["kind"].to_numpy(), pd.to_numeric(roads["width_m"], errors="coerce").to_numpy())
            fronts = zones["front"].to_numpy()
        return frontages, fronts


def _frontage_input(engine, under) -> FrontageInput:
    """Frontages meeting ``under`` and, only when there are any, the roads and buildings around them."""
    with session_scope(engine) as session:
        frontages = frontage_store.load_frontages(session, district=under)
        empty = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs="EPSG:4326"))
        roads = frontage_store.load_roads(session, district=under) if len(frontages) else empty
        buildings = frontage_store.load_buildings(session, district=under) if len(roads) else empty
    return FrontageInput(frontages, roads, buildings, date.today())


def register_gaps(engine, settings: dict, under: str | None = None) -> GapResult:
    """Return the gap report of the register, or of one district, street or community."""
    if under is not None:
        under = check_region_code(under)
    if on_postgis(engine):
        result = _postgis_gaps(engine, settings, under)
        if result is not None:
            return result
    return _shapely_gaps(engine, settings, under)


def _shapely_gaps(engine, settings: dict, under: str | None) -> GapResult:
    """The report with every grid read, geometry and all, and every kind run in shapely."""
    with session_scope(engine) as session:
        regions = repo.load_regions(session, under=under)
        grids = repo.load_grids(session, under=under)
        roles = repo.load_roles(session, people_under=under)  # their grids outside ``under`` count too
    _check_scope(regions, under)
    grids = grids.rename(columns={"community": "region"})
    return _run(regions, grids, roles, settings, under or "全部", frontages=_frontage_input(engine, under))


def _postgis_gaps(engine, settings: dict, under: str | None) -> GapResult | None:
    """The report with its spatial kinds found in SQL; None when the metric CRS has no SRID in the database."""
    with session_scope(engine) as session:
        regions = repo.load_regions(session, under=under)
        bounds = repo.grid_bounds(session, under=under)
    _check_scope(regions, under)
    metric = _metric(settings, _bounds(regions.geometry), bounds)
    srid = gap_sql.postgis_srid(engine, metric)
    if srid is None:
        return None
    with ThreadPoolExecutor(max_workers=2) as pool:
        # The server finds the spatial gaps while the roles and the grids are read and the staffing
        # rules applied; the geometries of the grids a staffing finding names are read meanwhile too.
        spatial = pool.submit(gap_sql.spatial_gaps, engine, under, srid, gap_settings(settings))
        roles = pool.submit(_roles, engine, under)
        shown = []

        def spatial_findings(data):
            shown.append(pool.submit(gap_sql.grid_geometries, engine, _short_grids(data.staffing), metric))
            return spatial.result()

        with session_scope(engine, serial=True) as session:
            table = repo.load_grid_table(session, under=under)
        grids = gpd.GeoDataFrame(table.rename(columns={"community": "region"}),
                                 geometry=gpd.GeoSeries([None] * len(table), crs="EPSG:4326"))
        frontages = _frontage_input(engine, under)
        _fill_frontage_grids(engine, grids, frontages, metric)
        result = _run(regions, grids, roles.result(), settings, under or "全部", metric=metric,
                      spatial=spatial_findings, frontages=frontages)
        _fill_grid_geometries(result, *shown[0].result())
    return result


def _roles(engine, under):
    """The roles of the people serving under ``under``, all their grids (the grids-per-person rule)."""
    with session_scope(engine, serial=True) as session:
        return repo.load_roles(session, people_under=under, names=False)


def _short_grids(staffing) -> list:
    """The grids with a staffing shortfall: those a staffing finding names."""
    if staffing is None:
        return []
    return [code for code, found in zip(staffing["code"].tolist(), staffing["shortfalls"].tolist()) if found]


def _fill_grid_geometries(result: GapResult, geoms, metric_geoms) -> None:
    """Give the staffing findings their grid's geometry (metric CRS) and those grids theirs (EPSG:4326)."""
    findings = result.report.findings
    todo = findings.geometry.isna() & findings["code"].notna() & ~findings["kind"].isin(SPATIAL_KINDS)
    findings.loc[todo, "geometry"] = findings.loc[todo, "code"].map(metric_geoms).to_numpy()
    shown = result.grids["code"].isin(set(geoms.index))
    result.grids.loc[shown, "geometry"] = result.grids.loc[shown, "code"].map(geoms).to_numpy()


def _fill_frontage_grids(engine, grids, frontages: FrontageInput, metric) -> None:
    """Give the grids a frontage lies in their geometry: the frontage gap cuts frontages at grid edges."""
    codes = sorted({code for listed in frontages.frontages.get("grids", []) for code in (listed or [])})
    if not codes:
        return
    geoms, _ = gap_sql.grid_geometries(engine, codes, metric)
    hit = grids["code"].isin(set(geoms.index))
    grids.loc[hit, "geometry"] = grids.loc[hit, "code"].map(geoms).to_numpy()


def _check_scope(regions, under) -> None:
    if under is not None and under not in set(regions["code"]):
        raise NotFound(f"region {under} is not in the register")


def _bounds(geoms):
    """Lon/lat bounds of geometries (None entries allowed), None when there are none."""
    geoms = np.asarray(geoms, dtype=object)
    box = shapely.total_bounds(geoms) if len(geoms) else np.full(4, np.nan)
    return tuple(box) if np.isfinite(box).all() else None


def _metric(settings, *bounds) -> str:
    """The metric CRS of data with these lon/lat bounds (None: no geometry)."""
    boxes = np.array([b for b in bounds if b is not None], dtype=float).reshape(-1, 4)
    if not len(boxes):
        return "EPSG:4545"  # nothing to measure: any metric CRS gives empty results
    box = (*boxes[:, :2].min(axis=0), *boxes[:, 2:].max(axis=0))
    return metric_crs(settings, bounds=box).to_string()


def _run(regions, grids, roles, settings, scope, *, metric=None, spatial=None,
         frontages: FrontageInput | None = None) -> GapResult:
    metric = metric or _metric(settings, _bounds(regions.geometry), _bounds(grids.geometry))
    regions = regions[["code", "name", "level", "geometry"]].copy()
    grids = grids.reindex(columns=["code", "name", "region", "households", "geometry"])
    grids["households"] = pd.to_numeric(grids["households"], errors="coerce").fillna(0).astype(int)
    fronting, fronts = frontages.metric(metric) if frontages is not None else (None, None)
    report = gap_report(regions.to_crs(metric), grids.to_crs(metric), roles, gap_settings(settings), spatial=spatial,
                        frontages=fronting, fronts=fronts, today=frontages.today if frontages else None)
    return GapResult(report, regions, grids, scope, metric)


# ---- a grid plan in two files ---------------------------------------------------------------

def file_gaps(settings: dict, regions_path, grids_path, *, crs=None, encoding=None,
              code_field: str = "code", name_field: str = "name", make_valid=False) -> GapResult:
    """Return the gap report of a grid plan in files, without importing anything.

    Regions are matched to grids by code (a grid whose code equals or starts with a leaf
    region's code, or whose ``community`` names one), otherwise by the largest overlap.
    """
    regions = _regions_frame(*_read(settings, regions_path, crs, encoding, make_valid), code_field, name_field)
    grids = _grids_frame(*_read(settings, grids_path, crs, encoding, make_valid), code_field, name_field)
    metric = _metric(settings, _bounds(regions.geometry), _bounds(grids.geometry))
    leaves = leaf_regions(regions.to_crs(metric))
    hint = [c if isinstance(c, str) and c in set(leaves["code"]) else code
            for c, code in zip(grids["community"], grids["code"])]
    grids["region"] = assign_regions(hint, grids.to_crs(metric).geometry.array, list(leaves["code"]),
                                     leaves.geometry.array)
    return _run(regions, grids.drop(columns="community"), None, settings, _scope(regions_path, grids_path),
                metric=metric)


def _scope(regions_path, grids_path) -> str:
    return f"{Path(regions_path).name} / {Path(grids_path).name}"


def _read(settings, path, crs, encoding, make_valid):
    props, geoms, _ = read_features(path, settings, crs=crs, encoding=encoding, make_valid=make_valid)
    return props, geoms


def _text(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return str(int(value)) if isinstance(value, (int, np.integer)) else str(value).strip()


def _regions_frame(props, geoms, code_field, name_field) -> gpd.GeoDataFrame:
    codes = [_text(p.get(code_field)) for p in props]
    bad = []
    for i, code in enumerate(codes):
        try:
            check_region_code(code)
        except CodeError as exc:
            bad.append(f"feature {i}: {exc}")
    if bad:
        raise ValidationFailed(f"regions: {len(bad)} feature(s) without a 6/9/12-digit {code_field!r}; "
                               f"use --code-field to name the code property. " + "; ".join(bad[:10]))
    if len(set(codes)) < len(codes):
        raise ValidationFailed("regions: region codes repeat; each region appears once")
    names = [_text(p.get(name_field)) or "" for p in props]
    levels = [{6: "district", 9: "street", 12: "community"}[len(c)] for c in codes]
    return gpd.GeoDataFrame({"code": codes, "name": names, "level": levels}, geometry=list(geoms), crs="EPSG:4326")


def _grids_frame(props, geoms, code_field, name_field) -> gpd.GeoDataFrame:
    codes = [_text(p.get(code_field)) or f"#{i}" for i, p in enumerate(props)]
    if len(set(codes)) < len(codes):
        raise ValidationFailed("grids: grid codes repeat; each grid appears once")
    return gpd.GeoDataFrame({
        "code": codes, "name": [_text(p.get(name_field)) or "" for p in props],
        "community": [_text(p.get("community")) for p in props],
        "households": [p.get("households") for p in props]}, geometry=list(geoms), crs="EPSG:4326")
