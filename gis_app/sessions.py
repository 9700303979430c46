"""The session cookie: signed with SANIGRID_SECRET_KEY (kept in the instance folder when unset),
HttpOnly, SameSite=Lax, Secure whenever the request came over https (behind a trusted proxy too).
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface

__all__ = ["init_sessions", "secret_key"]

COOKIE = "sanigrid_session"


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure per request: https direct or through a trusted proxy."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def secret_key(instance: str, configured: str | None) -> str:
    """Return the configured key, else the one kept in ``<instance>/secret_key`` (made on first start)."""
    if configured:
        return configured
    path = Path(instance) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def init_sessions(app: Flask) -> None:
    """Sign and shape the session cookie; trust X-Forwarded-* only from SANIGRID_PROXY_HOPS proxies."""
    app.secret_key = secret_key(app.config["SANIGRID_INSTANCE"], app.config["SANIGRID_SECRET_KEY"])
    app.config.update(SESSION_COOKIE_NAME=COOKIE, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      PERMANENT_SESSION_LIFETIME=timedelta(hours=app.config["SANIGRID_SESSION_HOURS"]))
    app.session_interface = _SessionInterface()
    hops = app.config["SANIGRID_PROXY_HOPS"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)
