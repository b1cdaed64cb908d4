"""Report sections for raids and the strategic balance (tables, a figure,
the assumptions), computed before anything is written."""

from __future__ import annotations

import html
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def wanted(scenario, name: str) -> bool:
    members = scenario.phases or [scenario]
    return any(name in m.analyses for m in members) or name in scenario.analyses


def compute(scenario, assessments=None, progress=None) -> dict:
    """The raid, balance and tracking results the scenario asks for
    (``[analyses] run``); ``assessments``: the members' assessments already
    computed, in member order (reused, not recomputed)."""
    from ..analysis.balance import balance
    from ..analysis.raid import raid

    out = {}
    members = scenario.phases or [scenario]
    done = list(assessments) if assessments is not None else [None] * len(members)
    if wanted(scenario, "raid"):
        out["raids"] = [(m.name, raid(m, assessment=a)) for m, a in zip(members, done) if m.raids]
    if wanted(scenario, "balance") and (scenario.balance or any(m.balance for m in members)):
        out["balance"] = balance(scenario, assessments=assessments, progress=progress)
    if wanted(scenario, "track"):
        from ..analysis.track import track_effect

        out["track"] = [(m.name, track_effect(m, assessment=a)) for m, a in zip(members, done) if "track" in m.analyses]
    return out


def _own(te) -> list:
    """The tracking analysis's own assumptions (not the scenario's, listed elsewhere)."""
    base = set(te.fixed.assumptions())
    return [x for x in te.assumptions() if x not in base]


def _fig_balance(b, path: Path):
    recs = b.records()
    attacks = list(dict.fromkeys(r["attack"] for r in recs))
    names = list(dict.fromkeys(r["name"] for r in recs))
    fig, axes = plt.subplots(1, len(attacks), figsize=(6.5 * len(attacks), 0.55 * len(names) + 2.2), squeeze=False,
                             sharey=True)
    y = np.arange(len(names))
    for ax, att in zip(axes[0], attacks):
        rr = {r["name"]: r for r in recs if r["attack"] == att}
        eng = np.array([rr[n]["warheads_engageable"] for n in names])
        att_e = np.array([rr[n]["warheads_attrited_expected"] for n in names])
        sens = [rr[n]["sensitivity"] for n in names]
        lo = np.array([min([att_e[i]] + list(s.values())) for i, s in enumerate(sens)])
        hi = np.array([max([att_e[i]] + list(s.values())) for i, s in enumerate(sens)])
        ax.barh(y + 0.2, eng, height=0.38, color="#f4a261", label="on engageable trajectories")
        ax.barh(y - 0.2, att_e, height=0.38, color="#e76f51", label="expected attrited")
        ax.errorbar(att_e, y - 0.2, xerr=[att_e - lo, hi - att_e], fmt="none", ecolor="k", capsize=3,
                    label="attrited: sensitivity range")
        total = rr[names[0]]["warheads_total"]
        ax.set_title(f"{att}: {total:,.0f} warheads launched", fontsize=10)
        ax.set_xlabel("warheads")
        ax.grid(axis="x", alpha=0.3)
    import textwrap

    # whole names, wrapped (not cut at 44 characters); the saved figure grows to hold them
    axes[0][0].set_yticks(y, ["\n".join(textwrap.wrap(n, 34)) for n in names], fontsize=8)
    axes[0][0].invert_yaxis()
    h, lab = axes[0][0].get_legend_handles_labels()
    fig.legend(h, lab, fontsize=8, loc="lower center", ncol=3, frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path, dpi=130, bbox_inches="tight", pad_inches=0.15)
    plt.close(fig)


def sections(results: dict, tmp: Path, fmt: str, files: list, data: dict, write_table, html_table, img,
             assumptions_html) -> list:
    secs = []
    tdir = tmp / "tables"
    if results.get("balance") is not None:
        b = results["balance"]
        table = b.table()
        write_table(table, tdir / "balance", files)
        units = b.per_unit()
        write_table(units, tdir / "balance_per_unit", files)
        (tmp / "figures").mkdir(exist_ok=True)
        f = tmp / "figures" / f"balance.{fmt}"
        _fig_balance(b, f)
        files.append(f)
        cols = ["name", "attack", "warheads_total", "warheads_engageable", "warheads_attrited_expected",
                "warheads_attrited_share", "attrited_share_of_treaty_limit", "interceptors", "interceptors_expected_fired",
                "method", "greedy_gap"]
        sens = [c for c in table.columns if c.startswith("attrited if ")]
        body = ("<p>How many of the strategic force's warheads the architecture could engage (on trajectories at "
                "least one battery can engage) and expect to intercept (attrit), with every interceptor used against "
                "this force by the best assignment of the inventories. The treaty column puts the attrition beside "
                "the New START limit on deployed warheads.</p>"
                + html_table(table[[c for c in cols if c in table.columns]])
                + "<h3>Sensitivity of the expected attrition</h3>" + html_table(table[["name", "attack"] + sens])
                + img(str(f.relative_to(tmp)), "Warheads on engageable trajectories and expected attrited, per phase "
                                               "(bars: the range over the sensitivity runs)")
                + "<h3>Per force unit</h3>" + html_table(units)
                + assumptions_html(b.assumptions()))
        secs.append(("balance", "Strategic balance", body))
        data["balance"] = b.records()
    tracks = results.get("track") or []
    if tracks:
        rows = []
        for name, te in tracks:
            t = te.table()
            t.insert(0, "scenario", name)
            rows.append(t)
        tt = pd.concat(rows, ignore_index=True)
        write_table(tt, tdir / "tracking", files)
        keep = [c for c in ("scenario", "battery", "role", "cue", "trajectories", "detected", "fire_control_reached",
                            "fixed_track_time_s", "filter_track_time_median_s", "filter_track_time_max_s",
                            "launch_shift_median_s", "engageable_fixed", "engageable_filter") if c in tt.columns]
        secs.append(("tracking", "Tracking quality",
                     "<p>The fixed track-time assumption replaced by simulated radar measurements (noise from the "
                     "radar's wavelength, aperture, bandwidth and the signal-to-noise ratio along the trajectory) and "
                     "an extended Kalman filter: a fire-control solution exists when the predicted intercept point is "
                     "known to the stated accuracy; the launch time moves accordingly, and with it what can be "
                     "engaged.</p>" + html_table(tt[keep]) + assumptions_html(_own(tracks[0][1]))))
        data["tracking"] = tt.to_dict(orient="records")
    raids = results.get("raids") or []
    if raids:
        rows, body = [], ""
        for name, r in raids:
            t = r.totals()
            rows.append(t)
            pb = r.per_battery()
            pb.insert(0, "scenario", name)
            write_table(pb, tdir / f"raid_batteries_{len(rows)}", files)
            body += f"<h3>{html.escape(name)}: per battery</h3>" + html_table(pb.drop(columns=["scenario"]))
        tot = pd.DataFrame(rows)
        write_table(tot, tdir / "raids", files)
        first = raids[0][1]
        base = set(first.assessment.assumptions())
        secs.append(("raids", "Raids and battle management",
                     "<p>The scenario's raids assigned to the batteries' inventories (integer program where it fits, "
                     "and the greedy rule beside it, with the gap).</p>" + html_table(tot) + body
                     + assumptions_html([x for x in first.assumptions() if x not in base])))
        data["raids"] = rows
    return secs
