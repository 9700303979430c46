"""Facts about the register the OGC documents need (extents, regions), cached per register version."""
from __future__ import annotations

from sqlalchemy import func, select

from ..storage import repository as repo
from ..storage import register_version_now, session_scope
from ..storage.cache import VersionCache
from ..storage.schema import Grid
from .collections import bounds_of

__all__ = ["per_version", "register_facts", "regions"]

_facts = VersionCache("OGC register facts")


def per_version(name: str, engine, build):
    """Return ``build()``, computed again only when the register version moved (every write bumps it)."""
    return _facts.get(engine, register_version_now(engine), build, key=(name,))


def regions(engine):
    """Return every region (code, name, level, parent, geometry in EPSG:4326), as the export reads them."""
    def load():
        with session_scope(engine) as session:
            return repo.load_regions(session)
    return per_version("regions", engine, load)


def _union(a, b):
    if a is None or b is None:
        return a or b
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def register_facts(engine) -> dict:
    """Return {'grids': bbox, 'regions': bbox, 'all': bbox, 'first_day': date} (bboxes in CRS84 or None)."""
    def build():
        with session_scope(engine) as session:
            row = session.execute(select(func.min(Grid.minx), func.min(Grid.miny), func.max(Grid.maxx),
                                         func.max(Grid.maxy)).where(Grid.end_date.is_(None))).one()
            first_day = session.scalar(select(func.min(Grid.start_date)))
        grids = None if row[0] is None else tuple(float(v) for v in row)
        facts = {"grids": grids, "regions": bounds_of(regions(engine)), "first_day": first_day}
        facts["all"] = _union(facts["grids"], facts["regions"])
        return facts
    return per_version("facts", engine, build)
