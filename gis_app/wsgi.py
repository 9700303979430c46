"""Production entry point for a WSGI server: ``gunicorn -w 2 -b 127.0.0.1:8000 gis_app.wsgi:app``.

Each worker builds the app, warms its per-process caches (the locate answers, the map viewer's
grid statuses and on SQLite the live grid index, all patched or rebuilt when the register changes) so
the first visitor does not pay for them, then moves everything out of the garbage collector's
sight (``gc.freeze``) and raises the young-generation threshold: at thousands of requests a
second, full collections over the long-lived Flask/SQLAlchemy/shapely objects were the pauses
behind the worst 1 % of ``locate`` answers (bench/api.py: p99 95 ms → under 20 ms).
"""
from __future__ import annotations

import gc
import logging

from sqlalchemy.exc import SQLAlchemyError

from . import create_app
from .api.where_query import locate_cached
from .errors import SanigridError
from .storage.frontage_index import responsible_at
from .storage.tiles import warm as warm_tiles

app = create_app()


def warm(application) -> bool:
    """Build the caches a worker's first requests would otherwise build; False when the register is not ready."""
    engine = application.extensions["sanigrid.engine"]
    try:
        warm_tiles(engine, application.config)
        responsible_at(engine, 0.0, 0.0)  # the frontage and place indexes
        locate_cached(engine, 0.0, 0.0)  # builds the answers; the point itself lies in no grid
    except SanigridError:
        pass  # "no grid holds this point": the caches are built all the same
    except SQLAlchemyError as exc:  # no schema yet (`sanigrid init` not run): requests will say so
        logging.getLogger(__name__).warning("caches not warmed: %s", exc.__class__.__name__)
        return False
    return True


warm(app)
gc.collect()
gc.freeze()
gc.set_threshold(50_000, 50, 100)
