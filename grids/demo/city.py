"""The demo city as a whole: check the arguments, read the package data, run the steps in order."""
from __future__ import annotations

import datetime as dt
import io
import json
import numbers
from dataclasses import dataclass, field
from importlib import resources

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from grids.codes import check_region_code

from .frontages import build_frontages
from .people import staff
from .places import build_places
from .regions_and_grids import describe_grids, grids_frame, regions_frame, tile_grids, tile_regions
from .shortfalls import collect_shortfalls, cut_hole, pick_shortfalls
from .tiling import METRIC_CRS


@dataclass
class DemoCity:
    """The generated city: frames ready to load, and the shortfalls put in on purpose.

    ``shortfalls`` keys: ``unstaffed_grid`` (a grid with no people at all),
    ``hole_community``, ``hole_area_m2`` and ``hole_grids`` (a disc cut out of two grids:
    part of the community no grid covers), ``cleaner_without_backup`` and
    ``cleaner_without_backup_phone`` (one A post with no B), ``below_ratio_grid`` (one
    cleaner fewer than ceil(households / 100)), ``overloaded_leader`` (phone) and
    ``overloaded_leader_grids`` (the 4 grids that one cadre leads); and the frontage gaps
    (grids.demo.frontages): ``frontage_low_grid`` and ``frontage_low_signed_pct`` (a grid far
    below the 90 % floor), ``frontage_expiring_ref``, ``frontage_expiring_grid`` and
    ``frontage_expiring_on`` (a commitment ending within 30 days of ``today``).

    ``frontages`` (门前三包 units, LineStrings) and ``places`` (key places, Points and Polygons)
    carry the import columns of the contract plus ``grid``, the grid they were generated in.
    """

    regions: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    people: pd.DataFrame
    roles: pd.DataFrame
    shortfalls: dict = field(default_factory=dict)
    frontages: gpd.GeoDataFrame | None = None
    places: gpd.GeoDataFrame | None = None
    today: dt.date | None = None


def build_demo_city(n_grids: int = 600, seed: int = 0, *, progress=None, today: dt.date | None = None) -> DemoCity:
    """Build a deterministic demo city of ``n_grids`` grids in Liuzhou's urban districts.

    Parameters
    ----------
    n_grids : int
        Exact number of grids; at least one per community (455 or more).
    seed : int
        Non-negative seed; the same seed gives the same city.
    progress : callable, optional
        ``progress(step_name, done, total)``, called now and then; the steps are
        "street polygons", "community polygons", "grid polygons", "people" and
        "frontages and places", and each ends with ``done == total``.
    today : datetime.date, optional
        The day the commitments and licences are dated from (default: the computer's today);
        the same seed and day give the same frontages and places.

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
    today = _check_today(today)
    tick = progress if progress is not None else (lambda step, done, total: None)
    # spawn(7): children 0-4 are those of the city before frontages (a SeedSequence child depends on
    # its index only), so the regions, grids and people of a seed did not change
    rng_regions, rng_grids, rng_attrs, rng_picks, rng_people, rng_fronts, rng_places = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(7))
    regions = tile_regions(divisions, _load_outlines(), rng_regions, tick)
    grids = tile_grids(regions, n_grids, rng_grids, tick)
    describe_grids(grids, regions, rng_attrs)
    picks = pick_shortfalls(grids, rng_picks)
    picks.update(cut_hole(grids, regions, picks.pop("hole_candidates")))
    people, roles, staffing = staff(grids, picks, rng_people, tick)
    shortfalls = collect_shortfalls(picks, staffing)
    names = dict(zip(regions["code"], regions["name"]))
    avoid = {shortfalls[k] for k in ("unstaffed_grid", "below_ratio_grid", "cleaner_without_backup")}
    avoid |= {*shortfalls["hole_grids"], *shortfalls["overloaded_leader_grids"]}
    frontages, planted = build_frontages(grids, names, rng_fronts, today, avoid)
    places = build_places(grids, frontages, names, rng_places, today)
    tick("frontages and places", 1, 1)
    return DemoCity(regions_frame(regions), grids_frame(grids), people, roles, {**shortfalls, **planted},
                    _lonlat(frontages), _lonlat(places), today)


def _lonlat(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=METRIC_CRS).to_crs("EPSG:4326")


def _check_today(today):
    if today is None:
        return dt.date.today()
    if isinstance(today, dt.datetime) or not isinstance(today, dt.date):
        raise TypeError(f"today must be a datetime.date or None, got {today!r}")
    return today


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
