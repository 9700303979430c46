"""Writes of /api/v1/frontages and /api/v1/places: scope, ETag, the import path's validation, audit.

Every create and replace goes through :func:`gis_app.imports.import_frames` (the checks of a file
import: a shop point with ``front_m`` becomes a front along the nearest road there too); the
ETag re-check, the district scope of what was written and the audit entry run inside its write
transaction (``on_write``), so a stale or out-of-scope write rolls back whole. A district-scoped
token changes only frontages and places lying in grids of its district, before and after.
"""
from __future__ import annotations

import shapely

from ..audit import record as audit
from ..auth import check_scope
from ..errors import Conflict, NotFound, PreconditionFailed, PreconditionRequired
from ..imports import import_frames
from ..storage import session_scope
from ..storage.frontage_writes import delete_row, stored_records
from ..storage.frontages import grids_of
from .grid_edits import feature_frame
from .layer_query import etag_of

__all__ = ["current_version", "create", "replace", "remove"]


def _stored(session, layer: str, ref: str) -> dict | None:
    return stored_records(session, layer, [ref]).get(ref)


def current_version(engine, layer: str, ref: str) -> int:
    """Return the stored version of a frontage or place; 404 when unknown."""
    with session_scope(engine) as session:
        row = _stored(session, layer, ref)
    if row is None:
        raise NotFound(f"{layer[:-1]} {ref} is not in the register")
    return row["version"]


def _snapshot(row: dict | None) -> dict | None:
    """A stored row as the audit log keeps it: JSON values, the geometry as WKT."""
    if row is None:
        return None
    out = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items() if k != "geometry"}
    out["geometry"] = shapely.to_wkt(row["geometry"], rounding_precision=9)
    return out


def _in_scope(session, principal, layer: str, row: dict) -> None:
    """Refuse (403) a scoped caller whose district does not hold every grid the row lies in (or no grid at all)."""
    if principal.district is None:
        return
    codes = grids_of(session, layer, [row["geometry"]])[0]
    check_scope(principal, *(codes or [None]))


def _expected(engine, principal, layer: str, ref: str, if_match: str | None) -> dict:
    """The stored row the write replaces, after the If-Match and scope checks."""
    with session_scope(engine) as session:
        row = _stored(session, layer, ref)
        if row is None:
            raise NotFound(f"{layer[:-1]} {ref} is not in the register")
        _in_scope(session, principal, layer, row)
    tag = etag_of(ref, row["version"])
    if not if_match:
        raise PreconditionRequired(f"send If-Match with the {layer[:-1]}'s ETag ({tag}) "
                                   "so that a concurrent edit is never overwritten")
    if "*" not in [t.strip() for t in if_match.split(",")] and tag not in [t.strip() for t in if_match.split(",")]:
        raise PreconditionFailed(f"{layer[:-1]} {ref} changed since you read it: it is now at version "
                                 f"{row['version']} (ETag {tag}); read it again and redo your change")
    return row


def _on_write(principal, layer: str, action: str, ref: str, before: dict | None):
    def hook(session, report):
        if before is None and ref not in report.created:
            raise Conflict(f"{layer[:-1]} {ref} already exists; change it with PUT")
        row = _stored(session, layer, ref)
        _in_scope(session, principal, layer, row)
        expected = 1 if before is None else before["version"] + (ref not in report.unchanged)
        if row["version"] != expected:
            raise PreconditionFailed(f"{layer[:-1]} {ref} was changed by someone else meanwhile; read it again")
        if ref not in report.unchanged:
            audit(session, principal.actor, action, layer, ref, _snapshot(before), _snapshot(row))
    return hook


def _write(engine, settings, principal, layer, feature, action, ref, before) -> tuple[str, int]:
    import_frames(engine, settings, layer, feature_frame(feature), by=principal.actor,
                  on_write=_on_write(principal, layer, action, ref, before))
    return ref, current_version(engine, layer, ref)


def _with_ref(engine, settings, layer: str, feature: dict) -> tuple[dict, str]:
    """The feature with its ref: given, or the one the import would make (a dry run names it)."""
    props = feature.get("properties") or {}
    if props.get("ref"):
        return feature, str(props["ref"])
    report = import_frames(engine, settings, layer, feature_frame(feature), dry_run=True)
    ref = (report.created or report.updated or report.unchanged)[0]
    return {**feature, "properties": {**props, "ref": ref}}, ref


def create(engine, settings, principal, layer: str, feature: dict) -> tuple[str, int]:
    """Create a frontage or place (POST; without a ref it gets its stable one); return (ref, version)."""
    feature, ref = _with_ref(engine, settings, layer, feature)
    return _write(engine, settings, principal, layer, feature, "create", ref, None)


def replace(engine, settings, principal, layer: str, ref: str, feature: dict, if_match) -> tuple[str, int]:
    """Replace a frontage or place whole (PUT, If-Match required); return (ref, new version)."""
    before = _expected(engine, principal, layer, ref, if_match)
    feature = {**feature, "properties": {**(feature.get("properties") or {}), "ref": ref}}
    return _write(engine, settings, principal, layer, feature, "replace", ref, before)


def remove(engine, principal, layer: str, ref: str, if_match) -> None:
    """Delete a frontage or place (DELETE, If-Match required); the audit log keeps what it was."""
    before = _expected(engine, principal, layer, ref, if_match)
    with session_scope(engine, write=True) as session:
        row = _stored(session, layer, ref)
        if row is None or row["version"] != before["version"]:
            raise PreconditionFailed(f"{layer[:-1]} {ref} was changed by someone else meanwhile; read it again")
        delete_row(session, layer, ref)
        audit(session, principal.actor, "delete", layer, ref, _snapshot(before), None)
