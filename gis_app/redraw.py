"""Redraw the communities of a street or district whose grids miss the household bounds or leave gaps.

Which communities: the gap report of ``sanigrid gaps`` (holes, slivers, overlaps, grids
outside their community) and the household bounds of ``sanigrid assign-grids``. Each redraw
is :func:`gis_app.assignment.assign_grids` itself, so a redraw from a script and from the
command are one implementation; the figures before are measured as the proposal's are
(households CV, Polsby-Popper compactness in the metric CRS).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from grids.assign import Bounds, polsby_popper
from grids.crs import CRSError, metric_crs_for, to_metric
from grids.gaps import SPATIAL_KINDS

from .assignment import GridProposal, assign_grids
from .errors import SanigridError, ValidationFailed, checked_region_code
from .gap_report import register_gaps
from .storage import repository as repo
from .storage import session_scope

__all__ = ["RedrawResult", "communities_to_redraw", "grid_figures", "redraw_community"]

_GAP_LABELS = {"hole": "空洞 hole", "sliver": "缝隙 sliver", "overlap": "重叠 overlap", "outside": "越界 outside"}


def communities_to_redraw(engine, settings, under: str, bounds: Bounds) -> pd.DataFrame:
    """Communities under a street or district to redraw: code, name, why (grids out of bounds, gaps)."""
    under = checked_region_code(under)
    if len(under) not in (6, 9):
        raise ValidationFailed(f"give a street (9-digit) or district (6-digit) code, got {under!r}")
    result = register_gaps(engine, settings, under)
    communities = result.regions[(result.regions["level"] == "community")
                                 & result.regions["code"].str.startswith(under)]
    why: dict = {}
    for code, households in zip(result.grids["code"], result.grids["households"].fillna(0)):
        if not bounds.contains(int(households)):
            why.setdefault(code[:12], []).append(f"{code} 户数 {int(households)} 不在 "
                                                 f"{bounds.min_households}–{bounds.max_households}")
    found = result.report.findings
    for kind, region, grid in zip(found["kind"], found["region"], found["code"]):
        if kind in SPATIAL_KINDS:
            community = grid[:12] if isinstance(grid, str) and len(grid) == 15 else region
            why.setdefault(community, []).append(_GAP_LABELS[kind])
    rows = [{"community": c, "name": n, "why": "；".join(dict.fromkeys(why[c]))}
            for c, n in zip(communities["code"], communities["name"]) if c in why]
    return pd.DataFrame(rows, columns=["community", "name", "why"])


def grid_figures(engine, settings, community: str) -> dict:
    """Today's grids of a community: count, households CV and mean Polsby-Popper (metric CRS)."""
    with session_scope(engine) as session:
        grids = repo.load_grids(session, under=community)
    if grids.empty:
        return {"grids": 0, "households_cv": None, "polsby_popper_mean": None}
    geoms = np.asarray(grids.geometry.array, dtype=object)
    try:
        metric = metric_crs_for(list(geoms), override=settings.get("SANIGRID_METRIC_CRS"))
    except CRSError as exc:
        raise ValidationFailed(str(exc)) from None
    h = grids["households"].fillna(0).to_numpy(float)
    return {"grids": len(grids), "households_cv": round(float(h.std() / h.mean()), 4) if h.mean() else 0.0,
            "polsby_popper_mean": round(float(polsby_popper(to_metric(geoms, metric)).mean()), 4)}


@dataclass
class RedrawResult:
    """One community's line of the summary and its proposal (None when assign-grids refused)."""

    row: dict
    proposal: GridProposal | None


def redraw_community(engine, settings, community: str, name: str, *, bounds: Bounds, apply: bool = False,
                     seed: int = 0, by: str = "redraw_communities") -> RedrawResult:
    """Redraw one community as ``sanigrid assign-grids`` does (written only with ``apply``)."""
    before = grid_figures(engine, settings, community)
    row = {"community": community, "name": name, "grids_before": before["grids"],
           "households_cv_before": before["households_cv"], "polsby_popper_before": before["polsby_popper_mean"]}
    try:
        proposal = assign_grids(engine, settings, community, bounds=bounds, dry_run=not apply, seed=seed, by=by)
    except SanigridError as exc:  # e.g. a community without grids or buildings: its line says why
        row.update(grids_after=None, households_cv_after=None, polsby_popper_after=None, within_bounds_after=None,
                   written=False, refused=exc.detail)
        return RedrawResult(row, None)
    report = proposal.report
    row.update(grids_after=report["grids"], households_cv_after=report["households_cv"],
               polsby_popper_after=report["polsby_popper_mean"], within_bounds_after=report["within_bounds"],
               written=proposal.imported is not None, refused=None)
    return RedrawResult(row, proposal)
