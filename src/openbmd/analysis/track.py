"""``track_effect``: what a simulated radar track does to a scenario's engagements.

The fixed-assumption assessment (:func:`assess`) lets a radar-cued battery
launch no earlier than first detection + a fixed track time + the decision
time. Here, for every radar that cues a battery station, the radar's track of
every threat is simulated (:mod:`openbmd.tracking`: noisy range and angle
measurements, an extended Kalman filter) and the track is good enough for fire
control when the predicted intercept point is known to ``pip_accuracy``. The
intercept time predicted to is the pair's earliest intercept under the fixed
assumption (where the pair is not engageable then: the threat's reentry time,
the latest exo-atmospheric point, a conservative stand-in). The engine is then
rerun with the earliest launch = fire-control time + decision time (and no
earlier than the doctrine's launch delay, if set), and the two are compared
per battery and role.

The cue network: every station launches on the earliest usable track among
the sources its mode admits (the engine's :class:`~openbmd.engage.Timeline`
``sources()``: its own radar; under launch- or engage-on-remote also the
remote radars and early-warning satellites of its ``cued_by``, one network
link latency later). Each radar source is simulated with the filter (a ship's
own radar at each of its stations); a satellite's boost track keeps its
catalog timing (it is not a radar filter). The pairs name the source that
gave the track (``tracked_by``) and list the whole network (``cue``,
``mode``). Adding a source never delays the launch. One radar's track serves
every battery it cues (the same measurements and noise); each battery station
has its own intercept time and therefore its own fire-control time. Batteries
cued by a launch delay (no source) keep their timeline. ``iterations`` > 1 repeats the filter with the intercept times of
the previous filter run (a launch delayed by the filter intercepts later,
which asks for a longer prediction); the default is one pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import tracking as TK
from ..engage import engage
from ..sensors import Radar
from .assess import Assessment, assess, engine_batteries, from_engagements, tables_for


@dataclass
class TrackEffect:
    """The fixed-assumption and the filter engagements of one scenario."""

    scenario: object
    fixed: Assessment
    engagements: object  # the engine result with the filter's launch times (over stations)
    parent: np.ndarray  # scenario battery of each station
    pairs: pd.DataFrame  # one row per threat and scenario battery
    quality: dict  # radar name -> TrackQuality (over stations cued by it)
    pip_accuracy: float
    process_noise: float
    seed: object
    iterations: int

    @property
    def assessment(self) -> Assessment:
        """The engagements with the filter's launch times as an
        :class:`Assessment` (for raids and the balance)."""
        bats, _, _ = engine_batteries(self.scenario)
        return from_engagements(self.scenario, self.fixed.flights, self.engagements, bats, self.parent)

    def table(self) -> pd.DataFrame:
        """Per battery and role: the fixed track time assumed vs the filter's
        median and maximum track time (fire control - first detection, over
        the threats that reach fire control; of which the median wait from
        detection to the first measurement the ballistic filter may use:
        after burnout, above the measurement model's minimum altitude), the shift of the earliest launch
        (filter - fixed; median and max over the pairs with both), and the
        engageable counts and shares with either timeline."""
        p = self.pairs
        rows = []
        for (bat, role), g in p.groupby(["battery", "role"], sort=False):
            tt = g["filter_track_time_s"].to_numpy(float)
            wait = (g["track_start_s"] - g["detection_s"]).to_numpy(float)[np.isfinite(tt)]
            sh = g["launch_shift_s"].to_numpy(float)
            n = len(g)
            ef, eg = int(g["fixed_engageable"].sum()), int(g["filter_engageable"].sum())
            fin_t, fin_s = tt[np.isfinite(tt)], sh[np.isfinite(sh)]
            rows.append({
                "battery": bat,
                "role": role,
                "cue": g["cue"].iloc[0],
                "trajectories": n,
                "detected": int(np.isfinite(g["detection_s"].to_numpy(float)).sum()),
                "fire_control_reached": int(fin_t.size),
                "fixed_track_time_s": g["fixed_track_time_s"].iloc[0],
                "filter_track_time_median_s": float(np.median(fin_t)) if fin_t.size else np.nan,
                "filter_track_time_max_s": float(np.max(fin_t)) if fin_t.size else np.nan,
                "wait_for_ballistic_median_s": float(np.median(wait)) if wait.size else np.nan,
                "launch_shift_median_s": float(np.median(fin_s)) if fin_s.size else np.nan,
                "launch_shift_max_s": float(np.max(fin_s)) if fin_s.size else np.nan,
                "engageable_fixed": ef,
                "engageable_filter": eg,
                "share_fixed": ef / n if n else np.nan,
                "share_filter": eg / n if n else np.nan,
                "share_change": (eg - ef) / n if n else np.nan,
            })
        return pd.DataFrame(rows)

    def per_role(self) -> pd.DataFrame:
        """Per role: trajectories engageable by at least one battery, fixed vs filter."""
        p = self.pairs
        g = p.groupby(["role", "threat"], sort=False).agg(fixed=("fixed_engageable", "any"),
                                                           filt=("filter_engageable", "any")).reset_index()
        out = g.groupby("role", sort=False).agg(trajectories=("threat", "size"), engageable_fixed=("fixed", "sum"),
                                                engageable_filter=("filt", "sum")).reset_index()
        out["share_fixed"] = out["engageable_fixed"] / out["trajectories"]
        out["share_filter"] = out["engageable_filter"] / out["trajectories"]
        return out

    def assumptions(self) -> list[str]:
        out = list(self.fixed.assumptions())
        done = set()
        for q in self.quality.values():
            for line in q.assumptions():
                if line.startswith("radar ") or line not in done:
                    out.append(line if line.startswith("radar ") else f"tracking: {line}")
                    done.add(line)
        out += [
            "fire control predicts to the pair's earliest intercept under the fixed track-time assumption; pairs not "
            "engageable then predict to the threat's reentry time (the latest exo-atmospheric point: a longer "
            "prediction, so a later fire control)"
            + (f"; then {self.iterations - 1} more pass(es) with the filter's own earliest intercepts"
               if self.iterations > 1 else "; one pass (the filter's later launch, hence later intercept, is not fed back)"),
            f"earliest interceptor launch with the filter = fire-control time + decision time "
            f"{self.scenario.decision_time:g} s"
            + (f", and no earlier than the launch delay {self.scenario.launch_delay:g} s"
               if self.scenario.launch_delay is not None else ""),
            "each battery station launches on the earliest usable track among the cue sources its mode admits "
            "(own radar; remote radars and satellites, one network link later): per radar the simulated filter's "
            "fire control, per satellite its catalog boost-track time (no filter); one track per radar serves "
            "every battery it cues (same measurements; a ship's own radar is simulated at each station); "
            "batteries cued by a launch delay (no source) keep their timeline",
            f"noise seeds: {self.seed!r} with the radar's index in the scenario",
        ]
        return out


def cue_network(b) -> str:
    """A battery's cue sources as text: every [[radar]] and [[satellite]] of
    its ``cued_by``, then its own radar (``launch delay`` when none)."""
    names = list(b.cues)
    own = getattr(b.own_radar, "name", None)
    if own is not None and own not in names:
        names.append(f"{own} (own)")
    return ", ".join(names) if names else "launch delay"


def cue_text(b) -> str:
    """A battery's whole cue network and mode as one line (reports, maps):
    ``Kurecik TPY-2, Deveselu SPY-1 (own); launch-on-remote``."""
    net = cue_network(b)
    return net if net == "launch delay" else f"{net}; {b.mode}"


def _fallback_intercept(tr):
    """Where a pair has no intercept: the threat's reentry time (last exo-atmospheric
    point), else its flight time, else its last sample."""
    last = (tr.n_samples - 1) * tr.options.output_step
    t = np.where(np.isfinite(tr.reentry_time), tr.reentry_time, tr.flight_time)
    return np.where(np.isfinite(t), t, last)


def _best(eng, parent, m):
    """Best station of each scenario battery: engageable first, then the largest margin."""
    margin = eng.margin
    score = np.where(eng.engageable, 1e9, 0.0) + np.where(np.isfinite(margin), margin, -1e8)
    n = margin.shape[0]
    best = np.zeros((n, m), dtype=int)
    for j in range(m):
        cols = np.nonzero(parent == j)[0]
        best[:, j] = cols[np.argmax(score[:, cols], axis=1)]
    return best


def track_effect(scenario, *, pip_accuracy: float = TK.DEFAULT_PIP_ACCURACY, seed=0,
                 process_noise: float = TK.DEFAULT_PROCESS_NOISE, model: TK.MeasurementModel | None = None,
                 iterations: int = 1, assessment: Assessment | None = None) -> TrackEffect:
    """The scenario's engagements with simulated radar tracks instead of the
    fixed track time (see the module docstring). ``assessment``: the
    fixed-assumption :func:`assess` result of the same scenario, if already
    computed. Every radar that cues a battery needs the tracking catalog
    fields (wavelength, aperture, bandwidth, revisit)."""
    pip = TK.check_pip(pip_accuracy)
    model = TK.MeasurementModel() if model is None else model
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TK.TrackingError(f"seed must be an integer >= 0, got {seed!r}")
    if not isinstance(iterations, (int, np.integer)) or iterations < 1:
        raise TK.TrackingError(f"iterations must be an integer >= 1, got {iterations!r}")
    if getattr(scenario, "is_comparison", False):
        raise TK.TrackingError("track_effect takes one scenario, not a comparison of phases: pass one of its phases")
    fixed = assess(scenario) if assessment is None else assessment
    m = len(scenario.batteries)
    if m == 0:
        raise TK.TrackingError(f"scenario {scenario.name!r} deploys no battery: no engagement to compare")
    bats, parent, tlats = engine_batteries(scenario)
    res0 = fixed.engagements
    ts = res0.threats
    tr = ts.trajectories
    n, ms = res0.out.shape[:2]
    # each station's launch-cue sources: its timeline's (the mode's admitted ones: own radar, remote radars,
    # satellites; remote ones one network link later), radars by identity (a ship's own radar is placed at
    # each of its stations)
    radar_names = list(scenario.radars)
    by_radar: dict = {}  # Radar -> [(station, link latency)]
    sats: list = []  # (station, satellites, link latency)
    has_src = np.zeros(ms, dtype=bool)
    for st, bat in enumerate(bats):
        tl = bat.timeline
        for src, rem in (tl.sources() if tl is not None else []):
            lat_s = tl.latency if rem else 0.0
            has_src[st] = True
            if isinstance(src, Radar):
                by_radar.setdefault(src, []).append((st, lat_s))
            else:
                sats.append((st, src, lat_s))
    for rd in by_radar:
        TK.require_tracking(rd)
    meas, keys, extra = {}, {}, 0
    for rd in by_radar:
        # the noise seed: the radar's index in the scenario (as before), others numbered after
        if rd.name in scenario.radars and scenario.radars[rd.name] == rd:
            idx = radar_names.index(rd.name)
        else:
            idx, extra = len(radar_names) + extra, extra + 1
        k = rd.name if rd.name not in keys.values() else f"{rd.name} at {np.degrees(rd.lat):.2f}, {np.degrees(rd.lon):.2f}"
        keys[rd] = k
        try:
            meas[rd] = TK.simulate_measurements(tr, rd, scenario.rcs, model=model, seed=[int(seed), idx])
        except TK.NeverSeenError:
            meas[rd] = None
    fallback = _fallback_intercept(tr)
    t_int = np.where(np.isfinite(res0.earliest_intercept), res0.earliest_intercept, fallback[:, None])
    tables = tables_for(bats, scenario.options, tlats)
    quality: dict = {}
    sat_cue = {}
    for it in range(iterations):
        launch = np.array(res0.earliest_launch, dtype=float, copy=True)  # launch-delay stations keep theirs
        ready = np.full((n, ms), np.nan)  # the earliest usable track at the battery, over its sources
        fc_all = np.full((n, ms), np.nan)
        det_all = np.full((n, ms), np.nan)
        start_all = np.full((n, ms), np.nan)
        lat_all = np.full((n, ms), np.nan)
        by_all = np.full((n, ms), None, dtype=object)

        def take(cols, t_ready, fc, det, start, lat_s, name):
            cur = ready[:, cols]
            upd = np.isfinite(t_ready) & ~(cur <= t_ready)  # strictly earlier, or the first track
            ready[:, cols] = np.where(upd, t_ready, cur)
            for a, v in ((fc_all, fc), (det_all, det), (start_all, start), (lat_all, lat_s)):
                a[:, cols] = np.where(upd, v, a[:, cols])
            by_all[:, cols] = np.where(upd, name, by_all[:, cols])

        for rd, use in by_radar.items():
            if meas[rd] is None:
                continue
            cols = np.array([u[0] for u in use])
            lat_s = np.array([u[1] for u in use])[None, :]
            q = TK.ekf_track(meas[rd], t_int[:, cols], pip_accuracy=pip, process_noise=process_noise,
                             keep_history=False)
            quality[keys[rd]] = q
            fc = q.fire_control
            take(cols, fc + lat_s, fc, q.detection_time[:, None], q.track_start[:, None], lat_s, keys[rd])
        for st, sat, lat_s in sats:
            # a satellite's boost track is not a radar filter: its catalog timing (fixed), as in assess
            if sat not in sat_cue:
                sat_cue[sat] = (sat.cue_time(tr), sat.detection_time(tr))
            cue, det = sat_cue[sat]
            c = np.array([st])
            take(c, (cue + lat_s)[:, None], cue[:, None], det[:, None], np.full((n, 1), np.nan), lat_s,
                 f"{sat.name} (boost track)")
        tl = ready + scenario.decision_time
        if scenario.launch_delay is not None:
            tl = np.where(np.isnan(tl), np.nan, np.maximum(tl, scenario.launch_delay))
        launch[:, has_src] = tl[:, has_src]
        res = engage(ts, bats, assessment_time=scenario.assessment_time, tables=tables,
                     coarse_step=scenario.coarse_step, launch_times=launch)
        if it + 1 < iterations:
            t_int = np.where(np.isfinite(res.earliest_intercept), res.earliest_intercept, t_int)
    # per threat and scenario battery: the best station of each engagement
    best_f = _best(res, parent, m)
    best_0 = _best(res0, parent, m)
    rows = np.arange(n)[:, None]
    pick = lambda a, b: a[rows, b].ravel()
    meta = fixed.flights.meta
    sb = scenario.batteries
    fixed_tt = []
    for j, b in enumerate(sb):
        st = int(np.nonzero(parent == j)[0][0])
        rads = [src for src, _ in (bats[st].timeline.sources() if bats[st].timeline is not None else [])
                if isinstance(src, Radar)]
        if not rads:
            fixed_tt.append(np.nan)
        else:
            fixed_tt.append(scenario.track_time if scenario.track_time is not None else min(r.track_time for r in rads))
    fc_b = pick(fc_all, best_f)
    det_b = pick(det_all, best_f)
    fl_f = pick(res.earliest_launch, best_f)
    fl_0 = pick(res0.earliest_launch, best_f)
    pairs = pd.DataFrame({
        "threat": np.repeat(np.arange(n), m),
        "label": np.repeat(meta["label"].to_numpy(dtype=object), m),
        "role": np.repeat(meta["role"].to_numpy(dtype=object), m),
        "battery": np.tile(np.array([b.name for b in sb], dtype=object), n),
        "cue": np.tile(np.array([cue_network(b) for b in sb], dtype=object), n),
        "mode": np.tile(np.array([b.mode if (b.cues or b.own_radar is not None) else "launch delay" for b in sb],
                                 dtype=object), n),
        "tracked_by": pick(by_all, best_f),
        "link_latency_s": pick(lat_all, best_f),
        "station": np.array([bats[k].name for k in best_f.ravel()], dtype=object),
        "detection_s": det_b,
        "track_start_s": pick(start_all, best_f),
        "fixed_track_time_s": np.tile(np.array(fixed_tt, dtype=float), n),
        "intercept_time_used_s": pick(t_int, best_f),
        "fire_control_s": fc_b,
        "filter_track_time_s": fc_b - det_b,
        "fixed_earliest_launch_s": fl_0,
        "filter_earliest_launch_s": fl_f,
        "launch_shift_s": fl_f - fl_0,
        "fixed_engageable": pick(res0.engageable, best_0),
        "filter_engageable": pick(res.engageable, best_f),
        "fixed_margin_s": pick(res0.margin, best_0),
        "filter_margin_s": pick(res.margin, best_f),
        "fixed_earliest_intercept_s": pick(res0.earliest_intercept, best_0),
        "filter_earliest_intercept_s": pick(res.earliest_intercept, best_f),
    })
    return TrackEffect(scenario, fixed, res, parent, pairs, quality, pip, float(process_noise), seed, int(iterations))


def assessed(sc, tracking=None, base=None) -> Assessment:
    """The scenario's assessment: with the fixed track time, or (``tracking``:
    keywords of :func:`openbmd.analysis.track.track_effect`, ``{}`` for its
    defaults) with the simulated radar tracks' launch times."""
    a = assess(sc) if base is None else base
    if tracking is None or not sc.batteries:
        return a
    return track_effect(sc, assessment=a, **tracking).assessment


__all__ = ["TrackEffect", "assessed", "cue_network", "cue_text", "track_effect"]
