"""JSON-safe values: the one rule for every JSON that openbmd writes (the
command line's ``--json``, the web API, the report's and the certificate's
data files).

* numpy scalars and arrays become Python numbers and lists;
* non-finite floats (NaN, inf) become ``None``: JSON has no NaN, and a missing
  value is what they mean here;
* mapping keys become strings, tuples become lists, dates ISO 8601 text;
* anything else (strings, ``None``, booleans) passes unchanged.
"""

from __future__ import annotations

import datetime as _dt
import math

import numpy as np

__all__ = ["jsonable"]


def jsonable(x):
    """A JSON-safe copy of ``x`` (see the module's rule)."""
    t = type(x)
    if t is float:  # the common case first
        return x if math.isfinite(x) else None
    if x is None or t is str or t is int or t is bool:
        return x
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, np.bool_):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, (np.floating, float)):
        return float(x) if math.isfinite(x) else None
    if isinstance(x, (_dt.datetime, _dt.date)):
        return x.isoformat()
    return x
