"""The sign-in page (a user name and password, or an API token) and sign-out, Chinese first.

The session cookie only names who signed in (a user's or a token's id) and carries the CSRF
token; gis_app.access re-checks that user or token on every request.
"""
from __future__ import annotations

import secrets

from flask import Blueprint, current_app, g, make_response, redirect, render_template, request, session, url_for

from ..access import safe_next
from ..auth import token_principal
from ..storage.routing import read_engine
from ..users import check_password
from .i18n import language, remember_language

bp = Blueprint("signin", __name__)

TEXT = {
    "zh": {"title": "登录", "intro": "请用用户名和密码登录，或填写 API 令牌。", "user": "用户名", "password": "密码",
           "or": "或", "token": "API 令牌", "submit": "登录", "refused": "用户名或密码错误，或令牌无效。",
           "switch": "English", "signed_in_as": "已登录", "sign_out": "退出", "sign_in": "登录"},
    "en": {"title": "Sign in", "intro": "Sign in with your user name and password, or give an API token.",
           "user": "User name", "password": "Password", "or": "or", "token": "API token", "submit": "Sign in",
           "refused": "Wrong user name or password, or an invalid token.", "switch": "中文",
           "signed_in_as": "Signed in", "sign_out": "Sign out", "sign_in": "Sign in"},
}


def account_texts() -> dict:
    """The account area's words in the page's language (base.html's account block)."""
    return TEXT[language()]


def _page(status: int = 200, refused: bool = False):
    lang = language()
    html = render_template("login.html", text=TEXT[lang], lang=lang, refused=refused,
                           next=safe_next(request.values.get("next")))
    return remember_language(make_response(html, status), lang)


@bp.get("/signin")
@bp.get("/login")
def login_form():
    """The sign-in form."""
    return _page()


def _who(form):
    engine = read_engine()
    if form.get("token", "").strip():
        return token_principal(engine, form["token"].strip())
    return check_password(engine, form.get("name", ""), form.get("password", ""))


@bp.post("/signin")
@bp.post("/login")
def login():
    """Check a password or a token; on success start a fresh session and go where the visitor was headed."""
    found = _who(request.form)
    if found is None:
        return _page(401, refused=True)
    session.clear()   # a new session id on every sign-in: nothing set before it survives
    session[{"user": "uid", "token": "tid"}[found.kind]] = found.id
    session["csrf"] = secrets.token_urlsafe(32)
    session.permanent = True   # ends SANIGRID_SESSION_HOURS after the last request
    g.principal = found
    return redirect(safe_next(request.form.get("next")), 303)


@bp.post("/signout")
@bp.post("/logout")
def logout():
    """End the session (a POST carrying the CSRF token: no page elsewhere can sign anyone out)."""
    session.clear()
    target = "/" if current_app.config["SANIGRID_PUBLIC_READS"] else url_for("signin.login_form")
    return redirect(target, 303)


@bp.app_context_processor
def _account_words():
    return {"account_texts": account_texts}
