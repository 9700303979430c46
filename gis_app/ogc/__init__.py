"""OGC API – Features (read) under /ogc: regions, grids, gaps, frontages, places and roads for QGIS and GDAL.

Collections live in a registry (``gis_app.ogc.collections``); each built-in layer registers
itself when its module is imported here.
"""
from __future__ import annotations

from flask import Flask

__all__ = ["init_ogc"]


def init_ogc(app: Flask) -> None:
    """Register the /ogc blueprint and the built-in collections."""
    from . import gap_items, grid_items, region_items  # noqa: F401  (each registers its collection)
    from . import frontage_items, place_items, road_items  # noqa: F401  (the 门前三包 layers, after them)
    from .views import bp
    app.register_blueprint(bp)
