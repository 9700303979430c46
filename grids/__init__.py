"""The sanigrid domain: regions, grids, people and roles, codes, CRS, staffing rules.

Pure Python on shapely / geopandas / pyproj. Nothing here imports Flask or SQLAlchemy
(a test enforces it): storage and HTTP live in ``gis_app``.
"""
