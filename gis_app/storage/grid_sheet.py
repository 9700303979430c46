"""What the grid page and its signboard (公示牌) read: the grid, its neighbours, region names, people, history,
and the 门前三包 units whose front or zone lies (in part) in the grid."""
from __future__ import annotations

from sqlalchemy import select

from grids.photos import is_app_photo

from ..errors import NotFound
from . import repository as repo
from .db import session_scope
from .frontages import load_frontages
from .schema import Person, Region

__all__ = ["read_grid_sheet"]


def _people(session, code: str) -> list[dict]:
    """The grid's people as stored: role, name, phone, backup, and a photo only when the app stored it."""
    roles = repo.load_roles(session, under=code)
    phones = list(roles["person"]) if len(roles) else []
    photos = dict(session.execute(select(Person.phone, Person.photo).where(Person.phone.in_(phones))).all()) if phones else {}
    return [{"role": r.role, "name": r.name, "phone": r.person, "backup_name": r.backup_name, "backup": r.backup,
             # only the app's own files: a signboard page never fetches from outside
             "photo": photos.get(r.person) if is_app_photo(photos.get(r.person)) else None}
            for r in roles.itertuples()]


_UNIT_FIELDS = ("ref", "unit_name", "unit_kind", "items", "item_set", "status", "effective_status", "expires_on",
                "contact", "phone", "road", "length_m")


def _frontages(session, code: str) -> list[dict]:
    """The grid's frontage units, by name: what the page lists and the signboard shows."""
    frame = load_frontages(session, grid=code)
    units = [{k: rec[k] for k in _UNIT_FIELDS} for rec in frame.to_dict("records")]
    return sorted(units, key=lambda u: (u["unit_name"], u["ref"]))


def read_grid_sheet(engine, code: str) -> dict:
    """Return the grid (a dict with its geometry), its region names, neighbours in its community, people, history
    and frontage units."""
    with session_scope(engine) as session:
        grids = repo.load_grids(session, under=code[:12])
        if code not in set(grids["code"]):
            raise NotFound(f"grid {code} is not an active grid in the register")
        names = dict(session.execute(select(Region.code, Region.name).where(
            Region.code.in_([code[:6], code[:9], code[:12]]))).all())
        people = _people(session, code)
        history = repo.grid_history(session, code)
        units = _frontages(session, code)
    row = grids[grids["code"] == code].iloc[0]
    grid = {k: (None if v is None or v != v else v) for k, v in row.items() if k != "geometry"}
    grid["geometry"] = row.geometry
    return {"grid": grid, "neighbours": grids[grids["code"] != code],
            "regions": [{"code": c, "name": names.get(c)} for c in (code[:6], code[:9], code[:12])],
            "people": people, "history": history, "frontages": units}
