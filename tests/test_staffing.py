import pandas as pd
import pytest

from grids.staffing import grid_shortfalls, required_cleaners, staffing_rollup, staffing_table


@pytest.mark.parametrize("households, cleaners", [(0, 0), (1, 1), (99, 1), (100, 1), (101, 2), (250, 3)])
def test_one_cleaner_per_hundred_households(households, cleaners):
    assert required_cleaners(households) == cleaners


@pytest.mark.parametrize("bad", [-1, 1.5, float("nan"), None, True])
def test_required_cleaners_refuses_nonsense(bad):
    with pytest.raises(ValueError):
        required_cleaners(bad)


def roles(*rows):
    return pd.DataFrame(rows, columns=["grid", "person", "role", "backup"])


FULL = [("g1", "p1", "leader", None), ("g1", "p2", "cleaner", "p3"), ("g1", "p4", "patroller", None),
        ("g1", "p5", "manager", None), ("g1", "p6", "supervisor", None), ("g1", "p7", "volunteer", None)]


def test_a_fully_staffed_grid_has_no_shortfall():
    assert grid_shortfalls(100, roles(*FULL)) == []


def test_every_shortfall_is_listed():
    kinds = [s.kind for s in grid_shortfalls(150, roles(("g1", "p2", "cleaner", None)))]
    assert kinds == ["no_leader", "missing_roles", "cleaners_below_ratio", "no_backup"]


def test_backup_must_be_another_person():
    rows = FULL[:1] + [("g1", "p2", "cleaner", "p2")] + FULL[2:]
    assert [s.kind for s in grid_shortfalls(100, roles(*rows))] == ["backup_is_self"]


def test_person_spread_over_too_many_grids():
    table = staffing_table(pd.DataFrame({"code": ["g1", "g2"], "community": ["450203008001"] * 2,
                                         "households": [0, 0]}),
                           roles(("g1", "p1", "leader", None), ("g2", "p1", "leader", None)), max_grids_per_person=1)
    assert all("spread_too_thin" in s for s in table["shortfalls"])


def test_status_and_rollup():
    grids = pd.DataFrame({"code": ["450203008001001", "450203008001002"], "community": ["450203008001"] * 2,
                          "households": [100, 250]})
    rows = [(("450203008001001",) + r[1:]) for r in FULL]
    table = staffing_table(grids, roles(*rows))
    assert list(table["status"]) == ["complete", "unstaffed"]
    regions = pd.DataFrame({"code": ["450203", "450203008", "450203008001"], "name": ["鱼峰区", "阳和街道", "阳和社区"],
                            "level": ["district", "street", "community"]})
    rollup = staffing_rollup(table, regions).set_index("code")
    assert rollup.loc["450203", "cleaner_gap"] == 3
    assert rollup.loc["450203", "households_uncovered"] == 250
    assert rollup.loc["450203008001", "name"] == "阳和社区"


# Six grids worked out by hand, at most 2 grids per person. p1 leads g1 and g5 and is g5's volunteer
# and g6's cleaner backup (3 grids); p3 backs g1's cleaner, volunteers in g2 and leads a grid outside
# the table (3 grids). Everyone else serves one grid.
HAND_GRIDS = pd.DataFrame({"code": ["g1", "g2", "g3", "g4", "g5", "g6"], "community": ["450203008001"] * 6,
                           "households": [100, 250, 0, 101, 50, 10]})
HAND_ROLES = roles(
    *FULL[:6],
    ("g2", "p8", "leader", None), ("g2", "p9", "cleaner", None), ("g2", "p10", "cleaner", "p10"),
    ("g2", "p11", "patroller", None), ("g2", "p12", "manager", None), ("g2", "p13", "supervisor", None),
    ("g2", "p3", "volunteer", None),
    ("g3", "p15", "leader", None), ("g3", "p16", "leader", None),
    ("g5", "p1", "leader", None), ("g5", "p17", "cleaner", "p18"), ("g5", "p19", "patroller", None),
    ("g5", "p20", "manager", None), ("g5", "p21", "supervisor", None), ("g5", "p1", "volunteer", None),
    ("g6", "p22", "leader", None), ("g6", "p23", "cleaner", "p1"), ("g6", "p24", "patroller", None),
    ("g6", "p25", "manager", None), ("g6", "p26", "supervisor", None), ("g6", "p27", "volunteer", None),
    ("elsewhere", "p3", "leader", None))
P1_THIN, P3_THIN = "p1兼任3个网格 (上限2) serves 3 grids", "p3兼任3个网格 (上限2) serves 3 grids"
HAND_EXPECTED = {  # code: (required, cleaners, leader, status, [(kind, message), ...])
    "g1": (1, 1, "p1", "short", [("spread_too_thin", P1_THIN), ("spread_too_thin", P3_THIN)]),
    "g2": (3, 2, "p8", "short", [("cleaners_below_ratio", "保洁员2名, 需3名 cleaners 2 < 3 required"),
                                 ("no_backup", "保洁员A岗p9无B岗 cleaner post p9 has no backup"),
                                 ("backup_is_self", "保洁员p10的B岗是本人 backup of p10 is the same person"),
                                 ("spread_too_thin", P3_THIN)]),
    "g3": (0, 0, "p15", "short", [("many_leaders", "2 名网格长 (应为1名) 2 leaders, expected 1"),
                                  ("missing_roles", "缺少保洁员、巡查员、管理责任人、监督员、志愿者 missing: cleaner, "
                                                    "patroller, manager, supervisor, volunteer")]),
    "g4": (2, 0, None, "unstaffed", [("no_leader", "无网格长 no grid leader"),
                                     ("missing_roles", "缺少保洁员、巡查员、管理责任人、监督员、志愿者 missing: cleaner, "
                                                       "patroller, manager, supervisor, volunteer"),
                                     ("cleaners_below_ratio", "保洁员0名, 需2名 cleaners 0 < 2 required")]),
    "g5": (1, 1, "p1", "short", [("spread_too_thin", P1_THIN)]),
    "g6": (1, 1, "p22", "short", [("spread_too_thin", P1_THIN)]),
}


def test_table_of_hand_computed_grids():
    table = staffing_table(HAND_GRIDS, HAND_ROLES, max_grids_per_person=2).set_index("code")
    for code, (required, cleaners, leader, status, found) in HAND_EXPECTED.items():
        row = table.loc[code]
        lead = row["leader"] if pd.notna(row["leader"]) else None
        assert (row["required_cleaners"], row["cleaners"], lead, row["status"]) == (
            required, cleaners, leader, status), code
        assert list(zip(row["shortfalls"], row["messages"])) == found, code


@pytest.mark.parametrize("code", list(HAND_EXPECTED))
def test_one_grid_alone_is_the_table_on_one_row(code):
    """grid_shortfalls runs the table's rules on one grid; the register's counts come in as grids_per_person."""
    households = int(HAND_GRIDS.set_index("code").loc[code, "households"])
    own = HAND_ROLES[HAND_ROLES["grid"] == code]
    found = grid_shortfalls(households, own, {"p1": 3, "p3": 3}, max_grids_per_person=2)
    assert [(s.kind, s.message) for s in found] == HAND_EXPECTED[code][4]


def test_the_cleaner_ratio_is_written_once():
    """Households divided by 100 (or HOUSEHOLDS_PER_CLEANER) appears in one function of the code, no other."""
    import ast
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    hits = []
    for path in sorted(p for folder in ("grids", "gis_app", "layers") for p in (root / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.FloorDiv)) and (
                    ast.unparse(node.right) in ("100", "HOUSEHOLDS_PER_CLEANER")) and "households" in ast.unparse(node):
                hits.append(f"{path.relative_to(root)}:{ast.unparse(node)}")
    assert hits == ["grids/staffing.py:-households // HOUSEHOLDS_PER_CLEANER"]


def test_table_refuses_bad_households_and_repeated_codes():
    for bad in ([-1], [1.5], [None]):
        with pytest.raises(ValueError):
            staffing_table(pd.DataFrame({"code": ["g1"], "community": ["c"], "households": bad}), roles())
    with pytest.raises(ValueError, match="repeat"):
        staffing_table(pd.DataFrame({"code": ["g1", "g1"], "community": ["c"] * 2, "households": [1, 2]}), roles())
