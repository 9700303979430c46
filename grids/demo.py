"""Generate a demo city that looks real, for ``sanigrid demo``.

Liuzhou's five urban districts with their real outlines, streets/towns and
communities/villages (names and codes from ``grids/data``, see its SOURCE.md), tiled
into generated street, community and grid polygons, with households, people and
roles, and a few shortfalls left in on purpose so the reports have something to show.

Geometry is built in a metric CRS (:data:`METRIC_CRS`) and returned in EPSG:4326;
neighbours share their edges vertex for vertex. Pure: reads package data, writes nothing.
"""
from __future__ import annotations

import io
import json
import math
import numbers
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from grids.codes import check_region_code, next_sequences, spatial_order
from grids.roles import CLEANER, LEADER

__all__ = ["DemoCity", "build_demo_city", "METRIC_CRS", "MAX_GRIDS_PER_LEADER"]

METRIC_CRS = "EPSG:4545"          # CGCS2000 3-degree Gauss-Krüger, CM 108°E: fits Liuzhou
MAX_GRIDS_PER_LEADER = 3          # a community cadre leads at most this many grids
_CITY_CENTRE = (109.4155, 24.3255)  # 柳州市人民政府 (lon, lat): the urban streets gather round it
_DENSIFY_DEG = 0.001              # ~100 m: a long edge bends by metres when projected ...
_DENSIFY_M = 100.0                # ... so outlines are densified before and after projecting
_NODE_M = 1e-6                    # a neighbour's vertex this close to an edge is put into it
_CRUMB_M2 = 1e-3                  # polygon crumbs from clipping below this are dropped
_STREET_WEIGHT = {"street": 1.0, "town": 12.0}                   # relative areas
_COMMUNITY_WEIGHT = {"community": 1.0, "village": 6.0, "other": 3.0}
# grids per km² by (street kind, community kind): built-up communities get many small grids
_GRID_DENSITY = {("street", "community"): 1.0, ("street", "village"): 0.15, ("street", "other"): 0.15,
                 ("town", "community"): 0.35, ("town", "village"): 0.03, ("town", "other"): 0.1}


@dataclass
class DemoCity:
    """The generated city: frames ready to load, and the shortfalls put in on purpose.

    ``shortfalls`` keys: ``unstaffed_grid`` (a grid with no people at all),
    ``hole_community``, ``hole_area_m2`` and ``hole_grids`` (a disc cut out of two grids:
    part of the community no grid covers), ``cleaner_without_backup`` and
    ``cleaner_without_backup_phone`` (one A post with no B), ``below_ratio_grid`` (one
    cleaner fewer than ceil(households / 100)), ``overloaded_leader`` (phone) and
    ``overloaded_leader_grids`` (the 4 grids that one cadre leads).
    """

    regions: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    people: pd.DataFrame
    roles: pd.DataFrame
    shortfalls: dict = field(default_factory=dict)


def build_demo_city(n_grids: int = 600, seed: int = 0, *, progress=None) -> DemoCity:
    """Build a deterministic demo city of ``n_grids`` grids in Liuzhou's urban districts.

    Parameters
    ----------
    n_grids : int
        Exact number of grids; at least one per community (455 or more).
    seed : int
        Non-negative seed; the same seed gives the same city.
    progress : callable, optional
        ``progress(step_name, done, total)``, called now and then; the steps are
        "street polygons", "community polygons", "grid polygons" and "people", and
        each ends with ``done == total``.

    Returns
    -------
    DemoCity
        ``regions`` (city, districts, streets, communities), ``grids``, ``people``,
        ``roles`` and ``shortfalls`` (what was broken on purpose, by code).

    Raises
    ------
    ValueError
        Too few grids for the communities, more than 999 in one community, or a bad seed.
    """
    divisions = _load_divisions()
    _check_args(n_grids, seed, progress, divisions)
    tick = progress if progress is not None else (lambda step, done, total: None)
    rng_regions, rng_grids, rng_attrs, rng_picks, rng_people = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5))
    regions = _tile_regions(divisions, _load_outlines(), rng_regions, tick)
    grids = _tile_grids(regions, n_grids, rng_grids, tick)
    _describe_grids(grids, regions, rng_attrs)
    picks = _pick_shortfalls(grids, rng_picks)
    picks.update(_cut_hole(grids, regions, picks.pop("hole_candidates")))
    people, roles, staffing = _staff(grids, picks, rng_people, tick)
    return DemoCity(_regions_frame(regions), _grids_frame(grids), people, roles,
                    _shortfalls(picks, staffing))


# -- inputs -----------------------------------------------------------------------------

def _data_text(name: str) -> str:
    return resources.files("grids").joinpath("data", name).read_text(encoding="utf-8")


def _load_divisions() -> pd.DataFrame:
    text = _data_text("liuzhou_divisions.csv")
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    frame["code"].map(check_region_code)
    return frame


def _load_outlines() -> dict:
    features = json.loads(_data_text("liuzhou_urban_districts.geojson"))["features"]
    return {f["properties"]["code"]: shapely.geometry.shape(f["geometry"]) for f in features}


def _check_args(n_grids, seed, progress, divisions) -> None:
    if isinstance(n_grids, bool) or not isinstance(n_grids, numbers.Integral):
        raise TypeError(f"n_grids must be an integer, got {n_grids!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be callable(step, done, total) or None, got {progress!r}")
    n_communities = int((divisions["level"] == "community").sum())
    if n_grids < n_communities + 3:
        raise ValueError(f"n_grids must be at least {n_communities + 3}: one grid in each of the "
                         f"{n_communities} communities and four in one, got {n_grids}")


# -- metric projection -------------------------------------------------------------------

@lru_cache(maxsize=4)
def _transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def _project(geoms, src: str, dst: str):
    """Transform shapely geometries (scalar or array) vertex by vertex from ``src`` to ``dst``."""
    transformer = _transformer(src, dst)

    def apply(xy):
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, apply)


def _to_metric(geom):
    return _project(_densify(geom, _DENSIFY_DEG), "EPSG:4326", METRIC_CRS)


def _to_geographic(geoms):
    return _project(geoms, METRIC_CRS, "EPSG:4326")


def _densify(geom, step: float):
    """Return ``geom`` with extra vertices so that no edge is longer than ``step``.

    Unlike shapely.segmentize, the inserted vertices do not depend on the direction an edge
    is walked in, so an edge shared by two neighbours stays shared vertex for vertex.
    """
    polygons = []
    for polygon in shapely.get_parts(geom):
        rings = [_densify_ring(np.asarray(ring.coords), step)
                 for ring in (polygon.exterior, *polygon.interiors)]
        polygons.append(shapely.Polygon(rings[0], rings[1:]))
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


def _densify_ring(xy, step: float) -> np.ndarray:
    start, end = xy[:-1], xy[1:]
    pieces = np.maximum(np.ceil(np.hypot(*(end - start).T) / step), 1).astype(int)
    flip = (start[:, 0] > end[:, 0]) | ((start[:, 0] == end[:, 0]) & (start[:, 1] > end[:, 1]))
    low = np.where(flip[:, None], end, start)
    high = np.where(flip[:, None], start, end)
    seg = np.repeat(np.arange(len(start)), pieces)
    k = np.arange(len(seg)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    j = np.where(flip[seg], pieces[seg] - k, k)      # steps from the edge's lower end
    points = low[seg] + (high[seg] - low[seg]) * (j / pieces[seg])[:, None]
    points[k == 0] = start[seg[k == 0]]
    return np.concatenate([points, xy[-1:]])


def _node(geoms: np.ndarray, parents: np.ndarray) -> np.ndarray:
    """Insert into each polygon the vertices that neighbours with another parent have on its edges.

    Cells of one parent already share their edges vertex for vertex; across a parent's
    boundary this makes the whole level one clean coverage (no T-junctions).
    """
    a, b = shapely.STRtree(geoms).query(geoms, predicate="dwithin", distance=_NODE_M)
    across = parents[a] != parents[b]
    a, b = a[across], b[across]
    order = np.argsort(a, kind="stable")
    a, b = a[order], b[order]
    out = geoms.copy()
    for _ in range(4):          # a vertex put into one polygon may belong in the next one too
        before = shapely.get_num_coordinates(out)
        for i, group in zip(*_groups(a)):
            points = shapely.points(shapely.get_coordinates(out[b[group]]))
            points = points[shapely.dwithin(points, out[i].boundary, _NODE_M)]
            if len(points):
                out[i] = shapely.snap(out[i], shapely.multipoints(points), _NODE_M)
        if (shapely.get_num_coordinates(out) == before).all():
            break
    return out


def _groups(sorted_keys: np.ndarray):
    """Return each distinct key of a sorted array with the slice of its run."""
    if not len(sorted_keys):
        return [], []
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    ends = np.r_[starts[1:], len(sorted_keys)]
    return sorted_keys[starts], [slice(s, e) for s, e in zip(starts, ends)]


# -- tiling a polygon into cells -----------------------------------------------------------

def _tile(parent, weights, anchor, rng) -> np.ndarray:
    """Split ``parent`` into ``len(weights)`` cells, their areas growing with weight away from ``anchor``.

    Seeds come from a weighted k-means over random points in the parent (a centroidal
    Voronoi tiling); the cells are the seeds' Voronoi cells clipped to the parent.
    """
    weights = np.asarray(weights, dtype=float)
    if len(weights) == 1:
        return np.array([parent], dtype=object)
    points = _sample(parent, max(24 * len(weights), 400), rng)
    distance = np.hypot(*(points - anchor).T)
    density, seeds = _banded_density(distance, weights)
    seeds = _kmeans(points, density, points[seeds].copy())
    cells = _clip_cells(seeds, parent)
    by_distance = np.argsort(np.hypot(*(seeds - anchor).T), kind="stable")
    out = np.empty(len(weights), dtype=object)
    out[np.argsort(weights, kind="stable")] = cells[by_distance]
    return out


def _sample(parent, count: int, rng) -> np.ndarray:
    """Return ``count`` uniform random points (n, 2) inside ``parent``."""
    x0, y0, x1, y1 = parent.bounds
    fill = parent.area / max((x1 - x0) * (y1 - y0), 1e-9)
    shapely.prepare(parent)
    found = []
    while sum(len(f) for f in found) < count:
        n = int(count / fill * 1.2) + 16
        x, y = rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)
        inside = shapely.contains_xy(parent, x, y)
        found.append(np.column_stack([x[inside], y[inside]]))
    return np.concatenate(found)[:count]


def _banded_density(distance, weights):
    """Give each point the density of the unit whose distance band (by area share) it lies in.

    Units sorted by weight take consecutive bands of the points ranked by distance; a
    centroidal tiling makes cell area vary as density**-1/2, so density = weight**-2.
    Returns the densities and, per band, the index of one point to start k-means from.
    """
    w = np.sort(weights)
    bounds = np.cumsum(w) / w.sum()
    rank = np.argsort(distance, kind="stable")
    quantile = np.empty(len(distance))
    quantile[rank] = (np.arange(len(distance)) + 0.5) / len(distance)
    band = np.minimum(np.searchsorted(bounds, quantile, side="right"), len(w) - 1)
    middles = (bounds - w / w.sum() / 2) * len(distance)
    starts = rank[np.minimum(middles.astype(int), len(distance) - 1)]
    return w[band] ** -2.0, starts


def _kmeans(points, density, seeds, iterations: int = 8) -> np.ndarray:
    """Run weighted Lloyd iterations, then snap each seed onto one of its own points."""
    k = len(seeds)
    nearest = _nearest_finder(points, k)
    for _ in range(iterations):
        label = nearest(seeds)
        mass = np.bincount(label, density, k)
        moved = mass > 0
        cx = np.bincount(label, density * points[:, 0], k)
        cy = np.bincount(label, density * points[:, 1], k)
        seeds[moved] = np.column_stack([cx[moved] / mass[moved], cy[moved] / mass[moved]])
    return _snap(points, seeds, nearest(seeds))


def _nearest_finder(points, k: int):
    """Return a function giving, for each point, the index of its nearest seed."""
    if k <= 64:
        return lambda seeds: ((points[:, None, :] - seeds[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    geoms = shapely.points(points)
    return lambda seeds: shapely.STRtree(shapely.points(seeds)).query_nearest(geoms, all_matches=False)[1]


def _snap(points, seeds, label) -> np.ndarray:
    """Move each seed onto its closest own point, so that it lies inside the parent."""
    gap = np.hypot(*(points - seeds[label]).T)
    order = np.lexsort((gap, label))
    first = order[np.r_[True, label[order][1:] != label[order][:-1]]]
    chosen = np.full(len(seeds), -1)
    chosen[label[first]] = first
    for j in np.flatnonzero(chosen < 0):   # a seed that lost all its points: take a free one
        free = np.setdiff1d(np.arange(len(points)), chosen)
        chosen[j] = free[np.argmin(np.hypot(*(points[free] - seeds[j]).T))]
    return points[chosen].copy()


def _clip_cells(seeds, parent) -> np.ndarray:
    diagram = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=parent, ordered=True)
    cells = shapely.intersection(shapely.get_parts(diagram), parent)
    cells = np.array([_polygonal(c) for c in cells], dtype=object)
    return _reattach_islands(cells, shapely.points(seeds))


def _polygonal(geom):
    """Return the polygon parts of a clipping result (no lines, points or crumbs)."""
    parts = shapely.get_parts(shapely.get_parts(geom))
    parts = parts[(shapely.get_type_id(parts) == 3) & (shapely.area(parts) > _CRUMB_M2)]
    return parts[0] if len(parts) == 1 else shapely.multipolygons(parts)


def _reattach_islands(cells, seeds) -> np.ndarray:
    """Give each detached piece of a clipped cell to the neighbour it shares the most edge with."""
    tree = shapely.STRtree(cells)
    for i in np.flatnonzero(shapely.get_type_id(cells) == 6):
        parts = shapely.get_parts(cells[i])
        home = shapely.intersects(parts, seeds[i])
        if not home.any():
            home[np.argmax(shapely.area(parts))] = True
        kept = list(parts[home])
        for part in parts[~home]:
            near = tree.query(part, predicate="dwithin", distance=_NODE_M)
            near = near[near != i]
            shared = shapely.length(shapely.intersection(part.boundary, shapely.boundary(cells[near])))
            if len(near) and shared.max() > 1.0:
                j = near[np.argmax(shared)]
                cells[j] = _polygonal(shapely.union(cells[j], part))
            else:
                kept.append(part)
        cells[i] = kept[0] if len(kept) == 1 else shapely.multipolygons(kept)
    return cells


# -- regions --------------------------------------------------------------------------------

def _street_kind(code: str) -> str:
    return "street" if int(code[6:9]) < 100 else "town"      # NBS: 001-099 街道, 1xx 镇, 2xx 乡


def _community_kind(code: str) -> str:
    seq = int(code[9:12])                                    # NBS: 001-199 居委会, 200-399 村委会
    return "community" if seq < 200 else "village" if seq < 400 else "other"


def _short_name(name: str) -> str:
    """Return the place name of a committee: 新城社区居委会 → 新城社区, 拉堡村村民委员会 → 拉堡村."""
    for suffix, kind in (("村民委员会", "村"), ("居民委员会", "社区"), ("村委会", "村"), ("居委会", "社区")):
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            return stem if stem.endswith(kind) else stem + kind
    return name


def _tile_regions(divisions, outlines, rng, tick) -> pd.DataFrame:
    """Return code, name, level, parent and metric geometry for every region."""
    centre = np.array(_project(shapely.Point(_CITY_CENTRE), "EPSG:4326", METRIC_CRS).coords[0])
    frame = divisions.set_index("code", drop=False)
    geoms = {code: _to_metric(outlines[code]) for code in frame.index[frame["level"] == "district"]}
    geoms[frame.index[frame["level"] == "city"][0]] = shapely.union_all(list(geoms.values()))
    for level, weight, kind in (("street", _STREET_WEIGHT, _street_kind),
                                ("community", _COMMUNITY_WEIGHT, _community_kind)):
        parents = frame[frame["level"] == {"street": "district", "community": "street"}[level]]
        for done, parent in enumerate(parents.index):
            children = frame.index[(frame["level"] == level) & (frame["parent"] == parent)]
            anchor = centre if level == "street" or _street_kind(parent) == "street" else \
                np.array(shapely.point_on_surface(geoms[parent]).coords[0])
            cells = _tile(geoms[parent], [weight[kind(c)] for c in children], anchor, rng)
            geoms.update(zip(children, (_densify(c, _DENSIFY_M) for c in cells)))
            tick(f"{level} polygons", done + 1, len(parents))
    frame = frame.reset_index(drop=True)
    frame["geometry"] = frame["code"].map(geoms)
    frame.loc[frame["level"] == "community", "name"] = frame["name"].map(_short_name)
    return frame


def _regions_frame(regions) -> gpd.GeoDataFrame:
    order = regions["level"].map({"city": 0, "district": 1, "street": 2, "community": 3})
    regions = regions.assign(_order=order).sort_values(["_order", "code"], kind="stable")
    geoms = regions["geometry"].to_numpy().copy()
    for level in ("street", "community"):
        rows = np.flatnonzero(regions["level"].to_numpy() == level)
        geoms[rows] = _node(geoms[rows], regions["parent"].to_numpy()[rows])
    parent = [p or None for p in regions["parent"]]
    return gpd.GeoDataFrame({
        "code": regions["code"].to_numpy(), "name": regions["name"].to_numpy(),
        "level": regions["level"].to_numpy(), "parent": pd.Series(parent, dtype=object),
    }, geometry=_to_geographic(geoms), crs="EPSG:4326")


# -- grids ----------------------------------------------------------------------------------

def _communities(regions) -> pd.DataFrame:
    comms = regions[regions["level"] == "community"].sort_values("code").reset_index(drop=True)
    comms["kind"] = comms["code"].map(_community_kind)
    comms["street_kind"] = comms["parent"].map(_street_kind)
    comms["area_km2"] = shapely.area(comms["geometry"].to_numpy()) / 1e6
    return comms


def _allocate(comms, n_grids: int) -> np.ndarray:
    """Share ``n_grids`` over communities: one each, the rest by area × built-up density."""
    density = [_GRID_DENSITY[s, k] for s, k in zip(comms["street_kind"], comms["kind"])]
    weight = comms["area_km2"].to_numpy() * np.array(density)
    extra = n_grids - len(comms)
    quota = extra * weight / weight.sum()
    counts = np.floor(quota).astype(int)
    rest = extra - counts.sum()
    counts[np.argsort(counts - quota, kind="stable")[:rest]] += 1
    top = int(np.argmax(weight))
    while counts[top] < MAX_GRIDS_PER_LEADER:           # 1 + 3: room for the overloaded leader
        donor = int(np.argmax(np.where(np.arange(len(counts)) == top, 0, counts)))
        counts[donor] -= 1
        counts[top] += 1
    if counts.max() + 1 > 999:
        raise ValueError(f"n_grids={n_grids} would put {counts.max() + 1} grids in community "
                         f"{comms['code'].iloc[int(np.argmax(counts))]}; grid codes allow 999 per community")
    return counts + 1


def _tile_grids(regions, n_grids: int, rng, tick) -> pd.DataFrame:
    """Return code, community and metric geometry of ``n_grids`` grids tiling the communities."""
    comms = _communities(regions)
    counts = _allocate(comms, n_grids)
    codes, owners, geoms = [], [], []
    for done, (code, geom, k) in enumerate(zip(comms["code"], comms["geometry"], counts)):
        centre = np.array(shapely.point_on_surface(geom).coords[0])
        cells = _tile(geom, np.ones(k), centre, rng)
        where = shapely.get_coordinates(shapely.point_on_surface(cells))
        order = spatial_order(where[:, 0], where[:, 1], row_height=math.sqrt(geom.area / k))
        codes += next_sequences([], code, k)
        owners += [code] * k
        geoms += list(cells[order])
        if done % 16 == 15 or done + 1 == len(comms):
            tick("grid polygons", done + 1, len(comms))
    return pd.DataFrame({"code": codes, "community": owners, "geometry": geoms})


_TYPE_MIX = {   # community kind → grid type → share
    "community": {"residential": .55, "commercial": .12, "urban_village": .10, "market": .05,
                  "park": .06, "industrial": .05, "other": .07},
    "town": {"residential": .50, "commercial": .15, "urban_village": .03, "market": .10,
             "park": .03, "industrial": .12, "other": .07},
    "village": {"residential": .60, "market": .04, "industrial": .08, "other": .28},
}
_HOUSEHOLDS = {"residential": (200, 600), "urban_village": (300, 700), "commercial": (40, 180),
               "market": (5, 40), "park": (0, 15), "industrial": (5, 80), "other": (20, 150)}
_RURAL_RESIDENTIAL = (80, 350)


def _grid_kind(street_kind: str, community_kind: str) -> str:
    """Return 'community' (built-up, in a 街道), 'village' (村) or 'town' (the rest)."""
    if community_kind == "village":
        return "village"
    return "community" if (street_kind, community_kind) == ("street", "community") else "town"


def _describe_grids(grids, regions, rng) -> None:
    """Add name, type, households and population to ``grids`` (in place)."""
    comms = _communities(regions).set_index("code")
    comms["grid_kind"] = [_grid_kind(s, k) for s, k in zip(comms["street_kind"], comms["kind"])]
    kind = grids["community"].map(comms["grid_kind"]).to_numpy()
    types = np.empty(len(grids), dtype=object)
    for k, mix in _TYPE_MIX.items():
        rows = np.flatnonzero(kind == k)
        types[rows] = rng.choice(list(mix), size=len(rows), p=list(mix.values()))
    low, high = np.array([_HOUSEHOLDS[t] for t in types]).T
    rural = (kind == "village") & (types == "residential")
    low[rural], high[rural] = _RURAL_RESIDENTIAL
    households = rng.integers(low, high + 1)
    place = grids["community"].map(comms["name"])
    grids["name"] = [f"{name}第{int(code[12:])}网格" for name, code in zip(place, grids["code"])]
    grids["kind"] = kind
    grids["type"] = types
    grids["households"] = households.astype("int64")
    grids["population"] = np.rint(households * rng.uniform(2.6, 3.2, len(grids))).astype("int64")


def _grids_frame(grids) -> gpd.GeoDataFrame:
    geometry = _to_geographic(_node(grids["geometry"].to_numpy(), grids["community"].to_numpy()))
    frame = gpd.GeoDataFrame(
        grids[["code", "name", "community", "type", "households", "population"]].reset_index(drop=True),
        geometry=geometry, crs="EPSG:4326")
    frame.insert(6, "signboard", gpd.GeoSeries(shapely.point_on_surface(geometry), crs="EPSG:4326"))
    return frame


# -- shortfalls put in on purpose -------------------------------------------------------------

def _pick_shortfalls(grids, rng) -> dict:
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


def _cut_hole(grids, regions, candidates) -> dict:
    """Cut a small disc out of two neighbouring grids of one community: a blind spot."""
    outline = regions.set_index("code")["geometry"]
    cells = grids["geometry"].to_numpy()
    for community in candidates:
        rows = np.flatnonzero(grids["community"].to_numpy() == community)
        hole = _hole_in(cells[rows], outline[community])
        if hole is not None:
            cut = rows[shapely.area(shapely.intersection(cells[rows], hole)) > _CRUMB_M2]
            grids.loc[cut, "geometry"] = [_polygonal(g) for g in shapely.difference(cells[cut], hole)]
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


def _shortfalls(picks, staffing) -> dict:
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


# -- people and roles ---------------------------------------------------------------------------

class _Roster:
    """Collect people as integer ids and role rows; ids become phones at the end."""

    def __init__(self):
        self.count = 0
        self.rows: list[tuple] = []

    def new(self, n: int = 1) -> list[int]:
        self.count += n
        return list(range(self.count - n, self.count))

    def add(self, grid: str, person: int, role: str, backup=None) -> None:
        self.rows.append((grid, person, role, backup))


def _staff(grids, picks, rng, tick):
    """Staff every grid but the unstaffed one; return people, roles and who is who in the shortfalls."""
    roster, found = _Roster(), {}
    staffed = grids[grids["code"] != picks["unstaffed_grid"]]
    communities = list(staffed.groupby("community", sort=True))
    for done, (community, g) in enumerate(communities):
        overloaded = community == picks["overloaded_community"]
        leaders = _leaders(len(g), overloaded, rng, roster)
        if overloaded:
            found["overloaded_leader"] = leaders[0]
            found["overloaded_leader_grids"] = g["code"].tolist()[:MAX_GRIDS_PER_LEADER + 1]
        cleaners = [roster.new(_cleaners_needed(code, h, picks))
                    for code, h in zip(g["code"], g["households"])]
        for i, code in enumerate(g["code"]):
            roster.add(code, leaders[i], LEADER)
            _add_cleaners(roster, code, cleaners, i, picks, found)
            for role in ("patroller", "manager", "supervisor"):
                roster.add(code, roster.new()[0], role)
            for person in roster.new(int(rng.integers(1, 4))):
                roster.add(code, person, "volunteer")
        if done % 16 == 15 or done + 1 == len(communities):
            tick("people", done + 1, len(communities))
    return _people_and_roles(roster, found, rng)


def _leaders(n: int, overloaded: bool, rng, roster) -> list[int]:
    """Return the leader of each of ``n`` grids: cadres leading 1-3 consecutive grids each."""
    leaders = []
    while len(leaders) < n:
        size = int(rng.integers(1, MAX_GRIDS_PER_LEADER + 1))
        if overloaded and not leaders:
            size = MAX_GRIDS_PER_LEADER + 1      # the planted shortfall: one cadre, four grids
        leaders += roster.new() * size
    return leaders[:n]


def _cleaners_needed(code: str, households: int, picks) -> int:
    needed = max(1, math.ceil(households / 100))
    return needed - 1 if code == picks["below_ratio_grid"] else needed


def _add_cleaners(roster, code, cleaners, i, picks, found) -> None:
    """Add grid ``i``'s cleaner A posts, each backed by a B: a workmate, or the next grid's cleaner."""
    posts = cleaners[i]
    for j, person in enumerate(posts):
        if len(posts) > 1:
            backup = posts[(j + 1) % len(posts)]
        elif len(cleaners) > 1:
            backup = cleaners[(i + 1) % len(cleaners)][0]
        else:
            backup = roster.new()[0]              # a reserve cleaner who holds no A post
        if code == picks["cleaner_without_backup"] and j == 0:
            backup = None
            found["cleaner_without_backup_phone"] = person
        roster.add(code, person, CLEANER, backup)


_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁郑谢韦覃蒙莫廖潘蓝唐宋邓冯曾彭苏卢蒋蔡"
             "贾丁魏叶余杜钟田石姚谭陆邹熊金龙吕秦")
_GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华玉兰红梅建国文斌宇浩婷雪琳晨志海燕萍辉"
          "鹏飞云峰林凤春秀珍晓东丹宁新立成荣庆德福秋菊金凯佳怡子轩思远俊杰雨欣梓涵家豪")
_PHONE_PREFIXES = (130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156, 157,
                   158, 159, 173, 176, 177, 178, 180, 181, 182, 183, 185, 186, 187, 188, 189, 199)


def _people_and_roles(roster, found, rng):
    phones = _phones(roster.count, rng)
    people = pd.DataFrame({"phone": phones, "name": _names(roster.count, rng),
                           "photo": pd.Series([None] * roster.count, dtype=object)})
    grid, person, role, backup = zip(*roster.rows)
    roles = pd.DataFrame({
        "grid": list(grid), "phone": phones[np.array(person)].tolist(), "role": list(role),
        "backup": pd.Series([None if b is None else phones[b] for b in backup], dtype=object),
    })
    found["overloaded_leader"] = str(phones[found["overloaded_leader"]])
    found["cleaner_without_backup_phone"] = str(phones[found["cleaner_without_backup_phone"]])
    return people, roles, found


def _phones(n: int, rng) -> np.ndarray:
    """Return ``n`` distinct 11-digit mobile numbers."""
    picked = rng.choice(len(_PHONE_PREFIXES) * 10**8, size=n, replace=False)
    prefix = np.array(_PHONE_PREFIXES)[picked // 10**8]
    return np.array([f"{p}{r:08d}" for p, r in zip(prefix, picked % 10**8)], dtype=object)


def _names(n: int, rng) -> list[str]:
    rank = np.arange(1, len(_SURNAMES) + 1)
    surname = rng.choice(len(_SURNAMES), size=n, p=(1 / rank) / (1 / rank).sum())
    given = rng.choice(len(_GIVEN), size=(n, 2))
    two = rng.random(n) < 0.65
    return [_SURNAMES[s] + _GIVEN[g[0]] + (_GIVEN[g[1]] if t else "")
            for s, g, t in zip(surname, given, two)]
