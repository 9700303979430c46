"""What the grid page and its signboard (公示牌) show: the grid, its people with duties, its extent, a QR code."""
from __future__ import annotations

import io

import geopandas as gpd
import segno
import shapely

from grids.roles import ROLE_KINDS

from ..config import metric_crs
from ..storage.grid_sheet import read_grid_sheet
from .i18n import FRONTAGE_LABELS, texts

__all__ = ["grid_sheet", "extent_svg", "qr_svg", "ROLE_DUTIES", "SIGNBOARD_UNITS"]

SIGNBOARD_UNITS = 5   # frontage units named on the printed board; the page lists them all

ROLE_DUTIES = {
    "zh": {
        "leader": "对网格环境卫生负总责，组织日查，督促问题整改销号",
        "cleaner": "负责网格内道路和公共区域日常清扫保洁，垃圾日产日清",
        "patroller": "每日巡查网格，发现“十乱”等问题及时上报",
        "manager": "落实门前三包和单位责任区管理",
        "supervisor": "监督保洁和整改质量，收集群众意见",
        "volunteer": "参与卫生宣传、劝导和环境整治活动",
    },
    "en": {
        "leader": "overall charge of the grid: daily checks, sees every problem closed",
        "cleaner": "daily cleaning of streets and public spaces, waste cleared the same day",
        "patroller": "patrols the grid daily and reports problems",
        "manager": "front-of-premises duties (门前三包) and unit responsibility zones",
        "supervisor": "checks cleaning and rectification, collects residents' views",
        "volunteer": "publicity, persuasion and clean-up campaigns",
    },
}


def grid_sheet(engine, code: str, lang: str = "zh") -> dict:
    """Return the grid's sheet (:func:`read_grid_sheet`) with each person's role label and duties, leader first."""
    sheet = read_grid_sheet(engine, code)
    order = {kind: i for i, kind in enumerate(ROLE_KINDS)}
    text = texts(lang)
    people = [{**p, "role_label": text[f"role_{p['role']}"], "duties": ROLE_DUTIES[lang][p["role"]]}
              for p in sheet["people"]]
    return {**sheet, "people": sorted(people, key=lambda p: (order[p["role"]], p["phone"])),
            "frontages": [_unit_labels(u, lang) for u in sheet["frontages"]]}


def _unit_labels(unit: dict, lang: str) -> dict:
    """A frontage unit with its kind, items and status in ``lang`` (the status it has today), expiry as ISO text."""
    labels = FRONTAGE_LABELS[lang]
    expires = unit["expires_on"]
    return {**unit, "unit_kind_label": labels["unit_kind"].get(unit["unit_kind"], unit["unit_kind"]),
            "items_label": "、".join(labels["item"].get(i, i) for i in unit["items"] or []) if lang == "zh"
            else ", ".join(labels["item"].get(i, i) for i in unit["items"] or []),
            "status_label": labels["status"].get(unit["effective_status"], unit["effective_status"]),
            "expires": expires.isoformat() if expires is not None else ""}


def extent_svg(geometry, neighbours: gpd.GeoDataFrame, settings, size=(460, 320), marks=()) -> str:
    """Return an SVG drawing of a grid (filled) among its neighbours, true to shape in a metric CRS.

    ``marks``: (lon, lat) points drawn as dots (a case's location on its notice).
    """
    metric = metric_crs(settings, bounds=geometry.bounds)
    shape = gpd.GeoSeries([geometry], crs="EPSG:4326").to_crs(metric).iloc[0]
    around = neighbours.to_crs(metric).geometry if len(neighbours) else gpd.GeoSeries([], crs=metric)
    x0, y0, x1, y1 = shapely.buffer(shape, max(shape.length * 0.04, 20)).bounds
    width, height = size
    scale = min(width / (x1 - x0), height / (y1 - y0))

    def path(geom) -> str:
        parts = []
        for poly in getattr(geom, "geoms", [geom]):
            for ring in [poly.exterior, *poly.interiors]:
                pts = " ".join(f"{(x - x0) * scale:.1f},{(y1 - y) * scale:.1f}" for x, y in ring.coords)
                parts.append(f"M{pts}Z")
        return " ".join(parts)

    window = shapely.box(x0, y0, x1, y1)
    # Colours as SVG attributes too: a page's CSS overrides them, WeasyPrint's PDF reads only these.
    others = "".join(f'<path d="{path(g)}" class="sg-neighbour" fill="#eef1f4" stroke="#9aa5b1"/>'
                     for g in around if g.intersects(window))
    points = gpd.GeoSeries(gpd.points_from_xy(*zip(*marks)), crs="EPSG:4326").to_crs(metric) if marks else []
    dots = "".join(f'<circle cx="{(p.x - x0) * scale:.1f}" cy="{(y1 - p.y) * scale:.1f}" r="6" class="sg-mark" '
                   'fill="#d00000" stroke="#fff" stroke-width="2"/>' for p in points)
    this = (f'<path d="{path(shape)}" class="sg-this" fill="#1f4e79" fill-opacity=".22" stroke="#1f4e79" '
            'stroke-width="3"/>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {(x1 - x0) * scale:.0f} {(y1 - y0) * scale:.0f}" '
            f'class="sg-extent" role="img">{others}{this}{dots}</svg>')


def qr_svg(url: str) -> str:
    """Return the QR code of ``url`` as inline SVG (no image request, prints sharp)."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", border=2, xmldecl=False, svgns=True, svgclass="sg-qr", omitsize=True)
    return out.getvalue().decode()
