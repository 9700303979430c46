"""What the case pages and the rectification notice read besides the case: the party each case is addressed
to (by name), the case's grid among its community's grids, the region names and the inspection that opened it."""
from __future__ import annotations

from sqlalchemy import select

from . import repository as repo
from .db import session_scope
from .frontages import load_frontages, load_places
from .schema import Inspection, Person, Region

__all__ = ["read_parties", "read_case_sheet"]

_PARTY_FIELDS = ("name", "contact", "phone", "address")


def _parties(session, pairs) -> dict:
    """{(kind, ref): {name, contact, phone, address}} for frontage units, key places and grid leaders."""
    refs: dict = {}
    for kind, ref in pairs:
        if ref:
            refs.setdefault(kind, set()).add(ref)
    out = {}
    if refs.get("frontage"):
        for rec in load_frontages(session, refs=sorted(refs["frontage"])).to_dict("records"):
            out["frontage", rec["ref"]] = {"name": rec["unit_name"], "contact": rec["contact"],
                                           "phone": rec["phone"], "address": rec["address"]}
    if refs.get("place"):
        for rec in load_places(session, refs=sorted(refs["place"])).to_dict("records"):
            out["place", rec["ref"]] = {"name": rec["name"], "contact": rec["operator"] or rec["contact"],
                                        "phone": rec["phone"], "address": rec["address"]}
    if refs.get("grid_leader"):
        for phone, name in session.execute(select(Person.phone, Person.name).where(
                Person.phone.in_(sorted(refs["grid_leader"])))):
            out["grid_leader", phone] = {"name": name, "contact": name, "phone": phone, "address": None}
    return {key: {k: (None if v != v else v) for k, v in value.items()} for key, value in out.items()}


def read_parties(engine, pairs) -> dict:
    """The names of the parties cases are addressed to: {(kind, ref): {name, contact, phone, address}}.

    A grid (a case addressed to a grid with no leader) and a unit no longer in the register have no entry.
    """
    with session_scope(engine) as session:
        return _parties(session, list(pairs))


def read_case_sheet(engine, case: dict) -> dict:
    """What a case's page and notice show beside the case's own fields (``case``: its properties).

    ``party`` (None when unnamed), ``grid`` (a dict with its geometry; None when the grid is retired or
    gone), ``neighbours`` (the community's other grids), ``regions`` (district, street, community with
    names) and ``inspection`` (kind, time, inspector, notes; None for an imported case without one).
    """
    code = case["grid"]
    with session_scope(engine) as session:
        party = _parties(session, [(case["addressed_kind"], case["addressed_ref"])]).get(
            (case["addressed_kind"], case["addressed_ref"]))
        grids = repo.load_grids(session, under=code[:12])
        names = dict(session.execute(select(Region.code, Region.name).where(
            Region.code.in_([code[:6], code[:9], code[:12]]))).all())
        found = session.get(Inspection, case["inspection_id"]) if case.get("inspection_id") else None
        inspection = None if found is None else {"id": found.id, "kind": found.kind, "at": found.at,
                                                 "inspector": found.inspector, "notes": found.notes}
    mine = grids[grids["code"] == code]
    grid = None
    if len(mine):
        row = mine.iloc[0]
        grid = {"code": code, "name": row["name"], "geometry": row.geometry}
    return {"party": party, "grid": grid, "neighbours": grids[grids["code"] != code], "inspection": inspection,
            "regions": [{"code": c, "name": names.get(c)} for c in (code[:6], code[:9], code[:12])]}
