"""Timing and peak-memory helpers for benchmarks: wall seconds and peak RSS per step."""
from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    """Return this process's resident set size (includes GEOS and numpy memory, unlike tracemalloc)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


class Step:
    """Result of one measured step."""

    def __init__(self, name):
        self.name, self.seconds, self.peak_rss = name, 0.0, 0


@contextmanager
def measure(name: str, results: dict):
    """Time a block and sample RSS every 5 ms to find its peak."""
    step = Step(name)
    stop = threading.Event()
    peak = [rss_bytes()]

    def sample():
        while not stop.wait(0.005):
            peak[0] = max(peak[0], rss_bytes())

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    start = time.perf_counter()
    try:
        yield step
    finally:
        step.seconds = time.perf_counter() - start
        stop.set()
        thread.join()
        step.peak_rss = max(peak[0], rss_bytes())
        results[name] = step
        print(f"{name:<32} {step.seconds:9.3f} s   peak RSS {step.peak_rss / 2**20:8.1f} MiB", flush=True)


def best(steps: dict, name: str) -> Step:
    """Keep the fastest of the steps ``name #1``, ``name #2`` … under ``name`` (the others are dropped)."""
    runs = [k for k in steps if k.startswith(name + " #")]
    steps[name] = min((steps.pop(k) for k in runs), key=lambda s: s.seconds)
    return steps[name]
