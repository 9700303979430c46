"""QGIS as a client of a running sanigrid, following the README's steps; prints what QGIS saw as JSON.

Runs under Debian's QGIS (python3-qgis, qgis-providers), so with /usr/bin/python3, not the project's
venv, and with QT_QPA_PLATFORM=offscreen (tests/test_qgis_client.py starts it):

    /usr/bin/python3 tests/qgis_client.py oapif BASE_URL PROFILE_DIR
    /usr/bin/python3 tests/qgis_client.py mvt BASE_URL PROFILE_DIR DISTRICT_CODE PNG
"""
import json
import sys

from qgis.core import (Qgis, QgsApplication, QgsCoordinateReferenceSystem, QgsCoordinateTransform,
                       QgsFeatureRequest, QgsFillSymbol, QgsMapRendererSequentialJob, QgsMapSettings, QgsProject,
                       QgsRectangle, QgsSettings, QgsSingleSymbolRenderer, QgsVectorLayer, QgsVectorTileBasicRenderer,
                       QgsVectorTileBasicRendererStyle, QgsVectorTileLayer, QgsWkbTypes)
from qgis.PyQt.QtCore import QDate, QDateTime, QSize, Qt, QVariant
from qgis.PyQt.QtGui import QColor

STATUS_COLOURS = {"complete": (26, 150, 65), "short": (240, 140, 0), "unstaffed": (215, 25, 28)}  # the viewer's


def plain(value):
    if value is None or (isinstance(value, QVariant) and value.isNull()):
        return None
    if isinstance(value, (QDate, QDateTime)):
        return value.toString(Qt.ISODate)
    return value


def read(layer, limit=None):
    """Every feature of a layer: its attributes and its vertices in order, as QGIS holds them."""
    names = layer.fields().names()
    out = []
    for feature in layer.getFeatures():
        out.append({"attributes": {name: plain(feature[name]) for name in names},
                    "vertices": [[v.x(), v.y()] for v in feature.geometry().vertices()]})
        if limit is not None and len(out) == limit:
            break
    return out


def oapif(base):
    """README steps 2-4: a WFS / OGC API - Features connection, its collections, the grids layer."""
    settings = QgsSettings()  # what the New connection dialog saves (a throwaway profile)
    key = "qgis/connections-wfs/sanigrid/"
    settings.setValue(key + "url", f"{base}/ogc")
    settings.setValue(key + "version", "OGC_API_FEATURES")  # Version: OGC API - Features
    settings.setValue(key + "pagingenabled", True)          # Enable feature paging
    settings.setValue(key + "pagesize", 10000)              # Page size
    root = QgsApplication.dataItemProviderRegistry().provider("WFS").createDataItem("", None)
    connections = root.createChildren()
    listed = [{"title": item.name(), "uri": item.uri(), "provider": item.providerKey()}
              for connection in connections if connection.name() == "sanigrid"
              for item in connection.createChildren()]
    grids_uri = next((c["uri"] for c in listed if "typename='grids'" in c["uri"]), None)
    result = {"qgis": Qgis.QGIS_VERSION, "root": root.name(), "collections": listed, "grids_uri": grids_uri,
              "auth_methods": sorted(QgsApplication.authManager().authMethodsKeys())}
    if grids_uri is None:
        return result
    layer = QgsVectorLayer(grids_uri, "grids", "OAPIF")
    result["grids"] = {"valid": layer.isValid(), "crs": layer.crs().authid(),
                       "feature_count": layer.featureCount(), "features": read(layer)}
    # "Only request features overlapping the view extent" (restrictToRequestBBOX): a view's features.
    # A fresh layer: one that has downloaded everything filters what it holds.
    x0, y0 = result["grids"]["features"][0]["vertices"][0]
    view = QgsRectangle(x0 - 0.005, y0 - 0.005, x0 + 0.005, y0 + 0.005)
    fresh = QgsVectorLayer(grids_uri, "grids-view", "OAPIF")
    result["view"] = {"rect": [view.xMinimum(), view.yMinimum(), view.xMaximum(), view.yMaximum()],
                      "codes": sorted(f["code"] for f in fresh.getFeatures(QgsFeatureRequest().setFilterRect(view)))}
    # Step 4's "Change..." of the CRS writes srsname into the layer's source.
    metric = QgsVectorLayer(f"{grids_uri} srsname='EPSG:4545'", "grids-4545", "OAPIF")
    sample = read(metric, limit=20)
    to_metric = QgsCoordinateTransform(metric.crs(), QgsCoordinateReferenceSystem("EPSG:4545"), QgsProject.instance())
    for feature in sample:  # what QGIS shows in a project in EPSG:4545: reprojected by QGIS itself
        feature["in_4545"] = [[p.x(), p.y()] for p in (to_metric.transform(x, y) for x, y in feature["vertices"])]
    result["grids_4545"] = {"valid": metric.isValid(), "crs": metric.crs().authid(), "source": metric.source(),
                            "feature_count": metric.featureCount(), "features": sample}
    return result


class RecordingRenderer(QgsVectorTileBasicRenderer):
    """The basic renderer, also noting each tile's features as QGIS's own MVT decoder gave them."""

    def __init__(self, seen):
        super().__init__()
        self.seen = seen

    def clone(self):
        copy = RecordingRenderer(self.seen)
        copy.setStyles(self.styles())
        return copy

    def renderTile(self, tile, context):
        tile_id = tile.id()
        self.seen.append({"z": tile_id.zoomLevel(), "x": tile_id.column(), "y": tile_id.row(),
                          "fields": tile.fields().get("grids", None) and tile.fields()["grids"].names(),
                          "features": [[plain(f["code"]), plain(f["status"])] for f in tile.layerFeatures("grids")]})
        super().renderTile(tile, context)


def mvt(base, district, png):
    """The README's vector tile connection: an XYZ vector tile layer, one district rendered to a PNG."""
    uri = f"type=xyz&url={base}/tiles/grids/{{z}}/{{x}}/{{y}}.mvt&zmin=5&zmax=20"
    tiles = QgsVectorTileLayer(uri, "grids-mvt")
    seen = []
    renderer = RecordingRenderer(seen)
    styles = []
    for status, (r, g, b) in STATUS_COLOURS.items():  # filled like the viewer, by the tile's status
        style = QgsVectorTileBasicRendererStyle(status, "grids", QgsWkbTypes.PolygonGeometry)
        style.setFilterExpression(f"\"code\" IS NOT NULL AND \"status\" = '{status}'")  # decode code and status
        style.setSymbol(QgsFillSymbol.createSimple({"color": f"{r},{g},{b},255", "outline_color": "255,255,255,255",
                                                    "outline_width": "0.2"}))
        styles.append(style)
    renderer.setStyles(styles)
    tiles.setRenderer(renderer)
    regions = QgsVectorLayer(f"url='{base}/ogc' typename='regions'", "regions", "OAPIF")
    boundary = next(regions.getFeatures(QgsFeatureRequest().setFilterExpression(f"\"code\" = '{district}'")), None)
    result = {"valid": tiles.isValid(), "crs": tiles.crs().authid(), "zmin": tiles.sourceMinZoom(),
              "zmax": tiles.sourceMaxZoom(), "district": boundary is not None}
    if not tiles.isValid() or boundary is None:
        return result
    outline = QgsVectorLayer("Polygon?crs=EPSG:4326", "district", "memory")
    outline.dataProvider().addFeatures([boundary])
    outline.setRenderer(QgsSingleSymbolRenderer(QgsFillSymbol.createSimple(
        {"style": "no", "outline_color": "0,0,0,255", "outline_width": "0.8"})))
    web = QgsCoordinateReferenceSystem("EPSG:3857")
    extent = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4326"), web, QgsProject.instance()) \
        .transformBoundingBox(boundary.geometry().boundingBox())
    extent.scale(1.05)
    map_settings = QgsMapSettings()
    map_settings.setLayers([outline, tiles])
    map_settings.setDestinationCrs(web)
    map_settings.setOutputSize(QSize(1000, 1000))
    map_settings.setExtent(extent)
    map_settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererSequentialJob(map_settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    image.save(png)
    counts = dict.fromkeys(STATUS_COLOURS, 0)
    colours = {QColor(*rgb).rgb(): status for status, rgb in STATUS_COLOURS.items()}
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            status = colours.get(image.pixel(x, y))
            if status:
                counts[status] += 1
    result.update({"errors": [f"{e.layerID}: {e.message}" for e in job.errors()], "tiles": seen,
                   "pixels": counts, "size": [image.width(), image.height()]})
    return result


def main(argv):
    task, base, profile = argv[1], argv[2].rstrip("/"), argv[3]
    app = QgsApplication([], False, profile)
    app.initQgis()
    try:
        result = oapif(base) if task == "oapif" else mvt(base, argv[4], argv[5])
    finally:
        QgsProject.instance().clear()
    print(json.dumps(result, ensure_ascii=False))
    app.exitQgis()


if __name__ == "__main__":
    main(sys.argv)
