"""The calendar, case categories and checklists the app works with: the packaged ones or an office's files.

``SANIGRID_CALENDAR_FILE`` (holidays and adjusted working days for years ``chinese-calendar`` does
not know), ``SANIGRID_CASE_CATEGORIES`` (categories and deadlines) and ``SANIGRID_CHECKLISTS`` (a
folder of ``checklist_<kind>.yaml``, ``.yml`` or ``.json``; a kind without a file there keeps the
packaged list) are read when the app starts, and again whenever a file changes on disk, so an
office edits them without a release or a restart. A file that became wrong after the start
answers 503 with the reason instead of being half-used.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

from grids.checklists import (INSPECTION_KINDS, ChecklistError, default_categories, default_checklist,
                              load_categories, load_checklist)
from grids.workdays import CalendarError, WorkCalendar, load_overrides

from .errors import SanigridError

__all__ = ["RulesError", "work_calendar", "case_categories", "checklist", "check_rules", "CHECKLIST_SUFFIXES"]

CHECKLIST_SUFFIXES = (".yaml", ".yml", ".json")
_cache: dict = {}
_lock = threading.Lock()


class RulesError(SanigridError):
    """A calendar, category or checklist file that cannot be used: the server's setting is wrong."""

    status = 503
    title = "Service unavailable"

    def __init__(self, setting: str, detail: str):
        super().__init__(f"{detail} (setting {setting}); fix the file and try again")
        self.setting, self.detail = setting, detail


def _stamp(path) -> tuple:
    try:
        stat = os.stat(path)
    except OSError:
        return (str(path), None)
    return (str(path), stat.st_mtime_ns, stat.st_size)


def _cached(key: tuple, build):
    with _lock:
        found = _cache.get(key)
    if found is None:
        found = build()
        with _lock:
            if len(_cache) > 64:
                _cache.clear()
            _cache[key] = found
    return found


def _existing(setting: str, path, folder: bool = False) -> Path:
    path = Path(path)
    if not (path.is_dir() if folder else path.is_file()):
        raise RulesError(setting, f"{path} is not an existing {'folder' if folder else 'file'}")
    return path


def work_calendar(settings) -> WorkCalendar:
    """The working-day calendar: chinese-calendar plus ``SANIGRID_CALENDAR_FILE`` when set."""
    path = settings.get("SANIGRID_CALENDAR_FILE")
    if not path:
        return _cached(("calendar", None), WorkCalendar)

    def build():
        try:
            return WorkCalendar(load_overrides(_existing("SANIGRID_CALENDAR_FILE", path)))
        except CalendarError as exc:
            raise RulesError("SANIGRID_CALENDAR_FILE", str(exc)) from None
    return _cached(("calendar", *_stamp(path)), build)


def case_categories(settings) -> dict:
    """Category key → :class:`grids.checklists.Category` from ``SANIGRID_CASE_CATEGORIES`` or the package."""
    path = settings.get("SANIGRID_CASE_CATEGORIES")
    if not path:
        return _cached(("categories", None), default_categories)

    def build():
        try:
            return load_categories(_existing("SANIGRID_CASE_CATEGORIES", path))
        except (ChecklistError, OSError, UnicodeDecodeError) as exc:
            raise RulesError("SANIGRID_CASE_CATEGORIES", str(exc)) from None
    return _cached(("categories", *_stamp(path)), build)


def _checklist_file(settings, kind: str) -> Path | None:
    folder = settings.get("SANIGRID_CHECKLISTS")
    if not folder:
        return None
    folder = _existing("SANIGRID_CHECKLISTS", folder, folder=True)
    return next((folder / f"checklist_{kind}{s}" for s in CHECKLIST_SUFFIXES
                 if (folder / f"checklist_{kind}{s}").is_file()), None)


def checklist(settings, kind: str):
    """The current checklist of an inspection kind (the office's file, else the packaged one)."""
    if kind not in INSPECTION_KINDS:
        raise RulesError("SANIGRID_CHECKLISTS", f"unknown inspection kind {kind!r}")
    categories = case_categories(settings)
    path = _checklist_file(settings, kind)
    stamp = _stamp(settings.get("SANIGRID_CASE_CATEGORIES") or "")

    def build():
        try:
            found = load_checklist(path, categories) if path else default_checklist(kind, categories)
            if found.kind != kind:
                raise ChecklistError(f"{path.name}: says kind {found.kind}, but the file name is for {kind}")
            return found
        except (ChecklistError, OSError, UnicodeDecodeError) as exc:
            setting = "SANIGRID_CHECKLISTS" if path else "SANIGRID_CASE_CATEGORIES"
            raise RulesError(setting, str(exc)) from None
    return _cached(("checklist", kind, *(_stamp(path) if path else (None,)), *stamp), build)


def check_rules(settings) -> None:
    """Load every rule file the settings name (the app's start); RulesError names the first wrong one."""
    work_calendar(settings)
    for kind in INSPECTION_KINDS:
        checklist(settings, kind)
