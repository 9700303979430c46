"""What every importer shares: the report, the features in flight, refusal and duplicates."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from grids.crs import CRSError
from grids.validation import Problem

from ..config import metric_crs
from ..errors import ValidationFailed

__all__ = ["ImportReport", "Features", "refuse_if", "make_records", "duplicate_codes", "after_write",
           "metric_crs_or_refuse", "problems_of"]


@dataclass
class ImportReport:
    """What an import did (or, with dry_run, would do)."""

    layer: str
    source: str
    dry_run: bool
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def summary(self) -> str:
        verb = "would create" if self.dry_run else "created"
        return (f"{self.layer}: {verb} {len(self.created)}, "
                f"{'would update' if self.dry_run else 'updated'} {len(self.updated)}, "
                f"unchanged {len(self.unchanged)}")

    def as_dict(self) -> dict:
        return {"layer": self.layer, "source": self.source, "dry_run": self.dry_run, "created": self.created,
                "updated": self.updated, "unchanged": self.unchanged, "notes": self.notes}


@dataclass
class Features:
    """Features read from a file or frame: properties, EPSG:4326 geometries, notes, problems."""

    props: list
    geoms: np.ndarray
    notes: list
    problems: list


def refuse_if(problems, notes, what):
    if problems:
        problems = sorted(problems, key=lambda p: (p.index if p.index is not None else -1, p.reason))
        raise ValidationFailed(f"{what}: {len(problems)} problem(s); nothing was imported", problems, notes=notes)


def make_records(feats: Features, make_record) -> list:
    records = []
    for i, props in enumerate(feats.props):
        rec, errors = make_record(props)
        rec["index"] = i
        rec["geometry"] = feats.geoms[i] if len(feats.geoms) else None
        feats.problems += [Problem(i, rec.get("code"), e) for e in errors]
        records.append(rec)
    return records


def duplicate_codes(records, key="code") -> list:
    seen, problems = {}, []
    for rec in records:
        value = rec.get(key)
        if value is None:
            continue
        if value in seen:
            problems.append(Problem(rec["index"], value, f"duplicate {key}: also feature {seen[value]}"))
        else:
            seen[value] = rec["index"]
    return problems


def after_write(on_write, session, report) -> None:
    if on_write is not None:
        session.flush()
        on_write(session, report)


def metric_crs_or_refuse(settings, geoms, problems, notes, what="grids"):
    """Return the metric CRS for the data, refusing now if coordinates cannot be measured."""
    if not geoms:
        refuse_if(problems, notes, what)
        raise ValidationFailed("no geometry to import")
    try:
        return metric_crs(settings, geoms)
    except CRSError:
        refuse_if(problems, notes, what)   # the features' own problems first, then the CRS's
        raise


def problems_of(errors: dict, refs) -> list:
    """Problems from a records function's row → reasons, each naming the row's ref (or code)."""
    return [Problem(i, refs[i], reason) for i, reasons in sorted(errors.items()) for reason in reasons]
