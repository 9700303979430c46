"""No response shows a server path: the instance, temp and install folders are cut to the file's own name.

Messages name the file a user sent (``upload.gpkg``), never where the server keeps it; the
libraries underneath (GDAL, pyogrio, sqlite) put absolute paths into their errors, so every
error answer, and every import report, is cleaned here once rather than at each call site.
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

from flask import Flask, request

__all__ = ["init_redaction", "hide_paths"]

_STOP = r"[^\s'\"<>()\[\]{},;]*"


def _roots(app: Flask) -> list[str]:
    roots = {app.config["SANIGRID_INSTANCE"], tempfile.gettempdir(), str(Path(app.root_path).parent), str(Path.cwd())}
    resolved = {str(Path(r).resolve()) for r in roots} | roots
    return sorted((r.rstrip("/") for r in resolved if len(r.rstrip("/")) > 1), key=len, reverse=True)


def hide_paths(text: str, roots: list[str]) -> str:
    """Replace every path under one of ``roots`` by its last part (the file's own name)."""
    for root in roots:
        text = re.sub(re.escape(root) + r"(/" + _STOP + r")?(?=$|[\s'\"<>()\[\]{},;])",
                      lambda m: m.group(0).rstrip("/").rsplit("/", 1)[-1] if m.group(1) else "(server folder)", text)
    return text


def init_redaction(app: Flask) -> None:
    """Clean error answers and import reports of server paths."""
    roots = _roots(app)

    @app.after_request
    def _redact(response):
        if response.direct_passthrough or response.is_streamed:
            return response
        if response.status_code < 400 and not request.path.startswith("/api/v1/import/"):
            return response
        if not (response.mimetype or "").startswith(("application/", "text/")):
            return response
        text = response.get_data(as_text=True)
        cleaned = hide_paths(text, roots)
        if cleaned != text:
            response.set_data(cleaned)
        return response
