"""Flight-test files and verification by observation.

References: the flight tests' cited figures (docs/sources.md, "Precedents and
flight tests"); the chi-square distribution of the sum of squared normalised
errors of an unbiased estimator with correct sigma (scipy.stats.chi2); the
one-sided normal quantile 1.645 (5 % false alarms, 95 % detection).
Every run is seeded, so every assertion is reproducible.
"""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from openbmd import flighttests as F
from openbmd import guarantee as G
from openbmd import observe as O
from openbmd.tracking import MeasurementModel

ROOT = Path(__file__).resolve().parents[2]
NEAR, FAR = "22.0,-165.0", "30.0,-170.0"  # observation ships ~under FTM-44's intercept, and ~1,000 km off


@pytest.fixture(scope="module")
def ftm44():
    return F.fly(F.load_test("ftm-44-2020"))


@pytest.fixture(scope="module")
def near(ftm44):
    return O.observe(None, ftm44, [NEAR], runs=200, seed=5)


def _guarantee(tmp_path, kind, value):
    key = "max_km_s" if "speed" in kind else "max_km"
    p = tmp_path / f"{kind}.toml"
    p.write_text(f'[guarantee]\nname = "t"\n\n[[limit]]\nkind = "{kind}"\n{key} = {value!r}\n')
    return G.load_guarantee(p)


# --------------------------------------------------------------- the files ----
def test_bundled_tests_load_cite_and_pass_the_audit():
    import importlib.util

    names = F.bundled_tests()
    assert {"ftm-15-2011", "ftm-44-2020", "ftg-11-2019"} <= set(names)
    audit = sys.modules.get("audit_sources")
    if audit is None:
        spec = importlib.util.spec_from_file_location("audit_sources", ROOT / "tools" / "audit_sources.py")
        audit = importlib.util.module_from_spec(spec)
        sys.modules["audit_sources"] = audit
        spec.loader.exec_module(audit)
    docs = audit.read_documents()
    files = sorted((ROOT / "src/openbmd/data/flight_tests").glob("*.toml"))
    findings = audit.check_catalog(docs, files)
    assert findings and not [f for f in findings if not f.ok], [str(f) for f in findings if not f.ok]
    for n in names:
        ft = F.load_test(n)
        assert ft.sources and all(audit.cited_keys(s, docs.keys()) for s in ft.sources)


def test_ftm15_cited_intercept_time():
    ft = F.load_test("ftm-15-2011")
    assert ft.intercept_time == 660.0  # "Just 11 minutes after the target was launched"
    assert "11 minutes" in ft.notes["interceptor.intercept_time_s"]
    assert ft.interceptor == "SM-3 Block IA" and ft.target_launch == (9.0, 167.7)


def test_flown_test_meets_its_intercept(ftm44):
    assert ftm44.miss_km < 50.0  # the chosen fly-out passes the target's position at the intercept time
    assert 0 < ftm44.interceptor_launch_time < ftm44.intercept_time
    d = F.demonstrated(ftm44)
    assert d["max_test_target_range"] == pytest.approx(5600.0, rel=0.01)  # its aim point is 5,600 km out


def test_test_limits_against_a_flown_test(ftm44):
    low = F.test_compliance(G.load_guarantee("demarcation-1997-lower-velocity"), ftm44)
    assert [c.passed for c in low] == [False, False, False]  # SM-3 IIA > 3 km/s; ICBM-class target: > 5 km/s, > 3,500 km
    assert low[2].margin == pytest.approx(3500.0 - F.demonstrated(ftm44)["max_test_target_range"])
    high = F.test_compliance(G.load_guarantee("demarcation-1997-higher-velocity"), ftm44)
    assert len(high) == 2 and not any(c.passed for c in high)  # no interceptor limit there


# ------------------------------------------------------------ the estimates ----
def test_range_estimate_unbiased_within_sigma(near):
    e = near.estimates["max_test_target_range"]
    z = (e.runs_estimate - e.model_truth) / e.runs_sigma  # the filter's own sigma
    n = len(z)
    lo, hi = stats.chi2.ppf([0.0005, 0.9995], n)
    assert lo < float(np.sum(z**2)) < hi
    assert abs(float(np.mean(z))) < 3.3 / math.sqrt(n)


@pytest.mark.parametrize("kind", ["max_test_interceptor_speed", "max_test_target_speed", "max_test_intercept_altitude"])
def test_other_estimates_unbiased_and_sigma_not_optimistic(near, kind):
    """The speeds' reported sigma is conservative here (the normalised errors
    scatter less than 1): the chi-square upper bound holds, and the mean is
    inside its bound."""
    e = near.estimates[kind]
    z = (e.runs_estimate - e.model_truth) / e.runs_sigma
    n = len(z)
    assert float(np.sum(z**2)) < stats.chi2.ppf(0.9995, n)
    assert abs(float(np.mean(z))) < 3.3 / math.sqrt(n)
    assert e.true_value == pytest.approx(float(np.mean(e.model_truth)), abs=5 * float(np.mean(e.runs_sigma)) + 1e-3)


def test_minimum_detectable_violation_shrinks_closer_and_with_more_measurements_grows_with_noise(ftm44, near):
    far = O.observe(None, ftm44, [FAR], runs=50, seed=5)
    sparse = O.observe(None, ftm44, [NEAR], runs=50, seed=5, revisit=4.0)
    noisy = O.observe(None, ftm44, [NEAR], runs=50, seed=5, model=MeasurementModel(range_floor=20.0, angle_floor=1e-3))
    for k in ("max_test_interceptor_speed", "max_test_target_speed", "max_test_intercept_altitude"):
        base = near.estimates[k].min_detectable_violation
        assert base < far.estimates[k].min_detectable_violation, k
        assert base < sparse.estimates[k].min_detectable_violation, k
        assert base < noisy.estimates[k].min_detectable_violation, k
    # the range's filter sigma too (its reported sigma carries the 0.5 km model error on top)
    r = lambda o: float(np.mean(o.estimates["max_test_target_range"].runs_sigma))  # noqa: E731
    assert r(near) < r(far) and r(near) < r(sparse) and r(near) < r(noisy)
    e = near.estimates["max_test_target_range"]
    assert e.min_detectable_violation == pytest.approx((1.645 + 1.645) * float(np.mean(np.hypot(e.runs_sigma, 0.5))),
                                                       rel=1e-3)


@pytest.mark.parametrize("kind", ["max_test_target_range", "max_test_target_speed", "max_test_interceptor_speed"])
def test_violation_by_several_sigma_detected_inside_not_flagged(tmp_path, ftm44, near, kind):
    e = near.estimates[kind]
    truth, sig = float(np.mean(e.model_truth)), float(np.mean(e.total_sigma))
    over = O.observe(_guarantee(tmp_path, kind, truth - 5 * sig), ftm44, [NEAR], runs=200, seed=5)
    assert over.estimates[kind].detected_violation is True
    assert over.estimates[kind].detection_rate >= 0.95
    at = O.observe(_guarantee(tmp_path, kind, truth), ftm44, [NEAR], runs=200, seed=5)
    assert at.estimates[kind].detection_rate <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / 200)
    inside = O.observe(_guarantee(tmp_path, kind, truth + 3 * sig), ftm44, [NEAR], runs=200, seed=5)
    assert inside.estimates[kind].detected_violation is False and inside.estimates[kind].detection_rate <= 0.01


def test_satellites_alone_measure_nothing(ftm44):
    ob = O.observe(G.load_guarantee("demarcation-1997-higher-velocity"), ftm44, ["SBIRS/DSP"], runs=5, seed=1)
    for e in ob.estimates.values():
        d = e.to_dict()
        assert d["estimated"] is None and d["detected_violation"] is None and d["min_detectable_violation"] is None
    assert any("plume" in n for n in ob.notes)


def test_seeded_runs_are_reproducible(ftm44):
    a = O.observe(None, ftm44, [NEAR], runs=20, seed=9)
    b = O.observe(None, ftm44, [NEAR], runs=20, seed=9)
    for k in a.estimates:
        assert np.array_equal(a.estimates[k].runs_estimate, b.estimates[k].runs_estimate)


# ---------------------------------------------------------------- the CLI ----
def _cli(*args):
    return subprocess.run([sys.executable, "-m", "openbmd", "guarantee", "observe", *args], capture_output=True,
                          text=True, timeout=300)


def test_cli_json_keys():
    r = _cli("demarcation-1997-lower-velocity", "ftm-44-2020", "--sensor", NEAR, "--runs", "20", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out["parameters"]) == {"max_test_interceptor_speed", "max_test_target_speed", "max_test_target_range"}
    for p in out["parameters"].values():
        assert {"limit", "true_value", "estimated", "sigma", "detected_violation", "min_detectable_violation"} <= set(p)
        assert p["detected_violation"] is True  # FTM-44 as modelled exceeds every First Agreed Statement limit
    assert out["parameters"]["max_test_target_range"]["limit"] == 3500.0


@pytest.mark.parametrize("args, words", [
    (["--sensor", "Voronezh-DM (Armavr)"], "Voronezh-DM (Armavir)"),
    (["--sensor", "95,10"], "latitude"),
])
def test_cli_bad_sensor_one_line_exit_2(args, words):
    r = _cli("demarcation-1997-lower-velocity", "ftm-44-2020", *args)
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert r.returncode == 2 and len(lines) == 1 and words in lines[0], r.stderr


def test_test_file_missing_a_field_one_line_exit_2(tmp_path):
    text = (ROOT / "src/openbmd/data/flight_tests/ftm-44-2020.toml").read_text()
    bad = "\n".join(x for x in text.splitlines() if not x.startswith("intercept_time_s ="))
    p = tmp_path / "t.toml"
    p.write_text(bad)
    with pytest.raises(F.FlightTestError) as e:
        F.load_test(p)
    assert str(p) in str(e.value) and "interceptor.intercept_time_s" in str(e.value) and "missing" in str(e.value)
    r = _cli("demarcation-1997-lower-velocity", str(p), "--sensor", NEAR)
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert r.returncode == 2 and len(lines) == 1 and "intercept_time_s" in lines[0], r.stderr
    p.write_text(text.replace('vehicle = "SM-3 Block IIA"', 'vehicle = "SM-3 Block IIC"'))
    with pytest.raises(F.FlightTestError) as e:
        F.load_test(p)
    msg = str(e.value)
    assert f"{p}:" in msg and "interceptor.vehicle" in msg and "\n" not in msg
    assert msg.split(":")[1].strip().isdigit()


def test_certificate_verification_rows(near):
    from openbmd.report.certificate import verification_rows

    g = G.load_guarantee("demarcation-1997-lower-velocity")
    rows = verification_rows(g)
    assert len(rows) == 4 and rows[0]["checked by"].startswith("inspection")
    assert all("not computed" in r["smallest violation seen (95 %)"] for r in rows[1:])
    rows = verification_rows(g, [near])
    by = {r["limit"]: r for r in rows}
    rng = by[g.limits[3].describe()]
    mdv = near.estimates["max_test_target_range"].min_detectable_violation
    assert rng["test"] == "FTM-44" and NEAR.split(",")[0].rstrip("0").rstrip(".") in rng["sensors"]
    assert rng["smallest violation seen (95 %)"] == f"{mdv:.3g} km"


def test_verify_report_carries_the_observation(tmp_path, capsys):
    """`verify --report --observe TEST --sensor ...` fills the certificate's
    Verification section with the smallest violation the sensor would see;
    --observe without a sensor is one line, exit 2."""
    from openbmd.cli import main

    out = tmp_path / "cert"
    assert main(["guarantee", "verify", "demarcation-1997-lower-velocity", "epaa-phase2", "--quiet", "--report",
                 str(out), "--observe", "ftm-44-2020", "--sensor", NEAR, "--runs", "20"]) == 0
    html = (out / "certificate.html").read_text()
    sec = html[html.index("<h2>Verification</h2>"):]
    assert "FTM-44" in sec and "observation ship at 22,-165" in sec and "not computed" not in sec.split("</table>")[0]
    capsys.readouterr()
    assert main(["guarantee", "verify", "demarcation-1997-lower-velocity", "epaa-phase2", "--quiet", "--report",
                 str(tmp_path / "c2"), "--observe", "ftm-44-2020"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--sensor" in err


def test_reported_sigma_is_never_over_confident_for_ftg11():
    """FTG-11 seen from a ship under the intercept: the filter's own altitude
    sigma is over-confident (measured: normalised errors' mean square 1.6);
    the reported sigma, never below the Monte Carlo's scatter, keeps every
    parameter's normalised errors inside the chi-square upper bound."""
    fl = F.fly(F.load_test("ftg-11-2019"))
    ob = O.observe(None, fl, ["32.2,-147.2"], runs=100, seed=5)
    measured = [e for e in ob.estimates.values() if e.measured]
    assert len(measured) == 4
    for e in measured:
        z = (e.runs_estimate - e.model_truth) / e.total_sigma
        z = z[np.isfinite(z)]
        assert float(np.sum(z**2)) < stats.chi2.ppf(0.9995, z.size), e.parameter
        assert np.all(e.total_sigma >= e.scatter_sigma - 1e-15)
    alt = ob.estimates["max_test_intercept_altitude"]
    zf = (alt.runs_estimate - alt.model_truth) / alt.runs_sigma
    assert float(np.mean(zf**2)) > 1.2  # the filter alone would be over-confident here
