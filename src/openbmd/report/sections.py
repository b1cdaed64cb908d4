"""The report's sections: the summary, robustness, history, the ranges the
uncertainty Monte Carlo draws, the phase comparison, and each scenario's maps,
figures, tables and map layers."""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.assess import Assessment
from ..analysis.footprint import Footprint
from ..analysis.phases import south_vs_north
from . import geoexport as G
from .figures import features, fig_footprint, fig_map, fig_profiles, fig_timeline
from .page import assumptions_html, img_html
from .tables import format_cell, html_table, write_table

GEO_STEP_S = 60.0  # s between trajectory points in the default GeoJSON (smooth in midcourse)
GEO_DECIMALS = 4  # lon/lat decimals in the default GeoJSON (1e-4 deg: ~11 m)
FULL_GEO_STEP_S = 10.0  # --full-geo


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "scenario"


def robustness_html(rob, tmp: Path, files: list) -> str:
    """Rows of assumption sets, columns of phases; the cells whose answer
    (some strategic trajectory engageable, or none) differs from the scenario
    as declared are marked."""
    write_table(rob.table(), tmp / "tables" / "robustness", files)
    out = ["<p>The same architectures under each assumption set. The cue sets are nested: each cues no later and "
           "guides no less than the one above it, so the strategic share never falls down the first four rows. "
           "A cell marked <b>&#9873;</b> gives the other answer than <i>as declared</i> (some strategic trajectory "
           "engageable, or none): the headline depends on that assumption.</p>"]
    for col, title in (("strategic_engageable_share", "Share of strategic trajectories engageable"),
                       ("southern_covered_share", "Share of southern threats covered")):
        m = rob.matrix(col)
        flips = rob.flips(col)
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in ["assumption set", *m.columns])
        rows = []
        for k in m.index:
            cells = []
            for ph in m.columns:
                v = m.loc[k, ph]
                mark = " &#9873;" if flips.loc[k, ph] else ""
                style = " class='flip'" if flips.loc[k, ph] else ""
                cells.append(f"<td{style}>{format_cell(v, 'share')}{mark}</td>")
            rows.append(f"<tr><td>{html.escape(k)}</td>{''.join(cells)}</tr>")
        out.append(f"<h3>{html.escape(title)}</h3><table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}"
                   "</tbody></table>")
    out.append(assumptions_html(rob.assumptions()))
    return "".join(out)


def _share(v) -> str:
    return "n/a" if v is None or not np.isfinite(v) else f"{100 * v:.1f} %"


def summary_html(rob) -> str:
    """The answer first: per architecture, as declared, the share of strategic
    trajectories some battery can engage and of southern threats covered;
    then which assumption sets change the answer in kind, and where. Read off
    the robustness table (the same numbers as the sections below)."""
    # a share is None where the scenario has no trajectory of that role: NaN here, "n/a" on the page
    st = rob.matrix("strategic_engageable_share").apply(pd.to_numeric, errors="coerce")
    so = rob.matrix("southern_covered_share").apply(pd.to_numeric, errors="coerce")
    row = "as declared" if "as declared" in st.index else st.index[0]
    names = list(st.columns)
    eng = [n for n in names if np.nan_to_num(st.loc[row, n]) > 0]
    out = ["<ul class='summary'>"]
    if st.loc[row].isna().all():
        out.append("<li><b>Strategic trajectories:</b> the scenario has none.</li>")
    elif eng:
        out.append(f"<li><b>Strategic trajectories:</b> as declared, {len(eng)} of {len(names)} "
                   f"architecture{'s' if len(names) != 1 else ''} can engage some: "
                   + "; ".join(f"{html.escape(n)} {_share(st.loc[row, n])}" for n in eng)
                   + (f". The others ({', '.join(html.escape(n) for n in names if n not in eng)}) engage none."
                      if len(eng) < len(names) else ".") + "</li>")
    else:
        out.append("<li><b>Strategic trajectories:</b> as declared, "
                   + ("no architecture here can engage any "f"({len(names)} compared).</li>" if len(names) > 1
                      else f"{html.escape(names[0])} can engage none.</li>"))
    sv = [(n, so.loc[row, n]) for n in names]
    best = max(sv, key=lambda x: np.nan_to_num(x[1]))
    out.append("<li><b>Southern threats covered</b> (the stated mission): "
               + "; ".join(f"{html.escape(n)} {_share(v)}" for n, v in sv)
               + (f". Most: {html.escape(best[0])}." if len(names) > 1 else ".") + "</li>")
    fl = rob.flips("strategic_engageable_share")
    cells = [(k, n, st.loc[k, n]) for k in fl.index for n in fl.columns if k != row and bool(fl.loc[k, n])]
    if cells:
        by_set: dict = {}
        for k, n, v in cells:
            by_set.setdefault(k, []).append(f"{html.escape(n)} {_share(v)}")
        out.append("<li><b>What the answer depends on:</b> these assumption sets change it in kind (some strategic "
                   "trajectory engageable, or none): "
                   + "; ".join(f"<i>{html.escape(k)}</i>: {', '.join(v)}" for k, v in by_set.items())
                   + " (section <a href='#depends'>What the answer depends on</a>).</li>")
    else:
        out.append("<li><b>What the answer depends on:</b> no assumption set of the robustness table changes it in "
                   "kind (section <a href='#depends'>What the answer depends on</a>).</li>")
    out.append("</ul><p class='note'>Shares count trajectories (every launch field, target and profile of the "
               "scenario's threat sets), not warheads; the strategic balance counts warheads. Every figure is "
               "recomputed by <code>openbmd report</code> from the catalog's public sources; the assumptions section "
               "lists each parameter and its source.</p>")
    return "".join(out)


def history_html(scenario, tmp: Path, files: list, data: dict) -> str:
    """The dated public record of the phases this scenario is built from
    (openbmd.history): one compact table per phase; '' when there is none."""
    from ..history import history_for, history_table

    events = history_for(scenario)
    if not events:
        return ""
    table = history_table(events)
    write_table(table, tmp / "tables" / "history", files)
    data["history"] = table.to_dict(orient="records")
    out = ["<p class='note'>What each phase was announced as (17 September 2009), what was deployed when, and "
           "what was cancelled, each with the key of its source in docs/sources.md (statuses there). "
           "Dates are as precise as the source.</p>"]
    for phase, df in table.groupby("phase", sort=False):
        out.append(f"<h3>{html.escape(str(phase))}</h3>" + html_table(df.drop(columns=["phase"])))
    return "".join(out)


def drawn_html(scenarios, tmp: Path, files: list, data: dict) -> str:
    """The parameters the uncertainty Monte Carlo (``openbmd guarantee
    uncertainty``) draws for these scenarios, with their ranges and sources."""
    from ..uncertainty import drawn_parameters

    rows = {}
    for sc in scenarios:
        for r in drawn_parameters(sc):
            rows.setdefault(r["parameter"], r)
    if not rows:
        return ""
    df = pd.DataFrame(list(rows.values()), columns=["parameter", "unit", "nominal", "low", "high", "source", "what"])
    write_table(df, tmp / "tables" / "uncertainty_ranges", files)
    data["uncertainty_ranges"] = df.to_dict(orient="records")
    return ("<h3>Ranges the uncertainty Monte Carlo draws</h3><p class='note'><code>openbmd guarantee uncertainty</code> "
            "draws each parameter below uniformly within its range, seeded per sample (with a guarantee's launch "
            "delay in place of the decision time when it sets one); the headline figures above use the nominal "
            "values.</p>" + html_table(df.drop(columns=["what"])))


def scenario_sections(a: Assessment, fp: Footprint | None, tmp: Path, prefix: str, fmt: str, files: list, data: dict,
                       heading: str = "", full_geo: bool = False):
    sc = a.scenario
    secs = []
    sid = slug(prefix or sc.name)
    svn = south_vs_north(a)
    fields = a.per_field()
    per = a.per_threat()
    tdir = tmp / "tables" / (prefix or "")
    write_table(a.pairs, tdir / "engagements", files)
    per_csv = write_table(per, tdir / "threats", files).relative_to(tmp).as_posix()
    write_table(fields, tdir / "fields", files)
    write_table(svn, tdir / "south_vs_north", files)
    write_table(a.flights.skipped, tdir / "skipped", files)
    figs = tmp / "figures"
    figs.mkdir(exist_ok=True)
    f1 = figs / f"{sid}-map-strategic.{fmt}"
    fig_map(a, "strategic", f1, f"{sc.name}: strategic trajectories")
    f2 = figs / f"{sid}-map-southern.{fmt}"
    fig_map(a, "southern", f2, f"{sc.name}: threats from the south")
    f3 = figs / f"{sid}-profiles.{fmt}"
    fig_profiles(a, f3)
    f4 = figs / f"{sid}-timeline.{fmt}"
    fig_timeline(a, f4)
    files += [f1, f2, f3, f4]
    rel = lambda p: str(p.relative_to(tmp))  # noqa: E731
    body = (f"<p>{html.escape(sc.description)}</p>" + html_table(svn) +
            img_html(rel(f1), "Strategic trajectories (ground tracks), batteries with fly-out fans, radar coverage") +
            img_html(rel(f2), "Threats from the south") +
            "<h3>Per launch field</h3>" + html_table(fields) +
            img_html(rel(f3), "Altitude versus ground range of the trajectories closest to engagement") +
            img_html(rel(f4), "Engagement timeline of the trajectories closest to engagement") +
            "<h3>Every threat trajectory</h3>" +
            html_table(per.drop(columns=["label"]), csv=per_csv, what="Every threat trajectory") +
            (("<h3>Pairs not flown</h3>" + html_table(a.flights.skipped, what="Pairs not flown"))
             if len(a.flights.skipped) else ""))
    secs.append((sid, heading or sc.name, body))
    entry = {
        "name": sc.name, "south_vs_north": svn.to_dict(orient="records"), "per_field": fields.to_dict(orient="records"),
        "strategic_engageable_share": a.share("strategic"), "southern_covered_share": a.share("southern"),
        "assumptions": a.assumptions(),
    }
    if fp is not None:
        write_table(fp.to_dataframe(), tdir / "footprint", files)
        f5 = figs / f"{sid}-footprint.{fmt}"
        fig_footprint([(sc.name, fp)], f5)
        files.append(f5)
        secs.append((f"{sid}-footprint", f"{heading or sc.name}: defended footprint",
                     html_table(pd.DataFrame([fp.summary()])) + html_table(fp.countries) + html_table(fp.cities) +
                     img_html(rel(f5), f"Defended footprint: {fp.missile} from {fp.launch_area}") +
                     "<p class='note'>Its assumptions are listed under <a href='#assumptions'>Assumptions and "
                     "sources</a>.</p>"))
        entry["footprint"] = fp.summary()
        entry["footprint_countries"] = fp.countries.to_dict(orient="records")
        entry["footprint_cities"] = fp.cities.to_dict(orient="records")
    gdir = tmp / "geo"
    gdir.mkdir(exist_ok=True)
    base = gdir / sid
    if full_geo:
        feats = features(a, fp, track_step_s=FULL_GEO_STEP_S)
        files += [G.write_geojson(base.with_suffix(".geojson"), feats),
                  G.write_kml(base.with_suffix(".kml"), feats, sc.name),
                  G.write_czml(base.with_suffix(".czml"), feats, sc.name)]
    else:
        files.append(G.write_geojson(base.with_name(base.name + ".geojson.gz"),
                                     features(a, fp, track_step_s=GEO_STEP_S), decimals=GEO_DECIMALS))
    data.setdefault("scenarios", []).append(entry)
    return secs


def phases_html(comp, tmp: Path, fmt: str, files: list, data: dict) -> str:
    """The phase comparison: one row per architecture, the engageable share per
    launch field, and the defended footprint of each phase that has one."""
    table = comp.table()
    write_table(table, tmp / "tables" / "phases", files)
    pf = comp.per_field()
    write_table(pf.reset_index(), tmp / "tables" / "phases_per_field", files)
    (tmp / "figures").mkdir(exist_ok=True)
    fps = [(p.name, p.footprint) for p in comp.phases if p.footprint is not None]
    body = ("<p>Each row is one architecture against the same threat sets. <b>Strategic engageable share</b>: "
            "share of the strategic trajectories (every field, target and profile) that at least one battery "
            "can engage; <b>Strategic best margin (s)</b>: the largest margin of any strategic trajectory "
            "(negative: none can be engaged, by that many seconds); <b>Southern covered share</b>: share of "
            "the southern threats that can be engaged; <b>Defended area (km²)</b>: defended land area of the "
            "footprint.</p>" + html_table(table) + "<h3>Strategic trajectories engageable, per launch field</h3>"
            + html_table(pf.reset_index().rename(columns={"index": "launch"})))
    if fps:
        f = tmp / "figures" / f"phases-footprints.{fmt}"
        fig_footprint(fps, f)
        files.append(f)
        body += img_html(str(f.relative_to(tmp)), "Defended footprint of each phase")
    data["phases"] = comp.records()
    return body


def files_html(files: list, tmp: Path) -> str:
    """The list of the report's files, each linked relative to the report."""
    return "<ul>" + "".join(
        f"<li><a href='{html.escape(str(p.relative_to(tmp)))}'>{html.escape(str(p.relative_to(tmp)))}</a></li>"
        for p in files) + "</ul>"
