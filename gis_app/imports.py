"""Import layers from files: read → convert CRS → validate → one transaction, all or nothing.

The CLI and the API call :func:`import_file`; a refused import raises
:class:`ValidationFailed` listing every problem, writes nothing to the register and
leaves one line in the import log.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from tqdm import tqdm

from grids.codes import next_sequences, parent_code, spatial_order
from grids.crs import CRSError, area_m2, metric_crs_for, parse_crs, to_metric, to_wgs84_geometries
from grids.fileio import FileFormatError, read_table, read_vector
from grids.geojson_ import GeoJSONError, read_geojson_file
from grids.records import grid_record, person_role_record, region_record
from grids.topology import check_inside_communities, check_overlaps
from grids.validation import Problem, check_geometries, check_lonlat_range

from .errors import ValidationFailed
from .storage import repository as repo
from .storage import session_scope

__all__ = ["LAYERS", "ImportReport", "import_file", "import_frames", "read_features"]

LAYERS = ("regions", "grids", "people")
GEOJSON_SUFFIXES = {".geojson", ".json"}
PRECISION_DEG = 1e-7


@dataclass
class ImportReport:
    """What an import did (or, with dry_run, would do)."""

    layer: str
    source: str
    dry_run: bool
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def summary(self) -> str:
        verb = "would create" if self.dry_run else "created"
        return (f"{self.layer}: {verb} {len(self.created)}, "
                f"{'would update' if self.dry_run else 'updated'} {len(self.updated)}, "
                f"unchanged {len(self.unchanged)}")

    def as_dict(self) -> dict:
        return {"layer": self.layer, "source": self.source, "dry_run": self.dry_run, "created": self.created,
                "updated": self.updated, "unchanged": self.unchanged, "notes": self.notes}


@dataclass
class _Features:
    props: list
    geoms: np.ndarray
    notes: list
    problems: list


def import_file(engine, settings: dict, layer: str, path, *, crs=None, encoding=None, dry_run=False,
                make_valid=False, codes=False, by="cli", on_write=None) -> ImportReport:
    """Import ``path`` into ``layer``; raise ValidationFailed (nothing written) on any problem.

    ``on_write(session, report)`` runs inside the write transaction, after the rows are written
    and before the commit (the API's ETag re-check and audit entry); raising there rolls back.
    """
    if layer not in LAYERS:
        raise ValidationFailed(f"unknown layer {layer!r}; importable layers: {', '.join(LAYERS)}")
    source = str(path)
    try:
        if layer == "people":
            report = _import_people_rows(engine, _read_table_or_refuse(path, encoding), dry_run, by, on_write)
        elif layer == "regions" and codes:
            report = _import_region_codes(engine, path, encoding, dry_run, by, on_write)
        else:
            feats = _read_features(path, crs, encoding, make_valid, settings)
            importer = _import_regions if layer == "regions" else _import_grids
            report = importer(engine, settings, feats, dry_run, by, on_write)
    except ValidationFailed as exc:
        with session_scope(engine, write=True) as session:
            repo.log_import(session, by=by, layer=layer, source=source, landed=False, summary=str(exc)[:4000])
        raise
    report.source = source
    if not dry_run:
        with session_scope(engine, write=True) as session:
            repo.log_import(session, by=by, layer=layer, source=source, landed=True, summary=report.summary())
    return report


# ---- reading -------------------------------------------------------------------------------

def _read_features(path, crs, encoding, make_valid, settings) -> _Features:
    path = Path(path)
    if not path.is_file():
        raise ValidationFailed(f"file not found: {path}")
    props, geoms, declared, notes, parse_problems = _read_raw(path, encoding, settings)
    source_crs = _source_crs(crs, declared, notes)
    present = np.array([g is not None for g in geoms], dtype=bool)
    converted = np.array(geoms, dtype=object)
    if present.any():
        converted[present] = to_wgs84_geometries(converted[present], source_crs)
    codes = [p.get("code") for p in props]
    checked, problems, more_notes = check_geometries(list(converted), codes, make_valid=make_valid)
    # A feature the parser already refused has no geometry: report the parser's reason, not "missing".
    broken = {p.index for p in parse_problems}
    problems = list(parse_problems) + [p for p in problems if p.index not in broken]
    for i, g in enumerate(checked):
        reason = check_lonlat_range(g) if g is not None else None
        if reason:
            problems.append(Problem(i, codes[i], reason))
    return _Features(props, _snap(checked, codes, problems), notes + more_notes, problems)


def read_features(path, settings: dict, *, crs=None, encoding=None, make_valid=False):
    """Read and check a vector file as an import would, without importing it.

    Returns ``(properties, geometries in EPSG:4326, notes)``; raises ValidationFailed
    listing every problem (feature index, code, reason).
    """
    feats = _read_features(path, crs, encoding, make_valid, settings)
    _refuse_if(feats.problems, feats.notes, Path(path).name)
    return feats.props, feats.geoms, feats.notes


def _snap(geoms, codes, problems) -> np.ndarray:
    """Snap valid geometries to the register's precision grid of 1e-7° (about 1 cm).

    GeoJSON exports carry 7 decimals (RFC 7946 advice), so storing on the same grid
    makes import → export → import lossless; GEOS keeps the snapped result valid. Rings are
    stored counter-clockwise outside, clockwise inside (RFC 7946's right-hand rule).
    """
    out = np.array(geoms, dtype=object)
    ok = np.array([g is not None for g in out], dtype=bool)
    if ok.any():
        out[ok] = shapely.orient_polygons(shapely.set_precision(out[ok], PRECISION_DEG))
    for i in np.flatnonzero(ok):
        if shapely.is_empty(out[i]) or shapely.get_type_id(out[i]) not in (3, 6):
            problems.append(Problem(int(i), codes[i], "geometry collapses at 1e-7° (about 1 cm) precision"))
            out[i] = None
    return out


def _read_raw(path: Path, encoding, settings):
    if path.suffix.lower() in GEOJSON_SUFFIXES:
        try:
            parsed = read_geojson_file(path, max_bytes=settings["SANIGRID_MAX_IMPORT_BYTES"])
        except GeoJSONError as exc:
            raise ValidationFailed(f"{path.name}: {exc}", getattr(exc, "problems", [])) from None
        props = [dict(r["properties"] or {}) for r in parsed.records]
        return props, [r["geometry"] for r in parsed.records], parsed.crs, list(parsed.notes), parsed.problems
    if path.stat().st_size > settings["SANIGRID_MAX_IMPORT_BYTES"]:
        raise ValidationFailed(f"{path.name} is larger than the import limit of "
                               f"{settings['SANIGRID_MAX_IMPORT_BYTES']:,} bytes")
    try:
        frame, declared = read_vector(path, encoding=encoding)
    except FileFormatError as exc:
        raise ValidationFailed(f"{path.name}: {exc}") from None
    props = frame.drop(columns=frame.geometry.name).to_dict("records")
    return props, list(frame.geometry.array), declared, [], []


def _source_crs(crs, declared, notes):
    try:
        if crs:
            if declared and parse_crs(declared) != parse_crs(crs):
                notes.append(f"the file says {declared}; using {crs} as given with --crs")
            return parse_crs(crs)
        return parse_crs(declared) if declared else parse_crs("EPSG:4326")
    except CRSError as exc:
        raise ValidationFailed(str(exc)) from None


def _metric(settings, geoms, problems, notes):
    """Return the metric CRS for the data, refusing now if coordinates cannot be measured."""
    if not geoms:
        _refuse_if(problems, notes, "grids")
        raise ValidationFailed("no geometry to import")
    try:
        return metric_crs_for(geoms, override=settings.get("SANIGRID_METRIC_CRS"))
    except CRSError as exc:
        _refuse_if(problems, notes, "grids")
        raise ValidationFailed(str(exc)) from None


def _refuse_if(problems, notes, what):
    if problems:
        problems = sorted(problems, key=lambda p: (p.index if p.index is not None else -1, p.reason))
        raise ValidationFailed(f"{what}: {len(problems)} problem(s); nothing was imported", problems, notes=notes)


def _records(feats: _Features, make_record) -> list:
    records = []
    for i, props in enumerate(feats.props):
        rec, errors = make_record(props)
        rec["index"] = i
        rec["geometry"] = feats.geoms[i] if len(feats.geoms) else None
        feats.problems += [Problem(i, rec.get("code"), e) for e in errors]
        records.append(rec)
    return records


def _duplicates(records, key="code") -> list:
    seen, problems = {}, []
    for rec in records:
        value = rec.get(key)
        if value is None:
            continue
        if value in seen:
            problems.append(Problem(rec["index"], value, f"duplicate {key}: also feature {seen[value]}"))
        else:
            seen[value] = rec["index"]
    return problems


# ---- regions -------------------------------------------------------------------------------

def _check_parents(records, known: set) -> list:
    codes = known | {r["code"] for r in records if r.get("code")}
    problems = []
    for rec in records:
        if not rec.get("level") or rec["level"] in ("city", "district"):
            continue
        parent = parent_code(rec["code"])
        rec["parent"] = parent
        if parent not in codes:
            problems.append(Problem(rec["index"], rec["code"], f"parent region {parent} is neither in the "
                                                               "register nor in this file"))
    for rec in records:
        if rec.get("level") == "district":
            rec["parent"] = parent_code(rec["code"]) if parent_code(rec["code"]) in codes else None
    return problems


def _region_diff(session, records, report):
    stored = repo.load_regions(session).set_index("code")
    for rec in records:
        if rec["code"] not in stored.index:
            report.created.append(rec["code"])
            continue
        old = stored.loc[rec["code"]]
        same_geom = rec.get("geometry") is None or (old.geometry is not None and shapely.equals_exact(
            old.geometry, rec["geometry"], 1e-9))
        bucket = report.unchanged if same_geom and old["name"] == rec["name"] else report.updated
        bucket.append(rec["code"])


def _land_regions(engine, records, report, dry_run, on_write=None):
    with session_scope(engine, write=not dry_run) as session:
        _region_diff(session, records, report)
        if not dry_run:
            repo.upsert_regions(session, [r for r in records if r["code"] not in report.unchanged], repo.now())
            repo.bump_register_version(session)
            _after_write(on_write, session, report)
    return report


def _after_write(on_write, session, report) -> None:
    if on_write is not None:
        session.flush()
        on_write(session, report)


def _import_regions(engine, settings, feats: _Features, dry_run, by, on_write=None) -> ImportReport:
    records = _records(feats, region_record)
    feats.problems += _duplicates(records)
    with session_scope(engine) as session:
        known = set(repo.load_regions(session)["code"])
    feats.problems += _check_parents(records, known)
    _refuse_if(feats.problems, feats.notes, "regions")
    report = ImportReport("regions", "", dry_run, notes=feats.notes)
    return _land_regions(engine, records, report, dry_run, on_write)


def _import_region_codes(engine, path, encoding, dry_run, by, on_write=None) -> ImportReport:
    """A code list (code, name) is a regions import whose features have no boundary."""
    rows = _read_table_or_refuse(path, encoding)
    feats = _Features(rows, np.array([None] * len(rows), dtype=object), [], [])
    return _import_regions(engine, None, feats, dry_run, by, on_write)


def _read_table_or_refuse(path, encoding) -> list:
    path = Path(path)
    if not path.is_file():
        raise ValidationFailed(f"file not found: {path}")
    try:
        return read_table(path, encoding=encoding).to_dict("records")
    except FileFormatError as exc:
        raise ValidationFailed(f"{path.name}: {exc}") from None


# ---- grids ---------------------------------------------------------------------------------

def _import_grids(engine, settings, feats: _Features, dry_run, by, on_write=None) -> ImportReport:
    records = _records(feats, grid_record)
    feats.problems += _duplicates(records)
    communities = sorted({r["community"] for r in records if r.get("community")})
    with session_scope(engine) as session:
        context = _grid_context(session, communities, [r["code"] for r in records if r.get("code")])
    bad = {p.index for p in feats.problems}
    metric = _metric(settings, [r["geometry"] for r in records if r["geometry"] is not None and r["index"] not in bad],
                     feats.problems, feats.notes)
    feats.problems += _check_grids_against_register(records, context, metric, settings)
    _refuse_if(feats.problems, feats.notes, "grids")
    _assign_codes(records, context["used"], metric)
    areas = area_m2([r["geometry"] for r in records], metric) if records else []
    for rec, area in zip(records, areas):
        rec["area_m2"] = round(float(area), 2)
    report = ImportReport("grids", "", dry_run, notes=feats.notes)
    with session_scope(engine, write=not dry_run) as session:
        _grid_diff(session, records, report)
        if not dry_run:
            at = repo.now()
            changed = [r for r in records if r["code"] not in report.unchanged]
            # A bar on a terminal, nothing when piped or under test (tqdm's disable=None).
            for rec in tqdm(changed, desc="writing grids", unit="grid", disable=None, leave=False):
                repo.write_grid(session, rec, by, at)
            repo.bump_register_version(session)
            _after_write(on_write, session, report)
    return report


def _grid_context(session, communities, codes) -> dict:
    regions = repo.load_regions(session, level="community")
    regions = regions[regions["code"].isin(communities)]
    stored = repo.load_grids(session, retired=True, codes=codes)
    siblings = [repo.load_grids(session, under=c) for c in communities]
    return {
        "communities": dict(zip(regions["code"], regions.geometry)),
        "retired": set(stored.loc[stored["end_date"].notna(), "code"]) if len(stored) else set(),
        "used": {c: repo.used_grid_codes(session, c) for c in communities},
        "siblings": siblings,
    }


def _check_grids_against_register(records, context, metric, settings) -> list:
    problems = []
    for rec in records:
        if rec.get("community") and rec["community"] not in context["communities"]:
            problems.append(Problem(rec["index"], rec.get("code"),
                                    f"community {rec['community']} is not in the register (import regions first)"))
        if rec.get("code") in context["retired"]:
            problems.append(Problem(rec["index"], rec["code"], "this grid code was retired; a retired code "
                                                               "is never reused"))
    ok = [r for r in records if r["geometry"] is not None and r.get("community") in context["communities"]]
    if not ok:
        return problems
    problems += _remap(ok, check_inside_communities(
        [r.get("code") for r in ok], [r["community"] for r in ok], [r["geometry"] for r in ok],
        context["communities"], metric, settings["SANIGRID_OUTSIDE_TOLERANCE_M"]))
    incoming = {r.get("code") for r in ok}
    others = [s[~s["code"].isin(incoming)] for s in context["siblings"] if len(s)]
    other_codes = [c for s in others for c in s["code"]]
    other_geoms = [g for s in others for g in s.geometry]
    problems += _remap(ok, check_overlaps([r.get("code") for r in ok], [r["geometry"] for r in ok],
                                          other_codes, other_geoms, metric,
                                          settings["SANIGRID_OVERLAP_TOLERANCE_M2"]))
    return problems


def _remap(subset, problems) -> list:
    """Map problem indices of a subset back to feature indices in the file."""
    return [Problem(subset[p.index]["index"], p.code, p.reason) for p in problems]


def _assign_codes(records, used: dict, metric) -> None:
    """Give code-less grids the next free codes of their community, west→east, north→south."""
    by_community = {}
    for rec in records:
        if not rec.get("code"):
            by_community.setdefault(rec["community"], []).append(rec)
    for community, recs in by_community.items():
        taken = used.get(community, []) + [r["code"] for r in records if r.get("code")]
        points = to_metric([shapely.point_on_surface(r["geometry"]) for r in recs], metric)
        xs, ys = shapely.get_x(points), shapely.get_y(points)
        sizes = np.sqrt(shapely.area(to_metric([r["geometry"] for r in recs], metric)))
        # Rows half a typical grid tall: grids of one row share a band, the next row falls below it.
        order = spatial_order(list(xs), list(ys), row_height=float(np.median(sizes)) / 2 or 1.0)
        for rec, code in zip((recs[i] for i in order), next_sequences(taken, community, len(recs))):
            rec["code"] = code


def _grid_diff(session, records, report) -> None:
    stored = repo.load_grids(session, codes=[r["code"] for r in records]).set_index("code")
    fields = ("community", "name", "type", "households", "population", "sign_lon", "sign_lat")
    for rec in records:
        if rec["code"] not in stored.index:
            report.created.append(rec["code"])
            continue
        old = stored.loc[rec["code"]]
        same = all(_same(old.get(f), rec[f]) for f in fields) and shapely.equals_exact(
            old.geometry, rec["geometry"], 1e-9) and _attrs_of(old) == rec["attrs"]
        (report.unchanged if same else report.updated).append(rec["code"])


def _same(a, b) -> bool:
    a_missing = a is None or (isinstance(a, float) and np.isnan(a))
    b_missing = b is None or (isinstance(b, float) and np.isnan(b))
    return (a_missing and b_missing) or a == b


def _attrs_of(row) -> dict:
    skip = set(repo.GRID_COLUMNS) | {"geometry"}
    return {k: v for k, v in row.items() if k not in skip and not _same(v, None)}


# ---- people --------------------------------------------------------------------------------

def _import_people_rows(engine, rows, dry_run, by, on_write=None) -> ImportReport:
    problems, records = [], []
    for i, row in enumerate(rows):
        rec, errors = person_role_record(row)
        rec["index"] = i
        problems += [Problem(i, rec.get("grid"), e) for e in errors]
        records.append(rec)
    people = _people_in_file(records, problems)
    with session_scope(engine) as session:
        grids = {r["grid"] for r in records if r.get("grid")}
        active = repo.find_active_grids(session, grids)
        known = repo.person_ids(session, {r["backup"] for r in records if r.get("backup")})
    problems += _check_roles(records, active, set(people) | set(known))
    _refuse_if(problems, [], "people")
    report = ImportReport("people", "", dry_run)
    with session_scope(engine, write=not dry_run) as session:
        before = set(repo.person_ids(session, people))
        report.created = sorted(set(people) - before)
        report.updated = sorted(set(people) & before)
        if not dry_run:
            ids = repo.upsert_people(session, list(people.values()))
            ids.update(repo.person_ids(session, {r["backup"] for r in records if r.get("backup")}))
            role_rows = [{"grid": r["grid"], "phone": r["phone"], "role": r["role"], "backup": r["backup"]}
                         for r in records if r.get("grid")]
            repo.replace_roles(session, sorted(grids), role_rows, ids)
            repo.bump_register_version(session)
            _after_write(on_write, session, report)
    report.notes.append(f"roles replaced for {len(grids)} grid(s) named in the file")
    return report


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


def import_frames(engine, settings: dict, layer: str, frame, *, by="cli", dry_run=False,
                  on_write=None) -> ImportReport:
    """Import an in-memory frame (regions/grids GeoDataFrame in EPSG:4326, people DataFrame).

    The same validation and transaction as a file import: used by the demo, scripts and the API
    (``on_write`` as in :func:`import_file`).
    """
    try:
        if layer == "people":
            rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
            report = _import_people_rows(engine, rows, dry_run, by, on_write)
        else:
            props = frame.drop(columns=frame.geometry.name).to_dict("records")
            codes = [p.get("code") for p in props]
            geoms, problems, notes = check_geometries(list(frame.geometry.array), codes)
            feats = _Features(props, _snap(geoms, codes, problems), notes, problems)
            importer = _import_regions if layer == "regions" else _import_grids
            report = importer(engine, settings, feats, dry_run, by, on_write)
    except ValidationFailed as exc:
        with session_scope(engine, write=True) as session:
            repo.log_import(session, by=by, layer=layer, source="<frame>", landed=False, summary=str(exc)[:4000])
        raise
    report.source = "<frame>"
    return report
