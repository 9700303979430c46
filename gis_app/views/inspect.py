"""The phone page of an inspection on the spot (/inspect): the checklists as data, the form is static JS.

The page carries the current checklist of every kind; ``static/viewer/inspect.js`` keeps the
draft (answers, position, photos) in the phone's IndexedDB until the API has answered, so a reload
or a lost connection loses nothing, and sends it through ``POST /api/v1/inspections`` like any
client: one implementation of recording.
"""
from __future__ import annotations

from flask import Blueprint, current_app, g, make_response, render_template

from grids.case_records import INSPECTION_LEVELS
from grids.checklists import INSPECTION_KINDS

from .. import case_rules as rules
from ..casework.record import MAX_PHOTOS
from ..storage.photos import MAX_PHOTO_BYTES
from .i18n import CASE_LABELS_EN, labels, language, remember_language, texts

bp = Blueprint("inspect", __name__)


def _checklists(settings, lang: str) -> list[dict]:
    """Every kind's current checklist, labelled in the page's language."""
    found = []
    for kind, label in labels(lang, INSPECTION_KINDS, CASE_LABELS_EN["inspection"]).items():
        listed = rules.checklist(settings, kind).as_dict()
        listed["label"] = label[:1].upper() + label[1:]
        for item in listed["items"]:
            item["shown"] = item.get("label_en") or item["label"] if lang == "en" else item["label"]
        found.append(listed)
    return found


@bp.get("/inspect")
def inspect_page():
    """The form: kind, level, position (datum stated), the checklist's items, notes, photos; send or keep."""
    lang = language()
    settings = current_app.config
    caller = g.get("principal")
    levels = [{"key": k, "label": v[:1].upper() + v[1:]}
              for k, v in labels(lang, INSPECTION_LEVELS, CASE_LABELS_EN["inspection_level"]).items()]
    data = {"checklists": _checklists(settings, lang), "levels": levels, "max_photos": MAX_PHOTOS,
            "max_photo_bytes": MAX_PHOTO_BYTES, "inspector": caller.name if caller else "",
            "text": {k[8:]: v for k, v in texts(lang).items() if k.startswith("inspect_")}}
    page = render_template("inspect.html", data=data, text=texts(lang), lang=lang, caller=caller,
                           by_cookie=g.get("by_cookie", False),
                           may_record=caller is not None and caller.role in ("editor", "admin"))
    return remember_language(make_response(page), lang)
