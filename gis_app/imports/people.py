"""Importing people and their roles by grid code (people CSV shape).

The rows are checked column by column (:func:`grids.records.person_role_records`), the rules
across rows (one name per phone, one leader per grid, no role twice, known backups) on whole
columns, and people and roles are written with one bulk insert each.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from grids.photos import photo_file_name
from grids.records import person_role_records
from grids.validation import Problem

from ..errors import ValidationFailed
from ..storage import repository as repo
from ..storage import session_scope
from ..storage.photos import reencode, save_encoded
from .common import ImportReport, after_write, refuse_if

__all__ = ["import_people_rows"]


def import_people_rows(engine, table: pd.DataFrame, dry_run, by, on_write=None, *, photo_dir=None,
                       instance=None) -> ImportReport:
    """Import the rows of a people table (name, phone, photo, grid, role, backup); all or nothing.

    A photo naming an image file in ``photo_dir`` (the people file's folder) is re-encoded like an
    upload and stored in ``instance`` once the whole file is valid.
    """
    table = table.astype(object).where(table.notna(), None)
    records, errors = person_role_records(table)
    rows = pd.DataFrame(records, columns=["name", "phone", "photo", "grid", "role", "backup"], dtype=object)
    problems = [Problem(i, rows.at[i, "grid"], e) for i, reasons in errors.items() for e in reasons]
    encoded = _photo_files(rows, photo_dir, problems)
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
            people = _store_photos(people, encoded, instance)
            ids = repo.upsert_people(session, _records(people, ("phone", "name", "photo")), known=before)
            ids.update(repo.person_ids(session, backups - set(ids)))
            roles = rows[rows["grid"].notna()]
            repo.replace_roles(session, grids, _records(roles, ("grid", "phone", "role", "backup")), ids)
            repo.bump_register_version(session)
            after_write(on_write, session, report)
    report.notes.append(f"roles replaced for {len(grids)} grid(s) named in the file")
    return report


def _photo_files(rows: pd.DataFrame, photo_dir, problems) -> dict:
    """Return {file name: (bytes, ext)} of the photo files the rows name, re-encoded; refuse the rest."""
    encoded = {}
    for i, value in rows["photo"].items():
        name = photo_file_name(value)
        if name is None or name in encoded:
            continue
        if photo_dir is None:
            problems.append(Problem(i, rows.at[i, "grid"], f"photo {name!r} names a file, but these rows "
                                    "come from no folder; upload it with POST /api/v1/people/{phone}/photo"))
            continue
        path = Path(photo_dir) / name
        if not path.is_file():
            problems.append(Problem(i, rows.at[i, "grid"], f"photo {name!r} is not a file beside the people file"))
            continue
        try:
            encoded[name] = reencode(path.read_bytes(), f"photo {name!r}")
        except ValidationFailed as exc:
            problems.append(Problem(i, rows.at[i, "grid"], exc.detail))
    return encoded


def _store_photos(people: pd.DataFrame, encoded: dict, instance) -> pd.DataFrame:
    """Store each named photo file once and put its app URL in place of the file name."""
    if not encoded:
        return people
    urls = {name: save_encoded(instance, data, ext) for name, (data, ext) in encoded.items()}
    return people.assign(photo=[urls.get(v, v) for v in people["photo"].tolist()])


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
