"""The per-process caches of answers derived from the register, and the one way to clear them.

Every write bumps the register version (``meta.register_version``), so a value built from the
register stays right while the version it was built at is the current one. :class:`VersionCache`
keeps one value per database (and an optional key) with the version it belongs to;
:class:`PatchedCache` also keeps the change mark of :mod:`.changes` and, when only grids were
written since, patches the value for the changed grids instead of building it again (the live
index, the staffing statuses of the map). :func:`clear_caches` forgets every value of every cache
(tests, a restore replacing the database).
"""
from __future__ import annotations

import functools
import threading

from cachetools import LRUCache

__all__ = ["VersionCache", "PatchedCache", "ByteCache", "clear_caches", "engine_key", "cleared_with_the_rest"]

_registry: list = []


def cleared_with_the_rest(store):
    """Register a small store (anything with ``clear()``) so that :func:`clear_caches` empties it too."""
    _registry.append(store)
    return store


def clear_caches() -> None:
    """Forget every cached value in this process (the next read builds it from the database)."""
    for cache in _registry:
        cache.clear()


@functools.lru_cache(maxsize=32)
def engine_key(engine) -> str:
    """The engine's URL as a cache key (rendering it costs 25 µs, a tenth of a small tile's query)."""
    return str(engine.url)


class VersionCache:
    """One value per (database, key), valid for the register version it was built at.

    ``maxsize`` bounds the number of (database, key) entries, least recently used out first.
    """

    def __init__(self, name: str, maxsize: int = 16):
        self.name = name
        self._data: LRUCache = LRUCache(maxsize)
        self._lock = threading.RLock()
        _registry.append(self)

    def get(self, engine, version: int, build, key=()):
        """Return the value kept for this database, key and version, or ``build()`` it (once) and keep it."""
        slot = (engine_key(engine), *key)
        with self._lock:
            kept = self._data.get(slot)
            if kept is not None and kept[0] == version:
                return kept[1]
            value = build()
            self._data[slot] = (version, value)
            return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, engine) -> bool:
        return any(k[0] == engine_key(engine) for k in list(self._data))


class PatchedCache(VersionCache):
    """A value kept across writes: patched for the grids changed since, built again when that is unknown.

    ``build(engine, *key)`` returns a fresh value; ``patch(value, engine, codes, *key)`` brings
    ``value`` up to date for the grid codes written since (in place or as a new value, returned).
    The changes are read from the grid history (see :func:`.changes.grid_changes`), so writes by
    another process are patched like this process's own.
    """

    def __init__(self, name: str, build, patch, maxsize: int = 16):
        super().__init__(name, maxsize)
        self._build, self._patch = build, patch

    def get(self, engine, version: int, key=()):
        """Return the value for the register at ``version`` (one version check when nothing moved)."""
        from .changes import change_mark, grid_changes
        slot = (engine_key(engine), *key)
        with self._lock:
            kept = self._data.get(slot)
            if kept is not None and kept[0].version == version:
                return kept[1]
            codes, mark = (None, None) if kept is None else grid_changes(engine, kept[0])
            if codes is None:
                mark = change_mark(engine)
                value = self._build(engine, *key)
            else:
                value = self._patch(kept[1], engine, codes, *key) if codes else kept[1]
            self._data[slot] = (mark, value)
            return value

    def peek(self, engine, key=()):
        """Return the value kept for this database and key whatever its version (None: nothing kept)."""
        kept = self._data.get((engine_key(engine), *key))
        return None if kept is None else kept[1]


class ByteCache:
    """Encoded answers (map tiles) kept up to ``maxbytes`` in total, least recently used out first."""

    def __init__(self, name: str, maxbytes: int):
        self.name = name
        self._data: LRUCache = LRUCache(maxbytes, getsizeof=len)
        self._lock = threading.Lock()
        _registry.append(self)

    def get(self, key):
        with self._lock:
            return self._data.get(key)

    def put(self, key, body: bytes) -> None:
        if len(body) > self._data.maxsize:
            return
        with self._lock:
            self._data[key] = body

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    @property
    def currsize(self) -> int:
        return self._data.currsize

    def __len__(self) -> int:
        return len(self._data)
