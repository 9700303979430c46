"""Importing grids: register checks, code assignment, diff and the versioned write."""
from __future__ import annotations

import numpy as np
import shapely

from grids.codes import next_sequences, sequence_room_reason, spatial_order
from grids.crs import to_metric
from grids.records import grid_record
from grids.topology import check_inside_communities, check_overlaps
from grids.validation import Problem

from ..errors import ValidationFailed
from ..storage import repository as repo
from ..storage import session_scope
from .common import (Features, ImportReport, after_write, duplicate_codes, make_records, metric_crs_or_refuse,
                     refuse_if)

__all__ = ["import_grids"]


def import_grids(engine, settings, feats: Features, dry_run, by, on_write=None, retire=()) -> ImportReport:
    """Check grids against the register, assign codes, and write them in one transaction.

    A short pipeline: records → register context (a few queries however many grids) → one
    projection to the metric CRS → vectorised coverage checks → refuse or write in bulk.
    """
    records = make_records(feats, grid_record)
    feats.problems += duplicate_codes(records)
    communities = sorted({r["community"] for r in records if r.get("community")})
    retire = sorted(set(retire) - {r.get("code") for r in records})
    with session_scope(engine) as session:
        context = _grid_context(session, communities, [r["code"] for r in records if r.get("code")],
                                {r.get("code") for r in records} | set(retire))
    room = _sequence_room(records, context["used"])
    if room:  # the code rule's limit: refused at once, before the geometry checks
        refuse_if(feats.problems + room, feats.notes, "grids")
    bad = {p.index for p in feats.problems}
    metric = metric_crs_or_refuse(settings, [r["geometry"] for r in records if r["geometry"] is not None and r["index"] not in bad],
                     feats.problems, feats.notes)
    projected = _project(records, context, metric)
    feats.problems += _check_grids_against_register(records, context, projected, metric, settings)
    refuse_if(feats.problems, feats.notes, "grids")
    _assign_codes(records, context["used"], projected["grids"])
    for rec, area in zip(records, shapely.area(projected["grids"]).tolist()):
        rec["area_m2"] = round(area, 2)
    report = ImportReport("grids", "", dry_run, notes=feats.notes)
    if retire:
        report.notes.append(f"{'would retire' if dry_run else 'retired'} {len(retire)} grid(s) replaced: "
                            + ", ".join(retire))
    with session_scope(engine, write=not dry_run) as session:
        _grid_diff(session, records, report)
        if not dry_run:
            at = repo.now()
            for code in retire:
                repo.retire_grid(session, code, by, at)
            unchanged = set(report.unchanged)
            repo.write_grids(session, [r for r in records if r["code"] not in unchanged], by, at)
            repo.bump_register_version(session)
            after_write(on_write, session, report)
    return report


def _grid_context(session, communities, codes, leaving) -> dict:
    """What the checks need from the register: boundaries, retired codes, used codes, sibling grids.

    ``leaving``: codes whose stored geometry is not compared against (the file's own grids and
    the grids it retires).
    """
    regions = repo.load_regions(session, level="community")
    regions = regions[regions["code"].isin(communities)]
    siblings = repo.active_grids_of(session, communities)
    known = repo.grid_codes_of(session, communities)
    return {
        "communities": dict(zip(regions["code"], regions.geometry)),
        "retired": set(known.loc[known["retired"].astype(bool), "code"]) & set(codes),
        "used": {c: list(g) for c, g in known.groupby("community")["code"]},
        "siblings": siblings[~siblings["code"].isin(leaving)],
    }


def _project(records, context, metric) -> dict:
    """Project the file's grids, their communities and the sibling grids to ``metric``, once each."""
    geoms = np.asarray([r["geometry"] for r in records], dtype=object)
    present = np.flatnonzero([g is not None for g in geoms])
    grids = np.full(len(geoms), None, dtype=object)
    grids[present] = to_metric(geoms[present], metric)
    wanted = [c for c, g in context["communities"].items() if g is not None]
    shells = to_metric([context["communities"][c] for c in wanted], metric) if wanted else []
    siblings = context["siblings"]
    siblings = to_metric(siblings["geometry"].to_numpy(), metric) if len(siblings) else np.array([], dtype=object)
    return {"grids": grids, "communities": dict(zip(wanted, shells)), "siblings": siblings}


def _check_grids_against_register(records, context, projected, metric, settings) -> list:
    problems = []
    for rec in records:
        if rec.get("community") and rec["community"] not in context["communities"]:
            problems.append(Problem(rec["index"], rec.get("code"),
                                    f"community {rec['community']} is not in the register (import regions first)"))
        if rec.get("code") in context["retired"]:
            problems.append(Problem(rec["index"], rec["code"], "this grid code was retired; a retired code "
                                                               "is never reused"))
    ok = [r for r in records if r["geometry"] is not None and r.get("community") in context["communities"]]
    if not ok:
        return problems
    geoms = projected["grids"][[r["index"] for r in ok]]
    codes = [r.get("code") for r in ok]
    problems += _remap(ok, check_inside_communities(codes, [r["community"] for r in ok], geoms,
                                                    projected["communities"], metric,
                                                    settings["SANIGRID_OUTSIDE_TOLERANCE_M"]))
    problems += _remap(ok, check_overlaps(codes, geoms, context["siblings"]["code"].tolist(), projected["siblings"],
                                          metric, settings["SANIGRID_OVERLAP_TOLERANCE_M2"]))
    return problems


def _sequence_room(records, used: dict) -> list:
    """Refuse, before any geometry work, more code-less grids than a community's 999 sequences allow."""
    counts = {}
    for rec in records:
        if not rec.get("code") and rec.get("community"):
            counts[rec["community"]] = counts.get(rec["community"], 0) + 1
    taken = [r["code"] for r in records if r.get("code")]
    reasons = {c: sequence_room_reason(used.get(c, []) + taken, c, n) for c, n in counts.items()}
    return [Problem(None, None, reason) for reason in reasons.values() if reason]


def _remap(subset, problems) -> list:
    """Map problem indices of a subset back to feature indices in the file."""
    return [Problem(subset[p.index]["index"], p.code, p.reason) for p in problems]


def _assign_codes(records, used: dict, metric_geoms) -> None:
    """Give code-less grids the next free codes of their community, west→east, north→south."""
    by_community = {}
    for rec in records:
        if not rec.get("code"):
            by_community.setdefault(rec["community"], []).append(rec)
    for community, recs in by_community.items():
        taken = used.get(community, []) + [r["code"] for r in records if r.get("code")]
        geoms = metric_geoms[[r["index"] for r in recs]]
        points = shapely.point_on_surface(geoms)
        xs, ys = shapely.get_x(points), shapely.get_y(points)
        sizes = np.sqrt(shapely.area(geoms))
        # Rows half a typical grid tall: grids of one row share a band, the next row falls below it.
        order = spatial_order(list(xs), list(ys), row_height=float(np.median(sizes)) / 2 or 1.0)
        for rec, code in zip((recs[i] for i in order), next_sequences(taken, community, len(recs))):
            rec["code"] = code


def _grid_diff(session, records, report) -> None:
    """Sort the records into created, updated and unchanged against the stored grids (one bulk read)."""
    stored = repo.active_grids_of(session, sorted({r["community"] for r in records}), fields=True)
    stored = stored[stored["code"].isin({r["code"] for r in records})].set_index("code")
    fields = ("community", "name", "type", "households", "population", "sign_lon", "sign_lat")
    there = [r for r in records if r["code"] in stored.index]
    old = stored.loc[[r["code"] for r in there]] if there else stored
    new = np.asarray([r["geometry"] for r in there], dtype=object)
    same_shape = shapely.equals_exact(old["geometry"].to_numpy(), new, 1e-9) if there else []
    same = {r["code"]: bool(shape) and all(_same(o[f], r[f]) for f in fields) and _attrs_of(o["attrs"]) == r["attrs"]
            for r, o, shape in zip(there, old.to_dict("records"), same_shape)}
    for rec in records:
        if rec["code"] not in same:
            report.created.append(rec["code"])
        else:
            (report.unchanged if same[rec["code"]] else report.updated).append(rec["code"])


def _same(a, b) -> bool:
    a_missing = a is None or (isinstance(a, float) and np.isnan(a))
    b_missing = b is None or (isinstance(b, float) and np.isnan(b))
    return (a_missing and b_missing) or a == b


def _attrs_of(attrs) -> dict:
    return {k: v for k, v in (attrs or {}).items() if not _same(v, None)}
