"""Grid writes for the API: scope, ETag, the import path's validation, audit: one transaction each.

Every create, replace and patch goes through :func:`gis_app.imports.import_frames` (the same
validation as a file import); the ETag re-check and the audit entry run inside its write
transaction (``on_write``), so a stale write rolls back whole.
"""
from __future__ import annotations

import geopandas as gpd
import orjson
from shapely.geometry import mapping
from sqlalchemy import select

from grids.geojson_ import parse_geojson_bytes

from ..audit import record as audit
from ..auth import check_scope
from ..errors import Conflict, NotFound, PreconditionFailed, PreconditionRequired, ValidationFailed
from ..imports import import_frames
from ..storage import repository as repo
from ..storage import session_scope
from ..storage.schema import Grid, GridHistory

__all__ = ["etag_of", "current_version", "create_grid", "replace_grid", "patch_grid", "retire", "feature_frame"]


def etag_of(code: str, version: int) -> str:
    """Return the strong ETag of one version of a grid."""
    return f'"{code}-v{version}"'


def current_version(engine, code: str, *, active: bool = True) -> int:
    """Return the stored version of a grid; 404 when unknown (or retired, with ``active``)."""
    with session_scope(engine) as session:
        row = session.execute(select(Grid.version, Grid.end_date).where(Grid.code == code)).first()
    if row is None or (active and row.end_date is not None):
        raise NotFound(f"grid {code} is not {'an active grid ' if active else ''}in the register")
    return row.version


def _expected(engine, code: str, if_match: str | None) -> int:
    version = current_version(engine, code)
    if not if_match:
        raise PreconditionRequired(f"send If-Match with the grid's ETag ({etag_of(code, version)}) "
                                   "so that a concurrent edit is never overwritten")
    tags = [t.strip() for t in if_match.split(",")]
    if "*" not in tags and etag_of(code, version) not in tags:
        raise PreconditionFailed(f"grid {code} changed since you read it: it is now at version {version} "
                                 f"(ETag {etag_of(code, version)}); read it again and redo your change")
    return version


def feature_frame(feature: dict) -> gpd.GeoDataFrame:
    """Parse one GeoJSON Feature through the strict reader used for files."""
    try:
        document = orjson.dumps({"type": "FeatureCollection", "features": [feature]})
    except orjson.JSONEncodeError as exc:
        raise ValidationFailed(f"the feature is not valid GeoJSON: {exc}") from None
    parsed = parse_geojson_bytes(document)
    if parsed.problems:
        raise ValidationFailed("the feature is not valid GeoJSON", parsed.problems)
    rec = parsed.records[0]
    return gpd.GeoDataFrame([dict(rec["properties"] or {})], geometry=[rec["geometry"]], crs="EPSG:4326")


def _snapshot(session, code: str, version: int):
    """Return the stored record of one version of a grid (its history row)."""
    return session.scalar(select(GridHistory.record).where(GridHistory.code == code, GridHistory.version == version))


def _on_write(principal, action, code, expected):
    def hook(session, report):
        row = session.get(Grid, code)
        if expected is None and (code in report.updated or code in report.unchanged):  # a create, of a grid that is there
            raise Conflict(f"grid {code} already exists; change it with PUT or PATCH")
        if code in report.unchanged:
            return _check_still(row, expected)
        if expected is not None and row.version != expected + 1:
            raise PreconditionFailed(f"grid {code} was changed by someone else meanwhile; read it again")
        before = _snapshot(session, code, row.version - 1) if expected is not None else None
        audit(session, principal.actor, action, "grids", code, before, _snapshot(session, code, row.version))
    return hook


def _check_still(row, expected):
    if expected is not None and row.version != expected:
        raise PreconditionFailed(f"grid {row.code} was changed by someone else meanwhile; read it again")


def _write(engine, settings, principal, feature, action, code, expected) -> tuple[str, int]:
    import_frames(engine, settings, "grids", feature_frame(feature), by=principal.actor,
                  on_write=_on_write(principal, action, code, expected))
    return code, current_version(engine, code)


def create_grid(engine, settings, principal, feature: dict) -> tuple[str, int]:
    """Create a grid (its code assigned when absent); return (code, version)."""
    props = feature.get("properties") or {}
    community = props.get("community") or (props.get("code") or "")[:12] or None
    check_scope(principal, *([c for c in (community, props.get("code")) if c] or [None]))
    if not props.get("code"):
        frame = feature_frame(feature)
        report = import_frames(engine, settings, "grids", frame, dry_run=True)
        props = {**props, "code": report.created[0]}
        feature = {**feature, "properties": props}
    return _write(engine, settings, principal, feature, "create", props["code"], None)


def replace_grid(engine, settings, principal, code: str, feature: dict, if_match) -> tuple[str, int]:
    """Replace a grid whole (PUT); return (code, new version)."""
    check_scope(principal, code)
    expected = _expected(engine, code, if_match)
    props = {**(feature.get("properties") or {}), "code": code}
    return _write(engine, settings, principal, {**feature, "properties": props}, "replace", code, expected)


def patch_grid(engine, settings, principal, code: str, patch: dict, if_match) -> tuple[str, int]:
    """Change some properties and/or the geometry of a grid (PATCH); return (code, new version)."""
    check_scope(principal, code)
    expected = _expected(engine, code, if_match)
    with session_scope(engine) as session:
        current = repo.load_grids(session, codes=[code]).iloc[0]
    skip = {"geometry", "area_m2", "version", "start_date", "end_date"}
    props = {k: v for k, v in current.items() if k not in skip and v is not None and v == v}
    props.update(patch.get("properties") or {})
    props["code"] = code
    geometry = patch.get("geometry") or mapping(current.geometry)
    feature = {"type": "Feature", "properties": props, "geometry": geometry}
    return _write(engine, settings, principal, orjson.loads(orjson.dumps(feature, option=orjson.OPT_SERIALIZE_NUMPY)),
                  "patch", code, expected)


def retire(engine, principal, code: str, if_match) -> int:
    """Retire a grid (DELETE); its history stays and its code is never reused."""
    check_scope(principal, code)
    expected = _expected(engine, code, if_match)
    with session_scope(engine, write=True) as session:
        row = session.get(Grid, code)
        if row.version != expected:
            raise PreconditionFailed(f"grid {code} was changed by someone else meanwhile; read it again")
        before = _snapshot(session, code, row.version)
        repo.retire_grid(session, code, principal.actor, repo.now())
        repo.bump_register_version(session)
        audit(session, principal.actor, "retire", "grids", code, before, _snapshot(session, code, row.version))
        return row.version
