"""Name the coordinate system of incoming geometries: :func:`parse_crs` and :class:`InputCRS`."""
from __future__ import annotations

from dataclasses import dataclass, field

import pyproj

from ..errors import DomainError

ACCEPTED_FORMS = (
    "'wgs84', 'EPSG:4326', '4326', 'CRS84', 'EPSG:4490' (CGCS2000, treated as WGS84), "
    "'gcj02' / 'GCJ-02' (AMap, Tencent), 'bd09' / 'BD-09' (Baidu), "
    "any other EPSG code such as 'EPSG:4545' or 4545, an OGC URN such as "
    "'urn:ogc:def:crs:EPSG::4545', or a pyproj.CRS"
)

_WGS84_EPSG_CODES = (4326, 4490)


class CRSError(DomainError):
    """A CRS that cannot be used where it was given; the message says why."""


@dataclass(frozen=True)
class InputCRS:
    """The coordinate system of incoming geometries, as the user named it.

    Attributes
    ----------
    kind : str
        ``'wgs84'`` (EPSG:4326, CGCS2000 EPSG:4490 and OGC CRS84), ``'gcj02'``,
        ``'bd09'``, or ``'proj'`` for any other CRS pyproj knows.
    crs : pyproj.CRS or None
        The pyproj CRS for ``'proj'``; EPSG:4326 for every ``'wgs84'`` form (so they
        compare equal); None for the Chinese web-map systems, which pyproj does not know.
    label : str
        A short human-readable name for messages (not compared).
    """

    kind: str
    crs: pyproj.CRS | None = None
    label: str = field(default="", compare=False)

    @property
    def epsg(self) -> int | None:
        """The EPSG code of :attr:`crs` when it has one, else None."""
        return None if self.crs is None else self.crs.to_epsg()


WGS84 = InputCRS("wgs84", pyproj.CRS.from_epsg(4326), "WGS84 (EPSG:4326)")
GCJ02 = InputCRS("gcj02", None, "GCJ-02 (AMap/Tencent)")
BD09 = InputCRS("bd09", None, "BD-09 (Baidu)")

_NAMED = {
    "wgs84": WGS84, "wgs1984": WGS84, "crs84": WGS84, "ogc:crs84": WGS84,
    "gcj02": GCJ02, "bd09": BD09, "bd09ll": BD09,
}



def parse_crs(value) -> InputCRS:
    """Parse the CRS a user gave for incoming coordinates.

    Parameters
    ----------
    value : str, int, pyproj.CRS or InputCRS
        ``'gcj02'``, ``'GCJ-02'``, ``'bd09'``, ``'BD-09'``, ``'wgs84'``,
        ``'EPSG:4326'``, ``'4490'``, ``4545``, ``'CRS84'``,
        ``'urn:ogc:def:crs:EPSG::4545'``, a :class:`pyproj.CRS` …

    Returns
    -------
    InputCRS
        EPSG:4326, EPSG:4490 and CRS84 give kind ``'wgs84'``; the Chinese web-map
        systems give ``'gcj02'`` / ``'bd09'``; anything else pyproj knows gives
        ``'proj'``.

    Raises
    ------
    CRSError
        When the value names no CRS; the message lists the accepted forms.
    """
    if isinstance(value, InputCRS):
        return value
    if isinstance(value, pyproj.CRS):
        return _from_pyproj(value)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise CRSError(f"unknown CRS {value!r}; accepted: {ACCEPTED_FORMS}")
    if isinstance(value, int):
        return _from_pyproj(_pyproj_crs(f"EPSG:{value}", value))
    text = value.strip()
    if not text:
        raise CRSError(f"empty CRS; accepted: {ACCEPTED_FORMS}")
    named = _NAMED.get(_squash(text))
    if named is not None:
        return named
    if text.isdigit():
        text = f"EPSG:{text}"
    return _from_pyproj(_pyproj_crs(text, value))


def _squash(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch not in " -_")


def _pyproj_crs(text, original) -> pyproj.CRS:
    try:
        return pyproj.CRS.from_user_input(text)
    except pyproj.exceptions.CRSError:
        raise CRSError(f"unknown CRS {original!r}; accepted: {ACCEPTED_FORMS}") from None


def _from_pyproj(crs: pyproj.CRS) -> InputCRS:
    if _is_wgs84_like(crs):
        if crs.to_epsg() == 4490:
            return InputCRS("wgs84", WGS84.crs, "EPSG:4490 (CGCS2000, treated as WGS84)")
        return WGS84
    return InputCRS("proj", crs, describe_crs(crs))


def _is_wgs84_like(crs: pyproj.CRS) -> bool:
    if crs.to_epsg() in _WGS84_EPSG_CODES:
        return True
    return crs.to_authority() == ("OGC", "CRS84")


def describe_crs(crs: pyproj.CRS) -> str:
    """Name a pyproj CRS for messages: 'EPSG:4545 (CGCS2000 / ...)'."""
    authority = crs.to_authority()
    code = f"{authority[0]}:{authority[1]}" if authority else "custom CRS"
    return f"{code} ({crs.name})"
