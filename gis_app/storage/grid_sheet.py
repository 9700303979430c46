"""What the grid page and its signboard (公示牌) read: the grid, its neighbours, region names, people, history."""
from __future__ import annotations

from sqlalchemy import select

from grids.photos import is_app_photo

from ..errors import NotFound
from . import repository as repo
from .db import session_scope
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


def read_grid_sheet(engine, code: str) -> dict:
    """Return the grid (a dict with its geometry), its region names, neighbours in its community, people and history."""
    with session_scope(engine) as session:
        grids = repo.load_grids(session, under=code[:12])
        if code not in set(grids["code"]):
            raise NotFound(f"grid {code} is not an active grid in the register")
        names = dict(session.execute(select(Region.code, Region.name).where(
            Region.code.in_([code[:6], code[:9], code[:12]]))).all())
        people = _people(session, code)
        history = repo.grid_history(session, code)
    row = grids[grids["code"] == code].iloc[0]
    grid = {k: (None if v is None or v != v else v) for k, v in row.items() if k != "geometry"}
    grid["geometry"] = row.geometry
    return {"grid": grid, "neighbours": grids[grids["code"] != code],
            "regions": [{"code": c, "name": names.get(c)} for c in (code[:6], code[:9], code[:12])],
            "people": people, "history": history}
