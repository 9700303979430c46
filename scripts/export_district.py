"""导出区县 Export a district as one GeoPackage of every layer, styled as the viewer for QGIS.

Regions and grids are map layers whose default QGIS style (the ``layer_styles`` table) is the
viewer's: grids by staffing status, boundaries by level; people and roles are attribute
tables. The layers are gis_app.exports.GPKG_LAYERS, written by export_geopackage.
"""
from __future__ import annotations

from pathlib import Path

from _common import DONE, open_register, parser, refuse, run


def arguments(argv=None):
    p = parser(__doc__)
    p.add_argument("--district", required=True, help="区编码 6-digit district code")
    p.add_argument("-o", "--output", required=True, type=Path, help="输出 GeoPackage file (.gpkg)")
    return p.parse_args(argv)


def main() -> int:
    from gis_app.exports import export_geopackage
    args = arguments()
    if args.output.suffix.lower() != ".gpkg":
        refuse(f"--output must be a .gpkg file, got {args.output.name}")
    engine, settings = open_register()
    counts = export_geopackage(engine, settings, args.district, args.output)
    print(f"{args.output}: " + ", ".join(f"{name} {n}" for name, n in counts.items()))
    return DONE


if __name__ == "__main__":
    run(main)
