"""The shortfalls planted on purpose: where they go, the coverage hole, and the summary by name."""
from __future__ import annotations

import math

import numpy as np
import shapely

from .people import MAX_GRIDS_PER_LEADER
from .tiling import CRUMB_M2, polygonal


def pick_shortfalls(grids, rng) -> dict:
    """Choose distinct places for each deliberate shortfall, in built-up communities if possible."""
    sizes = grids.groupby("community")["code"].count()
    urban = set(grids.loc[grids["kind"] == "community", "community"])

    def community(least: int, avoid: set) -> str:
        pool = [c for c in sizes.index if sizes[c] >= least and c not in avoid]
        better = [c for c in pool if c in urban] or pool or [c for c in sizes.index if sizes[c] >= least]
        return str(rng.choice(better))

    def grid(avoid: set, households: int = 0) -> str:
        ok = grids[~grids["community"].isin(avoid) & (grids["households"] >= households)]
        better = ok[ok["kind"] == "community"] if (ok["kind"] == "community").any() else ok
        return str(rng.choice(better["code"].to_numpy()))

    picks = {"overloaded_community": community(MAX_GRIDS_PER_LEADER + 1, set())}
    picks["hole_candidates"] = [community(2, {picks["overloaded_community"]}) for _ in range(8)]
    used = {picks["overloaded_community"], *picks["hole_candidates"]}
    for key, households in (("unstaffed_grid", 0), ("below_ratio_grid", 201), ("cleaner_without_backup", 0)):
        picks[key] = grid(used, households)
        used.add(picks[key][:12])
    return picks


def cut_hole(grids, regions, candidates) -> dict:
    """Cut a small disc out of two neighbouring grids of one community: a blind spot."""
    outline = regions.set_index("code")["geometry"]
    cells = grids["geometry"].to_numpy()
    for community in candidates:
        rows = np.flatnonzero(grids["community"].to_numpy() == community)
        hole = _hole_in(cells[rows], outline[community])
        if hole is not None:
            cut = rows[shapely.area(shapely.intersection(cells[rows], hole)) > CRUMB_M2]
            grids.loc[cut, "geometry"] = [polygonal(g) for g in shapely.difference(cells[cut], hole)]
            return {"hole_community": community, "hole_area_m2": float(hole.area),
                    "hole_grids": grids["code"].to_numpy()[cut].tolist()}
    raise RuntimeError("no community had room for the deliberate coverage hole")


def _hole_in(cells, community):
    """Return a disc centred on an edge shared by two cells, well inside the community, or None."""
    tree = shapely.STRtree(cells)
    for a, b in tree.query(cells, predicate="intersects").T:
        if a >= b:
            continue
        edge = _longest_line(shapely.intersection(cells[a].boundary, cells[b].boundary))
        radius = min(40.0, 0.15 * math.sqrt(min(cells[a].area, cells[b].area)))
        if edge is None or edge.length < 4 * radius:
            continue
        centre = shapely.line_interpolate_point(edge, 0.5, normalized=True)
        if centre.distance(community.boundary) < 3 * radius:
            continue
        hole = centre.buffer(radius, quad_segs=8)
        if shapely.difference(hole, shapely.union(cells[a], cells[b])).area < 1e-6:
            return hole
    return None


def _longest_line(geom):
    if geom.geom_type == "MultiLineString":
        geom = shapely.line_merge(geom)
    parts = shapely.get_parts(shapely.get_parts(geom))
    lines = parts[shapely.get_type_id(parts) == 1]
    return lines[np.argmax(shapely.length(lines))] if len(lines) else None


def collect_shortfalls(picks, staffing) -> dict:
    """Return the shortfalls by name: the picks plus who holds them in the staffing."""
    return {
        "unstaffed_grid": picks["unstaffed_grid"],
        "hole_community": picks["hole_community"],
        "hole_area_m2": picks["hole_area_m2"],
        "hole_grids": picks["hole_grids"],
        "cleaner_without_backup": picks["cleaner_without_backup"],
        "cleaner_without_backup_phone": staffing["cleaner_without_backup_phone"],
        "below_ratio_grid": picks["below_ratio_grid"],
        "overloaded_leader": staffing["overloaded_leader"],
        "overloaded_leader_grids": staffing["overloaded_leader_grids"],
    }
