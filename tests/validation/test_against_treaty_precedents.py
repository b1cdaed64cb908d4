"""The treaty precedents as guarantee files (ABM Treaty 1972 with its 1974
Protocol; the 1997 First and Second Agreed Statements on demarcation).

References: the figures are the treaty texts' as read (docs/sources.md,
"Precedents and flight tests"): ABM Treaty Article III (150 km radius, 100
launchers and 100 interceptors), 1974 Protocol Article I (one area), Article
V(1) (no sea-, air-, space- or mobile land-based systems), Article VI (early
warning radars on the periphery, oriented outward); First Agreed Statement
(3.0 km/s interceptor, 5.0 km/s and 3,500 km targets); Second Agreed
Statement (5.0 km/s and 3,500 km targets, no interceptor limit). Positions
for the synthetic deployments are chosen by hand; distances to the Russian
border were computed once (geodesic, as the border test in
test_guarantee_limits.py) and are asserted only by sign with a wide margin.
"""

import math
import subprocess
import sys
from types import SimpleNamespace

import pytest

from openbmd import guarantee as G
from openbmd.scenario import BatterySpec
from openbmd.sensors import Radar
from openbmd.vehicles import impulsive_interceptor

MOSCOW = (55.75, 37.6)
PSKOV = (57.8, 28.3)  # ~30 km inside Russia, a few tens of km from Estonia and Latvia


def battery(name, lat, lon, *, speed_km_s=3.5, count=68, kind="land", stations=None, box=None):
    pts = stations or [(math.radians(lat), math.radians(lon))]
    return BatterySpec(name=name, interceptor=impulsive_interceptor(speed_km_s * 1e3), count=count, kind=kind,
                       stations=pts, patrol_box=box, cue=None)


def ew_radar(lat, lon, boresight_deg, name="EW radar", country="Russia"):
    return Radar(name=name, lat=math.radians(lat), lon=math.radians(lon), boresight_azimuth=math.radians(boresight_deg),
                 azimuth_half_width=math.radians(60), kind="early_warning", country=country)


def deployment(batteries, radars=()):
    return SimpleNamespace(batteries=list(batteries), radars={r.name: r for r in radars})


def compliant_abm():
    """A deployment built to satisfy every ABM Treaty limit: one fixed land
    battery of 68 interceptors at Moscow, one outward-looking early-warning
    radar at the western border."""
    return deployment([battery("Moscow", *MOSCOW)], [ew_radar(*PSKOV, 270.0)])


def failing(g, sc):
    return [c for lim, c in zip(g.limits, G.compliance(g, sc)) if not c.passed], \
        [lim.kind for lim, c in zip(g.limits, G.compliance(g, sc)) if not c.passed]


# ------------------------------------------------------------- the figures ----
def test_abm_treaty_limits_equal_the_cited_figures():
    g = G.load_guarantee("abm-treaty-1972")
    lim = {x.kind: x for x in g.limits}
    assert set(lim) == {"max_deployment_areas", "max_interceptors_total", "no_basing", "early_warning_periphery"}
    a = lim["max_deployment_areas"]
    assert a.params == {"count": 1, "radius_km": 150.0}  # Protocol Art. I; Treaty Art. III
    assert "Article III" in a.source and "Protocol 1974" in a.source and "one hundred and fifty" in a.source
    t = lim["max_interceptors_total"]
    assert t.params == {"count": 100} and "Article III(a)(1)" in t.source and "one hundred ABM launchers" in t.source
    b = lim["no_basing"]
    assert sorted(b.params["modes"]) == sorted(G.BASING_MODES) == sorted(["sea", "air", "space", "mobile-land"])
    assert "Article V(1)" in b.source
    p = lim["early_warning_periphery"]
    assert "Article VI" in p.source and "ASSUMPTION" in p.source  # the treaty gives no distance
    assert p.params["km"] == 200.0 and p.ranges["km"] == (100.0, 500.0)


def test_first_agreed_statement_limits_equal_the_cited_figures():
    g = G.load_guarantee("demarcation-1997-lower-velocity")
    got = {x.kind: x.params for x in g.limits}
    assert got == {"max_burnout_speed": {"max_km_s": 3.0}, "max_test_interceptor_speed": {"max_km_s": 3.0},
                   "max_test_target_speed": {"max_km_s": 5.0}, "max_test_target_range": {"max_km": 3500.0}}
    assert all("First Agreed Statement 1997" in x.source for x in g.limits)


def test_second_agreed_statement_limits_equal_the_cited_figures():
    g = G.load_guarantee("demarcation-1997-higher-velocity")
    got = {x.kind: x.params for x in g.limits}
    # no limit on the interceptor's velocity: the fact sheet says it sets none
    assert got == {"max_test_target_speed": {"max_km_s": 5.0}, "max_test_target_range": {"max_km": 3500.0}}
    assert all("Second Agreed Statement 1997" in x.source for x in g.limits)


def test_precedent_files_are_bundled():
    names = G.bundled_guarantees()
    for n in ("abm-treaty-1972", "demarcation-1997-lower-velocity", "demarcation-1997-higher-velocity"):
        assert n in names


# ---------------------------------------------- one article, one violation ----
def test_the_compliant_deployment_passes_every_abm_limit():
    g = G.load_guarantee("abm-treaty-1972")
    checks = G.compliance(g, compliant_abm())
    assert all(c.passed for c in checks), [(c.what, c.margin, c.detail) for c in checks]
    by = {lim.kind: c for lim, c in zip(g.limits, checks)}
    assert by["max_interceptors_total"].margin == 32.0  # 100 - 68
    assert by["max_deployment_areas"].margin == 0.0  # one area used of one
    assert 0 < by["early_warning_periphery"].margin < 200  # ~30 km inside: 200 - 30, or the probe's ~245 km


@pytest.mark.parametrize("article, build, kind", [
    ("III + Protocol: a second area 400 km away",
     lambda: deployment([battery("Moscow", *MOSCOW, count=50),
                         battery("East", MOSCOW[0], MOSCOW[1] + 400 / (111.2 * math.cos(math.radians(MOSCOW[0]))),
                                 count=40)], [ew_radar(*PSKOV, 270.0)]),
     "max_deployment_areas"),
    ("III(a)(1): 101 interceptors", lambda: deployment([battery("Moscow", *MOSCOW, count=101)], [ew_radar(*PSKOV, 270.0)]),
     "max_interceptors_total"),
    ("V(1): sea-based", lambda: deployment([battery("Moscow", *MOSCOW, kind="ship")], [ew_radar(*PSKOV, 270.0)]),
     "no_basing"),
    ("V(1): mobile land-based",
     lambda: deployment([battery("Moscow", *MOSCOW, stations=[(math.radians(55.75), math.radians(37.6)),
                                                               (math.radians(55.80), math.radians(37.7))])],
                        [ew_radar(*PSKOV, 270.0)]),
     "no_basing"),
    ("VI: radar oriented inward", lambda: deployment([battery("Moscow", *MOSCOW)], [ew_radar(*PSKOV, 90.0)]),
     "early_warning_periphery"),
    ("VI: radar deep inside", lambda: deployment([battery("Moscow", *MOSCOW)], [ew_radar(*MOSCOW, 270.0)]),
     "early_warning_periphery"),
    ("VI: radar in a third country", lambda: deployment([battery("Moscow", *MOSCOW)], [ew_radar(52.0, 13.0, 270.0)]),
     "early_warning_periphery"),
])
def test_a_deployment_violating_one_article_fails_that_limit_only(article, build, kind):
    g = G.load_guarantee("abm-treaty-1972")
    bad, kinds = failing(g, build())
    assert kinds == [kind], (article, [(c.what, c.margin, c.detail) for c in bad])
    assert bad[0].margin < 0


def test_ship_counts_and_margins():
    g = G.load_guarantee("abm-treaty-1972")
    sc = deployment([battery("a", *MOSCOW, kind="ship", count=10), battery("b", *MOSCOW, kind="ship", count=10),
                     battery("c", *MOSCOW, count=10)])
    c = dict(zip([x.kind for x in g.limits], G.compliance(g, sc)))["no_basing"]
    assert c.margin == -2.0 and c.unit == "batteries" and "a: sea-based" in c.detail and "b: sea-based" in c.detail


def test_areas_cover_exactly():
    # two sites 300 km apart fit one circle of 150 km radius; 310 km apart do not
    k = 111.2 * math.cos(math.radians(55.0))
    n, r = G._areas_needed([55.0, 55.0], [37.0, 37.0 + 300 / k], 150.0)
    assert n == 1 and r == pytest.approx(150.0, rel=0.01)
    n, r = G._areas_needed([55.0, 55.0], [37.0, 37.0 + 310 / k], 150.0)
    assert n == 2 and r > 150.0
    # three sites on a line: one circle of half the span, or two circles
    n, _ = G._areas_needed([55.0] * 3, [37.0, 37.0 + 100 / k, 37.0 + 200 / k], 101.0)
    assert n == 1


def test_first_agreed_statement_against_a_deployment():
    g = G.load_guarantee("demarcation-1997-lower-velocity")
    ok = G.compliance(g, deployment([battery("slow", *MOSCOW, speed_km_s=2.9)]))
    assert all(c.passed for c in ok)
    bad, kinds = failing(g, deployment([battery("fast", *MOSCOW, speed_km_s=4.5)]))
    assert kinds == ["max_burnout_speed"] and bad[0].margin == pytest.approx(-1.5)
    # the limits on tests do not apply to a deployment, and say so
    tests = [c for lim, c in zip(g.limits, G.compliance(g, deployment([]))) if lim.kind in G.TEST_LIMIT_KINDS]
    assert len(tests) == 3 and all(c.passed and "flight-test" in c.detail for c in tests)


# ---------------------------------------------------------------- bad input ----
def _write(tmp_path, body):
    p = tmp_path / "g.toml"
    p.write_text('[guarantee]\nname = "t"\n\n' + body)
    return p


@pytest.mark.parametrize("body, field, words", [
    ('[[limit]]\nkind = "max_test_target_speed"\nmax_km_h = 18000.0\n', "limit[1].max_km_h", "max_km_s"),
    ('[[limit]]\nkind = "max_interceptors_total"\ncount = 100.0\n', "limit[1].count", "integer"),
    ('[[limit]]\nkind = "no_basing"\nmodes = ["naval"]\n', "limit[1].modes", "sea"),
    ('[[limit]]\nkind = "max_deployment_areas"\ncount = 1\n', "limit[1].radius_km", "missing"),
    ('[[limit]]\nkind = "early_warning_periphery"\nkm = 200.0\nkm_range = [300.0, 500.0]\n', "limit[1].km_range",
     "around"),
    ('[[limit]]\nkind = "max_test_target_range"\nmax_km = -1.0\n', "limit[1].max_km", "> 0"),
])
def test_bad_limit_names_file_line_and_field(tmp_path, body, field, words):
    p = _write(tmp_path, body)
    with pytest.raises(G.GuaranteeError) as e:
        G.load_guarantee(p)
    msg = str(e.value)
    assert str(p) in msg and f"field '{field}'" in msg and words in msg and "\n" not in msg
    assert msg.split(":")[1].strip().isdigit()  # the line number


def test_bad_limit_exits_2_with_one_line(tmp_path):
    p = _write(tmp_path, '[[limit]]\nkind = "max_test_target_speed"\nmax_km_h = 18000.0\n')
    r = subprocess.run([sys.executable, "-m", "openbmd", "guarantee", "verify", str(p), "epaa-phase3"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and f"{p}:6" in lines[0] and "max_km_h" in lines[0], r.stderr
