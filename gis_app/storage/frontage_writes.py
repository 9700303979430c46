"""Writes of the frontage, place, road and building layers: bulk upserts by ref, deletes, layer versions.

Every function runs in the caller's write session (one transaction per import or API write).
Frontages and places keep a version per row (the API's ETag) and who wrote it when; every write
of a layer bumps that layer's version (``meta``), which the list ETags are made of. The grid
register's own version is left alone: the grid caches (locate answers, the live index) stay valid.
"""
from __future__ import annotations

import numpy as np
import shapely
from sqlalchemy import bindparam, delete, insert, select, update

from .schema import Building, Frontage, Meta, Place, Road

__all__ = ["bump_layer_version", "stored_records", "upsert_layer", "delete_row", "FRONTAGE_FIELDS",
           "PLACE_FIELDS", "ROAD_FIELDS", "BUILDING_FIELDS", "MODELS"]

FRONTAGE_FIELDS = ("unit_name", "unit_kind", "credit_code", "contact", "phone", "address", "liable", "item_set",
                   "items", "signed_on", "expires_on", "status", "photo", "road", "length_m")
PLACE_FIELDS = ("kind", "name", "operator", "contact", "phone", "address", "licence_no", "licence_expires",
                "health_certs", "staff")
ROAD_FIELDS = ("name", "kind", "width_m")
BUILDING_FIELDS = ("households",)
MODELS = {"frontages": (Frontage, FRONTAGE_FIELDS), "places": (Place, PLACE_FIELDS), "roads": (Road, ROAD_FIELDS),
          "buildings": (Building, BUILDING_FIELDS)}
_VERSIONED = ("frontages", "places")
_CHUNK = 5000


def bump_layer_version(session, layer: str) -> int:
    """Increase a layer's version inside the caller's transaction; return the new version."""
    key = f"{layer}_version"
    row = session.get(Meta, key)
    if row is None:
        row = Meta(key=key, value="0")
        session.add(row)
    row.value = str(int(row.value) + 1)
    return int(row.value)


def stored_records(session, layer: str, refs) -> dict:
    """Return ref → stored fields (``attrs``, ``version`` and ``geometry`` too) of the given refs."""
    model, fields = MODELS[layer]
    extra = ("attrs", "version") if layer in _VERSIONED else ()
    columns = [model.ref, *(getattr(model, f) for f in fields + extra), model.geom]
    refs = sorted(set(refs))
    out = {}
    for i in range(0, len(refs), _CHUNK):
        for row in session.execute(select(*columns).where(model.ref.in_(refs[i:i + _CHUNK]))):
            record = dict(zip(("ref", *fields, *extra), row[:-1]))
            record["geometry"] = shapely.from_wkb(row[-1])
            out[row[0]] = record
    return out


def upsert_layer(session, layer: str, records: list[dict], by: str, at, versions: dict | None = None) -> list[str]:
    """Insert or update rows by ref from validated records (fields, ``attrs``, ``geometry`` in EPSG:4326).

    ``versions``: ref → stored version of the refs already there (read by the caller's diff; read
    here when not given). Returns 'created' or 'updated' per record; bumps the layer's version.
    """
    if not records:
        return []
    model, fields = MODELS[layer]
    versioned = layer in _VERSIONED
    if versions is None:
        versions = {ref: rec.get("version", 0) for ref, rec in stored_records(session, layer,
                                                                              [r["ref"] for r in records]).items()}
    geoms = np.asarray([r["geometry"] for r in records], dtype=object)
    wkb, bounds = shapely.to_wkb(geoms), shapely.bounds(geoms)
    rows = []
    for i, rec in enumerate(records):
        row = {"ref": rec["ref"], **{f: rec.get(f) for f in fields}, "geom": wkb[i],
               "minx": float(bounds[i, 0]), "miny": float(bounds[i, 1]), "maxx": float(bounds[i, 2]),
               "maxy": float(bounds[i, 3]), "updated_at": at}
        if versioned:
            row.update(version=(versions.get(rec["ref"]) or 0) + 1, attrs=rec.get("attrs") or {}, updated_by=by)
        rows.append(row)
    new = [r for r in rows if r["ref"] not in versions]
    changed = [{**r, "key": r["ref"]} for r in rows if r["ref"] in versions]
    session.flush()
    if new:
        session.execute(insert(model.__table__), new)
    if changed:
        table = model.__table__
        session.execute(update(table).where(table.c.ref == bindparam("key")), changed)
    bump_layer_version(session, layer)
    return ["updated" if r["ref"] in versions else "created" for r in rows]


def delete_row(session, layer: str, ref: str) -> bool:
    """Delete one row by ref; False when there is none. Bumps the layer's version."""
    model, _ = MODELS[layer]
    gone = session.execute(delete(model).where(model.ref == ref)).rowcount
    if gone:
        bump_layer_version(session, layer)
    return bool(gone)
