"""The report's tables: HTML with headers in words, numbers formatted by
kind and long tables folded; each also written as CSV (gzip-compressed when
long) and Parquet beside the report."""

from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np
import pandas as pd

COLLAPSE_ROWS = 25  # longer tables are folded (<details>), the CSV beside the report has them all
_UNITS = (("_km_s", "km/s"), ("_m_s", "m/s"), ("_km2", "km²"), ("_m2", "m²"), ("_km", "km"), ("_deg", "deg"),
          ("_seconds", "s"), ("_s", "s"), ("_m", "m"))
_NOT_COUNTS = ("year",)  # integer columns printed without a thousands separator


def _header(col) -> str:
    """A column name in words with its unit: 'best_margin_s' -> 'Best margin (s)',
    'defended_area_km2' -> 'Defended area (km²)'; names without underscores
    (phase names, 'attrited if ...') are kept, with a capital first letter."""
    c = str(col)
    unit = ""
    if "_" in c:
        for suffix, u in _UNITS:
            if c.endswith(suffix) and len(c) > len(suffix):
                c, unit = c[: -len(suffix)], f" ({u})"
                break
        c = c.replace("_", " ")
    return c[:1].upper() + c[1:] + unit


def _count_columns(df: pd.DataFrame) -> set:
    """Numeric columns whose every finite value is a whole number (counts such
    as warheads): printed as integers, '1,509' not '1,509.0'."""
    out = set()
    for c in df.columns:
        col = df[c]
        if str(c) in _NOT_COUNTS or col.dtype == bool or not pd.api.types.is_numeric_dtype(col):
            continue
        v = col.to_numpy(dtype=float)
        v = v[np.isfinite(v)]
        if v.size and np.all(v == np.round(v)) and "share" not in str(c):
            out.add(c)
    return out


def format_cell(v, col="", count: bool = False):
    if v is None or (isinstance(v, (float, np.floating)) and not math.isfinite(v)):
        return "–"
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)) and col not in _NOT_COUNTS:
        return f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        if "share" in col:
            return f"{100 * v:.1f} %"
        if "km2" in col or count:
            return f"{v:,.0f}"
        return f"{v:,.1f}" if abs(v) >= 10 or v == 0 else f"{v:.3g}"
    return html.escape(str(v))


def html_table(df: pd.DataFrame, max_rows: int = 400, csv: str | None = None, what: str = "") -> str:
    """The table with headers in words; past COLLAPSE_ROWS rows (or with
    ``csv``, the table's file relative to the report) it is folded in a
    <details> element, closed, whose summary says how many rows and links
    the CSV."""
    counts = _count_columns(df)
    # text columns read left-aligned, numbers right-aligned
    text = ["" if pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]) else " class='t'"
            for c in df.columns]
    head = "".join(f"<th{k}>{html.escape(_header(c))}</th>" for c, k in zip(df.columns, text))
    shown = df.head(max_rows)
    # column by column: each keeps its own type (a row of mixed numbers would be all floats)
    cells = [[f"<td{text[k]}>{format_cell(v, str(c), c in counts)}</td>" for v in shown.iloc[:, k].tolist()]
             for k, c in enumerate(df.columns)]
    body = ["<tr>" + "".join(row) + "</tr>" for row in zip(*cells)] if cells else []
    more = f"<p class='note'>{len(df) - max_rows} more rows in the CSV.</p>" if len(df) > max_rows else ""
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"
    if len(df) <= COLLAPSE_ROWS and csv is None:
        return table
    link = f", all in <a href='{html.escape(csv)}'>{html.escape(Path(csv).name)}</a>" if csv else ""
    return (f"<details><summary>{html.escape(what or 'Table')}: {len(df):,} rows (click to show){link}</summary>"
            f"{table}</details>")


GZIP_CSV_ROWS = 300  # longer tables are written as .csv.gz (pandas, R and most tools read it directly)


def write_table(df: pd.DataFrame, base: Path, files: list) -> Path:
    """CSV (gzip-compressed past GZIP_CSV_ROWS rows) and Parquet; returns the CSV's path."""
    base.parent.mkdir(parents=True, exist_ok=True)
    csv = base.with_name(base.name + (".csv.gz" if len(df) > GZIP_CSV_ROWS else ".csv"))
    df.to_csv(csv, index=False)
    df.to_parquet(base.with_suffix(".parquet"), index=False)
    files += [csv, base.with_suffix(".parquet")]
    return csv
