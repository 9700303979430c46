"""Working days and working hours on the official calendar, for case deadlines.

Deadlines of rectification cases run in working days (整改时限 "1个工作日") or working hours,
so a case registered before the National Day holiday is not overdue on 1 October and an adjusted
working Saturday (调休) counts. The holidays and adjusted days come from the ``chinese-calendar``
package for the years it knows (the State Council's yearly notice, published each November);
an office adds a year the package does not know yet with an override file. A year known to
neither is refused: guessing Monday to Friday would put deadlines inside the Spring Festival.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import chinese_calendar
import numpy as np
import pandas as pd

__all__ = ["CalendarError", "WorkCalendar", "load_overrides", "working_days_array", "DEFAULT_WORKING_PERIODS"]

# 上午 08:30–12:00, 下午 14:30–18:00: the office hours most Guangxi cities publish; configurable.
DEFAULT_WORKING_PERIODS = ((time(8, 30), time(12, 0)), (time(14, 30), time(18, 0)))
_MAX_STEPS = 3660  # ten years of days: a rule asking for more is a mistake, not a deadline


class CalendarError(ValueError):
    """A date the calendar cannot place (unknown year) or an override file that is wrong."""


def _known_years() -> range:
    years = [d.year for d in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


def load_overrides(path) -> dict:
    """Read an override file: ``{"2027": {"holidays": [...], "workdays": [...]}}`` (JSON or YAML).

    ``holidays`` are days off (weekday or not); ``workdays`` are adjusted working days (调休),
    usually a Saturday or Sunday. Every date must lie in the year it is listed under.
    """
    text = Path(path).read_text(encoding="utf-8")
    try:
        if str(path).endswith((".yaml", ".yml")):
            import yaml
            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as exc:  # noqa: BLE001 - any parse error is the file's fault
        raise CalendarError(f"{Path(path).name}: not valid {'YAML' if str(path).endswith(('yaml', 'yml')) else 'JSON'}: {exc}") from None
    if not isinstance(data, dict):
        raise CalendarError(f"{Path(path).name}: expected an object of years")
    days: dict[date, bool] = {}
    years: set[int] = set()
    for year, entry in data.items():
        try:
            year_number = int(year)
        except (TypeError, ValueError):
            raise CalendarError(f"{Path(path).name}: {year!r} is not a year") from None
        if not isinstance(entry, dict) or set(entry) - {"holidays", "workdays"}:
            raise CalendarError(f"{Path(path).name}: year {year} needs only 'holidays' and 'workdays' lists")
        years.add(year_number)
        for key, working in (("holidays", False), ("workdays", True)):
            for value in entry.get(key) or ():
                try:
                    day = date.fromisoformat(str(value))
                except ValueError:
                    raise CalendarError(f"{Path(path).name}: {value!r} under {year} {key} is not a date (YYYY-MM-DD)") from None
                if day.year != year_number:
                    raise CalendarError(f"{Path(path).name}: {day} is listed under {year}")
                if days.get(day, working) != working:
                    raise CalendarError(f"{Path(path).name}: {day} is both a holiday and a working day")
                days[day] = working
    return {"years": years, "days": days}


@dataclass
class WorkCalendar:
    """Which days are working days, and deadlines counted in working days or working hours.

    ``overrides`` (from :func:`load_overrides`) win over the package: a year listed there is
    known, with weekends off and weekdays on unless a listed date says otherwise.
    """

    overrides: dict = field(default_factory=lambda: {"years": set(), "days": {}})
    periods: tuple = DEFAULT_WORKING_PERIODS

    def __post_init__(self):
        self._package_years = _known_years()
        for start, end in self.periods:
            if not start < end:
                raise CalendarError(f"working period {start}–{end} ends before it starts")

    def knows(self, year: int) -> bool:
        return year in self.overrides["years"] or year in self._package_years

    def is_workday(self, day: date) -> bool:
        if isinstance(day, datetime):
            day = day.date()
        listed = self.overrides["days"].get(day)
        if listed is not None:
            return listed
        if day.year in self.overrides["years"]:
            return day.weekday() < 5
        if day.year in self._package_years:
            return chinese_calendar.is_workday(day)
        raise CalendarError(f"the calendar does not know {day.year}: the chinese-calendar package covers "
                            f"{self._package_years.start}–{self._package_years.stop - 1}; add {day.year} "
                            "to the override file (SANIGRID_CALENDAR_FILE)")

    def next_workday(self, day: date) -> date:
        """The first working day after ``day``."""
        for _ in range(_MAX_STEPS):
            day += timedelta(days=1)
            if self.is_workday(day):
                return day
        raise CalendarError(f"no working day within {_MAX_STEPS} days after {day}")

    def _working_start(self, moment: datetime) -> datetime:
        """``moment`` if it lies in working time, else the start of the next working period."""
        day = moment.date()
        if self.is_workday(day):
            for start, end in self.periods:
                if moment.time() < end:
                    return max(moment, datetime.combine(day, start, moment.tzinfo))
        return datetime.combine(self.next_workday(day), self.periods[0][0], moment.tzinfo)

    def add_workdays(self, start: datetime, days: int) -> datetime:
        """The deadline ``days`` working days after ``start``, at the same working time of day.

        A start outside working time counts from the next working period's start, so a case
        registered on Saturday with one working day is due on Tuesday at 08:30.
        """
        if days < 0:
            raise CalendarError(f"a deadline of {days} working days is negative")
        moment = self._working_start(start)
        day = moment.date()
        for _ in range(days):
            day = self.next_workday(day)
        return datetime.combine(day, moment.time(), moment.tzinfo)

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The deadline after ``hours`` of working time (only working periods of working days count)."""
        if hours < 0:
            raise CalendarError(f"a deadline of {hours} working hours is negative")
        left = timedelta(hours=hours)
        moment = self._working_start(start)
        for _ in range(_MAX_STEPS * len(self.periods)):
            end = next(datetime.combine(moment.date(), e, moment.tzinfo)
                       for s, e in self.periods if moment.time() < e)
            if moment + left <= end:
                return moment + left
            left -= end - moment
            moment = self._working_start(end)
        raise CalendarError(f"{hours} working hours reach past {_MAX_STEPS} days")

    def working_days_between(self, start: datetime, end: datetime) -> float:
        """Working days from ``start`` to ``end`` (working hours / hours of a working day)."""
        if end <= start:
            return 0.0
        per_day = sum((datetime.combine(date.min, e) - datetime.combine(date.min, s)).total_seconds()
                      for s, e in self.periods)
        seconds = 0.0
        moment = self._working_start(start)
        while moment < end:
            period_end = next(datetime.combine(moment.date(), e, moment.tzinfo)
                              for s, e in self.periods if moment.time() < e)
            seconds += (min(period_end, end) - moment).total_seconds()
            moment = self._working_start(period_end)
        return seconds / per_day


def working_days_array(calendar: WorkCalendar, starts, ends) -> np.ndarray:
    """Working days between each pair of moments, vectorised (the KPIs' mean time to close).

    Equal to :meth:`WorkCalendar.working_days_between` pair by pair: a table of working seconds
    per calendar day is built once for the span, and each moment becomes working seconds since
    its first day. NaT on either side gives NaN.
    """
    starts = pd.to_datetime(pd.Series(starts)).to_numpy("datetime64[s]")
    ends = pd.to_datetime(pd.Series(ends)).to_numpy("datetime64[s]")
    out = np.full(len(starts), np.nan)
    valid = ~(np.isnat(starts) | np.isnat(ends))
    if not valid.any():
        return out
    first = min(starts[valid].min(), ends[valid].min()).astype("datetime64[D]")
    last = max(starts[valid].max(), ends[valid].max()).astype("datetime64[D]")
    days = np.arange(first, last + 1, dtype="datetime64[D]")
    working = np.fromiter((calendar.is_workday(d.item()) for d in days), bool, len(days))
    bounds = np.array([[(s.hour * 60 + s.minute) * 60, (e.hour * 60 + e.minute) * 60] for s, e in calendar.periods])
    per_day = float((bounds[:, 1] - bounds[:, 0]).sum())
    before_day = np.concatenate([[0.0], np.cumsum(working * per_day)])[:-1]

    def clock(moments):
        day = moments.astype("datetime64[D]")
        index = (day - first).astype(int)
        second = (moments - day).astype(int)
        inside = np.clip(second[:, None], bounds[:, 0], bounds[:, 1]) - bounds[:, 0]
        return before_day[index] + working[index] * inside.sum(axis=1)

    span = clock(ends[valid]) - clock(starts[valid])
    out[valid] = np.maximum(span, 0) / per_day
    return out
