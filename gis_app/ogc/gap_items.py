"""The ``gaps`` collection: the coverage-gap features of the register (gap_output.gap_features).

The analysis runs once per register version (every write bumps it); a feature's id names its
kind and the grid or region it concerns (``hole-450203008001``, ``overlap-A-B``; repeats get
``-2``, ``-3``), stable while the register does not change.
"""
from __future__ import annotations

from grids.gaps import SPATIAL_KINDS

from ..gap_output import KIND_LABELS, gap_features
from ..gap_report import register_gaps
from .collections import Extent, frame_collection, register
from .facts import per_version, register_facts
from .queryables import queryable

KINDS = (*SPATIAL_KINDS, "understaffed")
_REGION = r"^(\d{6}|\d{9}|\d{12})$"
QUERYABLES = (
    queryable("kind", "string", ("缺口类别", "Kind"), ("、".join(f"{k} {KIND_LABELS[k]}" for k in KINDS),
              "one of " + ", ".join(KINDS)), enum=KINDS),
    queryable("kind_label", "string", ("类别名称", "Kind label"), ("类别的中文名称", "the kind's Chinese label"),
              enum=tuple(KIND_LABELS[k] for k in KINDS)),
    queryable("region", "string", ("所在区划", "Region"), ("缺口所在区划的编码", "code of the region the gap lies in"),
              pattern=_REGION),
    queryable("code", "string", ("网格编码", "Grid code"), ("涉及的网格（越界、重叠、缺员）", "the grid concerned "
              "(out of bounds, overlap, under-staffed)"), pattern=r"^\d{15}$"),
    queryable("other", "string", ("另一网格", "Other grid"), ("重叠的另一网格", "the other grid of an overlap"),
              pattern=r"^\d{15}$"),
    queryable("area_m2", "number", ("面积（m²）", "Area (m²)"), ("缺口面积，保留2位小数", "area of the gap, 2 decimals")),
    queryable("households", "integer", ("户数", "Households"), ("缺员网格的户数", "households of an under-staffed grid")),
    queryable("cleaner_gap", "integer", ("缺保洁员数", "Cleaners missing"), ("按配比缺少的保洁员人数",
              "cleaners missing by the ratio")),
    queryable("detail", "string", ("说明", "Detail"), ("问题说明，完全相同才匹配", "what is wrong, matched exactly"),
              max_length=2000),
)


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
    queryables=QUERYABLES,  # filtered on the analysis' frame (computed once per register version)
))
