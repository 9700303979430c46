"""A page rendered to PDF by WeasyPrint, reading only the app's own static files (never the network).

The page's stylesheets are the site's (``/static/…``): they are read from the static folder, so the
PDF comes from the same HTML and CSS as the page a browser prints. Anything else a page names is
refused. Chinese text is set in the system's Noto Sans CJK (Debian fonts-noto-cjk) through fontconfig.
"""
from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .. import STATIC_FOLDER

__all__ = ["html_to_pdf", "static_file"]


def static_file(url: str, root: str) -> Path:
    """The file under static/ that ``url`` (on the site at ``root``) names; ValueError for anything else."""
    parts, site = urlsplit(url), urlsplit(root)
    if (parts.scheme, parts.netloc) != (site.scheme, site.netloc) or not parts.path.startswith("/static/"):
        raise ValueError(f"a PDF reads only the app's static files, not {url[:200]}")
    folder = STATIC_FOLDER.resolve()
    path = (folder / unquote(parts.path[len("/static/"):])).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        raise ValueError(f"no static file {parts.path[:200]}")
    return path


def _fetcher(root: str):
    import weasyprint

    def found(url):
        path = static_file(url, root)
        return path.read_bytes(), mimetypes.guess_type(path.name)[0] or "application/octet-stream"

    from weasyprint.urls import URLFetcherResponse

    class StaticFetcher(weasyprint.URLFetcher):
        def fetch(self, url, headers=None):
            body, mime = found(url)
            return URLFetcherResponse(url, body=body, headers={"Content-Type": mime})
    return StaticFetcher()


def html_to_pdf(html: str, root: str) -> bytes:
    """The PDF of ``html``, a page of the site at ``root`` (its links resolve against it)."""
    import weasyprint
    logging.getLogger("fontTools").setLevel(logging.WARNING)   # the font subsetter's chatter is not the app's
    return weasyprint.HTML(string=html, base_url=root, url_fetcher=_fetcher(root)).write_pdf()
