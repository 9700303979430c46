"""Monthly case measures: the formulas on hand-made cases and on a published monthly report."""
import numpy as np
import pandas as pd
import pytest

from grids.kpis import monthly_kpis

GRID_A, GRID_B = "450203005013001", "450203005013002"   # one community
GRID_C = "450203006001001"                                # another street


def _cases(rows):
    frame = pd.DataFrame(rows, columns=["grid", "registered_at", "deadline", "closed_at", "deferred", "reworks",
                                        "severity", "person"])
    for column in ("registered_at", "deadline", "closed_at"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def test_the_published_monthly_report():
    # 972 cases due in the month, 911 closed, 737 of them on time, none deferred → 93.72 % and 75.82 %.
    due = pd.Timestamp("2026-11-10 09:00")
    closed = [due - pd.Timedelta(hours=1)] * 737 + [due + pd.Timedelta(days=2)] * (911 - 737) + [pd.NaT] * (972 - 911)
    cases = _cases([(GRID_A, "2026-11-09 09:00", due, c, False, 0, "normal", "p") for c in closed])
    row = monthly_kpis(cases, "2026-11").set_index(["level", "code"]).loc[("district", "450203")]
    assert (row["due"], row["closed"], row["closed_on_time"]) == (972, 911, 737)
    assert row["closure_rate"] == 93.72 and row["on_time_rate"] == 75.82


def test_hand_made_cases_per_level():
    cases = _cases([
        # grid A: due in November; closed on time after one rework; registered Monday 08:30, closed Tuesday 08:30
        (GRID_A, "2026-11-09 08:30", "2026-11-11 08:30", "2026-11-10 08:30", False, 1, "normal", "甲"),
        # grid A: due, closed late (after the deadline, inside the month)
        (GRID_A, "2026-11-09 08:30", "2026-11-10 08:30", "2026-11-12 08:30", False, 0, "emergency", "甲"),
        # grid B: due, deferred (leaves the denominators)
        (GRID_B, "2026-11-02 09:00", "2026-11-03 09:00", pd.NaT, True, 0, "normal", "乙"),
        # grid B: due, closed only in December: open for November
        (GRID_B, "2026-11-20 09:00", "2026-11-30 09:00", "2026-12-02 09:00", False, 0, "normal", "乙"),
        # grid C: due in October: not November's
        (GRID_C, "2026-10-20 09:00", "2026-10-29 09:00", "2026-10-28 09:00", False, 0, "normal", "丙"),
    ])
    out = monthly_kpis(cases, "2026-11").set_index(["level", "code"])
    a = out.loc[("grid", GRID_A)]
    assert (a["due"], a["closed"], a["closed_on_time"], a["reworked"]) == (2, 2, 1, 1)
    assert (a["closure_rate"], a["on_time_rate"], a["rework_rate"]) == (100.0, 50.0, 50.0)
    assert (a["emergency_due"], a["emergency_closure_rate"], a["emergency_on_time_rate"]) == (1, 100.0, 0.0)
    # 1 working day and 3 working days (Mon 08:30 → Thu 08:30) → 2.0
    assert a["mean_days_to_close"] == 2.0
    b = out.loc[("grid", GRID_B)]
    assert (b["due"], b["deferred"], b["closed"]) == (2, 1, 0)
    assert b["closure_rate"] == 0.0 and np.isnan(b["rework_rate"]) and np.isnan(b["mean_days_to_close"])
    community = out.loc[("community", GRID_A[:12])]
    assert (community["due"], community["deferred"], community["closed"]) == (4, 1, 2)
    assert community["closure_rate"] == round(100 * 2 / 3, 2) == 66.67
    assert ("grid", GRID_C) not in out.index
    assert out.loc[("person", "甲"), "due"] == 2 and out.loc[("street", GRID_A[:9]), "due"] == 4


def test_a_past_month_does_not_change_when_old_cases_close_later():
    rows = [(GRID_A, "2026-11-20 09:00", "2026-11-30 09:00", pd.NaT, False, 0, "normal", "甲")]
    before = monthly_kpis(_cases(rows), "2026-11")
    rows[0] = rows[0][:3] + ("2026-12-05 09:00",) + rows[0][4:]
    after = monthly_kpis(_cases(rows), "2026-11")
    pd.testing.assert_frame_equal(before, after)


@pytest.mark.parametrize("month", ["2026-13", "2026/11", "Nov", "2026-1"])
def test_a_bad_month_is_refused(month):
    with pytest.raises(ValueError, match="YYYY-MM"):
        monthly_kpis(_cases([]), month)
