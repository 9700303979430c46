"""The gap report as JSON, GeoJSON features, an aligned terminal table, CSV and xlsx."""
from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import pandas as pd

from grids.fileio import escape_formula, write_table, write_vector
from grids.gaps import SPATIAL_KINDS

from .gap_report import GapResult
from .textable import render_table

__all__ = ["KIND_LABELS", "LEVEL_LABELS", "summary", "gap_features", "finding_places", "render_text",
           "write_report", "GAP_FORMATS"]

GAP_FORMATS = ("table", "json", "csv", "xlsx", "geojson")
LEVEL_LABELS = {"district": "区县", "street": "街道", "community": "社区"}
KIND_LABELS = {
    "hole": "空洞", "sliver": "缝隙", "overlap": "网格重叠", "outside": "超出边界",
    "no_leader": "无网格长", "many_leaders": "网格长多于1名", "missing_roles": "缺少人员类别",
    "cleaners_below_ratio": "保洁员低于配比", "no_backup": "保洁员无B岗", "backup_is_self": "B岗为本人",
    "spread_too_thin": "兼任网格过多", "understaffed": "人员不齐网格",
    "frontage_unsigned": "门前三包签订不足",
}
ROLLUP_LABELS = {
    "level": "级别", "code": "编码", "name": "名称", "area_m2": "面积(m²)", "grids": "网格数",
    "hole_count": "空洞数", "hole_m2": "空洞面积(m²)", "sliver_count": "缝隙数", "sliver_m2": "缝隙面积(m²)",
    "uncovered_pct": "未覆盖(%)", "overlap_count": "重叠对数", "overlap_m2": "重叠面积(m²)",
    "outside_count": "越界网格", "outside_m2": "越界面积(m²)", "short": "缺员网格", "unstaffed": "无人网格",
    "cleaner_gap": "缺保洁员", "households_uncovered": "缺保洁户数",
    "frontage_length_m": "沿街长度(m)", "frontage_signed_m": "已签长度(m)", "frontage_signed_pct": "签订率(%)",
    "frontage_units": "责任单位", "frontage_units_unsigned": "未签单位", "frontage_expiring_30d": "即将到期",
    "frontage_unregistered_m": "未登记沿街(m)", "frontage_unsigned_count": "签订不足网格", "score": "覆盖得分",
}
FINDING_LABELS = {"kind_label": "问题", "region": "所在区域", "region_name": "区域名称", "code": "网格",
                  "other": "另一网格",
                  "area_m2": "面积(m²)", "households": "户数", "cleaner_gap": "缺保洁员", "detail": "说明"}


def _plain(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _findings_table(result: GapResult) -> pd.DataFrame:
    table = pd.DataFrame(result.report.findings.drop(columns="geometry"))
    table["area_m2"] = table["area_m2"].astype(float).round(2)
    table.insert(1, "kind_label", table["kind"].map(KIND_LABELS).fillna(table["kind"]))
    table.insert(3, "region_name", table["region"].map(dict(zip(result.regions["code"], result.regions["name"]))))
    return table


def summary(result: GapResult) -> dict:
    """Return the report as JSON-ready data: scope, settings, roll-up and findings (no geometry)."""
    rollup = result.report.rollup.copy()
    rollup["level_label"] = rollup["level"].map(LEVEL_LABELS)
    s = result.report.settings
    return {"scope": result.scope, "metric_crs": result.metric_crs,
            "settings": {"sliver_area_m2": s.sliver_area_m2, "overlap_tolerance_m2": s.overlap_tolerance_m2,
                         "outside_tolerance_m": s.outside_tolerance_m,
                         "max_grids_per_person": s.max_grids_per_person},
            "rollup": _records(rollup.round(2)), "findings": _records(_findings_table(result))}


def _understaffed(result: GapResult) -> pd.DataFrame:
    table = result.report.staffing
    if table is None or table.empty:
        return pd.DataFrame()
    short = table[table["status"] != "complete"]
    geoms = dict(zip(result.grids["code"], result.grids.geometry))
    return pd.DataFrame({"kind": "understaffed", "region": short["community"], "code": short["code"],
                         "households": short["households"],
                         "cleaner_gap": (short["required_cleaners"] - short["cleaners"]).clip(lower=0),
                         "detail": short["messages"].str.join("；"), "geometry": short["code"].map(geoms)})


def gap_features(result: GapResult) -> gpd.GeoDataFrame:
    """Return the hole, sliver, overlap and out-of-bounds polygons and the under-staffed grids (EPSG:4326)."""
    findings = result.report.findings
    spatial = findings[findings["kind"].isin(SPATIAL_KINDS)].to_crs("EPSG:4326")
    frame = pd.concat([pd.DataFrame(spatial), _understaffed(result)], ignore_index=True)
    frame = frame.reindex(columns=["kind", "region", "code", "other", "area_m2", "households", "cleaner_gap",
                                   "detail", "geometry"])
    frame.insert(1, "kind_label", frame["kind"].map(KIND_LABELS))
    frame["area_m2"] = frame["area_m2"].astype(float).round(2)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")


def finding_places(result: GapResult) -> list[dict | None]:
    """Where each finding of ``summary(result)["findings"]`` is, for the page to zoom to it.

    One entry per finding, in the same order: ``bounds`` (minx, miny, maxx, maxy) and ``point``
    (a representative point inside it, lon/lat) in EPSG:4326, or None when nothing locates it. A
    staffing finding has no shape of its own and takes its grid's, else its region's.
    """
    findings = result.report.findings
    own = gpd.GeoSeries(findings.geometry, crs=findings.crs).to_crs("EPSG:4326")
    grids = result.grids[result.grids.geometry.notna()]
    by_code = dict(zip(grids["code"], grids.geometry))
    by_region = dict(zip(result.regions["code"], result.regions.geometry))
    places = []
    for geom, code, region in zip(own, findings["code"], findings["region"]):
        if geom is None or geom.is_empty:
            geom = by_code.get(code) or by_region.get(region)
        if geom is None or geom.is_empty:
            places.append(None)
            continue
        point = geom.representative_point()
        places.append({"bounds": [round(v, 7) for v in geom.bounds], "point": [round(point.x, 7), round(point.y, 7)]})
    return places


def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:,.1f}" if isinstance(value, float) else str(value)


def render_text(result: GapResult) -> str:
    """Return the roll-up and the findings as terminal tables that line Chinese up."""
    rollup = result.report.rollup
    cols = [c for c in ROLLUP_LABELS if c in rollup.columns]
    rows = [[LEVEL_LABELS.get(r["level"], r["level"]) if c == "level" else _fmt(r[c]) for c in cols]
            for r in rollup.to_dict("records")]
    head = f"覆盖缺口报告 coverage gaps: {result.scope} ({result.metric_crs})"
    findings = _findings_table(result)
    fcols = list(FINDING_LABELS)
    frows = [[_fmt(r[c]) for c in fcols] for r in findings.to_dict("records")]
    return "\n\n".join([head, render_table([ROLLUP_LABELS[c] for c in cols], rows),
                        render_table([FINDING_LABELS[c] for c in fcols], frows)])


def write_report(result: GapResult, fmt: str, path=None) -> str | None:
    """Write the report in ``fmt`` to ``path``; return the text instead when ``path`` is None.

    csv, xlsx and geojson need a path; table and json are text, written to ``path`` if given.
    """
    if fmt in ("table", "json"):
        import orjson
        text = render_text(result) if fmt == "table" else orjson.dumps(
            summary(result), option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY).decode()
        if path is None:
            return text
        Path(path).write_text(text + "\n", encoding="utf-8")
        return None
    if fmt == "geojson":
        write_vector(gap_features(result), path, "geojson")
    elif fmt == "csv":
        write_table(_findings_table(result).rename(columns=FINDING_LABELS), path, "csv")
    else:
        _write_xlsx(result, Path(path))
    return None


def _write_xlsx(result: GapResult, path: Path) -> None:
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    rollup = result.report.rollup
    cols = [c for c in ROLLUP_LABELS if c in rollup.columns and c != "level"]
    for level, label in LEVEL_LABELS.items():
        part = rollup[rollup["level"] == level]
        _sheet(wb, label, [ROLLUP_LABELS[c] for c in cols], part[cols].round(2).to_dict("records"), Font)
    findings = _findings_table(result)
    _sheet(wb, "问题清单", list(FINDING_LABELS.values()), findings[list(FINDING_LABELS)].to_dict("records"), Font)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def _sheet(wb, title, headers, rows, font) -> None:
    ws = wb.create_sheet(title)
    ws.append(headers)
    for cell in ws[1]:
        cell.font = font(bold=True)
    for row in rows:
        ws.append([escape_formula(_plain(v)) for v in row.values()])
    ws.freeze_panes = "A2"
