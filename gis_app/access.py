"""Who is asking, and may they: one check before every request, ahead of any body parsing.

The caller is a bearer token (``Authorization``) or a signed-in session (the signed cookie holds a
user's or a token's id, re-checked on every request so that a disabled user or a revoked token is
out at once). Then, in this order and before a view or its schema sees the body:

1. every write needs a caller (401) with the editor role or more (403), and a district-scoped
   caller may not name a target outside its district in the URL (403);
2. a write carried by the cookie needs the session's CSRF token (``X-CSRF-Token`` header or a
   form's ``csrf_token`` field; 403 without); bearer-token writes need none;
3. with ``SANIGRID_PUBLIC_READS=false`` every read needs a caller: pages redirect to the sign-in
   page, the API, the OGC API and tiles answer 401; and a district-scoped caller reads only its
   district (:func:`read_scope`).
"""
from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import Flask, current_app, g, redirect, request, session, url_for

from .auth import active_token, check_scope, principal_for, require
from .errors import Forbidden, Unauthorized
from .storage.routing import read_engine

__all__ = ["init_access", "read_scope", "csrf_token", "safe_next", "signed_in", "CSRF_HEADER", "CSRF_FIELD"]

CSRF_HEADER, CSRF_FIELD = "X-CSRF-Token", "csrf_token"
READS = ("GET", "HEAD", "OPTIONS")
OPEN_ENDPOINTS = {"static", "signin.login", "signin.login_form", "signin.logout"}
# Machine-facing prefixes answer 401 problem+json; everything else is a page and redirects.
MACHINE_PREFIXES = ("/api/", "/ogc", "/tiles/", "/open311")
OPEN_PATHS = ("/api/v1/openapi.json",)   # the API's description holds no register data
# Reads that take a region filter: a district-scoped caller gets its district when it names none.
SCOPED_FILTERS = {"grids.list_grids": "district", "gaps_api.gaps_summary": "district",
                  "gaps_api.gaps_feature_collection": "district", "where.staffing_view": "district",
                  "transfer.export_layer": "district", "regions.list_regions": "parent",
                  "frontages.list_frontages": "district", "places.list_places": "district",
                  "inspections.list_inspections": "district", "cases.list_cases": "district",
                  "kpis.kpi_report": "district", "evaluations.list_evaluations": "district",
                  "evaluation.evaluation_page": "district"}
REGION_ARGS = ("district", "street", "community", "parent")
# Reads that cannot yet be limited to one district: a district-scoped caller is refused them.
UNSCOPED_READS = ("people.list_people", "people.get_person", "audit.", "ogc.")


def csrf_token() -> str:
    """Return this session's CSRF token, creating it on first use (forms and the viewer's meta tag)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def signed_in():
    """Return the caller of this request (token or session), None when anonymous."""
    return g.get("principal")


def read_scope() -> str | None:
    """Return the district a read is limited to: the caller's scope when reads are private, else None."""
    caller = g.get("principal")
    if caller is None or current_app.config["SANIGRID_PUBLIC_READS"]:
        return None
    return caller.district


def safe_next(target: str | None) -> str:
    """Return ``target`` when it is a path on this site, else ``/`` (no open redirect)."""
    target = target or ""
    parts = urlsplit(target)
    local = (target.startswith("/") and not target.startswith("//") and "\\" not in target
             and not parts.scheme and not parts.netloc and target.isprintable())
    return target if local else "/"


def _identify():
    engine = read_engine()
    header = request.headers.get("Authorization")
    if header:
        return principal_for(engine, header), False
    if "uid" in session or "tid" in session:
        from .users import active_user
        found = active_user(engine, session["uid"]) if "uid" in session else active_token(engine, session["tid"])
        if found is None:
            session.clear()   # disabled or revoked since: the session ends here
        return found, found is not None
    return None, False


def _check_csrf() -> None:
    # Pages' forms send the field; API writes send the header (their bodies are parsed only by the view,
    # under the API's own size limit).
    form = request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
    sent = request.headers.get(CSRF_HEADER) or (
        request.form.get(CSRF_FIELD) if form and not request.path.startswith("/api/") else None)
    expected = session.get("csrf")
    if not sent or not expected or not hmac.compare_digest(str(sent), str(expected)):
        raise Forbidden(f"a write signed in by cookie needs the page's CSRF token ({CSRF_HEADER} header "
                        f"or the form's {CSRF_FIELD} field); reload the page and try again")


def _wants_page() -> bool:
    if request.path.startswith("/api/v1/docs"):
        return True
    if request.path.startswith("/ogc"):
        best = request.accept_mimetypes.best_match(["application/json", "application/geo+json", "text/html"])
        return request.args.get("f") == "html" or (request.args.get("f") is None and best == "text/html")
    return not request.path.startswith(MACHINE_PREFIXES)


def _scope_reads(caller) -> None:
    """Keep a district-scoped caller's reads inside its district (private reads only)."""
    district, endpoint = caller.district, request.endpoint or ""
    if endpoint.startswith(UNSCOPED_READS):
        raise Forbidden(f"this read covers the whole city; a sign-in scoped to district {district} cannot use it")
    codes = [v for k, v in (request.view_args or {}).items() if k in ("code", "feature_id")]
    codes += [request.args[k] for k in REGION_ARGS if request.args.get(k)]
    for code in codes:
        if not str(code).startswith(district):
            raise Forbidden(f"this sign-in sees only district {district}; {code} lies outside it")
    wanted = SCOPED_FILTERS.get(endpoint)
    if wanted and not any(request.args.get(k) for k in REGION_ARGS):
        args = request.args.copy()
        args[wanted] = district
        request.args = args   # the view (and its schema) now read the district filter


def _write_targets(endpoint) -> list[str]:
    """The region or grid codes a write names before its body is validated: the URL's, or a new grid's."""
    codes = [v for k, v in (request.view_args or {}).items() if k == "code"]
    if endpoint == "grids.create_grid" and g.principal.district is not None:
        body = request.get_json(silent=True)   # a peek (cached for the view, which validates it)
        props = body.get("properties") if isinstance(body, dict) else None
        if isinstance(props, dict):
            codes += [c for c in (props.get("community"), props.get("code")) if isinstance(c, str) and c]
    return codes


def _gate():
    """Identify the caller; refuse unauthenticated writes, cookie writes without CSRF and private reads."""
    g.principal, g.by_cookie = None, False
    endpoint = request.endpoint
    if endpoint == "static":
        return None
    g.principal, g.by_cookie = _identify()
    write = request.method not in READS
    if write and (g.by_cookie or endpoint in OPEN_ENDPOINTS):
        _check_csrf()
    if endpoint in OPEN_ENDPOINTS or endpoint is None:
        return None
    if write:
        require(g.principal, "editor")
        check_scope(g.principal, *_write_targets(endpoint))
        return None
    if current_app.config["SANIGRID_PUBLIC_READS"] or request.path in OPEN_PATHS:
        return None
    if g.principal is None:
        if _wants_page():
            return redirect(url_for("signin.login_form", next=request.full_path.rstrip("?")), 303)
        raise Unauthorized("reads are private here (SANIGRID_PUBLIC_READS=false): send a bearer token or sign in")
    if g.principal.district is not None:
        _scope_reads(g.principal)
    return None


def init_access(app: Flask) -> None:
    """Run the gate before every request, ahead of every blueprint's own hooks and every body parser."""
    app.before_request_funcs.setdefault(None, []).insert(0, _gate)
    app.jinja_env.globals.update(csrf_token=csrf_token, signed_in=signed_in)
