"""Boost, staging and drag behave as the model says."""

import numpy as np
import pytest

from openbmd.earth import G0, EarthModel
from openbmd.flight import FlightOptions, Impulsive, run
from openbmd.vehicles import DragCurve, Missile, ReentryVehicle, Stage

deg = np.radians
S1, S2 = Stage(20000, 18000, 270, 60), Stage(6000, 5400, 290, 50, coast_after=0.0)
TWO = Missile("two-stage", (S1, S2), 800.0, ReentryVehicle(500, 1.2e4), 1.6)


def test_staging_times_and_burnout_follow_the_stage_table():
    tr = run(TWO, 0.5, 0.5, 1.0, kick=deg(40))
    assert tr.stage_times[0, 0] == pytest.approx(60.0, abs=1e-9)
    assert tr.stage_times[0, 1] == pytest.approx(110.0, abs=1e-9)
    assert tr.burnout_time[0] == pytest.approx(110.0, abs=1e-9)


def test_interstage_coast_delays_the_next_ignition():
    coast = TWO.replace(stages=(Stage(20000, 18000, 270, 60, coast_after=15.0), S2))
    tr = run([TWO, coast], 0.5, 0.5, 1.0, kick=deg(40))
    assert tr.stage_times[1, 1] == pytest.approx(125.0, abs=1e-9)
    assert tr.burnout_time[1] == pytest.approx(125.0, abs=1e-9)
    # coasting with the spent stage still attached under gravity costs speed
    assert tr.burnout_speed[1] < tr.burnout_speed[0]


def test_vacuum_burnout_speed_is_bounded_by_the_rocket_equation():
    opts = FlightOptions(drag=False, earth=EarthModel(rotation=False))
    tr = run(TWO, 0.5, 0.5, 1.0, kick=deg(40), options=opts)
    ideal = TWO.ideal_delta_v
    losses = ideal - tr.burnout_speed[0]
    # gravity losses of a ~110 s burn: positive, and less than g0 * burn time
    assert 0 < losses < G0 * 110.0


def test_thrust_override_equals_the_matching_isp():
    thrust = S1.isp * G0 * S1.mass_flow
    alt = TWO.replace(stages=(Stage(20000, 18000, 0.0, 60, thrust_override=thrust), S2))
    tr = run([TWO, alt], 0.5, 0.5, 1.0, kick=deg(40))
    assert tr.ground_range[0] == pytest.approx(tr.ground_range[1], rel=1e-12)


def test_thrust_termination_shortens_the_range_monotonically():
    cut = np.array([80.0, 90.0, 100.0, np.inf])
    tr = run(TWO, 0.5, 0.5, 1.0, kick=deg(40), cutoff=cut)
    assert np.all(np.diff(tr.ground_range) > 0)
    np.testing.assert_allclose(tr.burnout_time, [80.0, 90.0, 100.0, 110.0], atol=1e-9)


def test_drag_and_its_ceiling():
    base = dict(kick=deg(40))
    vac = run(TWO, 0.5, 0.5, 1.0, options=FlightOptions(drag=False), **base)
    air = run(TWO, 0.5, 0.5, 1.0, options=FlightOptions(), **base)
    low = run(TWO, 0.5, 0.5, 1.0, options=FlightOptions(drag_ceiling=10e3), **base)
    assert air.burnout_speed[0] < low.burnout_speed[0] < vac.burnout_speed[0]
    # a low-beta RV slows down much more in reentry than a high-beta one
    blunt = TWO.replace(rv=ReentryVehicle(500, 1.0e3))
    tr = run([TWO, blunt], 0.5, 0.5, 1.0, **base)
    assert tr.impact_speed[1] < 0.5 * tr.impact_speed[0]
    assert tr.reentry_speed[1] == pytest.approx(tr.reentry_speed[0], rel=1e-3)


def test_drag_curve_is_monotone_cubic_through_the_points():
    c = DragCurve("t", (0.0, 1.0, 2.0, 4.0), (0.2, 0.5, 0.3, 0.3))
    np.testing.assert_allclose(c([0.0, 1.0, 2.0, 4.0]), [0.2, 0.5, 0.3, 0.3])
    m = np.linspace(0, 1, 50)
    assert np.all(np.diff(c(m)) >= 0)  # no overshoot between monotone points
    assert c(9.0) == pytest.approx(0.3) and c(-1.0) == pytest.approx(0.2)


def test_crash_during_boost_is_an_impact_not_a_failure():
    tr = run(TWO, 0.5, 0.5, 1.0, kick=deg(85))
    assert tr.impacted[0]
    assert tr.flight_time[0] <= 110.0
    assert np.isnan(tr.reentry_time[0])


def test_escape_is_reported_as_no_impact():
    tr = run(Impulsive(), 0.0, 0.0, 0.0, speed=11500.0, elevation=deg(80), options=FlightOptions(t_max=3000.0))
    assert not tr.impacted[0]
    assert tr.to_dataframe()["status"][0] == "no impact"


def test_bad_vehicle_values_are_refused():
    with pytest.raises(ValueError, match="propellant mass"):
        Stage(1000, 1200, 250, 60)
    with pytest.raises(ValueError, match="burn_time"):
        Stage(1000, 800, 250, -1)
    with pytest.raises(ValueError, match="ballistic coefficient"):
        ReentryVehicle(100, 0)
    with pytest.raises(ValueError, match="output_step"):
        FlightOptions(output_step=-1.0)



def test_with_burnout_speed_rescales_a_staged_interceptor_and_its_flown_speed_follows():
    """Interceptor.with_burnout_speed: ideal delta-v minus the catalog's losses
    equals the asked speed; flown (vertically, full model), the burnout speed
    moves by the asked change to within 5 % of it (the losses are held at the
    catalog's value, not recomputed); an impulsive one just takes the speed."""
    from openbmd.catalog import default_catalog

    ic = default_catalog().interceptor("SM-3 Block IIA")
    assert ic.stages
    fast = ic.with_burnout_speed(ic.burnout_speed + 1000.0)
    assert fast.ideal_delta_v - (ic.ideal_delta_v - ic.burnout_speed) == pytest.approx(ic.burnout_speed + 1000.0, rel=1e-12)
    assert fast.burnout_speed == ic.burnout_speed + 1000.0 and len(fast.stages) == len(ic.stages)
    tr = run([ic.as_missile(), fast.as_missile()], 0.5, 0.5, 1.0, kick=deg(10))
    assert tr.burnout_speed[1] - tr.burnout_speed[0] == pytest.approx(1000.0, rel=0.05)
    imp = ic.replace(stages=()).with_burnout_speed(4000.0)
    assert imp.stages == () and imp.burnout_speed == 4000.0
