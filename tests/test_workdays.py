"""Case deadlines on the official calendar: holidays, adjusted working days, override years."""
from datetime import date, datetime

import pytest

from grids.workdays import CalendarError, WorkCalendar, load_overrides


@pytest.fixture
def calendar():
    return WorkCalendar()


def test_national_day_2026_is_skipped(calendar):
    # 2026: 1–7 October off (State Council notice); registered Wednesday 30 September 10:00.
    assert calendar.add_workdays(datetime(2026, 9, 30, 10, 0), 1) == datetime(2026, 10, 8, 10, 0)


def test_adjusted_working_saturday_counts(calendar):
    # Saturday 10 October 2026 is a working day (调休); Sunday 11 is not.
    assert calendar.is_workday(date(2026, 10, 10))
    assert not calendar.is_workday(date(2026, 10, 11))
    assert calendar.add_workdays(datetime(2026, 10, 9, 9, 0), 1) == datetime(2026, 10, 10, 9, 0)
    assert calendar.add_workdays(datetime(2026, 10, 8, 10, 0), 3) == datetime(2026, 10, 12, 10, 0)


def test_start_outside_working_time_counts_from_the_next_period(calendar):
    # Saturday 7 November 2026 14:00 (an ordinary weekend): counting starts Monday 08:30.
    assert calendar.add_workdays(datetime(2026, 11, 7, 14, 0), 1) == datetime(2026, 11, 10, 8, 30)
    # Lunch break (12:00–14:30) moves to 14:30; evening moves to the next morning.
    assert calendar.add_workdays(datetime(2026, 11, 9, 13, 0), 0) == datetime(2026, 11, 9, 14, 30)
    assert calendar.add_workdays(datetime(2026, 11, 9, 19, 0), 0) == datetime(2026, 11, 10, 8, 30)


def test_fifteen_working_days_across_national_day(calendar):
    # An illegal structure within 15 working days, registered Friday 25 September 2026 (a holiday:
    # 中秋 25–27 September) → counting from Monday 28 September 08:30.
    expected = datetime(2026, 10, 23, 8, 30)
    days = [date(2026, 9, 28), date(2026, 9, 29), date(2026, 9, 30)]  # then 8, 9, 10 (Sat), 12 … October
    assert all(calendar.is_workday(d) for d in days)
    assert calendar.add_workdays(datetime(2026, 9, 25, 11, 0), 15) == expected


def test_working_hours_skip_nights_lunch_and_holidays(calendar):
    # 4 working hours from Wednesday 30 September 2026 16:00: 2 h that day, then 2 h on 8 October.
    assert calendar.add_working_hours(datetime(2026, 9, 30, 16, 0), 4) == datetime(2026, 10, 8, 10, 30)
    # 4 h from 10:00: 2 h to noon, the rest after lunch.
    assert calendar.add_working_hours(datetime(2026, 11, 9, 10, 0), 4) == datetime(2026, 11, 9, 16, 30)


def test_working_days_between(calendar):
    # One full working day (7 h of periods) from Monday 08:30 to Tuesday 08:30.
    assert calendar.working_days_between(datetime(2026, 11, 9, 8, 30), datetime(2026, 11, 10, 8, 30)) == 1.0
    # Across National Day, 30 Sep 08:30 → 8 Oct 08:30 is one working day too.
    assert calendar.working_days_between(datetime(2026, 9, 30, 8, 30), datetime(2026, 10, 8, 8, 30)) == 1.0


def test_an_unknown_year_is_refused_not_guessed(calendar):
    with pytest.raises(CalendarError, match="does not know 2099"):
        calendar.is_workday(date(2099, 1, 4))


def test_override_file_adds_a_year(tmp_path):
    path = tmp_path / "calendar.json"
    path.write_text('{"2099": {"holidays": ["2099-01-01", "2099-01-02"], "workdays": ["2099-01-03"]}}')
    calendar = WorkCalendar(load_overrides(path))
    assert calendar.knows(2099)
    assert not calendar.is_workday(date(2099, 1, 2))          # a Friday off
    assert calendar.is_workday(date(2099, 1, 3))              # a Saturday worked
    assert not calendar.is_workday(date(2099, 1, 4))          # an ordinary Sunday
    # Registered on the 1 January holiday: counting starts Saturday 3 January 08:30.
    assert calendar.add_workdays(datetime(2099, 1, 1, 9, 0), 1) == datetime(2099, 1, 5, 8, 30)


def test_override_wins_over_the_package(tmp_path):
    path = tmp_path / "calendar.yaml"
    path.write_text("'2026':\n  holidays: ['2026-11-09']\n")
    calendar = WorkCalendar(load_overrides(path))
    assert not calendar.is_workday(date(2026, 11, 9))
    assert calendar.is_workday(date(2026, 11, 10))


@pytest.mark.parametrize("text, message", [
    ("{", "not valid JSON"),
    ('["2027"]', "object of years"),
    ('{"next": {}}', "not a year"),
    ('{"2027": {"holidays": ["2027-02-30"]}}', "not a date"),
    ('{"2027": {"holidays": ["2028-01-01"]}}', "listed under 2027"),
    ('{"2027": {"holidays": ["2027-02-06"], "workdays": ["2027-02-06"]}}', "both a holiday"),
    ('{"2027": {"rest": []}}', "only 'holidays' and 'workdays'"),
])
def test_bad_override_files_are_refused_with_the_reason(tmp_path, text, message):
    path = tmp_path / "calendar.json"
    path.write_text(text)
    with pytest.raises(CalendarError, match=message):
        load_overrides(path)


def test_the_vectorised_count_equals_the_one_by_one_count(calendar):
    import numpy as np

    from grids.workdays import working_days_array
    rng = np.random.default_rng(7)
    base = np.datetime64("2026-09-20T00:00")
    starts = base + rng.integers(0, 40 * 24 * 60, 300).astype("timedelta64[m]")
    ends = starts + rng.integers(0, 20 * 24 * 60, 300).astype("timedelta64[m]")
    fast = working_days_array(calendar, starts, ends)
    slow = [calendar.working_days_between(s.item(), e.item()) for s, e in zip(starts, ends)]
    assert np.allclose(fast, slow, atol=1e-9)
    assert np.isnan(working_days_array(calendar, [None], [base])).all()
