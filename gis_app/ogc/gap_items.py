"""The ``gaps`` collection: the coverage-gap features of the register (gap_output.gap_features).

The analysis runs once per register version (every write bumps it) and is cached; a feature's
id names its kind and the grid or region it concerns (``hole-450203008001``, ``overlap-A-B``;
repeats get ``-2``, ``-3``), stable while the register does not change.
"""
from __future__ import annotations

import threading

from ..gap_output import gap_features
from ..gap_report import register_gaps
from ..storage import repository as repo
from ..storage import session_scope
from .collections import Collection, Extent, page_of, register
from .facts import register_facts

_lock = threading.Lock()
_cache: dict = {}


def _ids(frame) -> list[str]:
    seen: dict = {}
    out = []
    for kind, region, code, other in zip(frame["kind"], frame["region"], frame["code"], frame["other"]):
        parts = [kind] + [str(v) for v in ((code if isinstance(code, str) else region), other) if isinstance(v, str)]
        base = "-".join(parts)
        seen[base] = seen.get(base, 0) + 1
        out.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return out


def _gaps(engine, settings):
    with session_scope(engine) as session:
        version = repo.register_version(session)
    key = (str(engine.url), version)
    with _lock:
        if key in _cache:
            return _cache[key]
    frame = gap_features(register_gaps(engine, settings))
    frame.insert(0, "id", _ids(frame))
    with _lock:
        _cache.clear()
        _cache[key] = frame
    return frame


def _fetch(engine, settings, query):
    return page_of(_gaps(engine, settings), query)


def _feature(engine, settings, feature_id: str):
    frame = _gaps(engine, settings)
    frame = frame[frame["id"] == feature_id]
    return frame if len(frame) else None


def _extent(engine, settings) -> Extent:
    # Every gap is a part of a region or a grid: the register's extent holds them all.
    return Extent(register_facts(engine)["all"])


register(Collection(
    id="gaps",
    title={"zh": "覆盖缺口（空洞、缝隙、重叠、越界、缺员网格）", "en": "Coverage gaps (holes, slivers, overlaps, "
           "out of bounds, under-staffed grids)"},
    description={"zh": "全覆盖无死角检查的问题要素，与 /gaps 报告同一分析", "en": "The findings of the full-coverage "
                 "check, the same analysis as the /gaps report"},
    fetch=_fetch, feature=_feature, extent=_extent, id_column="id",
))
