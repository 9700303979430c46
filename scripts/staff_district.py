"""人员配置 Staff a whole district from one roster file; write the unfilled posts (grid, role, why) as xlsx.

The roster is the one ``sanigrid assign-staff --people`` reads (phone, name, kinds, lon, lat,
capacity); the plan is that command's (gis_app.assignment.assign_staff_to_grids).
"""
from __future__ import annotations

from pathlib import Path

from _common import DONE, FINDINGS, open_register, parser, refuse, run

UNFILLED_COLUMNS = {"grid": "网格编码 grid", "role": "岗位 role", "role_label": "岗位名称 label",
                    "needed": "需 needed", "filled": "已配 filled", "why": "原因 why"}


def arguments(argv=None):
    p = parser(__doc__)
    p.add_argument("--district", required=True, help="区编码 6-digit district code")
    p.add_argument("--people", required=True, type=Path,
                   help="人员名单 roster CSV/xlsx: phone, name, kinds, lon, lat, capacity (as assign-staff)")
    p.add_argument("-o", "--output", required=True, type=Path, help="未配岗位 xlsx of the unfilled posts")
    p.add_argument("--max-grids-per-person", type=int, default=None,
                   help="每人最多网格数 posts one person may hold (default: SANIGRID_MAX_GRIDS_PER_PERSON)")
    p.add_argument("--encoding", help="CSV 编码 text encoding of the roster, e.g. gbk")
    p.add_argument("--dry-run", action="store_true", help="只报告不写入 report the plan; write nothing")
    return p.parse_args(argv)


def main() -> int:
    from gis_app.assignment import assign_staff_to_grids
    from grids.fileio import write_table
    from grids.roles import ROLE_LABELS
    args = arguments()
    if len(args.district) != 6:
        refuse(f"--district takes a 6-digit district code, got {args.district!r}")
    if args.output.suffix.lower() != ".xlsx":
        refuse(f"--output must be an .xlsx file, got {args.output.name}")
    engine, settings = open_register()
    limit = args.max_grids_per_person or int(settings["SANIGRID_MAX_GRIDS_PER_PERSON"])
    proposal = assign_staff_to_grids(engine, settings, args.district, args.people, max_grids_per_person=limit,
                                     encoding=args.encoding, dry_run=args.dry_run, by="staff_district")
    unfilled = proposal.shortfalls.assign(role_label=proposal.shortfalls["role"].map(ROLE_LABELS))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_table(unfilled[list(UNFILLED_COLUMNS)].rename(columns=UNFILLED_COLUMNS), args.output, "xlsx")
    f = proposal.figures
    print(f"{f['grids']} grids, posts {f['posts']}, filled {f['filled']}, people used {f['people_used']} of "
          f"{f['people']}; {len(unfilled)} unfilled (grid, role) rows in {args.output}; "
          + (proposal.imported.summary() if proposal.imported else "dry run: nothing written"))
    return FINDINGS if len(unfilled) else DONE


if __name__ == "__main__":
    run(main)
