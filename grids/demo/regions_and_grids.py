"""Regions and grids of the demo city: streets, communities and grids tiled, named and described."""
from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from grids.codes import next_sequences, spatial_order

from .people import MAX_GRIDS_PER_LEADER
from .tiling import DENSIFY_M, METRIC_CRS, densify, node_edges, project, project_to_lonlat, project_to_metric, tile

_CITY_CENTRE = (109.4155, 24.3255)  # 柳州市人民政府 (lon, lat): the urban streets gather round it
_STREET_WEIGHT = {"street": 1.0, "town": 12.0}                   # relative areas
_COMMUNITY_WEIGHT = {"community": 1.0, "village": 6.0, "other": 3.0}
# grids per km² by (street kind, community kind): built-up communities get many small grids
_GRID_DENSITY = {("street", "community"): 1.0, ("street", "village"): 0.15, ("street", "other"): 0.15,
                 ("town", "community"): 0.35, ("town", "village"): 0.03, ("town", "other"): 0.1}


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


def tile_regions(divisions, outlines, rng, tick) -> pd.DataFrame:
    """Return code, name, level, parent and metric geometry for every region."""
    centre = np.array(project(shapely.Point(_CITY_CENTRE), "EPSG:4326", METRIC_CRS).coords[0])
    frame = divisions.set_index("code", drop=False)
    geoms = {code: project_to_metric(outlines[code]) for code in frame.index[frame["level"] == "district"]}
    geoms[frame.index[frame["level"] == "city"][0]] = shapely.union_all(list(geoms.values()))
    for level, weight, kind in (("street", _STREET_WEIGHT, _street_kind),
                                ("community", _COMMUNITY_WEIGHT, _community_kind)):
        parents = frame[frame["level"] == {"street": "district", "community": "street"}[level]]
        for done, parent in enumerate(parents.index):
            children = frame.index[(frame["level"] == level) & (frame["parent"] == parent)]
            anchor = centre if level == "street" or _street_kind(parent) == "street" else \
                np.array(shapely.point_on_surface(geoms[parent]).coords[0])
            cells = tile(geoms[parent], [weight[kind(c)] for c in children], anchor, rng)
            geoms.update(zip(children, (densify(c, DENSIFY_M) for c in cells)))
            tick(f"{level} polygons", done + 1, len(parents))
    frame = frame.reset_index(drop=True)
    frame["geometry"] = frame["code"].map(geoms)
    frame.loc[frame["level"] == "community", "name"] = frame["name"].map(_short_name)
    return frame


def regions_frame(regions) -> gpd.GeoDataFrame:
    """Return the regions in EPSG:4326, city first, each level noded into one coverage."""
    order = regions["level"].map({"city": 0, "district": 1, "street": 2, "community": 3})
    regions = regions.assign(_order=order).sort_values(["_order", "code"], kind="stable")
    geoms = regions["geometry"].to_numpy().copy()
    for level in ("street", "community"):
        rows = np.flatnonzero(regions["level"].to_numpy() == level)
        geoms[rows] = node_edges(geoms[rows], regions["parent"].to_numpy()[rows])
    parent = [p or None for p in regions["parent"]]
    return gpd.GeoDataFrame({
        "code": regions["code"].to_numpy(), "name": regions["name"].to_numpy(),
        "level": regions["level"].to_numpy(), "parent": pd.Series(parent, dtype=object),
    }, geometry=project_to_lonlat(geoms), crs="EPSG:4326")


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


def tile_grids(regions, n_grids: int, rng, tick) -> pd.DataFrame:
    """Return code, community and metric geometry of ``n_grids`` grids tiling the communities."""
    comms = _communities(regions)
    counts = _allocate(comms, n_grids)
    codes, owners, geoms = [], [], []
    for done, (code, geom, k) in enumerate(zip(comms["code"], comms["geometry"], counts)):
        centre = np.array(shapely.point_on_surface(geom).coords[0])
        cells = tile(geom, np.ones(k), centre, rng)
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


def describe_grids(grids, regions, rng) -> None:
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


def grids_frame(grids) -> gpd.GeoDataFrame:
    """Return the grids in EPSG:4326, noded, with a signboard point inside each."""
    geometry = project_to_lonlat(node_edges(grids["geometry"].to_numpy(), grids["community"].to_numpy()))
    frame = gpd.GeoDataFrame(
        grids[["code", "name", "community", "type", "households", "population"]].reset_index(drop=True),
        geometry=geometry, crs="EPSG:4326")
    frame.insert(6, "signboard", gpd.GeoSeries(shapely.point_on_surface(geometry), crs="EPSG:4326"))
    return frame
