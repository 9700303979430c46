"""The ``regions`` collection: district 区, street 街道 and community 社区 boundaries, as the export writes them."""
from __future__ import annotations

from .collections import Extent, frame_collection, register
from .facts import regions, register_facts

register(frame_collection(
    id="regions",
    title={"zh": "行政区划（区县、街道、社区）", "en": "Regions (districts, streets, communities)"},
    description={"zh": "区县（6位）、街道（9位）、社区（12位）边界", "en": "District (6-digit), street (9-digit) "
                 "and community (12-digit) boundaries"},
    load=lambda engine, settings: regions(engine),
    extent=lambda engine, settings: Extent(register_facts(engine)["regions"]),
))
