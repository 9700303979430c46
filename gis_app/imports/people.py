"""Importing people and their roles by grid code (people CSV shape)."""
from __future__ import annotations

from pathlib import Path

from grids.photos import photo_file_name
from grids.records import person_role_record
from grids.validation import Problem

from ..errors import ValidationFailed

from ..storage import repository as repo
from ..storage import session_scope
from ..storage.photos import reencode, save_encoded
from .common import ImportReport, after_write, refuse_if

__all__ = ["import_people_rows"]


def import_people_rows(engine, rows, dry_run, by, on_write=None, *, photo_dir=None, instance=None) -> ImportReport:
    """Import people and roles; a photo naming an image file in ``photo_dir`` (the people file's folder)
    is re-encoded like an upload and stored in ``instance`` once the whole file is valid."""
    problems, records = [], []
    for i, row in enumerate(rows):
        rec, errors = person_role_record(row)
        rec["index"] = i
        problems += [Problem(i, rec.get("grid"), e) for e in errors]
        records.append(rec)
    encoded = _photo_files(records, photo_dir, problems)
    people = _people_in_file(records, problems)
    with session_scope(engine) as session:
        grids = {r["grid"] for r in records if r.get("grid")}
        active = repo.find_active_grids(session, grids)
        known = repo.person_ids(session, {r["backup"] for r in records if r.get("backup")})
    problems += _check_roles(records, active, set(people) | set(known))
    refuse_if(problems, [], "people")
    report = ImportReport("people", "", dry_run)
    with session_scope(engine, write=not dry_run) as session:
        before = set(repo.person_ids(session, people))
        report.created = sorted(set(people) - before)
        report.updated = sorted(set(people) & before)
        if not dry_run:
            _store_photos(people, encoded, instance)
            ids = repo.upsert_people(session, list(people.values()))
            ids.update(repo.person_ids(session, {r["backup"] for r in records if r.get("backup")}))
            role_rows = [{"grid": r["grid"], "phone": r["phone"], "role": r["role"], "backup": r["backup"]}
                         for r in records if r.get("grid")]
            repo.replace_roles(session, sorted(grids), role_rows, ids)
            repo.bump_register_version(session)
            after_write(on_write, session, report)
    report.notes.append(f"roles replaced for {len(grids)} grid(s) named in the file")
    return report


def _photo_files(records, photo_dir, problems) -> dict:
    """Return {file name: (bytes, ext)} of the photo files the rows name, re-encoded; refuse the rest."""
    encoded = {}
    for rec in records:
        name = photo_file_name(rec.get("photo"))
        if name is None or name in encoded:
            continue
        if photo_dir is None:
            problems.append(Problem(rec["index"], rec.get("grid"), f"photo {name!r} names a file, but these rows "
                                    "come from no folder; upload it with POST /api/v1/people/{phone}/photo"))
            continue
        path = Path(photo_dir) / name
        if not path.is_file():
            problems.append(Problem(rec["index"], rec.get("grid"),
                                    f"photo {name!r} is not a file beside the people file"))
            continue
        try:
            encoded[name] = reencode(path.read_bytes(), f"photo {name!r}")
        except ValidationFailed as exc:
            problems.append(Problem(rec["index"], rec.get("grid"), exc.detail))
    return encoded


def _store_photos(people: dict, encoded: dict, instance) -> None:
    """Store each named photo file once and put its app URL in place of the file name."""
    urls = {name: save_encoded(instance, data, ext) for name, (data, ext) in encoded.items()}
    for person in people.values():
        if person.get("photo") in urls:
            person["photo"] = urls[person["photo"]]


def _people_in_file(records, problems) -> dict:
    people = {}
    for rec in records:
        if not rec.get("phone") or not rec.get("name"):
            continue
        seen = people.get(rec["phone"])
        if seen and seen["name"] != rec["name"]:
            problems.append(Problem(rec["index"], rec.get("grid"), f"phone {rec['phone']} belongs to "
                                                                   f"{seen['name']} earlier in the file, not {rec['name']}"))
        people.setdefault(rec["phone"], {"phone": rec["phone"], "name": rec["name"], "photo": rec.get("photo")})
    return people


def _check_roles(records, active: set, known_people: set) -> list:
    problems, seen, leaders = [], set(), {}
    for rec in records:
        grid = rec.get("grid")
        if not grid or not rec.get("role"):
            continue
        if grid not in active:
            problems.append(Problem(rec["index"], grid, f"grid {grid} is not an active grid in the register"))
        key = (grid, rec["phone"], rec["role"])
        if key in seen:
            problems.append(Problem(rec["index"], grid, f"{rec['phone']} is listed twice as {rec['role']}"))
        seen.add(key)
        if rec["role"] == "leader":
            if grid in leaders:
                problems.append(Problem(rec["index"], grid, "a grid has exactly one leader (网格长); "
                                                            f"{leaders[grid]} is already its leader"))
            leaders.setdefault(grid, rec["phone"])
        backup = rec.get("backup")
        if backup and backup == rec["phone"]:
            problems.append(Problem(rec["index"], grid, "a cleaner's B post must be another person"))
        elif backup and backup not in known_people:
            problems.append(Problem(rec["index"], grid, f"backup {backup} is neither in this file nor in the "
                                                        "register"))
    return problems
