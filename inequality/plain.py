"""Plain Python values for JSON: NaN and pandas' NA become None, numpy scalars become int,
float and bool, frames become lists of records."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def plain(value):
    """A JSON-ready copy of ``value``.

    >>> plain({"a": np.int64(3), "b": float("nan"), "c": [np.float32(0.5), pd.NA]})
    {'a': 3, 'b': None, 'c': [0.5, None]}
    """
    if isinstance(value, pd.DataFrame):
        return [{k: plain(v) for k, v in row.items()} for row in value.to_dict("records")]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [plain(v) for v in value]
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value
