"""重绘网格 Redraw every community of a street or district whose grids miss the household bounds or leave gaps.

One dry-run proposal GeoJSON per community and one summary xlsx; the register changes only
with --apply. Each redraw is ``sanigrid assign-grids`` (gis_app.assignment.assign_grids).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from _common import DONE, FINDINGS, open_register, parser, progress, refuse, run

SUMMARY_COLUMNS = {"community": "社区编码 community", "name": "社区 name", "why": "原因 why",
                   "grids_before": "网格数(前) grids before", "grids_after": "网格数(后) grids after",
                   "households_cv_before": "户数CV(前) households CV before",
                   "households_cv_after": "户数CV(后) households CV after",
                   "polsby_popper_before": "紧凑度PP(前) Polsby-Popper before",
                   "polsby_popper_after": "紧凑度PP(后) Polsby-Popper after",
                   "within_bounds_after": "达标网格(后) within bounds after", "proposal": "方案文件 proposal",
                   "written": "已写入 written", "refused": "未能重绘 refused"}


def arguments(argv=None):
    p = parser(__doc__)
    area = p.add_mutually_exclusive_group(required=True)
    area.add_argument("--street", help="街道编码 9-digit street code")
    area.add_argument("--district", help="区编码 6-digit district code")
    p.add_argument("--min-households", type=int, default=300, help="每网格最少户数 (as in assign-grids)")
    p.add_argument("--max-households", type=int, default=500, help="每网格最多户数 (as in assign-grids)")
    p.add_argument("-o", "--output", required=True, type=Path,
                   help="输出文件夹 folder for <community>.geojson proposals and summary.xlsx")
    p.add_argument("--seed", type=int, default=0, help="随机种子 random seed of the search")
    p.add_argument("--apply", action="store_true", help="写入登记库 write the redrawn grids (default: dry run)")
    return p.parse_args(argv)


def main() -> int:
    from gis_app.assignment import write_proposal
    from gis_app.redraw import communities_to_redraw, redraw_community
    from grids.assign import Bounds
    from grids.fileio import write_table
    args = arguments()
    if not 0 < args.min_households <= args.max_households:
        refuse("--min-households must be at least 1 and not exceed --max-households")
    if args.output.exists() and not args.output.is_dir():
        refuse(f"--output {args.output} is a file, not a folder")
    bounds = Bounds(args.min_households, args.max_households)
    engine, settings = open_register()
    todo = communities_to_redraw(engine, settings, args.street or args.district, bounds)
    args.output.mkdir(parents=True, exist_ok=True)
    rows = []
    for community, name, why in progress(list(todo.itertuples(index=False)), "redraw", unit="community"):
        result = redraw_community(engine, settings, community, name, bounds=bounds, apply=args.apply, seed=args.seed)
        row = {**result.row, "why": why, "proposal": None}
        if result.proposal is not None:
            path = args.output / f"{community}.geojson"
            write_proposal(result.proposal, path)
            row["proposal"] = path.name
        rows.append(row)
    summary = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS)).rename(columns=SUMMARY_COLUMNS)
    write_table(summary, args.output / "summary.xlsx", "xlsx")
    short = [r for r in rows if r["refused"] or r["within_bounds_after"] != r["grids_after"]]
    print(f"{len(todo)} communities to redraw, {len(rows) - len(short)} redrawn within bounds, "
          f"{len(short)} not; {'written to the register' if args.apply else 'dry run: nothing written'}; "
          f"summary: {args.output / 'summary.xlsx'}")
    return FINDINGS if short else DONE


if __name__ == "__main__":
    run(main)
