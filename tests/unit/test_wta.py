"""Battle management (weapon-target assignment): the integer program against
exhaustive search, monotonicity in inventory, doctrine comparisons, the
greedy rule's gap, closed-form kill probabilities, and bad input."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openbmd import wta
from openbmd.wta import Doctrine, Problem, WTAError


@st.composite
def small_problems(draw, shoot_shoot=None):
    n = draw(st.integers(1, 4))
    m = draw(st.integers(1, 3))
    cap = np.array(draw(st.lists(st.integers(0, 3), min_size=n * m, max_size=n * m))).reshape(n, m)
    value = np.array(draw(st.lists(st.sampled_from([1.0, 0.5, 1 / 3, 0.25]), min_size=n, max_size=n)))
    inv = np.array(draw(st.lists(st.integers(0, 5), min_size=m, max_size=m)))
    pk = draw(st.floats(0.2, 0.95))
    ss = draw(st.booleans()) if shoot_shoot is None else shoot_shoot
    d = Doctrine.shoot_shoot(pk=pk, pk_range=(0.0, 1.0)) if ss else Doctrine(pk=pk, pk_range=(0.0, 1.0))
    return Problem(value, cap, inv, d)


@settings(max_examples=120, deadline=None)
@given(small_problems())
def test_optimal_agrees_with_exhaustive_search(p):
    o = wta.optimal(p)
    e = wta.exhaustive(p)
    assert o.expected_intercepted == pytest.approx(e.expected_intercepted, abs=1e-7)
    for a in (o, e, wta.greedy(p)):
        assert np.all(a.reserved <= p.inventory)  # inventories respected
        assert np.all(a.x <= p.cap)  # windows (shot opportunities) respected
        assert np.all(a.x.sum(axis=1) <= p.doctrine.max_engagements)
        assert a.expected_intercepted <= o.expected_intercepted + 1e-9  # nothing beats the optimum


@settings(max_examples=80, deadline=None)
@given(small_problems(), st.integers(0, 2), st.integers(1, 4))
def test_more_interceptors_never_raise_expected_leakers(p, j, extra):
    j = j % p.m
    more = p.inventory.copy()
    more[j] += extra
    base = wta.optimal(p).expected_leaking
    richer = wta.optimal(p.replace(inventory=more)).expected_leaking
    assert richer <= base + 1e-9


@settings(max_examples=80, deadline=None)
@given(small_problems(shoot_shoot=False))
def test_shoot_look_shoot_never_uses_more_interceptors_than_shoot_shoot(p):
    pk = p.doctrine.pk
    sls_d = Doctrine(salvo=1, max_engagements=2, pk=pk, pk_range=(0.0, 1.0))
    ss_d = Doctrine.shoot_shoot(salvo=2, pk=pk, pk_range=(0.0, 1.0))
    # the same plan: every planned interceptor is fired under shoot-shoot, only the needed ones with looks
    a = wta.optimal(p.replace(doctrine=sls_d))
    assert a.fired().sum() <= a.reserved.sum() + 1e-9
    # the best plans, with interceptors to spare: two shots per object either way, fewer fired with looks
    free = np.full(p.m, wta.UNLIMITED)
    a_sls = wta.optimal(p.replace(doctrine=sls_d, inventory=free))
    a_ss = wta.optimal(p.replace(doctrine=ss_d, inventory=free))
    assert a_sls.fired().sum() <= a_ss.fired().sum() + 1e-9
    # where every engageable object has two opportunities, looks lose nothing
    if np.all((p.cap == 0) | (p.cap >= 2)):
        assert a_sls.expected_intercepted >= a_ss.expected_intercepted - 1e-9


def test_closed_form_kill_probabilities_and_expected_shots():
    pk = 0.7
    q = 1 - pk
    # one warhead, one battery with two shoot-look-shoot opportunities and plenty of interceptors
    p = Problem([1.0], [[2]], [10], Doctrine(pk=pk))
    a = wta.optimal(p)
    assert a.x.tolist() == [[2]]
    assert a.p_kill[0] == pytest.approx(1 - q**2)
    assert a.fired().sum() == pytest.approx(1 + q)  # the second shot only if the first missed
    assert a.reserved.sum() == 2
    # shoot-shoot: a salvo of two, both fired
    s = wta.optimal(Problem([1.0], [[2]], [10], Doctrine.shoot_shoot(pk=pk)))
    assert s.x.tolist() == [[1]] and s.fired().sum() == pytest.approx(2.0)
    assert s.p_kill[0] == pytest.approx(1 - q**2)
    # a missile with 1 warhead and 2 decoys: three objects of 1/3 warhead each
    d = wta.optimal(Problem([1 / 3] * 3, [[1]] * 3, [1], Doctrine(pk=pk)))
    assert d.expected_intercepted == pytest.approx(pk / 3)


def test_scarce_battery_is_saved_for_the_object_only_it_can_reach():
    # object 0 is reachable by A and B, object 1 only by A; one interceptor each
    p = Problem([1.0, 1.0], [[1, 1], [1, 0]], [1, 1], Doctrine(pk=0.8, max_engagements=1))
    for a in (wta.optimal(p), wta.greedy(p)):
        assert a.x.tolist() == [[0, 1], [1, 0]]
        assert a.expected_intercepted == pytest.approx(1.6)


def test_greedy_gap_is_small_on_random_raids():
    rng = np.random.default_rng(7)
    gaps = []
    for _ in range(20):
        n, m = 60, 4
        cap = (rng.random((n, m)) < 0.4) * rng.integers(1, 3, size=(n, m))
        p = Problem(rng.choice([1.0, 0.5], n), cap, rng.integers(2, 20, m), Doctrine(pk=float(rng.uniform(0.5, 0.9))))
        r = wta.assign(p)
        assert r["optimal"] is not None and r["gap"] is not None
        assert r["greedy"].expected_intercepted <= r["optimal"].expected_intercepted + 1e-9
        gaps.append(r["gap"])
    assert max(gaps) < 0.05  # the documented greedy rule stays within 5 % of the optimum here


def test_unlimited_inventory_and_certain_kill_engage_everything_engageable():
    cap = np.array([[1, 0], [0, 2], [0, 0], [1, 1]])
    p = Problem([1.0, 2.0, 1.0, 0.5], cap, [wta.UNLIMITED, wta.UNLIMITED], Doctrine(pk=1.0, pk_range=(0.5, 1.0)))
    for a in (wta.optimal(p), wta.greedy(p)):
        assert a.expected_intercepted == pytest.approx(3.5)  # all but the unreachable object
        assert a.x.sum(axis=1).tolist() == [1, 1, 0, 1]  # one certain shot each, no waste


def test_zero_inventory_attrits_nothing():
    p = Problem([1.0] * 5, np.ones((5, 2), dtype=int), [0, 0], Doctrine())
    for a in (wta.optimal(p), wta.greedy(p)):
        assert a.expected_intercepted == 0.0 and a.x.sum() == 0


@pytest.mark.parametrize("kw, match", [
    (dict(pk=1.2), "probability in \\[0, 1\\]"),
    (dict(pk=-0.1), "probability in \\[0, 1\\]"),
    (dict(salvo=0), "salvo"),
    (dict(shot="shoot-and-pray"), "shot doctrine"),
    (dict(pk=0.3, pk_range=(0.4, 0.9)), "range"),
])
def test_bad_doctrine_is_a_clear_error(kw, match):
    with pytest.raises(WTAError, match=match):
        Doctrine(**kw)


def test_bad_problem_input_is_a_clear_error():
    with pytest.raises(WTAError, match="inventory"):
        Problem([1.0], [[1]], [-3], Doctrine())
    with pytest.raises(WTAError, match="inventory"):
        Problem([1.0], [[1, 1]], [3], Doctrine())
    with pytest.raises(WTAError, match="kill probability"):
        Problem([1.0], [[1]], [3], Doctrine(), pk=[1.5])
    with pytest.raises(WTAError, match="method"):
        wta.assign(Problem([1.0], [[1]], [3], Doctrine()), "magic")


def test_integer_program_size_limit_is_reported():
    p = Problem(np.ones(200), np.ones((200, 3), dtype=int), [5, 5, 5], Doctrine())
    with pytest.raises(WTAError, match="greedy"):
        wta.optimal(p, max_variables=100)
    r = wta.assign(p, max_variables=100)  # auto falls back to greedy, and says so
    assert r["optimal"] is None and r["assignment"].method == "greedy"
    assert any("variables" in n for n in r["assignment"].notes)


def test_patterns_count():
    for m in range(1, 5):
        for k in range(1, 4):
            assert len(wta.patterns(m, k)) == math.comb(m + k, k) - 1
