"""Importing regions: boundaries from files, or official code lists without boundaries."""
from __future__ import annotations

import numpy as np
import shapely

from grids.codes import parent_code
from grids.records import region_record
from grids.validation import Problem

from ..storage import repository as repo
from ..storage import session_scope
from .common import Features, ImportReport, after_write, duplicate_codes, make_records, refuse_if
from .reading import read_table_or_refuse

__all__ = ["import_regions", "import_region_codes"]


def _check_parents(records, known: set) -> list:
    codes = known | {r["code"] for r in records if r.get("code")}
    problems = []
    for rec in records:
        if not rec.get("level") or rec["level"] in ("city", "district"):
            continue
        parent = parent_code(rec["code"])
        rec["parent"] = parent
        if parent not in codes:
            problems.append(Problem(rec["index"], rec["code"], f"parent region {parent} is neither in the "
                                                               "register nor in this file"))
    for rec in records:
        if rec.get("level") == "district":
            rec["parent"] = parent_code(rec["code"]) if parent_code(rec["code"]) in codes else None
    return problems


def _region_diff(session, records, report):
    stored = repo.load_regions(session).set_index("code")
    for rec in records:
        if rec["code"] not in stored.index:
            report.created.append(rec["code"])
            continue
        old = stored.loc[rec["code"]]
        same_geom = rec.get("geometry") is None or (old.geometry is not None and shapely.equals_exact(
            old.geometry, rec["geometry"], 1e-9))
        bucket = report.unchanged if same_geom and old["name"] == rec["name"] else report.updated
        bucket.append(rec["code"])


def _land_regions(engine, records, report, dry_run, on_write=None):
    with session_scope(engine, write=not dry_run) as session:
        _region_diff(session, records, report)
        if not dry_run:
            repo.upsert_regions(session, [r for r in records if r["code"] not in report.unchanged], repo.now())
            repo.bump_register_version(session)
            after_write(on_write, session, report)
    return report


def import_regions(engine, settings, feats: Features, dry_run, by, on_write=None) -> ImportReport:
    records = make_records(feats, region_record)
    feats.problems += duplicate_codes(records)
    with session_scope(engine) as session:
        known = set(repo.load_regions(session)["code"])
    feats.problems += _check_parents(records, known)
    refuse_if(feats.problems, feats.notes, "regions")
    report = ImportReport("regions", "", dry_run, notes=feats.notes)
    return _land_regions(engine, records, report, dry_run, on_write)


def import_region_codes(engine, path, encoding, dry_run, by, on_write=None) -> ImportReport:
    """A code list (code, name) is a regions import whose features have no boundary."""
    rows = read_table_or_refuse(path, encoding).to_dict("records")
    feats = Features(rows, np.array([None] * len(rows), dtype=object), [], [])
    return import_regions(engine, None, feats, dry_run, by, on_write)
