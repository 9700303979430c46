"""Roll gap findings up district → street → community, with one coverage score per region.

The score (0–100) is written so a ranking can be explained to those ranked::

    covered  = 1 − (hole + sliver area) / region area
    clean    = 1 − (overlap + out-of-bounds area) / region area      (at least 0)
    staffed  = 1 − households without their due cleaner / households (1 with no households)
    complete = grids with complete staffing / grids                   (0 with no grids)
    score    = 100 × (0.4·covered + 0.2·clean + 0.2·staffed + 0.2·complete)

Without staffing data (a grid plan checked from files) the score is
100 × (0.4·covered + 0.2·clean) / 0.6. With frontages (门前三包) one more term enters and the
weights present are renormalised::

    signed   = frontage signed length / street-front length               (1 with no street front)
    score    = 100 × (0.4·covered + 0.2·clean [+ 0.2·staffed + 0.2·complete] + 0.2·signed)
                   / (0.6 [+ 0.4] + 0.2)
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .staffing import staffing_rollup

__all__ = ["gap_rollup", "WEIGHTS", "LEVEL_WIDTHS"]

WEIGHTS = {"covered": 0.4, "clean": 0.2, "staffed": 0.2, "complete": 0.2, "signed": 0.2}
LEVEL_WIDTHS = {"district": 6, "street": 9, "community": 12}
BASE_KINDS = ("hole", "sliver", "overlap", "outside")
STAFFING_COLUMNS = ["complete", "short", "unstaffed", "households", "required_cleaners", "cleaners",
                    "cleaner_gap", "households_uncovered"]
FRONTAGE_LENGTHS = ["frontage_length_m", "frontage_signed_m", "frontage_unregistered_m"]
FRONTAGE_UNITS = {"frontage_units": None, "frontage_units_unsigned": "unsigned", "frontage_expiring_30d": "expiring"}
FRONTAGE_COLUMNS = ["frontage_length_m", "frontage_signed_m", "frontage_signed_pct", "frontage_units",
                    "frontage_units_unsigned", "frontage_expiring_30d", "frontage_unregistered_m"]


def gap_rollup(regions, leaves, grids, findings, staffing=None, frontages=None, frontage_pieces=None) -> pd.DataFrame:
    """Return one row per region with grids, counts and areas per gap kind, staffing and score.

    Parameters
    ----------
    regions : pandas.DataFrame
        Every region: code (6/9/12 digits), name.
    leaves : geopandas.GeoDataFrame
        The regions grids belong to, with their boundary in a metric CRS.
    grids : pandas.DataFrame
        Columns code, region (a leaf code).
    findings : pandas.DataFrame
        Columns kind, region, area_m2 (see :data:`grids.gaps.FINDING_COLUMNS`).
    staffing : pandas.DataFrame, optional
        The staffing table (:func:`grids.staffing.staffing_table`); None leaves the
        staffing columns out and the score without its staffing terms.
    frontages : pandas.DataFrame, optional
        The frontage gap per grid (:func:`grids.frontages.frontage_gap`) with the grids'
        region; None leaves the frontage columns and the score's frontage term out.
    frontage_pieces : pandas.DataFrame, optional
        Its pieces (:func:`grids.frontages.frontage_pieces`: frontage, unsigned, expiring)
        with the grids' region, so a unit in two grids of a region counts once there.

    Returns
    -------
    pandas.DataFrame
        Sorted by code; columns level, code, name, area_m2, grids, ``<kind>_count`` and
        ``<kind>_m2`` per gap kind, uncovered_m2, uncovered_pct, staffing columns, frontage
        columns, score.
    """
    per_leaf = _per_leaf(leaves, grids, findings)
    frames = [_level(per_leaf, regions, level, width) for level, width in LEVEL_WIDTHS.items()]
    out = pd.concat(frames, ignore_index=True).sort_values("code", kind="stable").reset_index(drop=True)
    out["uncovered_m2"] = out["hole_m2"] + out["sliver_m2"]
    out["uncovered_pct"] = _share(out["uncovered_m2"], out["area_m2"]) * 100
    if staffing is not None:
        out = _with_staffing(out, staffing, regions)
    if frontages is not None:
        out = _with_frontages(out, frontages, frontage_pieces)
    out["score"] = _score(out, staffing is not None, frontages is not None)
    return out


def _per_leaf(leaves, grids, findings) -> pd.DataFrame:
    base = pd.DataFrame({"area_m2": np.asarray(leaves.geometry.area, dtype=float)}, index=list(leaves["code"]))
    base["grids"] = grids["region"].value_counts().reindex(base.index).fillna(0).astype(int)
    kinds = list(BASE_KINDS) + sorted(set(findings["kind"]) - set(BASE_KINDS))
    found = findings[findings["region"].isin(base.index)]
    counts = found.groupby(["region", "kind"]).size().unstack(fill_value=0).reindex(columns=kinds, fill_value=0)
    areas = found.groupby(["region", "kind"])["area_m2"].sum().unstack(fill_value=0.0)
    spatial = [k for k in kinds if k in BASE_KINDS or (k in areas.columns and areas[k].sum() > 0)]
    areas = areas.reindex(columns=spatial, fill_value=0.0)
    base = base.join(counts.add_suffix("_count")).join(areas.add_suffix("_m2")).fillna(0)
    count_columns = [f"{k}_count" for k in kinds]
    base[count_columns] = base[count_columns].astype(int)
    return base


def _level(per_leaf, regions, level, width) -> pd.DataFrame:
    codes = pd.Series(per_leaf.index, index=per_leaf.index)
    deep = codes.str.len() >= width
    summed = per_leaf[deep].groupby(codes[deep].str[:width]).sum()
    names = dict(zip(regions["code"], regions["name"]))
    wanted = [c for c in regions["code"] if len(c) == width and c in summed.index]
    out = summed.loc[wanted].reset_index(names="code")
    out.insert(0, "level", level)
    out.insert(2, "name", out["code"].map(names))
    return out


def _share(part, whole):
    whole = whole.astype(float)
    return (part / whole.where(whole > 0)).astype(float)


def _with_staffing(out, staffing, regions) -> pd.DataFrame:
    staffed = staffing_rollup(staffing, regions)
    staffed = staffed[staffed["code"].str.len() == staffed["level"].map(LEVEL_WIDTHS)]
    merged = out.merge(staffed[["code", *STAFFING_COLUMNS]], on="code", how="left")
    merged[STAFFING_COLUMNS] = merged[STAFFING_COLUMNS].fillna(0).astype(int)
    return merged


def _with_frontages(out, frontages, pieces) -> pd.DataFrame:
    """Frontage lengths summed per region, units counted once per region, the share from the sums."""
    codes = out["code"]
    region = frontages["region"].astype(object)
    for column in FRONTAGE_LENGTHS:
        out[column] = _per_prefix(codes, region, frontages[column], "sum")
    if frontages["frontage_unregistered_m"].isna().all():
        out["frontage_unregistered_m"] = np.nan  # no street fronts given: unknown, not 0
    for column, flag in FRONTAGE_UNITS.items():
        rows = pieces if flag is None else pieces[pieces[flag].to_numpy(dtype=bool)]
        out[column] = _per_prefix(codes, rows["region"].astype(object), rows["frontage"], "nunique").astype(int)
    street = out["frontage_length_m"] + out["frontage_unregistered_m"].fillna(0)
    out["frontage_signed_pct"] = _share(out["frontage_signed_m"], street) * 100
    return out[[c for c in out.columns if c not in FRONTAGE_COLUMNS] + FRONTAGE_COLUMNS]


def _per_prefix(codes, region, values, how) -> np.ndarray:
    """For each code, ``how`` of ``values`` over the rows whose region starts with it (0 with none)."""
    out = np.zeros(len(codes))
    known = region.notna().to_numpy()
    region, values = region[known].astype(str), pd.Series(np.asarray(values)[known])
    for width in sorted(set(codes.str.len())):
        grouped = getattr(values.groupby(region.str[:width].to_numpy()), how)()
        mine = (codes.str.len() == width).to_numpy()
        out[mine] = grouped.reindex(codes[mine]).fillna(0).to_numpy()
    return out


def _score(out, with_staffing: bool, with_frontages: bool = False) -> pd.Series:
    covered = 1 - _share(out["uncovered_m2"], out["area_m2"])
    clean = (1 - _share(out["overlap_m2"] + out["outside_m2"], out["area_m2"])).clip(lower=0)
    score = WEIGHTS["covered"] * covered + WEIGHTS["clean"] * clean
    weight = WEIGHTS["covered"] + WEIGHTS["clean"]
    if with_staffing:
        staffed = (1 - _share(out["households_uncovered"], out["households"])).fillna(1.0)
        complete = _share(out["complete"], out["grids"]).fillna(0.0)
        score = score + WEIGHTS["staffed"] * staffed + WEIGHTS["complete"] * complete
        weight = 1.0  # the four weights sum to 1: the score is as it always was
    if with_frontages:
        signed = (out["frontage_signed_pct"] / 100).fillna(1.0)
        score, weight = score + WEIGHTS["signed"] * signed, weight + WEIGHTS["signed"]
    if weight != 1.0:
        score = score / weight
    return (100 * score).round(1)
