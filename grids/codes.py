"""Official division codes and 15-digit unit-grid codes (CJ/T 213 style).

Region codes are strings: 6 digits (district/county), 9 (street/town), 12
(community/village). A grid code is its community's 12-digit code plus a 3-digit
sequence. Codes are never parsed as integers: leading digits matter.
"""
from __future__ import annotations

import math

from .errors import DomainError

__all__ = [
    "LEVELS", "LEVEL_BY_LENGTH", "GRID_CODE_LENGTH", "CodeError",
    "level_of", "parent_code", "check_region_code", "check_grid_code",
    "next_sequences", "spatial_order", "one_region", "RegionChoiceError", "MAX_SEQUENCE", "sequence_room_reason",
]

LEVELS = ("city", "district", "street", "community")
LEVEL_BY_LENGTH = {4: "city", 6: "district", 9: "street", 12: "community"}
LENGTH_BY_LEVEL = {v: k for k, v in LEVEL_BY_LENGTH.items()}
GRID_CODE_LENGTH = 15
MAX_SEQUENCE = 999  # the 3-digit sequence of a grid code: 001..999 per community


class CodeError(DomainError):
    """A code that is not a valid division or grid code; the message says why."""


def _as_code(value, what: str) -> str:
    if value is None:
        raise CodeError(f"{what} is missing")
    if isinstance(value, float):
        raise CodeError(f"{what} {value!r} is a number; give codes as text so leading digits survive")
    code = str(value).strip()
    if not code.isascii() or not code.isdigit():
        raise CodeError(f"{what} {code!r} must contain digits only")
    return code


def level_of(code) -> str:
    """Return the level ('city', 'district', 'street', 'community') a region code names."""
    code = _as_code(code, "region code")
    try:
        return LEVEL_BY_LENGTH[len(code)]
    except KeyError:
        raise CodeError(
            f"region code {code!r} has {len(code)} digits; expected 6 (district), 9 (street) or 12 (community)"
        ) from None


def check_region_code(code) -> str:
    """Return the normalised region code or raise :class:`CodeError`."""
    code = _as_code(code, "region code")
    level_of(code)
    return code


def parent_code(code) -> str | None:
    """Return the code of the region one level up (None for a city)."""
    code = check_region_code(code)
    cut = {6: 4, 9: 6, 12: 9}.get(len(code))
    return code[:cut] if cut else None


def check_grid_code(code, community=None) -> str:
    """Validate a 15-digit grid code, and that its prefix is ``community`` when given."""
    code = _as_code(code, "grid code")
    if len(code) != GRID_CODE_LENGTH:
        raise CodeError(f"grid code {code!r} has {len(code)} digits; expected {GRID_CODE_LENGTH} "
                        "(12-digit community code + 3-digit sequence)")
    if code[12:] == "000":
        raise CodeError(f"grid code {code!r}: sequence 000 is not a grid")
    if community is not None:
        community = check_region_code(community)
        if level_of(community) != "community":
            raise CodeError(f"grid community {community!r} is not a 12-digit community code")
        if code[:12] != community:
            raise CodeError(f"grid code {code!r} does not start with its community's code {community!r}")
    return code


class RegionChoiceError(DomainError):
    """More than one of district, street and community given where one region is meant."""


def one_region(district=None, street=None, community=None, *, spelling: str = "{}") -> str | None:
    """Return the one region code given as district, street or community (None when none is).

    The one check for the CLI and the API; ``spelling`` names the three as the caller's user
    writes them (``"--{}"`` for CLI options, ``"{}="`` for query parameters).
    """
    given = [c for c in (district, street, community) if c]
    if len(given) > 1:
        names = ", ".join(spelling.format(n) for n in ("district", "street", "community"))
        raise RegionChoiceError(f"give at most one of {names}")
    return given[0] if given else None


def next_sequences(used_codes, community: str, count: int) -> list[str]:
    """Return ``count`` new grid codes in ``community`` after every code ever used there.

    ``used_codes`` must include retired codes: a retired code is never reused.
    """
    community = check_region_code(community)
    seqs = [int(c[12:]) for c in used_codes if str(c).startswith(community) and len(str(c)) == 15]
    start = max(seqs, default=0) + 1
    reason = sequence_room_reason(used_codes, community, count)
    if reason:
        raise CodeError(reason)
    return [f"{community}{n:03d}" for n in range(start, start + count)]


def sequence_room_reason(used_codes, community: str, count: int) -> str | None:
    """Why ``count`` new codes do not fit after the codes used in ``community`` (None when they fit)."""
    seqs = [int(str(c)[12:]) for c in used_codes if str(c).startswith(community) and len(str(c)) == 15
            and str(c)[12:].isdigit()]
    last = max(seqs, default=0)
    if last + count <= MAX_SEQUENCE:
        return None
    return (f"community {community} cannot take {count:,} new grid(s) without a code: the code rule gives each "
            f"community at most {MAX_SEQUENCE} grids (a 3-digit sequence, 001-{MAX_SEQUENCE}), and "
            f"{max(MAX_SEQUENCE - last, 0)} remain after the codes ever used there (retired ones included); "
            "split the community or give codes")


def spatial_order(xs, ys, row_height: float) -> list[int]:
    """Return indices ordered north→south in rows of ``row_height``, west→east within a row.

    Coordinates must be metric (northing grows to the north); used for numbering
    generated grids as the unit-grid coding standards do.
    """
    if row_height <= 0:
        raise ValueError(f"row_height must be positive, got {row_height!r}")
    ymax = max(ys, default=0.0)
    keys = [(math.floor((ymax - y) / row_height), x, i) for i, (x, y) in enumerate(zip(xs, ys))]
    return [i for _, _, i in sorted(keys)]
