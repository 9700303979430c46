"""The ``regions`` collection: district 区, street 街道 and community 社区 boundaries, as the export writes them."""
from __future__ import annotations

from .collections import Extent, frame_collection, register
from .facts import regions, register_facts
from .queryables import queryable

REGION_CODE = r"^(\d{6}|\d{9}|\d{12})$"
QUERYABLES = (
    queryable("code", "string", ("区划编码", "Region code"), ("区县6位、街道9位、社区12位编码",
              "6-digit district, 9-digit street or 12-digit community code"), pattern=REGION_CODE),
    queryable("name", "string", ("名称", "Name"), ("区划名称，完全相同才匹配", "region name, matched exactly"),
              max_length=200),
    queryable("level", "string", ("级别", "Level"), ("district 区县、street 街道、community 社区",
              "district, street or community"), enum=("district", "street", "community")),
    queryable("parent", "string", ("上级区划", "Parent region"), ("上级区划的编码（区县无上级）",
              "code of the region above (a district has none)"), pattern=REGION_CODE),
)

register(frame_collection(
    id="regions",
    title={"zh": "行政区划（区县、街道、社区）", "en": "Regions (districts, streets, communities)"},
    description={"zh": "区县（6位）、街道（9位）、社区（12位）边界", "en": "District (6-digit), street (9-digit) "
                 "and community (12-digit) boundaries"},
    load=lambda engine, settings: regions(engine),
    extent=lambda engine, settings: Extent(register_facts(engine)["regions"]),
    queryables=QUERYABLES,  # filtered on the cached frame (the regions are loaded whole per register version)
))
