"""The rectification notice (问题整改通知书) of a case: ``/cases/<id>/notice`` to print from the browser, and
``/cases/<id>/notice.pdf``, the same HTML rendered by WeasyPrint on one A4 page with Noto Sans CJK."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, make_response, render_template, request, url_for

from .. import case_rules as rules
from ..casework.clock import iso
from .case_pages import case_sheet
from .i18n import language, remember_language, texts
from .pdf import html_to_pdf
from .signboard import qr_svg

__all__ = ["bp", "notice_facts"]

bp = Blueprint("case_notice", __name__)


def _public(path: str) -> str:
    """An address on the site as a citizen's or cadre's phone reaches it (SANIGRID_PUBLIC_URL or this request's)."""
    base = current_app.config.get("SANIGRID_PUBLIC_URL") or request.url_root
    return base.rstrip("/") + path


def _when(iso_text: str | None, lang: str, with_time: bool = True) -> str:
    """``2026-10-08T10:00:00+08:00`` as 2026年10月8日 10:00 (or 2026-10-08 10:00 in English)."""
    if not iso_text:
        return ""
    day, clock = iso_text[:10], iso_text[11:16]
    if lang == "en":
        return f"{day} {clock}" if with_time else day
    y, m, d = day.split("-")
    return f"{y}年{int(m)}月{int(d)}日" + (f" {clock}" if with_time else "")


def notice_facts(case: dict, sheet: dict, words: dict, lang: str) -> dict:
    """The notice's number, deadline rule, issuing office and dates, in ``lang``."""
    text = texts(lang)
    settings = current_app.config
    category = rules.case_categories(settings).get(case["category"])
    rule = None
    if category is not None:
        deadline = category.emergency if case["severity"] == "emergency" else category.deadline
        unit, amount = next(iter(deadline.items()))
        rule = text[f"{unit}_rule"].format(n=f"{amount:g}")
    district = sheet["regions"][0]["name"] or sheet["regions"][0]["code"]
    kind = (words["inspection"].get(sheet["inspection"]["kind"], sheet["inspection"]["kind"])
            if sheet["inspection"] else ("the inspection" if lang == "en" else "检查"))
    return {
        "number": f"〔{case['registered_at'][:4]}〕{case['id']}",
        "deadline": _when(case["deadline"], lang), "registered": _when(case["registered_at"], lang),
        "rule": text["notice_deadline_rule"].format(rule=rule) if rule else "",
        "deferred": text["notice_deferred"].format(n=case["deferrals"]) if case["deferrals"] else "",
        "office": settings.get("SANIGRID_NOTICE_OFFICE") or text["office_default"].format(district=district),
        "issued": _when(case["registered_at"], lang, with_time=False),
        "body": text["notice_body"].format(kind=kind),
        "inspected": _when(iso(sheet["inspection"]["at"]), lang) if sheet["inspection"] else "",
        "link": _public(url_for("case_pages.case_page", case_id=case["id"])),
    }


def _render(case_id: str, lang: str, pdf: bool) -> str:
    case, _, sheet, words = case_sheet(case_id, lang)
    facts = notice_facts(case, sheet, words, lang)
    return render_template("notice.html", case=case, sheet=sheet, words=words, facts=facts, text=texts(lang),
                           lang=lang, qr=qr_svg(facts["link"]), pdf=pdf)


@bp.get("/cases/<string(maxlength=64):case_id>/notice")
def notice(case_id):
    """The notice as a page to print (one A4 page; the site's header is not printed)."""
    lang = language()
    return remember_language(make_response(_render(case_id, lang, pdf=False)), lang)


@bp.get("/cases/<string(maxlength=64):case_id>/notice.pdf")
def notice_pdf(case_id):
    """The same notice as a PDF (WeasyPrint), ready to send or print."""
    lang = language()
    pdf = html_to_pdf(_render(case_id, lang, pdf=True), request.url_root)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="notice-{case_id}.pdf"'})
