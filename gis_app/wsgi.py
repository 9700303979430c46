"""Production entry point for a WSGI server: ``gunicorn -w 2 -b 127.0.0.1:8000 gis_app.wsgi:app``.

The app, its imports and the settings are built once per worker, then moved out of the garbage
collector's sight (``gc.freeze``) and the young-generation threshold raised: at thousands of
requests a second, full collections over the long-lived Flask/SQLAlchemy/shapely objects were
the pauses behind the worst 1 % of ``locate`` answers (bench/api.py: p99 95 ms → under 20 ms).
"""
from __future__ import annotations

import gc

from . import create_app

app = create_app()

gc.collect()
gc.freeze()
gc.set_threshold(50_000, 50, 100)
