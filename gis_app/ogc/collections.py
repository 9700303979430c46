"""The collection registry: a layer joins /ogc with one ``register(Collection(...))``.

A collection gives its id, Chinese and English titles, and three functions over the app's
engine and settings: ``fetch(engine, settings, query) -> Page`` (the property filters, bbox,
limit/offset and, when ``temporal``, the datetime interval of an :class:`ItemQuery`), ``feature(engine, settings, id)``
(a one-row frame or None) and ``extent(engine, settings)``. Frames are GeoDataFrames in
EPSG:4326 with the feature id in ``id_column``; the views write them as GeoJSON or HTML.
A layer small enough to load whole needs only ``frame_collection(load=..., ...)``.

``queryables`` declares the properties clients may filter on (``?status=expired``), once:
``gis_app.ogc.queryables`` turns the declaration into the /queryables document, the accepted
parameters, their parsing and the OpenAPI parameters. ``page_of`` applies the filters to a frame;
a collection fetching from SQL puts ``sql_conditions(query.filters)`` into its WHERE clause.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import geopandas as gpd
import numpy as np
import shapely

from .params import ItemQuery
from .queryables import Queryable, check_queryables, frame_mask

__all__ = ["Collection", "Page", "Extent", "register", "collection", "all_collections", "page_of",
           "frame_collection", "bounds_of"]


@dataclass(frozen=True)
class Extent:
    """Spatial extent in CRS84 (None when empty) and the temporal interval (ISO text, None = open)."""

    bbox: tuple[float, float, float, float] | None
    interval: tuple[str | None, str | None] | None = None


@dataclass(frozen=True)
class Page:
    """One page of features and how many match the query in all."""

    frame: gpd.GeoDataFrame
    number_matched: int


@dataclass(frozen=True)
class Collection:
    id: str
    title: dict                       # {"zh": ..., "en": ...}
    description: dict                 # {"zh": ..., "en": ...}
    fetch: Callable[..., Page]
    feature: Callable[..., gpd.GeoDataFrame | None]
    extent: Callable[..., Extent]
    id_column: str = "code"
    temporal: bool = False            # True: the datetime parameter applies
    queryables: tuple[Queryable, ...] = ()   # the properties /items filters on (Part 3 queryables)


_REGISTRY: dict[str, Collection] = {}


def register(item: Collection) -> Collection:
    """Add a collection (its id must be new)."""
    if item.id in _REGISTRY:
        raise ValueError(f"collection {item.id!r} is registered twice")
    check_queryables(item.id, item.queryables)
    _REGISTRY[item.id] = item
    return item


def collection(collection_id: str) -> Collection | None:
    return _REGISTRY.get(collection_id)


def all_collections() -> list[Collection]:
    return list(_REGISTRY.values())


def page_of(frame: gpd.GeoDataFrame, query: ItemQuery) -> Page:
    """Filter a whole collection frame by the query's property filters and bbox and cut out its page
    (frame order kept)."""
    if query.filters and len(frame):
        frame = frame[frame_mask(frame, query.filters)]
    if query.bbox is not None and len(frame):
        geoms = np.asarray(frame.geometry.values, dtype=object)
        hits = shapely.intersects(geoms, shapely.box(*query.bbox))
        frame = frame[np.asarray(hits, dtype=bool)]
    return Page(frame.iloc[query.offset: query.offset + query.limit], len(frame))


def frame_collection(*, load: Callable[..., gpd.GeoDataFrame], id_column: str = "code", **fields) -> Collection:
    """Return a Collection for a layer small enough to load whole: ``load(engine, settings)`` gives
    every feature; bbox, paging and single features are cut from it."""
    def fetch(engine, settings, query):
        return page_of(load(engine, settings), query)

    def feature(engine, settings, feature_id):
        frame = load(engine, settings)
        frame = frame[frame[id_column] == feature_id]
        return frame if len(frame) else None

    return Collection(fetch=fetch, feature=feature, id_column=id_column, **fields)


def bounds_of(frame: gpd.GeoDataFrame):
    """Return the total bounds of a frame's geometries, None when there are none."""
    geoms = frame.geometry.dropna()
    geoms = geoms[~geoms.is_empty]
    return tuple(float(v) for v in geoms.total_bounds) if len(geoms) else None
