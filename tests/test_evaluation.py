"""The monthly evaluation: the score formula by hand, the ranking, its change, and regions not inspected."""
import numpy as np
import pandas as pd
import pytest

from grids.evaluation import monthly_evaluation
from grids.kpis import monthly_kpis

A1, A2 = "450203005013001", "450203005013002"   # community 450203005013
B1 = "450203005014001"                           # community 450203005014, same street
C1 = "450203006001001"                           # another street, never inspected


def _cases():
    rows = [  # all due in November 2026
        (A1, "2026-11-02 09:00", "2026-11-03 09:00", "2026-11-03 08:00", False, 0, "normal", "甲"),   # on time
        (A1, "2026-11-02 09:00", "2026-11-03 09:00", "2026-11-05 09:00", False, 1, "normal", "甲"),   # late, reworked
        (B1, "2026-11-02 09:00", "2026-11-03 09:00", pd.NaT, False, 0, "normal", "乙"),               # open
        (C1, "2026-11-02 09:00", "2026-11-03 09:00", "2026-11-03 08:00", False, 0, "normal", "丙"),
    ]
    frame = pd.DataFrame(rows, columns=["grid", "registered_at", "deadline", "closed_at", "deferred", "reworks",
                                        "severity", "person"])
    for column in ("registered_at", "deadline", "closed_at"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def _inspections():
    return pd.DataFrame({"grid": [A1, A2, B1, B1], "kind": ["daily", "monthly", "weekly", "daily"],
                         "score": [70.0, 90.0, 80.0, np.nan], "unit": ["F1", None, "F2", "F2"]})


def test_score_by_hand():
    out = monthly_evaluation(_inspections(), monthly_kpis(_cases(), "2026-11")).set_index(["level", "code"])
    a = out.loc[("community", "450203005013")]
    # inspections: (70×1 + 90×3) / 4 = 85; cases: 2 due, 2 closed, 1 on time, 1 reworked
    # → 0.5×100 + 0.3×50 + 0.2×(100−50) = 75; score 0.6×85 + 0.4×75 = 81
    assert (a["inspections"], a["inspection_score"], a["case_score"], a["score"]) == (2, 85.0, 75.0, 81.0)
    b = out.loc[("community", "450203005014")]
    # one scored inspection (weekly 80; the NaN one applies to nothing); 1 due, none closed → case score 0
    assert (b["inspections"], b["inspection_score"], b["case_score"], b["score"]) == (1, 80.0, 0.0, 48.0)
    assert (a["rank"], b["rank"]) == (1, 2)
    street = out.loc[("street", "450203005")]
    assert street["inspection_score"] == round((70 + 270 + 160) / 6, 2)


def test_a_region_without_inspections_is_not_ranked():
    out = monthly_evaluation(_inspections(), monthly_kpis(_cases(), "2026-11")).set_index(["level", "code"])
    c = out.loc[("community", "450203006001")]
    assert c["inspections"] == 0 and np.isnan(c["score"]) and np.isnan(c["rank"])
    assert c["case_score"] == 100.0


def test_units_and_rank_change_against_last_month():
    kpis = monthly_kpis(_cases(), "2026-11")
    october = monthly_evaluation(_inspections().assign(score=[10.0, 10.0, 99.0, np.nan]), kpis)
    november = monthly_evaluation(_inspections(), kpis, previous=october).set_index(["level", "code"])
    assert october.set_index(["level", "code"]).loc[("community", "450203005014"), "rank"] == 1
    assert november.loc[("community", "450203005014"), "rank_change"] == -1   # fell from 1st to 2nd
    assert november.loc[("community", "450203005013"), "rank_change"] == 1
    assert november.loc[("unit", "F1"), "inspection_score"] == 70.0
    assert november.loc[("unit", "F2"), "inspections"] == 1


@pytest.mark.parametrize("levels", [("community",), ("unit",)])
def test_levels_can_be_chosen(levels):
    out = monthly_evaluation(_inspections(), monthly_kpis(_cases(), "2026-11"), levels=levels)
    assert set(out["level"]) == set(levels)
