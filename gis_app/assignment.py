"""Glue of ``sanigrid assign-grids`` and ``assign-staff``: register and files in, proposals out.

Drawing and staffing are pure (:mod:`grids.assign`); this module reads the register and the
input files, projects to the metric CRS, and writes through the validated, transactional
import path (:func:`gis_app.imports.import_frames`), so history is kept and a refused
proposal changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from tqdm import tqdm

from grids.assign import (ESTIMATE_NOTE, ROAD_CLASSES, Bounds, building_points, draw_grids,
                          estimate_from_properties, is_block_road, match_codes, summary)
from grids.assign.roster import roster_records
from grids.assign.staff import assign_staff, shortfall_reasons
from grids.codes import check_region_code, next_sequences, spatial_order
from grids.crs import WGS84, to_metric, to_wgs84_geometries
from grids.fileio import write_vector
from grids.gaps import gap_report
from grids.validation import Problem

from .config import metric_crs
from .errors import NotFound, ValidationFailed
from .imports import ImportReport, import_frames
from .imports.common import refuse_if
from .imports.reading import read_any_geometry, read_table_or_refuse, snap_to_register_grid
from .storage import repository as repo
from .storage import session_scope

__all__ = ["GridProposal", "assign_grids", "StaffProposal", "assign_staff_to_grids", "ROAD_CLASSES"]

# Without a buildings file, today's grids' households are spread over points this many apart.
_SPREAD_HOUSEHOLDS_PER_POINT = 10


@dataclass
class GridProposal:
    """The drawn grids (EPSG:4326 frame), the report, the diff and what the write did."""

    grids: gpd.GeoDataFrame
    report: dict
    diff: pd.DataFrame
    retired: list
    notes: list = field(default_factory=list)
    imported: ImportReport | None = None


def _metric(settings, geoms):
    return metric_crs(settings, geoms)


def _community(engine, code):
    code = check_region_code(code)
    if len(code) != 12:
        raise ValidationFailed(f"--community takes a 12-digit community code, got {code!r}")
    with session_scope(engine) as session:
        regions = repo.load_regions(session, level="community")
        grids = repo.load_grids(session, under=code)
        used = repo.used_grid_codes(session, code)
    row = regions[regions["code"] == code]
    if row.empty:
        raise NotFound(f"community {code} is not in the register")
    if row.geometry.iloc[0] is None:
        raise ValidationFailed(f"community {code} has no boundary to tile")
    return row.iloc[0], grids[grids["community"] == code], used


def _households(props, field_name, metric_geoms, notes) -> np.ndarray:
    """Households per building: the named field, a ``households`` field, or the footprint estimate."""
    column = field_name or ("households" if any("households" in p for p in props) else None)
    if column is None:
        notes.append(ESTIMATE_NOTE)
        return estimate_from_properties(shapely.area(metric_geoms), props)
    problems, out = [], np.zeros(len(props), dtype=np.int64)
    for i, p in enumerate(props):
        value = _number_or_none(p.get(column))
        if value is None or value < 0 or value != int(value):
            problems.append(Problem(i, None, f"{column} must be a whole number >= 0, got {p.get(column)!r}"))
        else:
            out[i] = int(value)
    if problems:
        raise ValidationFailed(f"buildings: {len(problems)} problem(s) in field {column!r}; nothing was drawn",
                               problems[:50])
    return out


def _number_or_none(value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


def _buildings(settings, path, crs, encoding, field_name, outline_m, metric, notes):
    props, geoms, read_notes = read_any_geometry(path, settings, crs=crs, encoding=encoding)
    notes += read_notes
    keep = [i for i, (p, g) in enumerate(zip(props, geoms))
            if g is not None and (p.get("building") not in (None, "") or "building" not in p)]
    if any("building" in p for p in props) and len(keep) < len(props):
        notes.append(f"{len(props) - len(keep)} feature(s) without a building tag or geometry left out")
    props = [props[i] for i in keep]
    metric_geoms = to_metric(np.array([geoms[i] for i in keep], dtype=object), metric)
    points, inside = building_points(outline_m, metric_geoms)
    if not inside.any():
        raise ValidationFailed(f"{path}: no building lies inside the community")
    households = _households([p for p, k in zip(props, inside) if k], field_name, metric_geoms[inside], notes)
    notes.append(f"{int(inside.sum())} buildings inside the community hold {int(households.sum())} households")
    return points, households


def _spread_grids(current_m, households, seed) -> tuple[np.ndarray, np.ndarray]:
    """Households of today's grids spread evenly over random points inside each grid."""
    rng = np.random.default_rng(seed)
    points, counts = [], []
    for geom, h in zip(current_m, households):
        n = max(1, int(h) // _SPREAD_HOUSEHOLDS_PER_POINT)
        minx, miny, maxx, maxy = geom.bounds
        got = []
        for _ in range(20):  # rejection sampling; a sliver of a grid falls back to one inner point
            xy = rng.uniform([minx, miny], [maxx, maxy], (2 * n, 2))
            got += [p for p, ok in zip(xy, shapely.contains_xy(geom, xy[:, 0], xy[:, 1])) if ok]
            if len(got) >= n:
                break
        if len(got) < n:
            n, got = 1, [shapely.get_coordinates(shapely.point_on_surface(geom))[0]]
        share = np.full(n, int(h) // n)
        share[: int(h) - share.sum()] += 1
        points.append(np.array(got[:n]))
        counts.append(share)
    return np.vstack(points), np.concatenate(counts)


def _roads(settings, path, crs, encoding, metric):
    props, geoms, _ = read_any_geometry(path, settings, crs=crs, encoding=encoding)
    keep = [g for p, g in zip(props, geoms) if is_block_road(p, g)]
    return to_metric(np.array(keep, dtype=object), metric) if keep else np.array([], dtype=object)


def assign_grids(engine, settings, community, *, bounds: Bounds, buildings=None, roads=None,
                 households_field=None, crs=None, encoding=None, dry_run=False, seed=0,
                 by="assign-grids") -> GridProposal:
    """Draw grids tiling ``community`` and, unless ``dry_run``, write them as one import."""
    # A bar on a terminal, nothing when piped or under test (tqdm's disable=None).
    with tqdm(total=3, desc="assign-grids: reading", unit="step", disable=None, leave=False) as bar:
        return _assign_grids(engine, settings, community, bounds, buildings, roads, households_field, crs,
                             encoding, dry_run, seed, by, bar)


def _assign_grids(engine, settings, community, bounds, buildings, roads, households_field, crs, encoding,
                  dry_run, seed, by, bar) -> GridProposal:
    region, current, used = _community(engine, community)
    outline = region.geometry
    metric = _metric(settings, [outline])
    outline_m = shapely.make_valid(to_metric([outline], metric)[0])
    current_m = to_metric(np.asarray(current.geometry.array, dtype=object), metric) if len(current) else []
    notes = []
    if buildings:
        points, households = _buildings(settings, buildings, crs, encoding, households_field, outline_m, metric,
                                        notes)
    elif len(current):
        points, households = _spread_grids(current_m, current["households"].fillna(0), seed)
        notes.append(f"no buildings file: the households of today's {len(current)} grids are spread evenly "
                     "over points inside each grid")
    else:
        raise ValidationFailed(f"community {region['code']} has no grids yet: give --buildings with household "
                               "counts or footprints")
    road_geoms = _roads(settings, roads, crs, encoding, metric) if roads else None
    bar.set_description("assign-grids: drawing")
    bar.update(1)
    drawn = draw_grids(outline_m, points, households, bounds, roads=road_geoms, seed=seed)
    bar.set_description("assign-grids: checking")
    bar.update(1)
    _check_tiling(region, outline_m, drawn.geoms, metric)
    codes = _codes(drawn.geoms, current, current_m, used, region["code"])
    frame = _grid_frame(drawn, codes, region, current, metric)
    diff, retired = _diff(codes, drawn, points, households, current, current_m)
    proposal = GridProposal(frame, summary(drawn), diff, retired, notes)
    for item in proposal.report["exceptions"]:
        item["grid"] = codes[item["grid"]]
    if not dry_run:
        bar.set_description("assign-grids: writing")
        proposal.imported = import_frames(engine, settings, "grids", frame, by=by, retire=retired)
    bar.update(1)
    return proposal


def _check_tiling(region, outline_m, geoms, metric) -> None:
    """Refuse a proposal the gap analysis finds a hole, overlap or spill in (a bug, never bad input)."""
    regions = gpd.GeoDataFrame({"code": [region["code"]], "name": [region["name"]]}, geometry=[outline_m],
                               crs=metric)
    grids = gpd.GeoDataFrame({"code": [f"g{i}" for i in range(len(geoms))], "region": region["code"],
                              "households": 0}, geometry=list(geoms), crs=metric)
    found = gap_report(regions, grids, kinds=("holes", "overlaps", "outside")).findings
    if len(found):
        raise ValidationFailed(f"the drawn grids do not tile community {region['code']} exactly: "
                               + "; ".join(f"{k} {a:.1f} m²" for k, a in zip(found["kind"], found["area_m2"])))


def _codes(geoms_m, current, current_m, used, community) -> list:
    """Old codes for grids that are mostly an old grid; new codes W→E, N→S for the rest."""
    codes = match_codes(geoms_m, list(current["code"]), current_m)
    fresh = [i for i, c in enumerate(codes) if c is None]
    if fresh:
        points = shapely.point_on_surface(np.asarray(geoms_m, dtype=object)[fresh])
        size = float(np.median(np.sqrt(shapely.area(np.asarray(geoms_m, dtype=object)[fresh])))) / 2 or 1.0
        order = spatial_order(list(shapely.get_x(points)), list(shapely.get_y(points)), row_height=size)
        for i, code in zip((fresh[j] for j in order), next_sequences(used, community, len(fresh))):
            codes[i] = code
    return codes


def _grid_frame(drawn, codes, region, current, metric) -> gpd.GeoDataFrame:
    old = current.set_index("code") if len(current) else None
    lonlat = to_wgs84_geometries(np.asarray(drawn.geoms, dtype=object), metric)
    names, types = [], []
    for code in codes:
        if old is not None and code in old.index:
            names.append(old.at[code, "name"])
            types.append(old.at[code, "type"])
        else:
            names.append(f"{region['name']}第{int(code[12:])}网格")
            types.append("other")
    return gpd.GeoDataFrame({
        "code": codes, "community": region["code"], "name": names, "type": types,
        "households": drawn.households.astype(int),
        "polsby_popper": np.round(drawn.polsby_popper, 4),
        "within_bounds": drawn.within(),
        "bounds_reason": [r or "" for r in drawn.reasons],
    }, geometry=list(lonlat), crs=WGS84.crs)


def _diff(codes, drawn, points, households, current, current_m) -> tuple[pd.DataFrame, list]:
    """Per grid: kept code or new, households, and households that change grid; retired old codes."""
    retired = sorted(set(current["code"]) - set(codes)) if len(current) else []
    pts = shapely.points(points)
    new_of = _containing(pts, drawn.geoms)
    old_of = _containing(pts, current_m) if len(current) else np.full(len(pts), -1)
    old_codes = np.append(np.asarray(current["code"], dtype=object), None) if len(current) else np.array([None])
    new_codes = np.asarray(codes, dtype=object)[new_of]
    moved = np.array([a != b for a, b in zip(old_codes[old_of], new_codes)], dtype=bool)
    known = set(current["code"]) if len(current) else set()
    rows = [{"code": c, "change": "kept code" if c in known else "new", "households": int(h),
             "households_moved_in": int(households[(new_of == i) & moved].sum())}
            for i, (c, h) in enumerate(zip(codes, drawn.households))]
    rows += [{"code": c, "change": "retired", "households": int(h), "households_moved_in": 0}
             for c, h in zip(current["code"], current["households"]) if c in retired] if len(current) else []
    return pd.DataFrame(rows).sort_values(["change", "code"], key=lambda c: c.eq("retired") if c.name == "change"
                                          else c, kind="stable").reset_index(drop=True), retired


def _containing(points, geoms) -> np.ndarray:
    """Index of the polygon holding each point (nearest for one on an edge; -1 when none)."""
    geoms = np.asarray(geoms, dtype=object)
    out = np.full(len(points), -1, dtype=np.int64)
    if not len(geoms):
        return out
    tree = shapely.STRtree(geoms)
    p, g = tree.query(points, predicate="intersects")
    out[p[::-1]] = g[::-1]
    missing = out < 0
    if missing.any():
        out[missing] = tree.query_nearest(points[missing], all_matches=False)[1]
    return out


def write_proposal(proposal: GridProposal, path) -> None:
    """Write the proposal and the retired grids as one GeoJSON, each feature with its change."""
    diff = proposal.diff.set_index("code")
    frame = proposal.grids.assign(change=[diff.at[c, "change"] for c in proposal.grids["code"]],
                                  households_moved_in=[int(diff.at[c, "households_moved_in"])
                                                       for c in proposal.grids["code"]])
    problems = []  # the register's 1e-7° grid, as an import stores them: valid after GeoJSON's rounding
    frame = frame.set_geometry(list(snap_to_register_grid(list(frame.geometry.array), list(frame["code"]),
                                                          problems)), crs=frame.crs)
    write_vector(frame, path, "geojson")


# --- assign-staff -----------------------------------------------------------------------------

@dataclass
class StaffProposal:
    """The staffing plan, its shortfalls (grid, role, needed, filled, why) and figures, and what the write did."""

    roles: pd.DataFrame
    shortfalls: pd.DataFrame
    figures: dict
    imported: ImportReport | None = None


def assign_staff_to_grids(engine, settings, region, people_path, *, max_grids_per_person: int,
                          encoding=None, dry_run=False, by="assign-staff") -> StaffProposal:
    """Staff the active grids under ``region`` (all when None) from the roster at ``people_path``."""
    if max_grids_per_person < 1:
        raise ValidationFailed(f"--max-grids-per-person must be >= 1, got {max_grids_per_person}")
    under = check_region_code(region) if region else None
    records, problems = roster_records(read_table_or_refuse(people_path, encoding).to_dict("records"),
                                       max_grids_per_person)
    refuse_if(problems, [], "people roster")
    if not records:
        raise ValidationFailed(f"{people_path}: the roster lists nobody")
    with session_scope(engine) as session:
        grids = repo.load_grids(session, under=under)
        current = repo.load_roles(session, under=under)
    if grids.empty:
        raise NotFound(f"no active grids under {under}" if under else "the register has no active grids")
    metric = _metric(settings, list(grids.geometry.array))
    with tqdm(total=1, desc="assign-staff: min-cost flow", unit="solve", disable=None, leave=False) as bar:
        plan = _solve_staff(grids, records, current, metric)
        bar.update(1)
    shortfalls = plan.shortfalls.assign(why=shortfall_reasons(
        plan.shortfalls, pd.DataFrame(records, columns=["phone", "kinds", "capacity"]), plan.roles))
    proposal = StaffProposal(plan.roles, shortfalls, plan.figures)
    if not dry_run:
        proposal.imported = _write_roles(engine, settings, records, plan.roles, list(grids["code"]), by)
    return proposal


def _solve_staff(grids, records, current, metric):
    sign = shapely.point_on_surface(to_metric(np.asarray(grids.geometry.array, dtype=object), metric))
    homes = to_metric(shapely.points([[r["lon"], r["lat"]] for r in records]), metric)
    return assign_staff(
        pd.DataFrame({"code": grids["code"], "households": grids["households"].fillna(0).astype(int),
                      "x": shapely.get_x(sign), "y": shapely.get_y(sign)}),
        pd.DataFrame({"phone": [r["phone"] for r in records], "kinds": [r["kinds"] for r in records],
                      "x": shapely.get_x(homes), "y": shapely.get_y(homes),
                      "capacity": [r["capacity"] for r in records]}),
        current[["grid", "person", "role", "backup"]])


def _write_roles(engine, settings, records, roles, codes, by) -> ImportReport:
    """One people import: every roster person, their roles, and no stale roles on grids left empty."""
    names = {r["phone"]: r for r in records}
    rows = [{"name": names[r.person]["name"], "phone": r.person, "photo": names[r.person]["photo"],
             "grid": r.grid, "role": r.role, "backup": r.backup} for r in roles.itertuples()]
    placed = set(roles["person"])
    rows += [{"name": r["name"], "phone": r["phone"], "photo": r["photo"], "grid": None, "role": None,
              "backup": None} for r in records if r["phone"] not in placed]
    empty = sorted(set(codes) - set(roles["grid"]))

    def clear_empty(session, report):
        repo.replace_roles(session, empty, [])
        if empty:
            report.notes.append(f"roles cleared on {len(empty)} grid(s) the roster could not staff")

    return import_frames(engine, settings, "people", pd.DataFrame(rows), by=by, on_write=clear_empty)
