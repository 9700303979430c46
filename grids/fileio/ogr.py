"""GDAL through pyogrio: read one layer, make a frame pyogrio writes faithfully, write it."""
from __future__ import annotations

from pathlib import Path

import orjson
import pandas as pd

from .cells import attribute_columns, column_values
from .formats import TEXT_COLUMNS, FileFormatError, short_error

OGR_ERRORS = (RuntimeError, OSError, ValueError)   # pyogrio's errors are RuntimeErrors


def read_ogr(path: Path, source: str, layer, encoding, kind: str):
    """Read one layer through pyogrio; a file with several layers needs ``layer``."""
    import pyogrio

    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(source)]
        if layer is None:
            if len(layers) != 1:
                raise FileFormatError(f"{path.name} holds {len(layers)} layers ({', '.join(layers) or 'none'}); "
                                      "say which one with layer=")
            layer = layers[0]
        elif layer not in layers:
            raise FileFormatError(f"{path.name} has no layer {layer!r}; layers: {', '.join(layers)}")
        return pyogrio.read_dataframe(source, layer=layer, encoding=encoding)
    except UnicodeDecodeError:
        raise FileFormatError(f"{path.name}: the attribute text is not {encoding}; "
                              "give the right encoding (e.g. encoding='gbk' for Chinese Shapefiles)") from None
    except FileFormatError:
        raise
    except OGR_ERRORS as exc:
        raise FileFormatError(f"{path.name} is not a readable {kind} file ({short_error(exc)})") from None


def ogr_ready(frame, *, text_bytes=None):
    """A copy pyogrio writes faithfully: plain dtypes, text for odd objects, codes as text."""
    import geopandas as gpd

    out = {}
    for column in attribute_columns(frame):
        series = frame[column]
        if pd.api.types.is_datetime64_any_dtype(series.dtype) or series.dtype == object or column in TEXT_COLUMNS:
            values = column_values(frame, column)
            kinds = {type(v) for v in values if v is not None}
            if kinds and kinds <= {int, float, bool} and column not in TEXT_COLUMNS:
                series = pd.Series(values, index=frame.index, dtype=object).infer_objects()
                if series.dtype == object:      # bools mixed with numbers
                    series = pd.Series([None if v is None else float(v) for v in values], index=frame.index)
            else:
                values = [v if v is None or isinstance(v, str) else
                          orjson.dumps(v, option=orjson.OPT_SERIALIZE_NUMPY).decode() if isinstance(v, (dict, list))
                          else str(v) for v in values]
                series = pd.Series(values, index=frame.index)
        out[str(column)] = series
    return gpd.GeoDataFrame(pd.DataFrame(out, index=frame.index), geometry=frame.geometry.values, crs=frame.crs)


def write_ogr(frame, path: Path, driver: str, *, layer: str | None = None, encoding: str | None = None) -> None:
    """Write a frame through pyogrio, turning GDAL failures into FileFormatError."""
    import pyogrio

    try:
        pyogrio.write_dataframe(frame, path, driver=driver, layer=layer, encoding=encoding)
    except OGR_ERRORS as exc:
        what = "GeoPackage" if driver == "GPKG" else "Shapefile"
        raise FileFormatError(f"cannot write this layer as a {what} ({short_error(exc)})") from None
