"""批量导入 Import a folder of GIS files, each file one transaction, and print what landed and what was refused.

GeoJSON, GeoPackage, Shapefile (.shp or a .zip holding one), CSV and xlsx. The layer comes
from the file name (regions*, grids*, people*) or --layer; regions go first, then grids,
then people. Each file is ``sanigrid import`` (gis_app.imports.import_file): all or nothing.
"""
from __future__ import annotations

from pathlib import Path

from _common import DONE, FINDINGS, open_register, parser, progress, refuse, run

LAYER_ORDER = ("regions", "grids", "people")
SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".zip", ".csv", ".xlsx"}
SUMMARY_COLUMNS = {"file": "文件 file", "layer": "图层 layer", "result": "结果 result", "created": "新增 created",
                   "updated": "更新 updated", "unchanged": "未变 unchanged", "reason": "原因 reason"}


def arguments(argv=None):
    p = parser(__doc__)
    p.add_argument("folder", type=Path, help="文件夹 folder of GIS files")
    p.add_argument("--layer", choices=LAYER_ORDER, help="图层 import every file as this layer (default: from the "
                                                        "file name: regions*, grids*, people*)")
    p.add_argument("--crs", help="坐标系 the files' CRS when they do not say: EPSG:n, gcj02 or bd09")
    p.add_argument("--encoding", help="编码 text encoding of Shapefile DBFs and CSVs, e.g. gbk")
    p.add_argument("--make-valid", action="store_true", help="修复无效几何 repair invalid geometries")
    p.add_argument("--dry-run", action="store_true", help="只校验不写入 validate every file; write nothing")
    p.add_argument("--summary", type=Path, help="汇总表 also write the summary as .csv or .xlsx")
    return p.parse_args(argv)


def layer_of(path: Path, forced: str | None) -> str | None:
    """The layer a file goes to: --layer, else the layer its name starts with (None: not an input)."""
    if forced:
        return forced
    name = path.name.lower()
    return next((layer for layer in LAYER_ORDER if name.startswith(layer)), None)


def inputs(folder: Path, forced: str | None) -> tuple[list, list]:
    """(layer, file) pairs in import order, and the files left out with why."""
    chosen, skipped = [], []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES):
        layer = layer_of(path, forced)
        if layer is None:
            skipped.append(path.name)
        else:
            chosen.append((layer, path))
    return sorted(chosen, key=lambda c: LAYER_ORDER.index(c[0])), skipped


def import_one(engine, settings, layer, path, args) -> dict:
    from gis_app.errors import SanigridError
    from gis_app.imports import import_file
    row = {"file": path.name, "layer": layer}
    try:
        report = import_file(engine, settings, layer, path, crs=args.crs, encoding=args.encoding,
                             dry_run=args.dry_run, make_valid=args.make_valid, by="import_folder")
    except SanigridError as exc:
        problems = getattr(exc, "problems", [])
        reason = exc.detail + "".join(f"; {p}" for p in problems[:5]) + (" ..." if len(problems) > 5 else "")
        return {**row, "result": "refused", "created": 0, "updated": 0, "unchanged": 0, "reason": reason}
    return {**row, "result": "would land" if args.dry_run else "landed", "created": len(report.created),
            "updated": len(report.updated), "unchanged": len(report.unchanged), "reason": "; ".join(report.notes)}


def main() -> int:
    from gis_app.textable import render_table
    args = arguments()
    if not args.folder.is_dir():
        refuse(f"{args.folder} is not a folder")
    if args.summary and args.summary.suffix.lower() not in (".csv", ".xlsx"):
        refuse(f"--summary must be a .csv or .xlsx file, got {args.summary.name}")
    chosen, skipped = inputs(args.folder, args.layer)
    if not chosen:
        refuse(f"{args.folder} holds no regions*, grids* or people* GIS file (give --layer for other names)")
    engine, settings = open_register()
    rows = [import_one(engine, settings, layer, path, args)
            for layer, path in progress(chosen, "import", unit="file")]
    print(render_table(list(SUMMARY_COLUMNS.values()), [[r[k] for k in SUMMARY_COLUMNS] for r in rows]))
    for name in skipped:
        print(f"note: {name} left out: its name starts with none of {', '.join(LAYER_ORDER)}")
    if args.summary:
        import pandas as pd
        from grids.fileio import write_table
        write_table(pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS)).rename(columns=SUMMARY_COLUMNS),
                    args.summary, args.summary.suffix.lower().lstrip("."))
    refused = sum(r["result"] == "refused" for r in rows)
    print(f"{len(rows) - refused} of {len(rows)} files {'would land' if args.dry_run else 'landed'}, {refused} refused")
    return FINDINGS if refused else DONE


if __name__ == "__main__":
    run(main)
