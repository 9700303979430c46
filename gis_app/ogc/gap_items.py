"""The ``gaps`` collection: the coverage-gap features of the register (gap_output.gap_features).

The analysis runs once per register version (every write bumps it); a feature's id names its
kind and the grid or region it concerns (``hole-450203008001``, ``overlap-A-B``; repeats get
``-2``, ``-3``), stable while the register does not change.
"""
from __future__ import annotations

from ..gap_output import gap_features
from ..gap_report import register_gaps
from .collections import Extent, frame_collection, register
from .facts import per_version, register_facts


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
    def build():
        frame = gap_features(register_gaps(engine, settings))
        frame.insert(0, "id", _ids(frame))
        return frame
    return per_version("gaps", engine, build)


register(frame_collection(
    id="gaps",
    title={"zh": "覆盖缺口（空洞、缝隙、重叠、越界、缺员网格）", "en": "Coverage gaps (holes, slivers, overlaps, "
           "out of bounds, under-staffed grids)"},
    description={"zh": "全覆盖无死角检查的问题要素，与 /gaps 报告同一分析", "en": "The findings of the full-coverage "
                 "check, the same analysis as the /gaps report"},
    load=_gaps, id_column="id",
    # Every gap is a part of a region or a grid: the register's extent holds them all.
    extent=lambda engine, settings: Extent(register_facts(engine)["all"]),
))
