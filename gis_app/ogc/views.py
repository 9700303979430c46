"""The /ogc blueprint: every resource as JSON (GeoJSON for features) or HTML, Chinese first.

The format follows ``f=json|html`` or else the Accept header (JSON when nothing asks for HTML);
the language follows ``lang=zh|en`` (Chinese by default).
"""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for

from ..api import SWAGGER_UI
from ..api.respond import json_response
from ..errors import NotFound
from ..storage.routing import read_engine
from . import documents as docs
from .collections import all_collections, collection
from .crs import CRS84, parse_crs_param, supported_crs
from .facts import register_facts
from .features import features_of, plain
from .openapi import openapi_document
from .params import COMMON, ITEM_PARAMS, check_known, item_query
from .problems import InvalidParameter
from .queryables import SCHEMA_JSON, queryables_doc

bp = Blueprint("ogc", __name__, url_prefix="/ogc")
LANGS = ("zh", "en")


def _engine():
    return read_engine()  # the replica when SANIGRID_DATABASE_REPLICA_URL is set: /ogc only reads


def _lang() -> str:
    lang = request.args.get("lang", "zh")
    if lang not in LANGS:
        raise InvalidParameter(f"lang={lang!r}: use zh (中文, default) or en")
    return lang


def _wants_html() -> bool:
    f = request.args.get("f")
    if f is not None:
        if f not in ("json", "html"):
            raise InvalidParameter(f"f={f!r}: use json or html")
        return f == "html"
    best = request.accept_mimetypes.best_match([docs.GEOJSON, docs.JSON, docs.HTML])
    return best == docs.HTML


def _answer(body: dict, template: str, *, media=docs.JSON, crs: str | None = None, link: str | None = None,
            **context):
    """Return ``body`` as JSON, or the HTML page ``template`` showing it."""
    lang = _lang()
    headers = {"Content-Language": lang}
    if link is not None:
        headers["Link"] = link
    if crs is not None:
        headers["Content-Crs"] = f"<{crs}>"
    if _wants_html():
        html = render_template(template, doc=plain(body), lang=lang, text=docs.TEXT[lang], args=_args(), **context)
        return current_app.response_class(html, mimetype="text/html", headers=headers)
    return json_response(body, mimetype=media, headers=headers)


def _args() -> dict:
    return {k: v for k, v in request.args.items() if k != "f"}


def _collection(collection_id: str):
    found = collection(collection_id)
    if found is None:
        known = ", ".join(c.id for c in all_collections())
        raise NotFound(f"collection {collection_id!r} does not exist; collections: {known}")
    return found


def _offered() -> list[str]:
    return supported_crs(register_facts(_engine())["all"], current_app.config)


@bp.get("")
@bp.get("/")
def landing_page():
    check_known(request.args, COMMON)
    return _answer(docs.landing(_lang()), "ogc_landing.html")


@bp.get("/api")
def api():
    """The OpenAPI definition as JSON, or as HTML (the vendored Swagger UI reading the JSON)."""
    check_known(request.args, COMMON)
    if _wants_html():
        return render_template("ogc_api.html", lang=_lang(), swagger_ui=SWAGGER_UI)
    return json_response(openapi_document(), mimetype=docs.OPENAPI)


@bp.get("/conformance")
def conformance_page():
    check_known(request.args, COMMON)
    return _answer(docs.conformance(_lang()), "ogc_conformance.html")


@bp.get("/collections")
def collections_page():
    check_known(request.args, COMMON)
    lang, offered = _lang(), _offered()
    settings = current_app.config
    items = [docs.collection_doc(c, c.extent(_engine(), settings), offered, lang) for c in all_collections()]
    return _answer(docs.collections_doc(items, offered, lang), "ogc_collections.html")


@bp.get("/collections/<collection_id>")
def collection_page(collection_id):
    check_known(request.args, COMMON)
    item = _collection(collection_id)
    body = docs.collection_doc(item, item.extent(_engine(), current_app.config), _offered(), _lang(), own_links=True)
    return _answer(body, "ogc_collection.html", link=docs.queryables_link(item))


@bp.get("/collections/<collection_id>/items")
def items_page(collection_id):
    item = _collection(collection_id)
    query = item_query(request.args, _offered(), item.queryables)
    if query.timed and not item.temporal:
        raise InvalidParameter(f"collection {item.id} has no time: datetime does not apply to it")
    page = item.fetch(_engine(), current_app.config, query)
    features = features_of(page.frame, item.id_column, query.crs)
    body = docs.items_doc(item, features, page.number_matched, query.offset, query.limit, _lang())
    columns = list(dict.fromkeys(k for f in features for k in f["properties"]))
    return _answer(body, "ogc_items.html", media=docs.GEOJSON, crs=query.crs, collection=item,
                   show_map=query.crs == CRS84, columns=columns, link=docs.queryables_link(item))


@bp.get("/collections/<collection_id>/queryables")
def queryables_page(collection_id):
    """The collection's queryables (Part 3): a JSON Schema, application/schema+json, or HTML."""
    check_known(request.args, COMMON)
    item = _collection(collection_id)
    schema_id = url_for("ogc.queryables_page", collection_id=item.id, _external=True)
    return _answer(queryables_doc(item, schema_id, _lang()), "ogc_queryables.html", media=SCHEMA_JSON,
                   collection=item)


@bp.get("/collections/<collection_id>/items/<feature_id>")
def item_page(collection_id, feature_id):
    item = _collection(collection_id)
    check_known(request.args, ITEM_PARAMS)
    crs = parse_crs_param("crs", request.args.get("crs"), _offered())
    frame = item.feature(_engine(), current_app.config, feature_id)
    if frame is None:
        raise NotFound(f"collection {item.id} has no feature {feature_id!r}")
    body = docs.item_doc(item, features_of(frame, item.id_column, crs)[0], _lang())
    return _answer(body, "ogc_item.html", media=docs.GEOJSON, crs=crs, collection=item, show_map=crs == CRS84)
