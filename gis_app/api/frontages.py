"""/api/v1/frontages: the 门前三包 units and their fronts or zones (GeoJSON, If-Match ETags on every change)."""
from __future__ import annotations

from .layer_schemas import FrontageFeatureIn, FrontageListQuery
from .layer_views import layer_blueprint

PREFIX = "/frontages"
blp = layer_blueprint("frontages", "Frontages (门前三包): units, items, expiry; effective status and grids computed",
                      FrontageListQuery, FrontageFeatureIn)
