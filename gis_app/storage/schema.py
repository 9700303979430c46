"""The register's tables. Geometry is WKB in EPSG:4326 with its bounding box beside it.

SQLite keeps WKB in a BLOB; the spatial index is the in-process STRtree built from these
rows per register version (see gis_app.register.grid_index). PostGIS gets geometry(…, 4326)
columns with GiST indexes in migration 0003, behind the same names (storage/geometry.py).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, Boolean, Date, DateTime, Float, ForeignKey, Integer, String,
                        Text, UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .geometry import WKBGeometry

__all__ = ["Base", "Region", "Grid", "GridHistory", "Person", "Role", "ImportLog", "Meta", "ApiToken", "User", "AuditEntry",
           "Frontage", "Place", "Road", "Building", "Inspection", "Case", "CaseEvent",
           "Evaluation"]


class Base(DeclarativeBase):
    """Declarative base of the register's tables."""


class Region(Base):
    __tablename__ = "regions"
    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16), index=True)
    parent: Mapped[str | None] = mapped_column(String(12), index=True)
    geom: Mapped[bytes | None] = mapped_column(WKBGeometry)
    attrs: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Grid(Base):
    __tablename__ = "grids"
    code: Mapped[str] = mapped_column(String(15), primary_key=True)
    community: Mapped[str] = mapped_column(String(12), index=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(32))
    households: Mapped[int] = mapped_column(Integer)
    population: Mapped[int] = mapped_column(Integer)
    sign_lon: Mapped[float | None] = mapped_column(Float)
    sign_lat: Mapped[float | None] = mapped_column(Float)
    geom: Mapped[bytes] = mapped_column(WKBGeometry)
    minx: Mapped[float] = mapped_column(Float)
    miny: Mapped[float] = mapped_column(Float)
    maxx: Mapped[float] = mapped_column(Float)
    maxy: Mapped[float] = mapped_column(Float)
    area_m2: Mapped[float] = mapped_column(Float)
    version: Mapped[int] = mapped_column(Integer, default=1)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date, index=True)
    attrs: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by: Mapped[str] = mapped_column(String(100))


class GridHistory(Base):
    """Every version of every grid, with who and when: a retired grid keeps its past."""

    __tablename__ = "grid_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(15), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(DateTime)
    by: Mapped[str] = mapped_column(String(100))
    record: Mapped[dict] = mapped_column(JSON)
    __table_args__ = (UniqueConstraint("code", "version"),)


class Person(Base):
    __tablename__ = "people"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    phone: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    photo: Mapped[str | None] = mapped_column(String(500))


class Role(Base):
    """A person serving a grid; a cleaner row is an A post, ``backup_id`` its B post."""

    __tablename__ = "roles"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    grid: Mapped[str] = mapped_column(ForeignKey("grids.code"))  # looked up through the unique index below
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    backup_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    __table_args__ = (UniqueConstraint("grid", "person_id", "role"),)


class ImportLog(Base):
    """One row per import attempt, landed or refused."""

    __tablename__ = "import_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    by: Mapped[str] = mapped_column(String(100))
    layer: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(500))
    landed: Mapped[bool] = mapped_column(Boolean)
    summary: Mapped[str] = mapped_column(Text)


class Meta(Base):
    """Key-value facts about the register, e.g. its version (bumped by every write)."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class ApiToken(Base):
    """A bearer token: only its SHA-256 digest is kept."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    district: Mapped[str | None] = mapped_column(String(12))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class User(Base):
    """A person who signs in to the pages: only an argon2 hash of the password is kept."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    district: Mapped[str | None] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime)


class AuditEntry(Base):
    """One API write: who, when, what, and the record before and after."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))
    layer: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(100), index=True)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)


class Located:
    """A geometry (WKB, EPSG:4326) with its bounding box beside it: the box filters' columns on SQLite."""

    geom: Mapped[bytes] = mapped_column(WKBGeometry)
    minx: Mapped[float] = mapped_column(Float)
    miny: Mapped[float] = mapped_column(Float)
    maxx: Mapped[float] = mapped_column(Float)
    maxy: Mapped[float] = mapped_column(Float)


class Edited:
    """The edit trail of a register row: its version (ETag and lock), kept attributes, who and when."""

    version: Mapped[int] = mapped_column(Integer, default=1)
    attrs: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by: Mapped[str] = mapped_column(String(100))


class Frontage(Located, Edited, Base):
    """A 门前三包 unit and the street front (line) or zone (polygon) it signed for; its grids are computed."""

    __tablename__ = "frontages"
    ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit_name: Mapped[str] = mapped_column(String(200))
    unit_kind: Mapped[str] = mapped_column(String(16))
    credit_code: Mapped[str | None] = mapped_column(String(18))
    contact: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(200))
    liable: Mapped[str] = mapped_column(String(8))
    item_set: Mapped[str] = mapped_column(String(32))
    items: Mapped[list] = mapped_column(JSON)
    signed_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), index=True)
    photo: Mapped[str | None] = mapped_column(String(500))
    road: Mapped[str | None] = mapped_column(String(200))
    length_m: Mapped[float] = mapped_column(Float)


class Place(Located, Edited, Base):
    """A key place (重点场所): a point or polygon of a configured kind, with its licence fields."""

    __tablename__ = "places"
    ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(200))
    operator: Mapped[str | None] = mapped_column(String(200))
    contact: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(200))
    licence_no: Mapped[str | None] = mapped_column(String(64))
    licence_expires: Mapped[date | None] = mapped_column(Date)
    health_certs: Mapped[int | None] = mapped_column(Integer)
    staff: Mapped[int | None] = mapped_column(Integer)


class Road(Located, Base):
    """A road centreline: what a frontage faces and what shop points and zones are measured from."""

    __tablename__ = "roads"
    ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(8))
    width_m: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Building(Located, Base):
    """A building footprint: used to derive street fronts and the front no unit has registered."""

    __tablename__ = "buildings"
    ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    households: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Inspection(Base):
    """One inspection (日查、周督、月评、季暗访): where, by whom, the checklist items it was scored with.

    The items are a snapshot: a changed checklist file never rescores a past inspection. Times
    are China Standard Time (UTC+8) without a zone, like the deadlines counted from them.
    """

    __tablename__ = "inspections"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    level: Mapped[str] = mapped_column(String(16))
    inspector: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    grid: Mapped[str] = mapped_column(String(15), index=True)
    community: Mapped[str] = mapped_column(String(12), index=True)
    frontage: Mapped[str | None] = mapped_column(String(64))
    place: Mapped[str | None] = mapped_column(String(64))
    checklist_kind: Mapped[str] = mapped_column(String(16))
    checklist_version: Mapped[str] = mapped_column(String(32))
    checklist_items: Mapped[list] = mapped_column(JSON)
    results: Mapped[dict] = mapped_column(JSON)
    score: Mapped[float | None] = mapped_column(Float)
    notes: Mapped[str | None] = mapped_column(Text)
    photos: Mapped[list] = mapped_column(JSON)
    exif: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(100))


class Case(Edited, Base):
    """A rectification case (整改案件): a failed item with its deadline, on its way to 销号.

    ``version`` is the optimistic lock: every action bumps it, and an action sent against an
    older version is refused, so of two people acting at once one wins and the other is told.
    """

    __tablename__ = "cases"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    inspection_id: Mapped[str | None] = mapped_column(ForeignKey("inspections.id"), index=True)
    item: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    grid: Mapped[str] = mapped_column(String(15), index=True)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    addressed_kind: Mapped[str] = mapped_column(String(16))
    addressed_ref: Mapped[str | None] = mapped_column(String(100))
    assignee: Mapped[str | None] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), index=True)
    registered_at: Mapped[datetime] = mapped_column(DateTime)
    deadline: Mapped[datetime] = mapped_column(DateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    deferrals: Mapped[int] = mapped_column(Integer)
    reworks: Mapped[int] = mapped_column(Integer)
    rectified_by: Mapped[str | None] = mapped_column(String(100))
    evidence: Mapped[str | None] = mapped_column(String(500))
    notes: Mapped[str | None] = mapped_column(Text)


class CaseEvent(Base):
    """One step of a case: who took which action when, from which state to which."""

    __tablename__ = "case_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    by: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSON)


class Evaluation(Base):
    """A published monthly evaluation (月评): the city-wide rows as they stood, never recomputed.

    ``checklist_versions`` (kind → versions the month's inspections were scored with) and
    ``rules_digest`` (SHA-256 of the case categories and the evaluation weights) say what the
    frozen numbers were computed under.
    """

    __tablename__ = "evaluations"
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    published_at: Mapped[datetime] = mapped_column(DateTime)
    published_by: Mapped[str] = mapped_column(String(100))
    checklist_versions: Mapped[dict] = mapped_column(JSON)
    rules_digest: Mapped[str] = mapped_column(String(64))
    rows: Mapped[list] = mapped_column(JSON)
