"""What a frontage (门前三包) is: item sets, unit kinds, statuses, expiry, the credit code, road kinds.

A signed commitment past its ``expires_on`` counts as expired without anyone editing it, so the
status a report uses is always computed against a date the caller passes in (never the clock:
the domain is reproducible on a frozen date).
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

__all__ = ["ITEM_SETS", "STATUSES", "UNSIGNED_STATUSES", "UNIT_KINDS", "LIABLE", "ROAD_KINDS",
           "effective_status", "effective_statuses", "expiring", "check_credit_code", "road_kind"]

# The commitment items by set (SANIGRID_FRONTAGE_ITEMS); 五包 adds a city's own items to 三包.
ITEM_SETS = {"三包": ["sanitation", "order", "greenery"],
             "五包": ["sanitation", "order", "greenery", "facilities", "snow"]}
STATUSES = {"signed": "已签", "expired": "已过期", "refused": "拒签", "not_visited": "未走访"}
UNSIGNED_STATUSES = ("expired", "refused", "not_visited")
UNIT_KINDS = {"government": "机关", "association": "团体", "enterprise": "企事业单位", "individual": "个体商户"}
LIABLE = {"tenant": "承租人", "owner": "产权人"}  # the tenant where there is one, else the owner
ROAD_KINDS = ("main", "lane")

# OSM highway → road kind: main roads have a kerb (the zone stops there), lanes do not.
_MAIN_HIGHWAYS = {"motorway", "trunk", "primary", "secondary", "tertiary"}
_LANE_HIGHWAYS = {"residential", "service", "living_street", "unclassified", "pedestrian", "road"}

# GB 32100-2015: 31 characters (no I, O, S, V, Z), weights 3^i mod 31, check = 31 − Σ mod 31.
_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CODE_VALUE = {c: i for i, c in enumerate(_CODE_CHARS)}
_CODE_WEIGHTS = [pow(3, i, 31) for i in range(17)]


def _day(value) -> pd.Timestamp:
    if value is None:
        raise ValueError("today is required: pass the date to judge expiry on (the domain reads no clock)")
    return pd.Timestamp(value).normalize()


def _dates(values) -> pd.DatetimeIndex:
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=object), dtype=object)
    return pd.DatetimeIndex(pd.to_datetime(series, errors="coerce")).normalize()


def _statuses(values) -> np.ndarray:
    return np.asarray(values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values, dtype=object)


def effective_status(status: str, expires_on, today) -> str:
    """Return the status on ``today``: a signed commitment that expired before today is ``expired``.

    ``expires_on`` is a date, an ISO date string or None (no expiry); the day of expiry still counts.
    """
    return str(effective_statuses([status], [expires_on], today)[0])


def effective_statuses(statuses, expires, today) -> np.ndarray:
    """Vectorised :func:`effective_status`: one status per row, as a numpy array of str."""
    statuses = _statuses(statuses)
    ends = _dates(expires)
    if len(ends) != len(statuses):
        raise ValueError(f"{len(statuses)} statuses but {len(ends)} expiry dates")
    past = np.asarray(ends < _day(today), dtype=bool)  # NaT compares False: no expiry
    return np.where((statuses == "signed") & past, "expired", statuses).astype(str)


def expiring(statuses, expires, today, days: int) -> np.ndarray:
    """True for a commitment signed and valid on ``today`` that expires within ``days`` days."""
    today = _day(today)
    ends = _dates(expires)
    signed = _statuses(statuses) == "signed"
    return signed & np.asarray((ends >= today) & (ends <= today + dt.timedelta(days=int(days))), dtype=bool)


def check_credit_code(code: str) -> str | None:
    """Why ``code`` is not a unified social credit code (统一社会信用代码, GB 32100-2015); None when it is.

    Checks the length (18), the character set (digits and capitals without I, O, S, V, Z), the
    administrative division code in positions 3–8 (digits) and the check character in position 18.
    """
    if not isinstance(code, str):
        return f"credit code must be text, not {type(code).__name__}"
    if len(code) != 18:
        return f"credit code must have 18 characters, not {len(code)}"
    bad = next((c for c in code if c not in _CODE_VALUE), None)
    if bad is not None:
        hint = " (use capitals)" if bad.upper() in _CODE_VALUE else ""
        return f"credit code contains {bad!r}: only digits and capitals other than I, O, S, V, Z{hint}"
    if not code[2:8].isdigit():
        return f"credit code positions 3–8 must be the administrative division code (digits), not {code[2:8]!r}"
    expected = _CODE_CHARS[-sum(_CODE_VALUE[c] * w for c, w in zip(code[:17], _CODE_WEIGHTS)) % 31]
    if code[17] != expected:
        return f"credit code check character is {code[17]!r}, expected {expected!r}"
    return None


def road_kind(highway) -> str | None:
    """The road kind of an OSM ``highway`` value: ``main``, ``lane``, or None for paths and non-roads."""
    if not isinstance(highway, str):
        return None
    base = highway.removesuffix("_link")
    if base in _MAIN_HIGHWAYS:
        return "main"
    return "lane" if highway in _LANE_HIGHWAYS else None
