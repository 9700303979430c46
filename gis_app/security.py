"""Security headers on every response: a Content-Security-Policy with a per-request nonce, nosniff.

Only the app's own origin may give a page scripts, styles, images and connections; the basemap
host of ``SANIGRID_TILES`` is allowed for images by name. The inline ``<script>`` and ``<style>``
blocks the app renders (its templates, and folium's map parts through the ``nonced`` filter, the
one place where folium's HTML is post-processed) carry this request's nonce; no other inline
script runs, so a value that slipped through unescaped still could not execute.
"""
from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from flask import Flask, current_app, g
from markupsafe import Markup

__all__ = ["init_security", "csp_nonce", "nonced", "content_security_policy", "tile_sources"]

_OPENING = re.compile(r"<(script|style)\b(?![^>]*\bnonce=)", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{[^}]*\}")


def csp_nonce() -> str:
    """Return this request's nonce (made on first use)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def nonced(html) -> Markup:
    """Return ``html`` (trusted markup: folium's map parts) with this request's nonce on every inline
    ``<script>`` and ``<style>`` tag that has none."""
    return Markup(_OPENING.sub(lambda m: f'<{m.group(1)} nonce="{csp_nonce()}"', str(html or "")))


def tile_sources(template: str | None) -> list[str]:
    """Return the CSP sources of a basemap URL template (none for 'none' or one served by the app).

    ``{s}`` as the whole first label becomes ``*.``; inside a label it stands for Leaflet's
    default subdomains a, b and c, each named (CSP wildcards cover whole labels only).
    """
    if not template or template.lower() == "none":
        return []
    parts = urlsplit(template)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return []
    host = parts.netloc.rsplit("@", 1)[-1]
    if host.startswith("{s}."):
        host = "*." + host[4:]
    hosts = [host.replace("{s}", s) for s in "abc"] if "{s}" in host else [host]
    return sorted({f"{parts.scheme}://{_PLACEHOLDER.sub('*', h)}" for h in hosts})


def content_security_policy(nonce: str, tiles: str | None) -> str:
    """Return the policy for one response."""
    images = " ".join(["'self'", "data:", *tile_sources(tiles)])
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        f"style-src 'self' 'nonce-{nonce}'",
        f"img-src {images}",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ])


def _headers(response):
    response.headers["Content-Security-Policy"] = content_security_policy(
        csp_nonce(), current_app.config.get("SANIGRID_TILES"))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def init_security(app: Flask) -> None:
    """Send the headers on every response; give templates ``csp_nonce()`` and the ``nonced`` filter."""
    app.after_request(_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.filters["nonced"] = nonced
