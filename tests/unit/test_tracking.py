"""Simulated radar tracks (openbmd.tracking) and their effect on a scenario
(openbmd.analysis.track): the noise model follows its formulas, the filter's
covariance matches its actual errors (NEES over Monte Carlo runs), errors
shrink with more measurements, the predicted intercept point's reported
uncertainty matches the real one, results are deterministic, bad input is
refused, and the scenario-level launch times follow fire control + decision."""

import math
import textwrap
import tomllib
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from openbmd import earth as E
from openbmd import scenario
from openbmd import tracking as T
from openbmd.analysis import assess
from openbmd.analysis.track import track_effect
from openbmd.catalog import default_catalog
from openbmd.flight import FlightOptions
from openbmd.flight.aim import aim
from openbmd.sensors import Radar

CAT = default_catalog()
TPY2 = CAT.radar("AN/TPY-2")
RADARS_TOML = Path(__file__).resolve().parents[2] / "src" / "openbmd" / "catalog" / "data" / "radars.toml"


@pytest.fixture(scope="module")
def shahab():
    """A Shahab-3 from the Tabriz launch area to Ankara: toward and past the
    TPY-2 at Kurecik (seen from ~100 s to impact)."""
    a, b = CAT.place("Tabriz launch area"), CAT.place("Ankara")
    return aim(CAT.missile("Shahab-3"), a.lat, a.lon, b.lat, b.lon, options=FlightOptions(output_step=2.0))


def _intercept(tr):
    return float(tr.apogee_time[0] + 150.0)


# ------------------------------------------------------------ noise model ----
def test_sigmas_follow_the_formulas():
    model = T.MeasurementModel(range_floor=0.0, angle_floor=0.0)
    rcs = 0.1
    r_det = TPY2.reference_range * (rcs / TPY2.reference_rcs) ** 0.25
    s_r, s_a, snr = T.measurement_sigmas(TPY2, rcs, r_det, model)
    snr_det = 10 ** 1.3
    assert snr == pytest.approx(snr_det)
    assert s_r == pytest.approx(T.C_LIGHT / (2 * TPY2.bandwidth) / math.sqrt(2 * snr_det))
    beam = 1.2 * TPY2.wavelength / TPY2.aperture
    assert s_a == pytest.approx(beam / (1.6 * math.sqrt(2 * snr_det)))
    # half the range: 16 x the SNR (R^-4), a quarter of each sigma
    s_r2, s_a2, snr2 = T.measurement_sigmas(TPY2, rcs, r_det / 2, model)
    assert snr2 == pytest.approx(16 * snr)
    assert s_r2 == pytest.approx(s_r / 4) and s_a2 == pytest.approx(s_a / 4)
    # twice the RCS: twice the SNR at a given range, sigmas / sqrt(2)
    _, s_a3, snr3 = T.measurement_sigmas(TPY2, 2 * rcs, r_det, model)
    assert snr3 == pytest.approx(2 * snr) and s_a3 == pytest.approx(s_a / math.sqrt(2))
    # the floors bound the sigmas from below, in quadrature
    s_rf, s_af, _ = T.measurement_sigmas(TPY2, rcs, np.array([1e3, r_det]))
    assert s_rf[0] == pytest.approx(2.0, rel=1e-3) and s_af[0] == pytest.approx(1e-4, rel=1e-3)
    assert s_af[1] == pytest.approx(math.hypot(s_a, 1e-4))
    # the uncapped radar equation: a larger instrumented range does not change the SNR
    assert T.measurement_sigmas(TPY2.replace(max_range=10.0 * TPY2.max_range), rcs, 5e5)[2] == pytest.approx(
        T.measurement_sigmas(TPY2, rcs, 5e5)[2])


def test_simulated_noise_has_the_stated_sigmas(shahab):
    meas = T.simulate_measurements(shahab, TPY2, 0.1, seed=11, runs=50)
    site = T.Site(TPY2, shahab.options.earth)
    ok = meas.valid
    zt = site.h(np.where(ok[..., None], meas.truth_r, site.p + 1e6))
    res = meas.z - zt
    res[..., 1] = (res[..., 1] + np.pi) % (2 * np.pi) - np.pi
    u = (res / meas.sigma)[ok]
    assert u.shape[0] > 5000
    np.testing.assert_allclose(u.std(axis=0), 1.0, atol=0.03)
    np.testing.assert_allclose(u.mean(axis=0), 0.0, atol=0.03)
    # measurements every revisit interval from the first ballistic sample seen above 100 km
    assert meas.dt == TPY2.revisit_interval
    assert np.all(meas.start >= shahab.burnout_time[0])
    assert np.all(meas.start >= meas.detection_time)


def test_gravity_gradient_matches_the_point_mass_formula():
    earth = E.EarthModel("sphere", rotation=False, gravity="point")
    r = np.array([[7.0e6, 1.0e6, -2.0e6], [1.0e5, -6.9e6, 3.0e6]])
    G = T._gravity_gradient(r, earth)
    for i in range(2):
        rn = np.linalg.norm(r[i])
        u = r[i] / rn
        exact = -E.GM_EARTH / rn**3 * (np.eye(3) - 3 * np.outer(u, u))
        np.testing.assert_allclose(G[i], exact, rtol=1e-6, atol=1e-15)


# ------------------------------------------------------------------ filter ----
def test_filter_errors_shrink_with_more_measurements(shahab):
    q = T.fire_control_times(shahab, TPY2, 0.1, _intercept(shahab), seed=3, runs=40)
    err, sig = q.position_error, q.position_sigma
    rms = lambda k: float(np.sqrt(np.nanmean(err[:, k] ** 2)))
    k = [2, 10, 40, 150]
    assert np.isfinite(err[:, k]).all()
    e = [rms(i) for i in k]
    s = [float(np.nanmean(sig[:, i])) for i in k]
    assert e[0] > e[1] > e[2] > e[3] and e[3] < 0.2 * e[0], e
    assert s[0] > s[1] > s[2] > s[3], s
    # the predicted intercept point sharpens as the track grows and the intercept nears
    pip = np.nanmean(q.pip_sigma[:, k, 0], axis=0)
    assert np.all(np.diff(pip) < 0), pip
    h = q.history_dataframe(0)
    assert list(h.columns) == ["t_s", "measurements", "position_error_m", "position_sigma_m", "nees", "pip_sigma_m"]
    assert h["measurements"].is_monotonic_increasing


def test_nees_within_chi_square_bounds(shahab):
    """200 seeded runs of one trajectory: the mean NEES (6-dof state) lies in
    its chi-square 99 % interval at early, middle and late updates, with the
    process noise of the truth (none: the flight model's drag-free ballistic
    motion is the filter's own dynamics). With the default (larger) process
    noise the filter may only be conservative, never overconfident."""
    runs = 200
    meas = T.simulate_measurements(shahab, TPY2, 0.1, seed=2024, runs=runs)
    lo, hi = stats.chi2.ppf([0.005, 0.995], 6 * runs) / runs
    q0 = T.ekf_track(meas, None, process_noise=0.0)
    qd = T.ekf_track(meas, None)
    ks = [5, 40, 150, 220]
    for k in ks:
        assert np.isfinite(q0.nees[:, k]).all()
        m0 = float(np.mean(q0.nees[:, k]))
        assert lo <= m0 <= hi, (k, m0, lo, hi)
        assert float(np.mean(qd.nees[:, k])) <= hi


def test_pip_uncertainty_matches_the_prediction_error(shahab):
    """At fire control, the estimate flown to the intercept time misses the
    true position by what the filter reports (RMS over runs), and that is
    within the stated accuracy."""
    tI = _intercept(shahab)
    q = T.fire_control_times(shahab, TPY2, 0.1, tI, seed=5, runs=200, pip_accuracy=1000.0)
    fc = q.fire_control_time
    assert np.isfinite(fc).all()
    x = q.state_at_fire_control[:, 0]
    span = tI - fc
    xp, _ = T.propagate(x, span / 20, 20, shahab.options.earth, stm=False)
    truth, _ = T.hermite(shahab.samples_r, shahab.samples_v, shahab.sample_times, 2.0, shahab.n_samples,
                          np.array([[tI]]))
    err = np.linalg.norm(xp[:, :3] - truth[0, 0], axis=1)
    rms = float(np.sqrt(np.mean(err**2)))
    rep = float(np.sqrt(np.mean(q.pip_at_fire_control[:, 0] ** 2)))
    assert rep <= 1000.0
    assert rms == pytest.approx(rep, rel=0.15)
    # the transition to the intercept time carried between re-integrations agrees with integrating it every update
    meas = T.simulate_measurements(shahab, TPY2, 0.1, seed=5, runs=2)
    a = T.ekf_track(meas, tI)
    b = T.ekf_track(meas, tI, relinearize_s=meas.dt)
    np.testing.assert_allclose(a.pip_sigma, b.pip_sigma, rtol=1e-3)  # linearised about slightly different states


def test_fire_control_time_and_equivalent_track_time(shahab):
    tI = _intercept(shahab)
    q = T.fire_control_times(shahab, TPY2, 0.1, tI, seed=1)
    fc, det = q.fire_control_time[0], q.detection_time[0]
    assert det < fc < tI
    assert q.track_time[0] == pytest.approx(fc - det)
    assert q.measurements_used[0] == 1 + round((fc - q.track_start[0]) / q.dt)
    assert q.pip_at_fire_control[0, 0] <= q.pip_accuracy
    k = round((fc - q.track_start[0]) / q.dt)
    assert np.all(q.pip_sigma[0, :k, 0][np.isfinite(q.pip_sigma[0, :k, 0])] > q.pip_accuracy)
    # a looser accuracy never needs longer; a tighter one never shorter (same measurements)
    loose = T.fire_control_times(shahab, TPY2, 0.1, tI, seed=1, pip_accuracy=3000.0).fire_control_time[0]
    tight = T.fire_control_times(shahab, TPY2, 0.1, tI, seed=1, pip_accuracy=300.0).fire_control_time[0]
    assert loose <= fc <= tight or (np.isnan(tight) and loose <= fc)
    # several intercept times at once: columns, each as if alone
    two = T.fire_control_times(shahab, TPY2, 0.1, np.array([[tI, tI - 100.0]]), seed=1)
    assert two.fire_control_time.shape == (1, 2)
    assert two.fire_control_time[0, 0] == fc
    alone = T.fire_control_times(shahab, TPY2, 0.1, tI - 100.0, seed=1).fire_control_time[0]
    assert two.fire_control_time[0, 1] == alone
    df = q.to_dataframe(["shahab"])
    assert df.loc[0, "fire_control_s"] == fc and df.loc[0, "fixed_track_time_s"] == TPY2.track_time
    assert any("ASSUMPTION" in a for a in q.assumptions())


def test_deterministic_with_a_seed(shahab):
    tI = _intercept(shahab)
    a = T.fire_control_times(shahab, TPY2, 0.1, tI, seed=42, runs=3)
    b = T.fire_control_times(shahab, TPY2, 0.1, tI, seed=42, runs=3)
    c = T.fire_control_times(shahab, TPY2, 0.1, tI, seed=43, runs=3)
    np.testing.assert_array_equal(a.fire_control_time, b.fire_control_time)
    np.testing.assert_array_equal(a.position_error, b.position_error)
    assert not np.allclose(np.nan_to_num(a.position_error), np.nan_to_num(c.position_error))
    # the noise does not depend on the intercept time asked for
    m1 = T.simulate_measurements(shahab, TPY2, 0.1, seed=42)
    d = T.ekf_track(m1, tI - 50.0)
    e = T.fire_control_times(shahab, TPY2, 0.1, tI - 50.0, seed=42)
    np.testing.assert_array_equal(d.position_error, e.position_error)


# -------------------------------------------------------------- bad input ----
def test_bad_input_is_refused(shahab):
    tI = _intercept(shahab)
    with pytest.raises(T.TrackingError, match="pip_accuracy"):
        T.fire_control_times(shahab, TPY2, 0.1, tI, pip_accuracy=-5.0)
    with pytest.raises(T.TrackingError, match="pip_accuracy"):
        T.fire_control_times(shahab, TPY2, 0.1, tI, pip_accuracy=0.0)
    with pytest.raises(T.TrackingError, match="rcs"):
        T.fire_control_times(shahab, TPY2, 0.0, tI)
    with pytest.raises(T.TrackingError, match="rcs"):
        T.simulate_measurements(shahab, TPY2, -1.0)
    bare = Radar("bare", TPY2.lat, TPY2.lon, boresight_azimuth=TPY2.boresight_azimuth,
                 azimuth_half_width=TPY2.azimuth_half_width, max_range=3e6, reference_range=1e6)
    with pytest.raises(T.TrackingError, match="bare.*wavelength_m, aperture_m, bandwidth_mhz, revisit_s"):
        T.fire_control_times(shahab, bare, 0.1, tI)
    with pytest.raises(T.TrackingError, match="revisit_s"):
        T.simulate_measurements(shahab, TPY2.replace(revisit_interval=None), 0.1)
    # a radar on the other side of the Earth never sees the trajectory
    far = TPY2.at(lat=math.radians(-40.0), lon=math.radians(-120.0))
    with pytest.raises(T.NeverSeenError, match="never sees"):
        T.fire_control_times(shahab, far, 0.1, tI)
    with pytest.raises(T.TrackingError, match="one value per trajectory|one row per trajectory"):
        T.fire_control_times(shahab, TPY2, 0.1, np.array([tI, tI]))
    with pytest.raises(T.TrackingError, match="intercept_time must be >= 0"):
        T.fire_control_times(shahab, TPY2, 0.1, -1.0)
    with pytest.raises(T.TrackingError, match="process_noise"):
        T.fire_control_times(shahab, TPY2, 0.1, tI, process_noise=-1.0)
    with pytest.raises(T.TrackingError, match="runs"):
        T.simulate_measurements(shahab, TPY2, 0.1, runs=0)
    with pytest.raises(ValueError, match="wavelength must be positive"):
        TPY2.replace(wavelength=-0.03)
    with pytest.raises(T.TrackingError, match="time series"):
        a, b = CAT.place("Tabriz launch area"), CAT.place("Ankara")
        tr = aim(CAT.missile("Shahab-3"), a.lat, a.lon, b.lat, b.lon)
        T.simulate_measurements(tr, TPY2, 0.1)


def test_every_catalog_radar_has_sourced_tracking_fields():
    with open(RADARS_TOML, "rb") as f:
        entries = tomllib.load(f)["radar"]
    for e in entries:
        for key in ("wavelength_m", "aperture_m", "bandwidth_mhz", "revisit_s"):
            assert e[key] > 0, (e["name"], key)
            assert str(e.get(f"{key}_source", "")).strip(), (e["name"], key)
            lo, hi = e[f"{key}_range"]
            assert lo <= e[key] <= hi, (e["name"], key)
        rd = CAT.radar(e["name"])
        assert rd.bandwidth == pytest.approx(1e6 * e["bandwidth_mhz"])
        assert rd.wavelength == e["wavelength_m"] and rd.revisit_interval == e["revisit_s"]
    # the bands: X ~3 cm, S ~9 cm, UHF ~0.68 m
    assert CAT.radar("TPY-2").wavelength < CAT.radar("SPY-1").wavelength < CAT.radar("Fylingdales radar").wavelength


# ---------------------------------------------------------- scenario level ----
@pytest.fixture(scope="module")
def effect(tmp_path_factory):
    """EPAA Phase 3 with fewer strategic threats (to keep the test short), a
    launch delay, and one extra battery cued by the launch delay."""
    p = tmp_path_factory.mktemp("track") / "small.toml"
    p.write_text(textwrap.dedent("""
        [scenario]
        name = "phase 3, small"
        extends = "epaa-phase3"
        [doctrine]
        launch_delay_s = 120.0
        [[threat]]
        name = "European Russia ICBM fields to the US"
        remove = true
        [[threat]]
        name = "Urals and Siberian ICBM fields to the US"
        remove = true
        [[threat]]
        name = "SLBM bastions to the US"
        remove = true
        [[battery]]
        name = "delay-cued site"
        interceptor = "SM-3 Block IIA"
        at = "Deveselu"
        cued_by = "launch_delay"
        """))
    sc = scenario.load(p)
    fixed = assess(sc)
    return sc, fixed, track_effect(sc, seed=0, assessment=fixed)


def test_track_effect_launch_times_follow_fire_control(effect):
    sc, fixed, te = effect
    p = te.pairs
    radar_cued = p["cue"] != "launch delay"
    fc = p["fire_control_s"].to_numpy(float)
    ok = radar_cued.to_numpy() & np.isfinite(fc)
    assert ok.sum() > 20
    # launch on the earliest track at the battery: fire control + the network link (remote sources) + decision
    link = p["link_latency_s"].to_numpy(float)[ok]
    assert np.all(np.isfinite(link)) and np.all(link >= 0)
    want = np.maximum(fc[ok] + link + sc.decision_time, sc.launch_delay)
    np.testing.assert_allclose(p["filter_earliest_launch_s"].to_numpy(float)[ok], want)
    # the shift is the filter's launch minus the fixed one
    np.testing.assert_allclose(p["launch_shift_s"].to_numpy(float)[ok],
                               want - p["fixed_earliest_launch_s"].to_numpy(float)[ok])
    # track time = fire control - first detection
    np.testing.assert_allclose(p["filter_track_time_s"].to_numpy(float)[ok],
                               fc[ok] - p["detection_s"].to_numpy(float)[ok])
    # a radar-cued pair without fire control cannot launch
    never = radar_cued.to_numpy() & ~np.isfinite(fc)
    assert np.all(~p["filter_engageable"].to_numpy()[never])
    # the launch-delay battery is left as it is
    d = p[~radar_cued]
    assert len(d) == len(fixed.flights)
    np.testing.assert_array_equal(d["filter_engageable"].to_numpy(), d["fixed_engageable"].to_numpy())
    np.testing.assert_allclose(d["filter_earliest_launch_s"].to_numpy(float), sc.launch_delay)
    # the fixed columns are the assessment's
    np.testing.assert_array_equal(p["fixed_engageable"].to_numpy(), fixed.pairs["engageable"].to_numpy())


def test_track_effect_table(effect):
    sc, _, te = effect
    t = te.table()
    assert set(t["role"]) == {"strategic", "southern"}
    assert len(t) == 2 * len(sc.batteries)
    cols = {"battery", "role", "cue", "fixed_track_time_s", "filter_track_time_median_s", "filter_track_time_max_s",
            "launch_shift_median_s", "launch_shift_max_s", "engageable_fixed", "engageable_filter", "share_fixed",
            "share_filter", "share_change"}
    assert cols <= set(t.columns)
    # the cue column lists the whole network: every cue source, the own radar, then the mode apart
    tpy = t[t["cue"].str.startswith("Kurecik TPY-2") & (t["role"] == "southern")]
    assert len(tpy) == 5  # the Eastern Mediterranean ship and the four Rota destroyers
    assert all("SPY-1" in c and "(own)" in c for c in tpy["cue"])
    assert np.all(tpy["fixed_track_time_s"] == 10.0)
    assert np.all(tpy["filter_track_time_median_s"] <= tpy["filter_track_time_max_s"])
    assert np.all(tpy["fire_control_reached"] > 0)
    delay = t[t["cue"] == "launch delay"]
    assert np.all(delay["share_change"] == 0.0) and delay["fixed_track_time_s"].isna().all()
    roles = te.per_role()
    assert set(roles["role"]) == {"strategic", "southern"}
    text = " ".join(te.assumptions())
    assert "decision time" in text and "ASSUMPTION" in text and "launch delay" in text


def test_track_effect_bad_input(effect):
    sc, fixed, _ = effect
    with pytest.raises(T.TrackingError, match="pip_accuracy"):
        track_effect(sc, pip_accuracy=-1.0, assessment=fixed)
    with pytest.raises(T.TrackingError, match="seed"):
        track_effect(sc, seed=-3, assessment=fixed)


def test_track_effect_uses_the_whole_cue_network(effect):
    """Redzikowo lists its own SPY-1 first and the Kurecik TPY-2 second. The
    filter must launch on the earliest track of either (the TPY-2, one network
    link later, sees the southern threats long before the SPY-1 in Poland),
    not only on the first cue radar: never later than the own radar alone,
    earlier for some southern threats."""
    from dataclasses import replace

    sc, _, te = effect
    name = "Aegis Ashore Redzikowo"
    b = next(x for x in sc.batteries if x.name == name)
    assert b.cues[0] == "Redzikowo SPY-1" and "Kurecik TPY-2" in b.cues and b.mode == "engage-on-remote"
    p = te.pairs[te.pairs["battery"] == name]
    assert set(p["cue"]) == {"Redzikowo SPY-1, Kurecik TPY-2"} and set(p["mode"]) == {"engage-on-remote"}
    used = set(p["tracked_by"].dropna())
    assert used <= {"Redzikowo SPY-1", "Kurecik TPY-2"}
    south = p[p["role"] == "southern"]
    assert (south["tracked_by"] == "Kurecik TPY-2").sum() > 0
    # the same battery with its own radar alone (the first cue radar: the older rule)
    alone = replace(sc, batteries=[replace(b, cues=("Redzikowo SPY-1",), cue="Redzikowo SPY-1", mode="own")])
    q = track_effect(alone, seed=0).pairs
    a = p["filter_earliest_launch_s"].to_numpy(float)
    o = q["filter_earliest_launch_s"].to_numpy(float)
    both = np.isfinite(a) & np.isfinite(o)
    assert both.sum() > 5
    assert np.all(a[both] <= o[both] + 1e-9)  # adding a sensor never delays the launch
    assert np.any(a[both] < o[both] - 1.0)
    assert np.all(np.isfinite(a)[np.isfinite(o)])  # no pair loses its track
    assert p["filter_engageable"].sum() >= q["filter_engageable"].sum()
