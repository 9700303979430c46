"""/api/v1/places: the key places register (重点场所; GeoJSON, If-Match ETags on every change)."""
from __future__ import annotations

from .layer_schemas import PlaceFeatureIn, PlaceListQuery
from .layer_views import layer_blueprint

PREFIX = "/places"
blp = layer_blueprint("places", "Key places (重点场所): kind, operator, licence fields; the grid computed",
                      PlaceListQuery, PlaceFeatureIn)
