"""Importing people and their roles by grid code (people CSV shape).

The rows are checked column by column (:func:`grids.records.person_role_records`), the rules
across rows (one name per phone, one leader per grid, no role twice, known backups) on whole
columns, and people and roles are written with one bulk insert each.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from grids.records import person_role_records
from grids.validation import Problem

from ..storage import repository as repo
from ..storage import session_scope
from .common import ImportReport, after_write, refuse_if
from .photo_files import photo_files, store_photo_files

__all__ = ["import_people_rows"]


def import_people_rows(engine, table: pd.DataFrame, dry_run, by, on_write=None, *, photo_dir=None,
                       instance=None) -> ImportReport:
    """Import the rows of a people table (name, phone, photo, grid, role, backup); all or nothing.

    A photo naming an image file in ``photo_dir`` (the people file's folder) is re-encoded like an
    upload and stored in ``instance`` once the whole file is valid. The rows travel as plain
    columns and tuples: DataFrames and dicts per row cost more than the checks on 180,000 rows.
    """
    cols, errors = person_role_records(table)
    problems = [Problem(i, cols["grid"][i], e) for i, reasons in errors.items() for e in reasons]
    encoded = photo_files(cols["photo"], cols["grid"], photo_dir, problems)
    people = _people_in_file(cols, problems)   # (phone, name, photo) of each phone's first row
    phones = {p[0] for p in people}
    grids = sorted(set(cols["grid"].tolist()) - {None})
    backups = set(cols["backup"].tolist()) - {None}
    with session_scope(engine) as session:
        active = repo.find_active_grids(session, grids)
        known = repo.person_ids(session, backups)
    problems += _check_roles(cols, active, phones | set(known))
    refuse_if(problems, [], "people")
    report = ImportReport("people", "", dry_run)
    with session_scope(engine, write=not dry_run) as session:
        before = repo.person_ids(session, phones)
        report.created = [p[0] for p in people if p[0] not in before]   # in the order of the file
        report.updated = [p[0] for p in people if p[0] in before]
        if not dry_run:
            urls = store_photo_files(encoded, instance)
            people = [(phone, name, urls.get(photo, photo)) for phone, name, photo in people]
            ids = repo.upsert_people(session, people, known=before)
            ids.update(repo.person_ids(session, backups - set(ids)))
            roles = [(grid, ids[phone], role, ids[backup] if backup else None) for grid, phone, role, backup
                     in zip(*(cols[k].tolist() for k in ("grid", "phone", "role", "backup"))) if grid is not None]
            repo.replace_roles(session, grids, roles)
            repo.bump_register_version(session)
            after_write(on_write, session, report)
    report.notes.append(f"roles replaced for {len(grids)} grid(s) named in the file")
    return report


def _people_in_file(cols: dict, problems: list) -> list:
    """Return (phone, name, photo) of each phone's first row; a later row giving the phone another name is a problem."""
    phone, name, photo = cols["phone"], cols["name"], cols["photo"]
    rows = np.flatnonzero(~(pd.isna(phone) | pd.isna(name)))
    codes, phones = pd.factorize(phone[rows])
    first = rows[np.unique(codes, return_index=True)[1]]   # codes number the phones in order of first row
    owner = name[first][codes]
    for j in np.flatnonzero(name[rows] != owner).tolist():
        i = int(rows[j])
        problems.append(Problem(i, cols["grid"][i], f"phone {phones[codes[j]]} belongs to {owner[j]} "
                                                    f"earlier in the file, not {name[i]}"))
    return list(zip(phones.tolist(), name[first].tolist(), photo[first].tolist()))


def _check_roles(cols: dict, active: set, known_people: set) -> list:
    """The rules across role rows: active grid, no role twice, one leader, a backup who is someone else and known."""
    grid_codes, grids = pd.factorize(cols["grid"])
    phone_codes, _ = pd.factorize(cols["phone"])
    role_codes, _ = pd.factorize(cols["role"])
    held = np.flatnonzero((grid_codes >= 0) & (role_codes >= 0))
    grid, phone, role, backup = (cols[k][held] for k in ("grid", "phone", "role", "backup"))
    inactive = ~np.isin(grid_codes[held], [k for k, g in enumerate(grids.tolist()) if g in active])
    problems = [Problem(i, g, f"grid {g} is not an active grid in the register")
                for i, g in zip(held[inactive].tolist(), grid[inactive].tolist())]
    key = pd.MultiIndex.from_arrays([grid_codes[held], phone_codes[held], role_codes[held]])
    twice = np.flatnonzero(key.duplicated())
    problems += [Problem(int(held[j]), grid[j], f"{phone[j]} is listed twice as {role[j]}") for j in twice.tolist()]
    leaders = np.flatnonzero(role == "leader")
    extra = pd.Index(grid_codes[held][leaders]).duplicated()
    leader_of = dict(zip(grid[leaders][~extra].tolist(), phone[leaders][~extra].tolist()))
    problems += [Problem(int(held[j]), grid[j], f"a grid has exactly one leader (网格长); {leader_of[grid[j]]} is "
                                                "already its leader") for j in leaders[extra].tolist()]
    backed = np.flatnonzero(~pd.isna(backup))
    own = backup[backed] == phone[backed]
    problems += [Problem(int(held[j]), grid[j], "a cleaner's B post must be another person") for j in backed[own].tolist()]
    unknown = backed[~own][[b not in known_people for b in backup[backed[~own]].tolist()]]
    problems += [Problem(int(held[j]), grid[j], f"backup {backup[j]} is neither in this file nor in the register")
                 for j in unknown.tolist()]
    return problems
