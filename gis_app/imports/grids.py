"""Importing grids: register checks, code assignment, diff and the versioned write."""
from __future__ import annotations

import numpy as np
import shapely
from tqdm import tqdm

from grids.codes import next_sequences, sequence_room_reason, spatial_order
from grids.crs import CRSError, area_m2, metric_crs_for, to_metric
from grids.records import grid_record
from grids.topology import check_inside_communities, check_overlaps
from grids.validation import Problem

from ..errors import ValidationFailed
from ..storage import repository as repo
from ..storage import session_scope
from .common import Features, ImportReport, after_write, duplicate_codes, make_records, refuse_if

__all__ = ["import_grids"]


def metric_crs_or_refuse(settings, geoms, problems, notes):
    """Return the metric CRS for the data, refusing now if coordinates cannot be measured."""
    if not geoms:
        refuse_if(problems, notes, "grids")
        raise ValidationFailed("no geometry to import")
    try:
        return metric_crs_for(geoms, override=settings.get("SANIGRID_METRIC_CRS"))
    except CRSError as exc:
        refuse_if(problems, notes, "grids")
        raise ValidationFailed(str(exc)) from None


def import_grids(engine, settings, feats: Features, dry_run, by, on_write=None, retire=()) -> ImportReport:
    records = make_records(feats, grid_record)
    feats.problems += duplicate_codes(records)
    communities = sorted({r["community"] for r in records if r.get("community")})
    with session_scope(engine) as session:
        context = _grid_context(session, communities, [r["code"] for r in records if r.get("code")])
    room = _sequence_room(records, context["used"])
    if room:  # the code rule's limit: refused at once, before the geometry checks
        refuse_if(feats.problems + room, feats.notes, "grids")
    retire = sorted(set(retire) - {r.get("code") for r in records})
    context["siblings"] = [s[~s["code"].isin(retire)] for s in context["siblings"]]
    bad = {p.index for p in feats.problems}
    metric = metric_crs_or_refuse(settings, [r["geometry"] for r in records if r["geometry"] is not None and r["index"] not in bad],
                     feats.problems, feats.notes)
    feats.problems += _check_grids_against_register(records, context, metric, settings)
    refuse_if(feats.problems, feats.notes, "grids")
    _assign_codes(records, context["used"], metric)
    areas = area_m2([r["geometry"] for r in records], metric) if records else []
    for rec, area in zip(records, areas):
        rec["area_m2"] = round(float(area), 2)
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
            changed = [r for r in records if r["code"] not in report.unchanged]
            # A bar on a terminal, nothing when piped or under test (tqdm's disable=None).
            for rec in tqdm(changed, desc="writing grids", unit="grid", disable=None, leave=False):
                repo.write_grid(session, rec, by, at)
            repo.bump_register_version(session)
            after_write(on_write, session, report)
    return report


def _grid_context(session, communities, codes) -> dict:
    regions = repo.load_regions(session, level="community")
    regions = regions[regions["code"].isin(communities)]
    stored = repo.load_grids(session, retired=True, codes=codes)
    siblings = [repo.load_grids(session, under=c) for c in communities]
    return {
        "communities": dict(zip(regions["code"], regions.geometry)),
        "retired": set(stored.loc[stored["end_date"].notna(), "code"]) if len(stored) else set(),
        "used": {c: repo.used_grid_codes(session, c) for c in communities},
        "siblings": siblings,
    }


def _check_grids_against_register(records, context, metric, settings) -> list:
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
    problems += _remap(ok, check_inside_communities(
        [r.get("code") for r in ok], [r["community"] for r in ok], [r["geometry"] for r in ok],
        context["communities"], metric, settings["SANIGRID_OUTSIDE_TOLERANCE_M"]))
    incoming = {r.get("code") for r in ok}
    others = [s[~s["code"].isin(incoming)] for s in context["siblings"] if len(s)]
    other_codes = [c for s in others for c in s["code"]]
    other_geoms = [g for s in others for g in s.geometry]
    problems += _remap(ok, check_overlaps([r.get("code") for r in ok], [r["geometry"] for r in ok],
                                          other_codes, other_geoms, metric,
                                          settings["SANIGRID_OVERLAP_TOLERANCE_M2"]))
    return problems


def _sequence_room(records, used: dict) -> list:
    """Refuse, before any geometry work, more code-less grids than a community's 999 sequences allow."""
    counts = {}
    for rec in records:
        if not rec.get("code") and rec.get("community") in used:
            counts[rec["community"]] = counts.get(rec["community"], 0) + 1
    taken = [r["code"] for r in records if r.get("code")]
    reasons = {c: sequence_room_reason(used[c] + taken, c, n) for c, n in counts.items()}
    return [Problem(None, None, reason) for reason in reasons.values() if reason]


def _remap(subset, problems) -> list:
    """Map problem indices of a subset back to feature indices in the file."""
    return [Problem(subset[p.index]["index"], p.code, p.reason) for p in problems]


def _assign_codes(records, used: dict, metric) -> None:
    """Give code-less grids the next free codes of their community, west→east, north→south."""
    by_community = {}
    for rec in records:
        if not rec.get("code"):
            by_community.setdefault(rec["community"], []).append(rec)
    for community, recs in by_community.items():
        taken = used.get(community, []) + [r["code"] for r in records if r.get("code")]
        points = to_metric([shapely.point_on_surface(r["geometry"]) for r in recs], metric)
        xs, ys = shapely.get_x(points), shapely.get_y(points)
        sizes = np.sqrt(shapely.area(to_metric([r["geometry"] for r in recs], metric)))
        # Rows half a typical grid tall: grids of one row share a band, the next row falls below it.
        order = spatial_order(list(xs), list(ys), row_height=float(np.median(sizes)) / 2 or 1.0)
        for rec, code in zip((recs[i] for i in order), next_sequences(taken, community, len(recs))):
            rec["code"] = code


def _grid_diff(session, records, report) -> None:
    stored = repo.load_grids(session, codes=[r["code"] for r in records]).set_index("code")
    fields = ("community", "name", "type", "households", "population", "sign_lon", "sign_lat")
    for rec in records:
        if rec["code"] not in stored.index:
            report.created.append(rec["code"])
            continue
        old = stored.loc[rec["code"]]
        same = all(_same(old.get(f), rec[f]) for f in fields) and shapely.equals_exact(
            old.geometry, rec["geometry"], 1e-9) and _attrs_of(old) == rec["attrs"]
        (report.unchanged if same else report.updated).append(rec["code"])


def _same(a, b) -> bool:
    a_missing = a is None or (isinstance(a, float) and np.isnan(a))
    b_missing = b is None or (isinstance(b, float) and np.isnan(b))
    return (a_missing and b_missing) or a == b


def _attrs_of(row) -> dict:
    skip = set(repo.GRID_COLUMNS) | {"geometry"}
    return {k: v for k, v in row.items() if k not in skip and not _same(v, None)}
