"""Frame values as plain cells: what JSON, DBF and spreadsheets understand, and codes as text."""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from .formats import TEXT_COLUMNS


def plain_value(value):
    """A Python value JSON, DBF and spreadsheets understand (None for missing)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return value


def attribute_columns(frame):
    """The columns of a frame other than its geometry."""
    geom = getattr(frame, "_geometry_column_name", None)
    return [c for c in frame.columns if c != geom]


def column_values(frame, column) -> list:
    """A column's values as plain cells (ISO text for dates, codes as text)."""
    series = frame[column]
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return [None if pd.isna(v) else v.isoformat() for v in series]
    values = [plain_value(v) for v in series.astype(object)]
    if column in TEXT_COLUMNS:
        values = [as_text(v) for v in values]
    return values


def codes_as_text(frame, text_columns) -> None:
    """Turn the code columns of ``frame`` into text in place (12.0 -> '12', NaN -> None)."""
    for column in text_columns:
        if column in frame.columns and column != getattr(frame, "_geometry_column_name", None):
            values = frame[column]
            if values.dtype != object and pd.api.types.is_string_dtype(values.dtype):
                continue  # text already, missing cells NaN (a CSV's code columns are read as text)
            frame[column] = pd.Series([as_text(v) for v in values], index=frame.index)


def as_text(value):
    """A code cell as text: integral floats lose their '.0', missing values become None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return None
        if float(value).is_integer():
            return str(int(value))
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    return str(value)
