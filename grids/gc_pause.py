"""Pausing the cyclic garbage collector over bulk work that allocates millions of acyclic objects.

A parsed GeoJSON document (~10^6 lists), 20,000 grid records or 180,000 people rows trigger
generation-2 collections that walk every live object again and again: on the 20,000-grid demo
city they were half of a grid import's time. Reference counting still frees everything as
usual; only cycles wait for the collector, which runs again when the pause ends.
"""
from __future__ import annotations

import contextlib
import gc

__all__ = ["gc_paused"]


@contextlib.contextmanager
def gc_paused():
    """Disable the cyclic GC for the block; re-enable it after only if it was enabled (pauses nest)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
