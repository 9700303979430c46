"""The ``regions`` collection: district 区, street 街道 and community 社区 boundaries, as the export writes them."""
from __future__ import annotations

from ..storage import repository as repo
from ..storage import session_scope
from .collections import Collection, Extent, page_of, register
from .facts import register_facts


def _regions(engine):
    with session_scope(engine) as session:
        return repo.load_regions(session)


def _fetch(engine, settings, query):
    return page_of(_regions(engine), query)


def _feature(engine, settings, code: str):
    frame = _regions(engine)
    frame = frame[frame["code"] == code]
    return frame if len(frame) else None


def _extent(engine, settings) -> Extent:
    return Extent(register_facts(engine)["regions"])


register(Collection(
    id="regions",
    title={"zh": "行政区划（区县、街道、社区）", "en": "Regions (districts, streets, communities)"},
    description={"zh": "区县（6位）、街道（9位）、社区（12位）边界", "en": "District (6-digit), street (9-digit) "
                 "and community (12-digit) boundaries"},
    fetch=_fetch, feature=_feature, extent=_extent,
))
