"""Importing people and their roles by grid code (people CSV shape).

The rows are checked column by column (:func:`grids.records.person_role_records`), the rules
across rows (one name per phone, one leader per grid, no role twice, known backups) on whole
columns, and people and roles are written with one bulk insert each.
"""
from __future__ import annotations

import pandas as pd

from grids.records import person_role_records
from grids.validation import Problem

from ..storage import repository as repo
from ..storage import session_scope
from .common import ImportReport, after_write, refuse_if

__all__ = ["import_people_rows"]


def import_people_rows(engine, table: pd.DataFrame, dry_run, by, on_write=None) -> ImportReport:
    """Import the rows of a people table (name, phone, photo, grid, role, backup); all or nothing."""
    table = table.astype(object).where(table.notna(), None)
    records, errors = person_role_records(table)
    rows = pd.DataFrame(records, columns=["name", "phone", "photo", "grid", "role", "backup"], dtype=object)
    problems = [Problem(i, rows.at[i, "grid"], e) for i, reasons in errors.items() for e in reasons]
    people = _people_in_file(rows, problems)
    grids = sorted(set(rows["grid"].dropna()))
    backups = set(rows["backup"].dropna())
    with session_scope(engine) as session:
        active = repo.find_active_grids(session, grids)
        known = repo.person_ids(session, backups)
    problems += _check_roles(rows, active, set(people["phone"]) | set(known))
    refuse_if(problems, [], "people")
    report = ImportReport("people", "", dry_run)
    with session_scope(engine, write=not dry_run) as session:
        before = repo.person_ids(session, people["phone"])
        report.created = sorted(set(people["phone"]) - set(before))
        report.updated = sorted(set(people["phone"]) & set(before))
        if not dry_run:
            ids = repo.upsert_people(session, _records(people, ("phone", "name", "photo")), known=before)
            ids.update(repo.person_ids(session, backups - set(ids)))
            roles = rows[rows["grid"].notna()]
            repo.replace_roles(session, grids, _records(roles, ("grid", "phone", "role", "backup")), ids)
            repo.bump_register_version(session)
            after_write(on_write, session, report)
    report.notes.append(f"roles replaced for {len(grids)} grid(s) named in the file")
    return report


def _records(frame: pd.DataFrame, columns) -> list[dict]:
    """The rows as dicts of plain values (DataFrame.to_dict costs ten times as much on 180,000 rows)."""
    return [dict(zip(columns, values)) for values in zip(*(frame[c].tolist() for c in columns))]


def _people_in_file(rows: pd.DataFrame, problems: list) -> pd.DataFrame:
    """Return each phone's first (phone, name, photo); a later row giving the phone another name is a problem."""
    named = rows[rows["phone"].notna() & rows["name"].notna()]
    first = named.drop_duplicates("phone")
    owner = named["phone"].map(pd.Series(first["name"].to_numpy(), index=first["phone"].to_numpy()))
    for i, row in named[named["name"] != owner].iterrows():
        problems.append(Problem(i, row["grid"], f"phone {row['phone']} belongs to {owner[i]} earlier in the file, "
                                                f"not {row['name']}"))
    return first[["phone", "name", "photo"]].reset_index(drop=True)


def _check_roles(rows: pd.DataFrame, active: set, known_people: set) -> list:
    """The rules across role rows: active grid, no role twice, one leader, a backup who is someone else and known."""
    held = rows[rows["grid"].notna() & rows["role"].notna()]
    problems = [Problem(i, g, f"grid {g} is not an active grid in the register")
                for i, g in held.loc[~held["grid"].isin(active), "grid"].items()]
    twice = held[held.duplicated(["grid", "phone", "role"])]
    problems += [Problem(i, g, f"{p} is listed twice as {r}")
                 for i, g, p, r in zip(twice.index, twice["grid"], twice["phone"], twice["role"])]
    leaders = held[held["role"] == "leader"]
    first = leaders.drop_duplicates("grid")
    leader_of = dict(zip(first["grid"], first["phone"]))
    extra = leaders[leaders.duplicated("grid")]
    problems += [Problem(i, g, f"a grid has exactly one leader (网格长); {leader_of[g]} is already its leader")
                 for i, g in extra["grid"].items()]
    backed = held[held["backup"].notna()]
    own = backed["backup"] == backed["phone"]
    problems += [Problem(i, g, "a cleaner's B post must be another person") for i, g in backed.loc[own, "grid"].items()]
    unknown = backed[~own & ~backed["backup"].isin(known_people)]
    problems += [Problem(i, g, f"backup {b} is neither in this file nor in the register")
                 for i, g, b in zip(unknown.index, unknown["grid"], unknown["backup"])]
    return problems
