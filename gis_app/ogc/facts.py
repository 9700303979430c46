"""Facts about the register the OGC documents need (extents, the metric CRS), cached per register version."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from ..storage import repository as repo
from ..storage import session_scope
from ..storage.schema import Grid
from .collections import bounds_of

__all__ = ["register_facts"]

_lock = threading.Lock()
_cache: dict = {}


def _union(a, b):
    if a is None or b is None:
        return a or b
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def register_facts(engine) -> dict:
    """Return {'grids': bbox, 'regions': bbox, 'all': bbox, 'first_day': date} (bboxes in CRS84 or None)."""
    with session_scope(engine) as session:
        version = repo.register_version(session)
        key = str(engine.url)
        cached = _cache.get(key)
        if cached and cached[0] == version:
            return cached[1]
        row = session.execute(select(func.min(Grid.minx), func.min(Grid.miny), func.max(Grid.maxx),
                                     func.max(Grid.maxy)).where(Grid.end_date.is_(None))).one()
        first_day = session.scalar(select(func.min(Grid.start_date)))
        regions = repo.load_regions(session)
    grids = None if row[0] is None else tuple(float(v) for v in row)
    facts = {"grids": grids, "regions": bounds_of(regions), "first_day": first_day}
    facts["all"] = _union(facts["grids"], facts["regions"])
    with _lock:
        _cache[key] = (version, facts)
    return facts
