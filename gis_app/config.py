"""Settings: defaults, then the instance folder and SANIGRID_* environment, then a test mapping."""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DEFAULTS", "ENV_SETTINGS", "load_settings", "flag", "metric_crs", "item_sets", "frontage_item_sets",
           "place_kind_keys", "place_kinds"]


def flag(raw: str) -> bool:
    """Read a yes/no setting: true/false, 1/0, yes/no, on/off."""
    text = str(raw).strip().lower()
    if text not in ("true", "1", "yes", "on", "false", "0", "no", "off"):
        raise ValueError(raw)
    return text in ("true", "1", "yes", "on")


def item_sets(raw) -> dict:
    """Read ``SANIGRID_FRONTAGE_ITEMS``: a JSON object of item-set name → list of item keys."""
    import orjson
    try:
        value = orjson.loads(raw) if isinstance(raw, (str, bytes)) else raw
    except orjson.JSONDecodeError:
        raise ValueError(raw) from None
    if not isinstance(value, dict) or not value or not all(
            isinstance(k, str) and k.strip() and isinstance(v, list) and v
            and all(isinstance(i, str) and i.strip() for i in v) for k, v in value.items()):
        raise ValueError(raw)
    return {k.strip(): [i.strip() for i in v] for k, v in value.items()}


item_sets.__name__ = "JSON object of item-set name → list of item keys"


def place_kind_keys(raw) -> tuple:
    """Read ``SANIGRID_PLACE_KINDS``: comma-separated kind keys (at least one)."""
    keys = tuple(dict.fromkeys(k.strip() for k in str(raw).split(",") if k.strip()))
    if not keys:
        raise ValueError(raw)
    return keys


place_kind_keys.__name__ = "comma-separated list of place kind keys"


DEFAULTS = {
    "SANIGRID_INSTANCE": "instance",
    "SANIGRID_DATABASE_URL": None,           # default: sqlite:///<instance>/sanigrid.sqlite
    "SANIGRID_TILES": "none",                # basemap URL template, or none
    "SANIGRID_METRIC_CRS": None,             # default: CGCS2000 3-degree GK zone of the data
    "SANIGRID_OUTSIDE_TOLERANCE_M": 1.0,     # a grid may reach this far outside its community
    "SANIGRID_OVERLAP_TOLERANCE_M2": 1.0,    # grids may overlap by this much
    "SANIGRID_MAX_GRIDS_PER_PERSON": 3,      # one person serving more grids is a shortfall
    "SANIGRID_SLIVER_AREA_M2": 10.0,         # an uncovered piece smaller than this is a sliver
    "SANIGRID_MAX_IMPORT_BYTES": 100 * 1024 * 1024,
    "SANIGRID_MAX_IMPORT_FEATURES": 50_000,          # features (or table rows) per import; docs/input-limits.md
    "SANIGRID_MAX_VERTICES_PER_GEOMETRY": 50_000,    # real grids have tens to a few thousand
    "SANIGRID_MAX_VERTICES_PER_FILE": 5_000_000,
    "SANIGRID_PUBLIC_READS": True,           # API reads without a token; false: a viewer token at least
    "SANIGRID_API_MAX_BODY_BYTES": 1024 * 1024,  # JSON bodies of API writes (imports use the limit above)
    "SANIGRID_HOTLINE": "12345",             # the report hotline printed on every grid signboard
    "SANIGRID_PUBLIC_URL": None,             # address citizens reach the app at (signboard QR codes); default: the request's
    "SANIGRID_NOTICE_OFFICE": None,          # the office signing rectification notices; default: <district>爱国卫生运动委员会办公室
    "SANIGRID_DATABASE_REPLICA_URL": None,   # a PostgreSQL streaming replica for GET requests; none: primary
    "SANIGRID_SECRET_KEY": None,             # signs the session cookie; default: kept in <instance>/secret_key
    "SANIGRID_SESSION_HOURS": 12.0,          # a sign-in lasts this long after the last request
    "SANIGRID_PROXY_HOPS": 0,                # reverse proxies in front whose X-Forwarded-Proto/Host are trusted
    # 门前三包: the commitment item sets a frontage may sign (set name → item keys); docs/places.md
    "SANIGRID_FRONTAGE_ITEMS": {"三包": ["sanitation", "order", "greenery"],
                                "五包": ["sanitation", "order", "greenery", "facilities", "snow"]},
    "SANIGRID_FRONTAGE_SIGNED_FLOOR": 90.0,  # % of a grid's street front signed, below which the grid is a gap
    "SANIGRID_FRONTAGE_EXPIRING_DAYS": 30,   # a signed commitment ending within this many days is "expiring"
    "SANIGRID_PLACE_KINDS": None,            # comma-separated kinds of key places; default every key of grids.places.PLACE_KINDS
    # Inspections and cases (docs/inspections.md): data files an office edits without a release
    "SANIGRID_CALENDAR_FILE": None,          # holidays and adjusted working days for years chinese-calendar lacks
    "SANIGRID_CASE_CATEGORIES": None,        # case categories and deadlines; default grids/data/case_categories.yaml
    "SANIGRID_CHECKLISTS": None,             # folder of checklist_<kind>.yaml|json; default the packaged ones
}
# Settings read from the environment, with the type each one converts to.
ENV_SETTINGS = {
    "SANIGRID_INSTANCE": str,
    "SANIGRID_DATABASE_URL": str,
    "SANIGRID_TILES": str,
    "SANIGRID_METRIC_CRS": str,
    "SANIGRID_OUTSIDE_TOLERANCE_M": float,
    "SANIGRID_OVERLAP_TOLERANCE_M2": float,
    "SANIGRID_MAX_GRIDS_PER_PERSON": int,
    "SANIGRID_SLIVER_AREA_M2": float,
    "SANIGRID_MAX_IMPORT_BYTES": int,
    "SANIGRID_MAX_IMPORT_FEATURES": int,
    "SANIGRID_MAX_VERTICES_PER_GEOMETRY": int,
    "SANIGRID_MAX_VERTICES_PER_FILE": int,
    "SANIGRID_PUBLIC_READS": flag,
    "SANIGRID_API_MAX_BODY_BYTES": int,
    "SANIGRID_HOTLINE": str,
    "SANIGRID_PUBLIC_URL": str,
    "SANIGRID_NOTICE_OFFICE": str,
    "SANIGRID_DATABASE_REPLICA_URL": str,
    "SANIGRID_SECRET_KEY": str,
    "SANIGRID_SESSION_HOURS": float,
    "SANIGRID_PROXY_HOPS": int,
    "SANIGRID_FRONTAGE_ITEMS": item_sets,
    "SANIGRID_FRONTAGE_SIGNED_FLOOR": float,
    "SANIGRID_FRONTAGE_EXPIRING_DAYS": int,
    "SANIGRID_PLACE_KINDS": place_kind_keys,
    "SANIGRID_CALENDAR_FILE": str,
    "SANIGRID_CASE_CATEGORIES": str,
    "SANIGRID_CHECKLISTS": str,
}


def _from_environment(environ) -> dict:
    out = {}
    for name, kind in ENV_SETTINGS.items():
        raw = environ.get(name)
        if raw in (None, ""):
            continue
        try:
            out[name] = kind(raw)
        except ValueError:
            raise SystemExit(f"setting {name}={raw!r} is not a valid {kind.__name__}") from None
    return out


def load_settings(overrides: dict | None = None, environ=None) -> dict:
    """Return the effective settings; the database URL defaults to SQLite in the instance folder."""
    settings = dict(DEFAULTS)
    settings.update(_from_environment(os.environ if environ is None else environ))
    settings.update(overrides or {})
    _structured(settings)
    _rule_files(settings)
    instance = Path(settings["SANIGRID_INSTANCE"]).resolve()
    settings["SANIGRID_INSTANCE"] = str(instance)
    if not settings["SANIGRID_DATABASE_URL"]:
        settings["SANIGRID_DATABASE_URL"] = f"sqlite:///{instance / 'sanigrid.sqlite'}"
    return settings


def metric_crs(settings, geoms=None, *, bounds=None):
    """Return the metric CRS to measure data in: ``SANIGRID_METRIC_CRS`` when set, else the data's zone.

    The one reading of the setting (see :func:`grids.crs.metric_crs_for`); a CRS that cannot be
    used raises ``CRSError``, which the app answers as 422 and the CLI prints.
    """
    from grids.crs import metric_crs_for
    return metric_crs_for(geoms, bounds=bounds, override=settings.get("SANIGRID_METRIC_CRS"))


def frontage_item_sets(settings) -> dict:
    """Return the configured frontage item sets (``SANIGRID_FRONTAGE_ITEMS``; checked by :func:`load_settings`)."""
    return settings.get("SANIGRID_FRONTAGE_ITEMS") or DEFAULTS["SANIGRID_FRONTAGE_ITEMS"]


def place_kinds(settings) -> dict:
    """Return the configured key-place kinds, key → Chinese label (``SANIGRID_PLACE_KINDS``)."""
    from grids.places import place_kinds as kinds_of
    return kinds_of(settings.get("SANIGRID_PLACE_KINDS"))


def _structured(settings: dict) -> None:
    """Check the settings that hold more than one value, given by a test mapping as well as the environment."""
    for name, kind in (("SANIGRID_FRONTAGE_ITEMS", item_sets), ("SANIGRID_PLACE_KINDS", place_kind_keys)):
        value = settings.get(name)
        if value is None:
            continue
        try:
            settings[name] = kind(",".join(value) if kind is place_kind_keys and not isinstance(value, str)
                                  else value)
        except ValueError:
            raise SystemExit(f"setting {name}={value!r} is not a valid {kind.__name__}") from None


def _rule_files(settings: dict) -> None:
    """Read the calendar, category and checklist files once at start: a wrong one stops the app with the reason."""
    if not any(settings.get(k) for k in ("SANIGRID_CALENDAR_FILE", "SANIGRID_CASE_CATEGORIES", "SANIGRID_CHECKLISTS")):
        return
    from .case_rules import RulesError, check_rules
    try:
        check_rules(settings)
    except RulesError as exc:
        raise SystemExit(f"setting {exc.setting}: {exc.detail}") from None
