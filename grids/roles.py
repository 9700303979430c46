"""Role kinds of the people who serve a grid (网格长 and the five kinds, 5类人员)."""
from __future__ import annotations

__all__ = ["LEADER", "CLEANER", "ROLE_KINDS", "FIVE_KINDS", "ROLE_LABELS", "parse_role", "GRID_TYPES",
           "parse_grid_type"]

LEADER = "leader"
CLEANER = "cleaner"
ROLE_LABELS = {
    "leader": "网格长",
    "cleaner": "保洁员",
    "patroller": "巡查员",
    "manager": "管理责任人",
    "supervisor": "监督员",
    "volunteer": "志愿者",
}
ROLE_KINDS = tuple(ROLE_LABELS)
FIVE_KINDS = ROLE_KINDS[1:]
_ROLE_BY_LABEL = {label: kind for kind, label in ROLE_LABELS.items()}

GRID_TYPES = {
    "residential": "居民小区",
    "commercial": "商业街",
    "urban_village": "城中村",
    "market": "农贸市场",
    "park": "公园",
    "industrial": "工业区",
    "other": "其他",
}
_TYPE_BY_LABEL = {label: kind for kind, label in GRID_TYPES.items()}


def parse_role(value) -> str:
    """Return the role kind for an English key or a Chinese label (网格长, 保洁员, …)."""
    text = str(value or "").strip()
    kind = text.lower() if text.lower() in ROLE_LABELS else _ROLE_BY_LABEL.get(text)
    if kind is None:
        raise ValueError(f"unknown role {text!r}; expected one of "
                         + ", ".join(f"{k} ({v})" for k, v in ROLE_LABELS.items()))
    return kind


def parse_grid_type(value) -> str:
    """Return the grid type key for an English key or Chinese label; empty means 'other'."""
    text = str(value or "").strip()
    if not text:
        return "other"
    kind = text.lower() if text.lower() in GRID_TYPES else _TYPE_BY_LABEL.get(text)
    if kind is None:
        raise ValueError(f"unknown grid type {text!r}; expected one of "
                         + ", ".join(f"{k} ({v})" for k, v in GRID_TYPES.items()))
    return kind
