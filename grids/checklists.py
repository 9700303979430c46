"""Inspection checklists and case categories: data files, not code.

An office edits a YAML or JSON file (one per inspection kind, and one of case categories with
their deadlines) without a release. Each checklist has a ``version``, the digest of its items:
an inspection keeps the version and the weights it was scored with, so a changed checklist never
rescores a past inspection (:func:`score` takes the stored items, not the current file).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path

from .text import control_character_reason

__all__ = ["INSPECTION_KINDS", "ChecklistError", "Checklist", "Category", "load_checklist", "default_checklist",
           "load_categories", "default_categories", "score", "RESULTS"]

INSPECTION_KINDS = {"daily": "日查", "weekly": "周督", "monthly": "月评", "unannounced": "季暗访"}
RESULTS = ("pass", "fail", "na")  # 合格 / 不合格 / 不适用
_MAX_ITEMS = 200
_MAX_TEXT = 200


class ChecklistError(ValueError):
    """A checklist or category file that is wrong, or results that do not fit the checklist."""


@dataclass(frozen=True)
class Checklist:
    kind: str
    name: str
    name_en: str
    items: tuple  # of dicts: key, label, label_en, weight, category
    version: str

    def item(self, key):
        return next((i for i in self.items if i["key"] == key), None)

    def as_dict(self) -> dict:
        return {"kind": self.kind, "name": self.name, "name_en": self.name_en, "version": self.version,
                "items": [dict(i) for i in self.items]}


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    label_en: str
    deadline: dict           # {"working_days": n} or {"working_hours": h}
    emergency: dict

    def due(self, calendar, registered: datetime, emergency: bool = False) -> datetime:
        """The deadline of a case of this category registered at ``registered``."""
        rule = self.emergency if emergency else self.deadline
        if "working_hours" in rule:
            return calendar.add_working_hours(registered, rule["working_hours"])
        return calendar.add_workdays(registered, rule["working_days"])


def _parse(path: Path, text: str):
    try:
        if path.suffix in (".yaml", ".yml"):
            import yaml
            return yaml.safe_load(text)
        return json.loads(text)
    except Exception as exc:  # noqa: BLE001 - any parse error is the file's fault
        raise ChecklistError(f"{path.name}: cannot be read as {'YAML' if path.suffix != '.json' else 'JSON'}: "
                             f"{str(exc).splitlines()[0]}") from None


def _text(value, where, key, required=True) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ChecklistError(f"{where}: {key} is missing")
        return ""
    if not isinstance(value, str):
        raise ChecklistError(f"{where}: {key} must be text, got {value!r}")
    if len(value) > _MAX_TEXT:
        raise ChecklistError(f"{where}: {key} is longer than {_MAX_TEXT} characters")
    reason = control_character_reason(value, key)
    if reason:
        raise ChecklistError(f"{where}: {reason}")
    return value.strip()


def _deadline(rule, where) -> dict:
    if not isinstance(rule, dict) or len(set(rule) & {"working_days", "working_hours"}) != 1:
        raise ChecklistError(f"{where}: a deadline is one of working_days or working_hours")
    (unit, amount), = ((k, v) for k, v in rule.items() if k in ("working_days", "working_hours"))
    integral = unit == "working_days"
    if isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount <= 0 or (
            integral and amount != int(amount)) or amount > 366:
        raise ChecklistError(f"{where}: {unit} must be a {'whole ' if integral else ''}number above 0 "
                             f"and at most 366, got {amount!r}")
    return {unit: int(amount) if integral else float(amount)}


def load_categories(path) -> dict:
    """Read a category file: ``key: {label, label_en, working_days|working_hours, emergency}``."""
    path = Path(path)
    data = _parse(path, path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not data:
        raise ChecklistError(f"{path.name}: expected categories keyed by their code")
    out = {}
    for key, entry in data.items():
        where = f"{path.name}: category {key}"
        if not isinstance(key, str) or not key.replace("_", "").isalnum() or not key.isascii():
            raise ChecklistError(f"{path.name}: category code {key!r} must be ASCII letters, digits and _")
        if not isinstance(entry, dict):
            raise ChecklistError(f"{where}: expected label, label_en and a deadline")
        rule = {k: v for k, v in entry.items() if k in ("working_days", "working_hours")}
        deadline = _deadline(rule, where)
        emergency = _deadline(entry.get("emergency", rule), f"{where} emergency")
        out[key] = Category(key, _text(entry.get("label"), where, "label"),
                            _text(entry.get("label_en"), where, "label_en", required=False) or key,
                            deadline, emergency)
    return out


def load_checklist(path, categories: dict) -> Checklist:
    """Read one checklist file and check every item against the case categories."""
    path = Path(path)
    data = _parse(path, path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ChecklistError(f"{path.name}: expected kind, name and items")
    kind = data.get("kind")
    if kind not in INSPECTION_KINDS:
        raise ChecklistError(f"{path.name}: kind must be one of {', '.join(INSPECTION_KINDS)}, got {kind!r}")
    raw = data.get("items")
    if not isinstance(raw, list) or not raw or len(raw) > _MAX_ITEMS:
        raise ChecklistError(f"{path.name}: items must be a list of 1 to {_MAX_ITEMS} items")
    items, seen = [], set()
    for number, item in enumerate(raw, start=1):
        where = f"{path.name}: item {number}"
        if not isinstance(item, dict):
            raise ChecklistError(f"{where}: expected key, label, weight and category")
        key = _text(item.get("key"), where, "key")
        if key in seen:
            raise ChecklistError(f"{where}: key {key!r} appears twice")
        seen.add(key)
        weight = item.get("weight")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 < weight <= 1000:
            raise ChecklistError(f"{where} ({key}): weight must be a number above 0 and at most 1000, got {weight!r}")
        category = item.get("category")
        if category not in categories:
            raise ChecklistError(f"{where} ({key}): category {category!r} is not a case category")
        items.append({"key": key, "label": _text(item.get("label"), where, "label"),
                      "label_en": _text(item.get("label_en"), where, "label_en", required=False) or key,
                      "weight": float(weight), "category": category})
    digest = hashlib.sha256(json.dumps(items, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:12]
    return Checklist(kind, _text(data.get("name"), path.name, "name"),
                     _text(data.get("name_en"), path.name, "name_en", required=False) or kind,
                     tuple(items), digest)


def _packaged(name: str) -> Path:
    return Path(str(resources.files("grids") / "data" / name))


def default_categories() -> dict:
    return load_categories(_packaged("case_categories.yaml"))


def default_checklist(kind: str, categories: dict | None = None) -> Checklist:
    if kind not in INSPECTION_KINDS:
        raise ChecklistError(f"unknown inspection kind {kind!r}; kinds: {', '.join(INSPECTION_KINDS)}")
    return load_checklist(_packaged(f"checklist_{kind}.yaml"), categories or default_categories())


def score(items, results: dict) -> tuple[float | None, list]:
    """Score results ``{item key: pass|fail|na}`` against ``items`` (the ones stored with the inspection).

    Returns (score 0–100 rounded to 2 decimals, or None when nothing applies; the failed items).
    Every item needs a result, and only the checklist's items may have one.
    """
    keys = [i["key"] for i in items]
    unknown = sorted(set(results) - set(keys))
    if unknown:
        raise ChecklistError(f"result for item(s) not on the checklist: {', '.join(map(str, unknown))}")
    missing = [k for k in keys if k not in results]
    if missing:
        raise ChecklistError(f"no result for item(s): {', '.join(missing)}")
    bad = {k: v for k, v in results.items() if v not in RESULTS}
    if bad:
        raise ChecklistError("results must be one of " + ", ".join(RESULTS) + "; got "
                             + ", ".join(f"{k}={v!r}" for k, v in bad.items()))
    applying = [i for i in items if results[i["key"]] != "na"]
    failed = [i for i in applying if results[i["key"]] == "fail"]
    total = sum(i["weight"] for i in applying)
    if not total:
        return None, []
    passed = total - sum(i["weight"] for i in failed)
    return round(100 * passed / total, 2), failed
