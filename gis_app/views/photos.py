"""Stored photos at /photos/<name>: the only images a person's photo field may point to."""
from __future__ import annotations

from flask import Blueprint, current_app, send_from_directory

from grids.photos import PHOTO_NAME

from ..errors import NotFound
from ..storage.photos import photo_folder

bp = Blueprint("photos", __name__)
MIMETYPES = {".jpg": "image/jpeg", ".png": "image/png"}


@bp.get("/photos/<string(maxlength=40):name>")
def photo(name):
    """One stored photo; its random name never changes meaning, so browsers may keep it a year."""
    if not PHOTO_NAME.fullmatch(name) or not (photo_folder(current_app.config["SANIGRID_INSTANCE"]) / name).is_file():
        raise NotFound(f"no stored photo {name}")
    response = send_from_directory(photo_folder(current_app.config["SANIGRID_INSTANCE"]), name,
                                   mimetype=MIMETYPES[name[-4:]], max_age=365 * 86400)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
