"""The app's clock and time zone for inspections and cases: China Standard Time (UTC+8), stored without a zone.

Deadlines run in working hours of a Chinese office (08:30–12:00, 14:30–18:00), so every time of an
inspection or a case is kept as the wall-clock time in China. A time sent with an offset is
converted; one without is taken as China time. Tests freeze the clock by replacing :func:`now`.
"""
from __future__ import annotations

from datetime import datetime

from grids.case_records import CHINA, china_time

__all__ = ["CHINA", "now", "china_time", "iso"]


def now() -> datetime:
    """The current time in China, without a zone."""
    return datetime.now(CHINA).replace(tzinfo=None, microsecond=0)


def iso(value: datetime | None) -> str | None:
    """``2026-10-08T10:00:00+08:00``: a stored China time with its offset, for JSON and files."""
    return None if value is None else value.replace(microsecond=0).isoformat() + "+08:00"
