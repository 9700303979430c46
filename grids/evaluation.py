"""The monthly evaluation (月评): a score and a ranking per community, street and unit.

score = 0.6 × inspection score + 0.4 × case score, where

- the inspection score is the mean of the month's inspection scores (0–100) weighted by kind
  (daily 1, weekly 2, monthly 3, unannounced 3: the higher levels' visits count more);
- the case score is 0.5 × closure rate + 0.3 × on-time rate + 0.2 × (100 − rework rate) from
  :func:`grids.kpis.monthly_kpis`; a region with no case due scores 100 there (nothing was late),
  and one that closed nothing earns nothing for having no rework.

A region or unit with no inspection in the month is not evaluated (score NaN, no rank): the
ranking would otherwise reward not being looked at. Ranks are per level, 1 the best, ties
sharing the better rank; ``rank_change`` is last month's rank minus this month's (positive: up).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["EVALUATION_WEIGHTS", "KIND_WEIGHTS", "EVALUATION_LEVELS", "monthly_evaluation"]

EVALUATION_WEIGHTS = {"inspections": 0.6, "cases": 0.4}
CASE_WEIGHTS = {"closure_rate": 0.5, "on_time_rate": 0.3, "no_rework": 0.2}
KIND_WEIGHTS = {"daily": 1.0, "weekly": 2.0, "monthly": 3.0, "unannounced": 3.0}
EVALUATION_LEVELS = {"community": 12, "street": 9}  # and "unit", from the inspections' unit column


def _weighted_sums(keys, weighted, weight, count=None) -> pd.DataFrame:
    codes, uniques = pd.factorize(keys)  # a Series of Arrow strings factorizes fastest
    return pd.DataFrame({"weighted": np.bincount(codes, weighted, len(uniques)),
                         "weight": np.bincount(codes, weight, len(uniques)),
                         "inspections": np.bincount(codes, count, len(uniques)).astype(int)},
                        index=pd.Index(uniques, name="code"))


def _inspection_scores(inspections: pd.DataFrame, levels) -> dict:
    """Per level, the weighted mean inspection score; grids are summed once, regions by code prefix."""
    score = inspections["score"].to_numpy(float)
    scored = ~np.isnan(score)
    kinds = inspections["kind"].to_numpy()[scored]
    weight = np.ones(len(kinds))
    for kind, value in KIND_WEIGHTS.items():
        weight[kinds == kind] = value
    weighted = score[scored] * weight
    per_grid = _weighted_sums(inspections["grid"][scored].astype(str), weighted, weight)
    prefixes = per_grid.index.to_series(index=None)
    out = {}
    for level in levels:
        if level in EVALUATION_LEVELS:
            sums = _weighted_sums(prefixes.str.slice(0, EVALUATION_LEVELS[level]).to_numpy(), per_grid["weighted"].to_numpy(),
                                  per_grid["weight"].to_numpy(), per_grid["inspections"].to_numpy())
        elif level in inspections:
            keys = inspections[level][scored]
            known = keys.notna().to_numpy()
            sums = _weighted_sums(keys[known].astype(str), weighted[known], weight[known])
        else:
            sums = _weighted_sums(np.array([], dtype=str), np.array([]), np.array([]))
        sums["inspection_score"] = sums["weighted"] / sums["weight"]
        out[level] = sums[["inspections", "inspection_score"]]
    return out


def _case_scores(kpis: pd.DataFrame, level: str) -> pd.DataFrame:
    rows = kpis[kpis["level"] == level].set_index("code")
    active = rows["due"] - rows["deferred"]
    case = (CASE_WEIGHTS["closure_rate"] * rows["closure_rate"] + CASE_WEIGHTS["on_time_rate"] * rows["on_time_rate"]
            + CASE_WEIGHTS["no_rework"] * (100 - rows["rework_rate"]).fillna(0.0))
    return pd.DataFrame({"cases_due": rows["due"], "case_score": case.where(active > 0, 100.0)})


def monthly_evaluation(inspections: pd.DataFrame, kpis: pd.DataFrame, previous: pd.DataFrame | None = None,
                       levels=("community", "street", "unit")) -> pd.DataFrame:
    """Score and rank every community, street and unit for the month.

    ``inspections``: the month's inspections, columns grid, kind, score (NaN when nothing applied),
    optional unit. ``kpis``: :func:`grids.kpis.monthly_kpis` of the same month. ``previous``: last
    month's result of this function (for ``rank_change``) or None.
    """
    parts = []
    inspection_scores = _inspection_scores(inspections, levels)
    for level in levels:
        scored = inspection_scores[level].join(_case_scores(kpis, level), how="outer")
        scored["inspections"] = scored["inspections"].fillna(0).astype(int)
        scored["cases_due"] = scored["cases_due"].fillna(0).astype(int)
        scored["case_score"] = scored["case_score"].fillna(100.0)
        scored["score"] = (EVALUATION_WEIGHTS["inspections"] * scored["inspection_score"]
                           + EVALUATION_WEIGHTS["cases"] * scored["case_score"]).round(2)
        scored["inspection_score"] = scored["inspection_score"].round(2)
        scored["case_score"] = scored["case_score"].round(2)
        scored["rank"] = scored["score"].rank(ascending=False, method="min")
        parts.append(scored.rename_axis("code").reset_index().assign(level=level))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["level", "code"])
    if previous is not None and len(previous):
        before = previous.set_index(["level", "code"])["rank"]
        out["rank_change"] = before.reindex(pd.MultiIndex.from_frame(out[["level", "code"]])).to_numpy() - out["rank"]
    else:
        out["rank_change"] = np.nan
    columns = ["level", "code", "inspections", "inspection_score", "cases_due", "case_score", "score", "rank",
               "rank_change"]
    return out[columns].sort_values(["level", "rank"], na_position="last", kind="stable", ignore_index=True)
