"""Load the generated demo city through the same validated import path as any file."""
from __future__ import annotations

import pandas as pd
from tqdm import tqdm

from grids.demo import build_demo_city

from .errors import Conflict
from .imports import import_frames
from .storage import repository as repo
from .storage import session_scope

__all__ = ["load_demo", "people_frame", "frame_for_import"]


def people_frame(people: pd.DataFrame, roles: pd.DataFrame) -> pd.DataFrame:
    """Return the people-CSV shape (name, phone, photo, grid, role, backup) of a demo city."""
    named = roles.merge(people, on="phone", how="left")
    idle = people[~people["phone"].isin(set(roles["phone"]))]
    rows = pd.concat([named, idle], ignore_index=True)
    return rows.reindex(columns=["name", "phone", "photo", "grid", "role", "backup"])


def load_demo(engine, settings, *, n_grids: int, seed: int, replace: bool) -> str:
    """Build the demo city and import it; refuse a non-empty register unless ``replace``."""
    with session_scope(engine, write=replace) as session:
        existing = len(repo.load_regions(session))
        if existing and not replace:
            raise Conflict(f"the register already holds {existing} regions; run `sanigrid demo --replace` "
                           "to wipe it and load the demo city")
        if replace:
            repo.wipe_register(session)
    with tqdm(desc="demo city", unit="step", disable=None) as bar:
        def progress(step, done, total):
            bar.set_postfix_str(f"{step} {done}/{total}")
            bar.update(0)
        city = build_demo_city(n_grids=n_grids, seed=seed, progress=progress)
        for layer, frame in (("regions", city.regions), ("grids", city.grids),
                             ("people", people_frame(city.people, city.roles)),
                             ("frontages", city.frontages), ("places", city.places)):
            bar.set_description(f"loading {layer}")
            # the demo's own rows are no outside input: the per-import cap (50,000 by default) would
            # refuse the 183,000 people rows of `demo --grids 20000`
            own = {**settings, "SANIGRID_MAX_IMPORT_FEATURES": max(settings["SANIGRID_MAX_IMPORT_FEATURES"], len(frame))}
            import_frames(engine, own, layer, frame_for_import(layer, frame), by="demo")
            bar.update(1)
    return (f"demo city loaded: {len(city.regions)} regions, {len(city.grids)} grids, "
            f"{len(city.people)} people, {len(city.roles)} roles, {len(city.frontages)} frontages, "
            f"{len(city.places)} places; deliberate shortfalls: {city.shortfalls}")


def frame_for_import(layer, frame):
    """Return a demo frame as the importer takes it: the signboard point as sign_lon/sign_lat; frontages and
    places without the grid they were generated in (the register derives it)."""
    if layer in ("frontages", "places"):
        return frame.drop(columns=["grid"])
    if layer != "grids" or "signboard" not in frame.columns:
        return frame
    signs = frame["signboard"]
    out = frame.drop(columns=["signboard"])
    out["sign_lon"] = [p.x if p is not None else None for p in signs]
    out["sign_lat"] = [p.y if p is not None else None for p in signs]
    return out
