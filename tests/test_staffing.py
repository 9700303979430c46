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


def test_table_lists_what_each_grid_lists_alone():
    """The column-wise table gives every grid the shortfalls, in the order, grid_shortfalls gives it alone."""
    import numpy as np

    from grids.roles import ROLE_KINDS
    from grids.staffing import _grids_per_person

    rng = np.random.default_rng(7)
    codes = [f"g{i}" for i in range(300)]
    people = [f"p{i}" for i in range(120)]
    rows = []
    for code in codes[:-20]:  # the last 20 grids have nobody
        for _ in range(int(rng.integers(0, 9))):
            person = people[int(rng.integers(len(people)))]
            pick = rng.random()
            backup = None if pick < 0.3 else person if pick < 0.4 else people[int(rng.integers(len(people)))]
            rows.append((code, person, ROLE_KINDS[int(rng.integers(len(ROLE_KINDS)))], backup))
    rows.append(("not-a-grid", "p1", "leader", None))  # counts towards p1's grids, belongs to no row
    frame = roles(*rows)
    households = rng.integers(0, 450, len(codes))
    grids = pd.DataFrame({"code": codes, "community": ["450203008001"] * len(codes), "households": households})
    table = staffing_table(grids, frame, max_grids_per_person=4)
    spread = _grids_per_person(frame, 4)
    assert spread  # the draw does spread some people thin
    seen = set()
    for code, h, kinds, messages, status, cleaners in zip(table["code"], households, table["shortfalls"],
                                                          table["messages"], table["status"], table["cleaners"]):
        own = frame[frame["grid"] == code]
        alone = grid_shortfalls(int(h), own, spread, 4)
        assert kinds == [s.kind for s in alone]
        assert messages == [s.message for s in alone]
        assert cleaners == (own["role"] == "cleaner").sum()
        assert status == ("unstaffed" if own.empty else "short" if alone else "complete")
        seen.update(kinds)
    assert seen >= {"no_leader", "many_leaders", "missing_roles", "cleaners_below_ratio", "no_backup",
                    "backup_is_self", "spread_too_thin"}


def test_table_refuses_bad_households_and_repeated_codes():
    for bad in ([-1], [1.5], [None]):
        with pytest.raises(ValueError):
            staffing_table(pd.DataFrame({"code": ["g1"], "community": ["c"], "households": bad}), roles())
    with pytest.raises(ValueError, match="repeat"):
        staffing_table(pd.DataFrame({"code": ["g1", "g1"], "community": ["c"] * 2, "households": [1, 2]}), roles())
