"""QGIS opens a GeoPackage's layer as a user would and prints what it drew it with, as JSON.

Runs under Debian's QGIS with /usr/bin/python3 and QT_QPA_PLATFORM=offscreen
(tests/test_scripts.py starts it):  /usr/bin/python3 tests/qgis_gpkg.py GPKG LAYER PROFILE_DIR
"""
import json
import sys

from qgis.core import QgsApplication, QgsVectorLayer


def describe(path, name):
    layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")  # loads the default style from layer_styles
    renderer = layer.renderer()
    out = {"valid": layer.isValid(), "features": layer.featureCount(), "renderer": renderer.type()}
    if renderer.type() == "categorizedSymbol":
        out["attribute"] = renderer.classAttribute()
        out["categories"] = {c.value(): {"label": c.label(), "colour": c.symbol().color().name()}
                             for c in renderer.categories()}
    return out


def main(argv):
    app = QgsApplication([], False, argv[3])
    app.initQgis()
    print(json.dumps(describe(argv[1], argv[2]), ensure_ascii=False))
    app.exitQgis()


if __name__ == "__main__":
    main(sys.argv)
