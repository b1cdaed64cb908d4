"""The guarantee certificate: HTML and JSON, with the statement, each check
and its margin, the assumptions and their sources, what would break it, and
the maps. Written like the report: into a temporary folder, moved into place
when complete, never over a folder that is not an earlier openbmd output."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..jsonsafe import jsonable
from .build import staged_folder
from .figures import fig_map
from .page import assumptions_html, img_html, page_html
from .tables import html_table


def _verdict(ok: bool) -> str:
    return "<b style='color:#1a9850'>PASS</b>" if ok else "<b style='color:#d73027'>FAIL</b>"


def verification_rows(guarantee, observations=()) -> list[dict]:
    """The certificate's "Verification" table: for each limit, how it could be
    checked, by which sensors, and the smallest violation that would be seen
    (from ``observations``: :class:`openbmd.observe.Observation` of flight
    tests; limits on deployments are checked by inspecting the deployment)."""
    from ..guarantee import TEST_LIMIT_KINDS

    rows = []
    for lim in guarantee.limits:
        if lim.kind not in TEST_LIMIT_KINDS:
            rows.append({"limit": lim.describe(), "checked by": "inspection of the deployment (sites, counts, radars)",
                         "test": "", "sensors": "", "smallest violation seen (95 %)": ""})
            continue
        seen = False
        for ob in observations or ():
            e = ob.estimates.get(lim.kind)
            if e is None:
                continue
            seen = True
            mdv = e.min_detectable_violation
            rows.append({"limit": lim.describe(), "checked by": "observation of flight tests", "test": ob.test,
                         "sensors": ", ".join(s.name for s in ob.sensors),
                         "smallest violation seen (95 %)": "not measured" if mdv is None else f"{mdv:.3g} {e.unit}"})
        if not seen:
            rows.append({"limit": lim.describe(), "checked by": "observation of flight tests", "test": "",
                         "sensors": "", "smallest violation seen (95 %)": "not computed (openbmd guarantee observe)"})
    return rows


def write_certificate(verification, out_dir, *, speed_map=None, fmt: str = "png", observations=()) -> Path:
    v = verification
    g = v.guarantee
    out_dir = Path(out_dir)
    with staged_folder(out_dir) as tmp:
        (tmp / "figures").mkdir()
        secs = []
        stmt = (f"<p><b>{html.escape(g.name)}</b> (protecting {html.escape(g.protected_party or 'the protected party')})"
                f": {html.escape(g.description)}</p><ul>" +
                "".join(f"<li>{html.escape(lim.describe())}</li>" for lim in g.limits) + "</ul>"
                f"<p>Deployment: <b>{html.escape(v.scenario_name)}</b>. Overall: {_verdict(v.passed)}</p>")
        secs.append(("statement", "Statement", stmt))
        comp = pd.DataFrame([{"limit": c.what, "passed": c.passed, "margin": c.margin, "unit": c.unit, "detail": c.detail}
                             for c in v.compliance])
        secs.append(("compliance", "(a) Compliance of the deployment", _verdict(v.compliant) + html_table(comp)))
        claim = (f"<p>{_verdict(v.claim_holds)}: {v.protected_engageable} of {v.protected_trajectories} protected "
                 f"trajectories can be engaged. ")
        if v.smallest_margin_s is not None:
            claim += (f"Engagement margin of the closest protected trajectory {-v.smallest_margin_s:+.0f} s "
                      f"(negative: the interceptor would have to launch that much earlier than permitted, the claim "
                      f"holds; positive: it could launch that much later and still intercept); closest trajectory: "
                      f"{html.escape(str(v.closest))} (battery {html.escape(str(v.closest_battery))}).")
        else:
            claim += "No protected trajectory comes within any battery's reach."
        claim += "</p>"
        if v.sets:
            claim += (f"<p>The claim must hold under every assumption set; the binding one (closest to engageable: the largest engagement margin) is "
                      f"<b>{html.escape(str(v.binding))}</b>.</p>")
            rows = pd.DataFrame([{"assumption set": r["name"], "claim": "holds" if r["claim_holds"] else "FAILS",
                                  "protected engageable": r["protected_engageable"],
                                  "engagement margin (s)": "–" if r["min_margin_s"] is None else f"{-r['min_margin_s']:+.0f}",
                                  "mission covered": "–" if r["mission_coverage"] is None
                                  else f"{100 * r['mission_coverage']:.1f} %",
                                  "binding": "yes" if r["name"] == v.binding else ""} for r in v.sets])
            claim += html_table(rows)
        if v.engageable_examples:
            claim += "<ul>" + "".join(f"<li>{html.escape(x)}</li>" for x in v.engageable_examples) + "</ul>"
        secs.append(("claim", "(b) The physical claim", claim))
        cov = "–" if v.mission_coverage is None else f"{100 * v.mission_coverage:.1f} %"
        secs.append(("mission", "(c) The defence mission",
                     f"<p>{_verdict(v.mission_covered or v.mission_trajectories == 0)}: {cov} of {v.mission_trajectories} "
                     f"'{html.escape(g.mission_role)}' threats covered (required {100 * g.min_mission_coverage:g} %).</p>"))
        if v.breaking:
            secs.append(("break", "What would break it", html_table(pd.DataFrame(v.breaking))))
        if v.assessment is not None:
            f = tmp / "figures" / f"deployment-strategic.{fmt}"
            fig_map(v.assessment, g.protected_role, f, f"{v.scenario_name}: protected trajectories")
            secs.append(("maps", "Maps", img_html(str(f.relative_to(tmp)), "Protected trajectories, batteries, fans and radar coverage")))
        if speed_map is not None:
            f = tmp / "figures" / f"permissible-speed.{fmt}"
            plot_speed_map(speed_map, f)
            secs[-1] = (secs[-1][0], secs[-1][1], secs[-1][2] + img_html(str(f.relative_to(tmp)), "Permissible burnout speed"))
        secs.append(("verification", "Verification",
                     "<p>How each limit could be checked by the protected party: limits on deployments by inspecting "
                     "the deployment; limits on tests by observing the tests with its sensors (simulated: "
                     "<code>openbmd guarantee observe</code>), with the smallest excess over the limit that would be "
                     "detected with 95 % probability at a 5 % false-alarm rate.</p>"
                     + html_table(pd.DataFrame(verification_rows(g, observations)))))
        secs.append(("assumptions", "Assumptions and sources", assumptions_html(v.assumptions)))
        (tmp / "certificate.html").write_text(page_html(f"Guarantee certificate: {g.name}", secs), encoding="utf-8")
        (tmp / "certificate.json").write_text(json.dumps(jsonable(v.to_dict()), indent=1, allow_nan=False), encoding="utf-8")
    return out_dir


def plot_speed_map(sm, path):
    """Map of the permissible burnout speed at each candidate site."""
    from . import maps as M

    step = sm.lat_deg[1] - sm.lat_deg[0] if len(sm.lat_deg) > 1 else 1.0
    fig, ax, proj = M.map_axes((sm.lon_deg[0] - step / 2, sm.lon_deg[-1] + step / 2,
                                sm.lat_deg[0] - step / 2, sm.lat_deg[-1] + step / 2), "lambert", figsize=(8, 7))
    vals = np.where(np.isfinite(sm.v_max_km_s), sm.v_max_km_s, np.nan)
    mesh = M.plot_grid(ax, proj, sm.lat_deg, sm.lon_deg, vals, cmap="viridis", vmin=float(sm.levels[0]),
                       vmax=float(sm.levels[-1]), alpha=0.8)
    try:
        fig.colorbar(mesh, ax=ax, shrink=0.7, label="largest permissible burnout speed (km/s)")
    except Exception:  # noqa: BLE001 - a colorbar is a nicety
        pass
    ax.set_title(f"Permissible interceptor burnout speed (launch {sm.launch_delay_s:g} s after the threat)", fontsize=9)
    M.save(fig, path)
    return path
