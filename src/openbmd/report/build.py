"""The scenario report: an HTML page with maps, plots, tables and every
assumption, plus machine-readable tables (CSV, Parquet, JSON) and map layers
(a compact, gzip-compressed GeoJSON per architecture; with ``full_geo``,
full-resolution GeoJSON, KML and CZML, uncompressed). The default folder stays
under REPORT_BYTES_MAX (the test suite checks it).

Everything is written into a fresh temporary folder beside the destination
and moved into place only when complete: a failure leaves nothing behind, and
a destination that is not an earlier openbmd report is never overwritten.

This module runs the analyses and writes the folder; the page and its lists
are in page, the tables in tables, the figures and map layers in figures and
the sections in sections (names used from here before are importable from
here still).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..analysis.assess import assess
from ..analysis.footprint import footprint
from ..analysis.phases import phases
from ..errors import OpenBMDError
from ..jsonsafe import jsonable
from . import figures as F
from . import sections as S
from . import tables as T
from .page import assumptions_html, assumptions_once, img_html, page_html, path_names, public_text
from .sections import (drawn_html, files_html, history_html, phases_html, robustness_html, scenario_sections, slug,
                       summary_html)
from .tables import html_table, write_table

# names defined here before the report was split into modules, importable from here as before
features, fig_footprint, fig_map, fly_out_fans = F.features, F.fig_footprint, F.fig_map, F.fly_out_fans
GEO_STEP_S, GEO_DECIMALS, FULL_GEO_STEP_S = S.GEO_STEP_S, S.GEO_DECIMALS, S.FULL_GEO_STEP_S
GZIP_CSV_ROWS = T.GZIP_CSV_ROWS
_map_figure, _timeline_figure, _summary_html = F.map_figure, F.timeline_figure, summary_html  # the tests' names

MARKER = ".openbmd-report"
FIG_FORMATS = ("png", "svg", "pdf")
REPORT_BYTES_MAX = 9_000_000  # the default report folder of the default scenario stays under this


class ReportError(OpenBMDError, ValueError):
    """The report cannot be written as asked (message says why)."""


@dataclass
class ReportResult:
    out_dir: Path
    files: list
    data: dict  # what summary.json holds


def check_destination(out_dir: Path):
    """A destination folder may be new, empty, or an earlier openbmd output
    (marked by MARKER); anything else the user keeps there is never replaced."""
    if out_dir.exists() and (not out_dir.is_dir() or (any(out_dir.iterdir()) and not (out_dir / MARKER).exists())):
        raise ReportError(f"{out_dir} exists and is not an earlier openbmd output: not overwriting it "
                          "(choose another folder)")


@contextmanager
def staged_folder(out_dir):
    """A fresh temporary folder beside ``out_dir`` to write into; when the
    block completes it replaces ``out_dir`` as a whole (marked as openbmd
    output), and when it fails it is removed: no partial output is left."""
    out_dir = Path(out_dir)
    check_destination(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        yield tmp
        (tmp / MARKER).write_text("openbmd output folder: openbmd may replace it\n", encoding="utf-8")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_report(scenario, out_dir, *, fmt: str = "png", progress=None, full_geo: bool = False) -> ReportResult:
    """Run the scenario's analyses and write the report into ``out_dir``.

    Map layers: one compact GeoJSON per architecture, gzip-compressed
    (``geo/NAME.geojson.gz``; trajectories every GEO_STEP_S, coordinates to
    GEO_DECIMALS decimals); ``full_geo`` writes
    them at FULL_GEO_STEP_S and full precision, with KML and CZML beside them."""
    if fmt not in FIG_FORMATS:
        raise ReportError(f"figure format must be one of {FIG_FORMATS}, got {fmt!r}")
    out_dir = Path(out_dir)
    check_destination(out_dir)
    # the analyses first: a bad scenario fails before anything is written
    if scenario.is_comparison:
        comp = phases(scenario, progress=progress)
        runs = [(p.assessment, p.footprint, slug(p.name), p.name) for p in comp.phases]
    else:
        comp = None
        a = assess(scenario, progress=progress)
        fp = footprint(scenario, progress=progress) if "footprint" in scenario.analyses and scenario.footprint else None
        runs = [(a, fp, "", scenario.name)]
    from . import raids as R
    from ..analysis.robustness import robustness

    extra = R.compute(scenario, assessments=[r[0] for r in runs])
    rob = robustness(scenario, balance=False, progress=progress)
    with staged_folder(out_dir) as tmp:
        files: list = []
        data: dict = {"openbmd": __version__, "scenario": scenario.name, "files": scenario.files}
        sections = [("summary", "Summary", summary_html(rob))]
        if comp is not None:
            sections.append(("phases", "Phase comparison", phases_html(comp, tmp, fmt, files, data)))
            if progress:
                progress(1)
        hist = history_html(scenario, tmp, files, data)
        if hist:
            sections.append(("history", "History: announced, deployed, cancelled", hist))
        sections.append(("depends", "What the answer depends on", robustness_html(rob, tmp, files)))
        data["robustness"] = rob.records()
        sections += R.sections(extra, tmp, fmt, files, data, write_table, html_table, img_html, assumptions_html)
        for a, fp, prefix, name in runs:
            sections += scenario_sections(a, fp, tmp, prefix, fmt, files, data, heading=name, full_geo=full_geo)
            if progress:
                progress(1)
        named = [(name, list(a.assumptions()) + (list(fp.assumptions) if fp is not None else []))
                 for a, fp, _, name in runs]
        drawn = drawn_html([r[0].scenario for r in runs], tmp, files, data)
        sections.append(("assumptions", "Assumptions and sources", assumptions_once(named) + drawn +
                         "<p class='note'>Catalog entries (missiles, interceptors, radars, places) carry their own "
                         "citations and uncertainty ranges: <code>openbmd catalog NAME</code>; bibliography in "
                         "docs/sources.md.</p>"))
        sections.append(("files", "Files", files_html(files, tmp)))
        names = path_names(scenario)
        (tmp / "report.html").write_text(public_text(page_html(scenario.name, sections), names), encoding="utf-8")
        (tmp / "summary.json").write_text(public_text(json.dumps(jsonable(data), indent=1, allow_nan=False), names),
                                          encoding="utf-8")
        files = [tmp / "report.html", tmp / "summary.json"] + files
        rel = [p.relative_to(tmp) for p in files]
    return ReportResult(out_dir, [out_dir / r for r in rel], data)
