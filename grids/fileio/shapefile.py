"""Shapefiles: GBK or UTF-8 DBF text, zipped or not, and 10-byte field names mapped back and forth."""
from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import shapely

from .cells import attribute_columns
from .formats import FileFormatError, codec_name, lookup_codec, short_error
from .ogr import ogr_ready, read_ogr, write_ogr

#: Long column names and the Shapefile (DBF) field names they are written as; reading a
#: Shapefile maps them back. The core columns of regions and grids (code, name, level,
#: parent, community, type, households, population, sign_lon, sign_lat, start_date,
#: end_date, version, area_m2) fit in 10 bytes and are written unchanged. Any other name
#: longer than 10 bytes in the DBF's encoding (e.g. ``负责人电话`` is 15 bytes in UTF-8) is
#: shortened to a unique prefix (``负责人``, ``负责人_1``, ``responsib_1`` ...) and the
#: pairs are written to ``<stem>.fields.json`` beside the ``.shp`` (inside the zip for a
#: zipped Shapefile), which :func:`read_vector` reads to restore the names.
SHP_FIELD_NAMES = {
    "required_cleaners": "req_clean",
    "cleaner_gap": "clean_gap",
    "households_uncovered": "hh_uncover",
    "backup_name": "backup_nm",
    "register_version": "reg_ver",
}
SHP_FIELDS_SUFFIX = ".fields.json"
DBF_NAME_BYTES = 10
DBF_TEXT_BYTES = 254
DBF_FLOAT_LIMIT = 1e21          # GDAL writes larger reals into a 24-character field badly
_SHP_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".shp.xml", SHP_FIELDS_SUFFIX)


def read_shapefile(path: Path, encoding, layer):
    """Read a .shp (or a .zip holding one) with its side files; restore long field names."""
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
                shps = [n for n in names if n.lower().endswith(".shp") and not n.startswith("__MACOSX/")]
                if layer is not None:
                    shps = [n for n in shps if Path(n).stem == layer]
                if len(shps) != 1:
                    found = ", ".join(Path(n).stem for n in shps) or "none"
                    raise FileFormatError(f"{path.name} must hold exactly one Shapefile"
                                          f"{'' if layer is None else ' named ' + repr(layer)} (found: {found})")
                shp = shps[0]
                parts = {ext: _sibling_member(names, shp, ext) for ext in (".shx", ".dbf", ".cpg", SHP_FIELDS_SUFFIX)}
                _require_parts(path.name + ":" + shp, parts)
                dbf_head = zf.read(parts[".dbf"])[:32]
                side = {ext: zf.read(parts[ext]) if parts[ext] else None for ext in (".cpg", SHP_FIELDS_SUFFIX)}
        except zipfile.BadZipFile:
            raise FileFormatError(f"{path.name} is not a readable zip file") from None
        except (OSError, EOFError, zipfile.LargeZipFile, NotImplementedError) as exc:
            raise FileFormatError(f"{path.name}: cannot read the zip ({short_error(exc)})") from None
        source = f"/vsizip/{path.resolve()}/{shp}"
    else:
        parts = {ext: _sibling_file(path, ext) for ext in (".shx", ".dbf", ".cpg", SHP_FIELDS_SUFFIX)}
        _require_parts(path.name, parts)
        with open(parts[".dbf"], "rb") as f:
            dbf_head = f.read(32)
        side = {ext: Path(parts[ext]).read_bytes() if parts[ext] else None for ext in (".cpg", SHP_FIELDS_SUFFIX)}
        source = str(path)
    if len(dbf_head) < 32:
        raise FileFormatError(f"{path.name}: the .dbf attribute table is not a dBASE file")
    if encoding is None and side[".cpg"] is None and dbf_head[29] == 0:
        # No .cpg and no language driver id: GDAL would decode as ISO-8859-1 and turn
        # Chinese into mojibake. Demand UTF-8 instead and say what to do if it is not.
        encoding = "UTF-8"
    elif encoding is not None:
        encoding = codec_name(encoding)
    try:
        frame = read_ogr(path, source, layer if path.suffix.lower() != ".zip" else None, encoding, "Shapefile")
    except FileFormatError as exc:
        if side[".cpg"] is None and "attribute text" in str(exc):
            raise FileFormatError(f"{path.name} has no .cpg file naming its text encoding and its text is not "
                                  f"{encoding}; Chinese Shapefiles without .cpg are usually GBK: "
                                  "give encoding='gbk'") from None
        raise
    names = _shp_names_back(side[SHP_FIELDS_SUFFIX], path.name)
    return frame.rename(columns={c: names[c] for c in frame.columns if c in names})


def _sibling_file(path: Path, ext: str):
    """The side file ``<stem><ext>`` (extension in lower or upper case, as GDAL looks for it)."""
    for candidate in (path.with_name(path.stem + ext), path.with_name(path.stem + ext.upper())):
        if candidate.is_file():
            return candidate
    return None


def _sibling_member(names, shp: str, ext: str):
    stem = shp[:-4]
    return next((n for n in (stem + ext, stem + ext.upper()) if n in names), None)


def _require_parts(name: str, parts: dict) -> None:
    missing = [ext for ext in (".shx", ".dbf") if not parts[ext]]
    if missing:
        raise FileFormatError(f"{name}: the Shapefile is incomplete, {' and '.join(missing)} missing "
                              "(a Shapefile needs its .shp, .shx and .dbf together; .prj and .cpg too)")


def _shp_names_back(raw: bytes | None, name: str) -> dict:
    if raw is None:
        return {short: long for long, short in SHP_FIELD_NAMES.items()}
    try:
        mapping = orjson.loads(raw)["fields"]
        if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
            raise TypeError
    except (orjson.JSONDecodeError, KeyError, TypeError):
        raise FileFormatError(f"{name}: the {SHP_FIELDS_SUFFIX} field-name file is damaged; "
                              "delete it to read the Shapefile's short field names") from None
    return mapping


def write_shapefile(frame, path: Path, encoding) -> None:
    """Write a Shapefile (or a zip of one) atomically, with short field names and a .cpg."""
    enc = codec_name(encoding or "UTF-8")
    codec = lookup_codec(enc)
    zipped = path.suffix.lower() == ".zip"
    if not zipped and path.suffix.lower() != ".shp":
        raise FileFormatError(f"{path.name}: a Shapefile is written to a .shp or .zip path")
    kinds = set(shapely.get_type_id(np.asarray(frame.geometry.values, dtype=object))) - {-1}
    families = {{0: "point", 4: "point", 1: "line", 5: "line", 2: "line", 3: "polygon", 6: "polygon"}.get(k, "other")
                for k in kinds}
    if len(families) > 1 or "other" in families:
        raise FileFormatError("a Shapefile holds one kind of geometry (points, lines or polygons); "
                              "this layer mixes them or has collections: use gpkg")
    out = ogr_ready(frame)
    names = _shp_field_names(attribute_columns(out), codec)
    _check_dbf_values(out, codec, enc)
    out = out.rename(columns=names)
    stem = path.stem
    tmpdir = Path(tempfile.mkdtemp(prefix=".sanigrid-", dir=_mkdir(path.parent)))
    try:
        write_ogr(out, tmpdir / f"{stem}.shp", "ESRI Shapefile", encoding=None if enc == "UTF-8" else enc)
        renamed = {short: long for long, short in names.items() if short != long}
        if renamed:
            (tmpdir / f"{stem}{SHP_FIELDS_SUFFIX}").write_bytes(
                orjson.dumps({"note": "Shapefile field name -> column name (written by sanigrid)",
                              "fields": renamed}, option=orjson.OPT_INDENT_2))
        written = sorted(p for p in tmpdir.iterdir() if p.is_file())
        if zipped:
            tmpzip = tmpdir / (path.name + ".part")
            with zipfile.ZipFile(tmpzip, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                for p in written:
                    zf.write(p, p.name)
            os.replace(tmpzip, path)
        else:
            for ext in _SHP_PARTS:       # stale side files of an earlier export must not linger
                old = _sibling_file(path, ext)
                if old is not None:
                    old.unlink()
            for p in written:
                os.replace(p, path.parent / p.name)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def _mkdir(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _shp_field_names(columns, codec: str) -> dict:
    """Map column names to unique DBF field names of at most 10 bytes (see SHP_FIELD_NAMES)."""
    def size(name):
        try:
            return len(name.encode(codec))
        except UnicodeEncodeError:
            raise FileFormatError(f"column name {name!r} cannot be written in {codec}; use UTF-8") from None

    def prefix(name, limit):
        while size(name) > limit:
            name = name[:-1]
        return name

    names, taken = {}, set()
    fixed = [c for c in columns if size(c) <= DBF_NAME_BYTES or c in SHP_FIELD_NAMES]
    for column in fixed:                # names that fit (or have a fixed short form) first
        short = SHP_FIELD_NAMES.get(column, column) if size(column) > DBF_NAME_BYTES else column
        if short.lower() in taken:
            raise FileFormatError(f"columns {column!r} and another both become the Shapefile field {short!r}; "
                                  "rename one or use gpkg")
        names[column] = short
        taken.add(short.lower())
    for column in columns:
        if column in names:
            continue
        short, n = prefix(column, DBF_NAME_BYTES), 0
        while short.lower() in taken or not short:
            n += 1
            tail = f"_{n}"
            short = prefix(column, DBF_NAME_BYTES - len(tail)) + tail
        names[column] = short
        taken.add(short.lower())
    return names


def _check_dbf_values(frame, codec: str, enc: str) -> None:
    for column in attribute_columns(frame):
        series = frame[column]
        if pd.api.types.is_float_dtype(series.dtype):
            values = series.to_numpy(dtype=float)
            bad = ~np.isnan(values) & ~(np.abs(values) < DBF_FLOAT_LIMIT)
            if bad.any():
                raise FileFormatError(f"column {column!r} holds {values[bad][0]!r}, beyond what a DBF number "
                                      "field holds; use gpkg")
        elif series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            for value in series:
                if not isinstance(value, str):
                    continue
                try:
                    size = len(value.encode(codec))
                except UnicodeEncodeError:
                    raise FileFormatError(f"column {column!r}: {value[:40]!r} has characters {enc} cannot hold; "
                                          "write the Shapefile in UTF-8 (the default) or use gpkg") from None
                if size > DBF_TEXT_BYTES:
                    raise FileFormatError(f"column {column!r}: a text of {size} bytes does not fit a Shapefile's "
                                          f"{DBF_TEXT_BYTES}-byte DBF field and would be cut; use gpkg")
