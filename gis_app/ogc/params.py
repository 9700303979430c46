"""Query parameters of /items: bbox, bbox-crs, crs, limit, offset, datetime. Bad values are a 400."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from .crs import CRS84, parse_crs_param, to_crs84_bounds
from .problems import InvalidParameter
from .queryables import Filter, parse_filters

__all__ = ["ItemQuery", "item_query", "check_known", "DEFAULT_LIMIT", "MAX_LIMIT", "parse_datetime"]

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
COMMON = {"f", "lang"}
ITEMS_PARAMS = COMMON | {"bbox", "bbox-crs", "crs", "limit", "offset", "datetime"}
ITEM_PARAMS = COMMON | {"crs"}


@dataclass(frozen=True)
class ItemQuery:
    """One /items request: bbox in CRS84 lon/lat, a UTC time interval (None ends are open)."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0
    bbox: tuple[float, float, float, float] | None = None
    start: datetime | None = None
    end: datetime | None = None
    timed: bool = False
    crs: str = CRS84
    filters: tuple[Filter, ...] = ()   # property filters (queryables), all of which must match


def check_known(args, allowed: set, filters=()) -> None:
    """Refuse query parameters the API does not define (Part 1: 400, not silently ignored);
    ``filters`` are the property filters (queryables) the resource also takes."""
    unknown = sorted(set(args) - allowed - set(filters))
    if unknown:
        also = f"; property filters (its queryables): {', '.join(filters)}" if filters else ""
        raise InvalidParameter(f"unknown query parameter(s): {', '.join(unknown)}; "
                               f"this resource takes {', '.join(sorted(allowed))}{also}")


def _integer(args, name: str, default: int, minimum: int) -> int:
    raw = args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameter(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise InvalidParameter(f"{name}={value} must be at least {minimum}")
    return value


def _bbox(raw: str, uri: str):
    try:
        values = [float(v) for v in raw.split(",")]
    except ValueError:
        raise InvalidParameter(f"bbox={raw!r}: four comma-separated numbers expected") from None
    if len(values) == 6:      # 3D box: the register is 2D, the heights do not narrow anything
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise InvalidParameter(f"bbox={raw!r}: four (or six) finite numbers expected")
    a0, b0, a1, b1 = values
    if a0 > a1 or b0 > b1:
        raise InvalidParameter(f"bbox={raw!r}: each lower corner value must not exceed the upper one "
                               "(a box across the antimeridian is not supported)")
    if uri == CRS84 and not (-180 <= a0 and a1 <= 180 and -90 <= b0 and b1 <= 90):
        raise InvalidParameter(f"bbox={raw!r} is not longitude/latitude; give bbox-crs for other coordinates")
    try:
        return to_crs84_bounds((a0, b0, a1, b1), uri)
    except Exception:  # pyproj refuses coordinates outside the CRS's domain
        raise InvalidParameter(f"bbox={raw!r} cannot be transformed from {uri}") from None


def _instant(text: str, *, upper: bool) -> datetime | None:
    """Return a naive UTC instant; a bare date stands for that whole UTC day."""
    if text in ("", ".."):
        return None
    try:
        if "T" not in text.upper() and len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time.min)
            return moment + timedelta(days=1, microseconds=-1) if upper else moment
        moment = datetime.fromisoformat(text.replace("z", "Z"))
        if moment.tzinfo is not None:
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    except (ValueError, OverflowError):
        raise InvalidParameter(f"datetime value {text!r} is not an RFC 3339 date or date-time "
                               "(within years 1–9999 in UTC)") from None
    return moment


def parse_datetime(raw: str) -> tuple[datetime | None, datetime | None]:
    """Return (start, end) of an instant ``t``, or an interval ``a/b`` with ``..`` or empty for open ends."""
    parts = raw.split("/")
    if len(parts) == 1:
        if raw in ("", ".."):
            raise InvalidParameter("datetime: an instant must be a date or date-time, not open")
        return _instant(raw, upper=False), _instant(raw, upper=True)
    if len(parts) != 2 or all(p in ("", "..") for p in parts):
        raise InvalidParameter(f"datetime={raw!r}: an instant or an interval start/end (one end may be '..')")
    start, end = _instant(parts[0], upper=False), _instant(parts[1], upper=True)
    if start and end and start > end:
        raise InvalidParameter(f"datetime={raw!r}: the interval ends before it starts")
    return start, end


def item_query(args, offered_crs: list[str], queryables=()) -> ItemQuery:
    """Read and check an /items query string; ``offered_crs`` are the collection's CRS URIs and
    ``queryables`` the properties it filters on (each also a parameter)."""
    check_known(args, ITEMS_PARAMS, [q.name for q in queryables])
    filters = parse_filters(args, queryables)
    crs = parse_crs_param("crs", args.get("crs"), offered_crs)
    bbox_crs = parse_crs_param("bbox-crs", args.get("bbox-crs"), offered_crs)
    if "bbox-crs" in args and "bbox" not in args:
        raise InvalidParameter("bbox-crs is given without bbox")
    bbox = _bbox(args["bbox"], bbox_crs) if "bbox" in args else None
    start = end = None
    if "datetime" in args:
        start, end = parse_datetime(args["datetime"])
    return ItemQuery(limit=min(_integer(args, "limit", DEFAULT_LIMIT, 1), MAX_LIMIT),
                     offset=_integer(args, "offset", 0, 0), bbox=bbox, start=start, end=end,
                     timed="datetime" in args, crs=crs, filters=filters)
