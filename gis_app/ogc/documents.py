"""The OGC API documents as plain dicts: landing page, conformance, collections, items, item.

``link`` builds absolute links to this API's endpoints; titles follow the request's language.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import request, url_for

from .collections import Collection, Extent
from .crs import CRS84
from .queryables import QUERYABLES_REL, SCHEMA_JSON

__all__ = ["CONFORMANCE", "landing", "conformance", "collection_doc", "collections_doc", "items_doc", "item_doc",
           "queryables_link", "link", "GEOJSON", "JSON", "HTML", "OPENAPI"]

GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
]
TEXT = {
    "zh": {"title": "sanigrid 网格化管理 · OGC API – Features", "description": "网格登记册的行政区划、网格与覆盖缺口要素，"
           "可在 QGIS、GDAL 中直接添加", "self": "本页", "json": "JSON 格式", "html": "HTML 格式",
           "conformance": "符合的标准类别", "data": "要素集合", "items": "要素", "api": "API 定义 (OpenAPI 3.0)",
           "next": "下一页", "prev": "上一页", "collection": "所属集合", "queryables": "可查询属性",
           "name": "属性（参数）", "type": "类型", "titles": "名称", "about": "说明", "allowed": "取值"},
    "en": {"title": "sanigrid grid register · OGC API – Features", "description": "Regions, grids and coverage "
           "gaps of the grid register, ready for QGIS and GDAL", "self": "This document", "json": "As JSON",
           "html": "As HTML", "conformance": "Conformance classes", "data": "Collections", "items": "Items",
           "api": "API definition (OpenAPI 3.0)", "next": "Next page", "prev": "Previous page",
           "collection": "The collection", "queryables": "Queryables", "name": "Property (parameter)",
           "type": "Type", "titles": "Title", "about": "Description", "allowed": "Values"},
}


def link(endpoint: str, rel: str, media: str, title: str, *, args=None, **view_args) -> dict:
    """Return a link object to ``endpoint`` (absolute URL) with the given query ``args``."""
    href = url_for(endpoint, **view_args, **(args or {}), _external=True)
    return {"href": href, "rel": rel, "type": media, "title": title}


def _self_links(lang: str, json_type: str, args=None) -> list[dict]:
    """self (JSON) and alternate (HTML) links to the current endpoint, keeping ``args``."""
    t = TEXT[lang]
    base = {k: v for k, v in (args if args is not None else request.args).items() if k != "f"}
    view = request.view_args or {}
    return [link(request.endpoint, "self", json_type, t["self"], args={**base, "f": "json"}, **view),
            link(request.endpoint, "alternate", HTML, t["html"], args={**base, "f": "html"}, **view)]


def landing(lang: str) -> dict:
    t = TEXT[lang]
    return {"title": t["title"], "description": t["description"], "links": _self_links(lang, JSON) + [
        link("ogc.api", "service-desc", OPENAPI, t["api"]),
        link("ogc.conformance_page", "conformance", JSON, t["conformance"]),
        link("ogc.collections_page", "data", JSON, t["data"])]}


def conformance(lang: str) -> dict:
    return {"links": _self_links(lang, JSON), "conformsTo": CONFORMANCE}


def _extent(extent: Extent) -> dict:
    out = {}
    if extent.bbox is not None:
        out["spatial"] = {"bbox": [list(extent.bbox)], "crs": CRS84}
    if extent.interval is not None:
        out["temporal"] = {"interval": [list(extent.interval)],
                           "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
    return out


def collection_doc(item: Collection, extent: Extent, offered: list[str], lang: str, *, own_links=False) -> dict:
    t = TEXT[lang]
    links = _self_links(lang, JSON) if own_links else [
        link("ogc.collection_page", "self", JSON, item.title[lang], collection_id=item.id, args={"f": "json"})]
    links += [link("ogc.items_page", "items", GEOJSON, t["items"], collection_id=item.id, args={"f": "json"}),
              link("ogc.items_page", "items", HTML, t["items"], collection_id=item.id, args={"f": "html"}),
              link("ogc.queryables_page", QUERYABLES_REL, SCHEMA_JSON, t["queryables"], collection_id=item.id,
                   args={"f": "json"}),
              link("ogc.queryables_page", QUERYABLES_REL, HTML, t["queryables"], collection_id=item.id,
                   args={"f": "html"})]
    return {"id": item.id, "title": item.title[lang], "description": item.description[lang], "links": links,
            "extent": _extent(extent), "itemType": "feature", "crs": offered, "storageCrs": CRS84}


def collections_doc(docs: list[dict], offered: list[str], lang: str) -> dict:
    return {"links": _self_links(lang, JSON), "collections": docs, "crs": offered}


def items_doc(item: Collection, features: list[dict], matched: int, offset: int, limit: int, lang: str) -> dict:
    """A FeatureCollection page with self/alternate/next/prev/collection links and the counts."""
    t = TEXT[lang]
    args = {k: v for k, v in request.args.items() if k != "f"}
    links = _self_links(lang, GEOJSON)
    if offset + len(features) < matched:
        links.append(link(request.endpoint, "next", GEOJSON, t["next"], collection_id=item.id,
                          args={**args, "offset": offset + limit, "limit": limit, "f": "json"}))
    if offset > 0:
        links.append(link(request.endpoint, "prev", GEOJSON, t["prev"], collection_id=item.id,
                          args={**args, "offset": max(offset - limit, 0), "limit": limit, "f": "json"}))
    links.append(link("ogc.collection_page", "collection", JSON, t["collection"], collection_id=item.id))
    return {"type": "FeatureCollection", "features": features, "links": links,
            "numberMatched": matched, "numberReturned": len(features), "timeStamp": _now()}


def item_doc(item: Collection, feature: dict, lang: str) -> dict:
    t = TEXT[lang]
    links = _self_links(lang, GEOJSON) + [
        link("ogc.collection_page", "collection", JSON, t["collection"], collection_id=item.id)]
    return {**feature, "links": links}


def queryables_link(item: Collection) -> str:
    """The ``Link`` header value naming the collection's Queryables (Part 3 /req/queryables/queryables-link)."""
    href = url_for("ogc.queryables_page", collection_id=item.id, _external=True)
    return f'<{href}>; rel="{QUERYABLES_REL}"; type="{SCHEMA_JSON}"'


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
