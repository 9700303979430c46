"""OSM 预处理 Prepare assign-grids inputs from an OSM extract: buildings with households, block roads.

Reads a .osm / .osm.pbf (GDAL's OSM driver) or GDAL's *_multipolygons.geojson of one (its
*_lines.geojson beside it) and writes the two files ``sanigrid assign-grids --buildings F
--roads F`` reads (gis_app.osm_inputs.prepare_osm): households estimated as assign-grids
estimates them, roads of the OSM highway classes that bound blocks.
"""
from __future__ import annotations

from pathlib import Path

from _common import DONE, FINDINGS, open_register, parser, refuse, run


def arguments(argv=None):
    p = parser(__doc__)
    p.add_argument("source", type=Path, help="OSM 数据 .osm, .osm.pbf or *_multipolygons.geojson")
    p.add_argument("--buildings", required=True, type=Path,
                   help="建筑输出 buildings file to write (.geojson, .gpkg, .shp, .zip or .csv)")
    p.add_argument("--roads", required=True, type=Path,
                   help="道路输出 roads file to write (.geojson, .gpkg, .shp, .zip or .csv)")
    return p.parse_args(argv)


def main() -> int:
    from gis_app.osm_inputs import prepare_osm
    from grids.fileio import FileFormatError, write_vector
    from grids.fileio.formats import format_of
    args = arguments()
    try:
        formats = [format_of(path) for path in (args.buildings, args.roads)]
    except FileFormatError as exc:
        refuse(str(exc))
    if "xlsx" in formats:
        refuse("write the buildings and roads as .geojson, .gpkg, .shp, .zip or .csv, not .xlsx")
    _, settings = open_register()
    inputs = prepare_osm(settings, args.source)
    try:
        for frame, path, fmt in zip((inputs.buildings, inputs.roads), (args.buildings, args.roads), formats):
            write_vector(frame, path, fmt)
    except FileFormatError as exc:
        refuse(str(exc))
    for note in inputs.notes:
        print(f"note: {note}")
    print(f"buildings: {len(inputs.buildings)} written to {args.buildings}; roads: {len(inputs.roads)} written to "
          f"{args.roads}")
    empty = int(inputs.buildings["households"].sum()) == 0 or inputs.roads.empty
    if empty:
        print("finding: " + ("no building holds households" if int(inputs.buildings["households"].sum()) == 0
                             else "no road of the classes that bound blocks"))
    return FINDINGS if empty else DONE


if __name__ == "__main__":
    run(main)
