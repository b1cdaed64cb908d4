"""Battle management: weapon-target assignment across batteries.

A raid is a set of *objects* (warheads and decoys the defence cannot tell
apart) and the defence a set of batteries with inventories. The engine says,
per object and battery, whether the battery can engage it and how many
shoot-look-shoot opportunities its window holds. The doctrine says how shots
are taken:

- ``shoot-look-shoot``: one salvo (``salvo`` interceptors, usually 1) per
  engagement; a further engagement follows only after a kill assessment, and
  only if the earlier ones failed; at most ``max_engagements`` per object.
  The interceptors are *reserved* for every planned engagement (the planner
  cannot know which will be needed) and *fired* only as needed: the expected
  number fired is reported beside the reserved number.
- ``shoot-shoot``: the salvo (usually 2) is fired at once, no look; a battery
  engages an object at most once; every reserved interceptor is fired.

With single-shot kill probability ``pk`` (q = 1 - pk), an object given
engagements x_j by battery j survives with probability prod_j q^(salvo x_j).
The value of an object is its expected number of warheads (1 for a warhead;
w / (w + d) for each of the w + d indistinguishable objects of a missile with
w warheads and d decoys). The assignment maximises the expected warheads
intercepted subject to the inventories:

- :func:`optimal`: an integer program over the feasible engagement patterns of
  each object (multi-choice knapsack), solved by HiGHS (``scipy.optimize.milp``);
  exact where the problem size allows (the number of pattern variables is
  reported and capped).
- :func:`greedy`: maximum marginal return: repeatedly give one engagement to
  the (object, battery) pair with the largest gain in expected warheads
  intercepted (value x current survival x pk of the salvo) that the inventory
  and the doctrine allow; ties go to the object with the fewest batteries able
  to engage it, then to the battery with the most spare interceptors (its
  inventory less the salvos still wanted of it), then to the earliest launch.
  Compiled; a few milliseconds for thousands of objects.
- :func:`exhaustive`: every combination (tiny problems; a test oracle).

Assumption stated in every report: engagements by different batteries on one
object count toward ``max_engagements`` together, and each battery's own
engagements are bounded by the shoot-look-shoot opportunities of its window;
the kill assessment between engagements of *different* batteries is assumed
to fit (their windows are not checked against each other).
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field

import numba
import numpy as np

from .errors import OpenBMDError

SHOT_DOCTRINES = ("shoot-look-shoot", "shoot-shoot")
UNLIMITED = 10**9  # an inventory "without limit"
PK_DEFAULT = 0.7
PK_RANGE = (0.4, 0.9)
PK_SOURCE = ("ASSUMPTION: no combat kill probability is published. Test records, against cooperative targets "
             "without countermeasures, bound it from above: Aegis BMD 22 intercepts in 27 at-sea attempts 2002-2011 "
             "(0.81; MDA news release 11-NEWS-0016, 1 Sep 2011); GMD 7 of 14 (0.5; Arms Control Today, March 2013). "
             "The lower end allows for countermeasures and combat conditions (NRC 2012; APS 2022).")


class WTAError(OpenBMDError, ValueError):
    """Bad assignment input (the message says which field and what was expected)."""


@dataclass(frozen=True)
class Doctrine:
    """How interceptors are fired (see the module docstring)."""

    shot: str = "shoot-look-shoot"
    salvo: int = 1
    max_engagements: int = 2
    pk: float = PK_DEFAULT
    pk_range: tuple = PK_RANGE
    pk_source: str = PK_SOURCE

    def __post_init__(self):
        if self.shot not in SHOT_DOCTRINES:
            raise WTAError(f"shot doctrine: expected one of {SHOT_DOCTRINES}, got {self.shot!r}")
        if not (isinstance(self.salvo, (int, np.integer)) and self.salvo >= 1):
            raise WTAError(f"salvo: expected an integer >= 1 interceptors per engagement, got {self.salvo!r}")
        if not (isinstance(self.max_engagements, (int, np.integer)) and self.max_engagements >= 1):
            raise WTAError(f"max_engagements: expected an integer >= 1, got {self.max_engagements!r}")
        check_probability(self.pk, "kill probability")
        lo, hi = self.pk_range
        check_probability(lo, "kill probability range (low)")
        check_probability(hi, "kill probability range (high)")
        if not lo <= self.pk <= hi:
            raise WTAError(f"kill probability range: expected low <= {self.pk:g} <= high, got [{lo:g}, {hi:g}]")

    @classmethod
    def shoot_shoot(cls, salvo: int = 2, **kw) -> "Doctrine":
        return cls(shot="shoot-shoot", salvo=salvo, max_engagements=kw.pop("max_engagements", 1), **kw)

    @property
    def look(self) -> bool:
        return self.shot == "shoot-look-shoot"

    def replace(self, **kw) -> "Doctrine":
        from dataclasses import replace

        return replace(self, **kw)

    def describe(self) -> list[str]:
        if self.look:
            s = (f"shot doctrine: shoot-look-shoot, {self.salvo} interceptor(s) per engagement, at most "
                 f"{self.max_engagements} engagements per object, each after the previous one's kill assessment; "
                 "interceptors are reserved for every planned engagement and fired only if the earlier ones failed")
        else:
            s = (f"shot doctrine: shoot-shoot, a salvo of {self.salvo} fired at once, at most "
                 f"{self.max_engagements} salvo(s) per object (one per battery)")
        return [s, f"single-shot kill probability {self.pk:g} (range {self.pk_range[0]:g}-{self.pk_range[1]:g}); "
                   f"source: {self.pk_source}",
                "engagements of different batteries on one object share the per-object limit; the kill assessment "
                "between engagements of different batteries is assumed to fit in their windows (not checked)",
                "no limit on a battery's launch rate or simultaneous engagements (not published): inventories, "
                "windows and shot opportunities are the constraints"]


def check_probability(p, what: str) -> float:
    try:
        v = float(p)
    except (TypeError, ValueError):
        raise WTAError(f"{what}: expected a probability in [0, 1], got {p!r}") from None
    if not (0.0 <= v <= 1.0):
        raise WTAError(f"{what}: expected a probability in [0, 1], got {p!r}")
    return v


@dataclass
class Problem:
    """One assignment problem (struct of arrays).

    ``value[i]``: expected warheads object i carries; ``cap[i, j]``: the most
    engagements battery j can make on object i (0: cannot engage it);
    ``order[i, j]``: the earliest launch time (a time key for ordering);
    ``inventory[j]``: interceptors (``UNLIMITED`` for no limit); ``pk[j]``:
    single-shot kill probability of battery j's interceptor."""

    value: np.ndarray
    cap: np.ndarray
    inventory: np.ndarray
    doctrine: Doctrine
    pk: np.ndarray | None = None
    order: np.ndarray | None = None

    def __post_init__(self):
        self.value = np.asarray(self.value, dtype=float).reshape(-1)
        n = self.value.size
        self.cap = np.asarray(self.cap).reshape(n, -1) if n else np.zeros((0, np.size(self.inventory)), dtype=np.int64)
        m = self.cap.shape[1]
        inv = np.asarray(self.inventory)
        if inv.shape != (m,):
            raise WTAError(f"inventory: expected one count per battery ({m}), got shape {inv.shape}")
        if np.any(~np.isfinite(inv.astype(float))) or np.any(inv < 0) or np.any(inv != np.round(inv)):
            raise WTAError(f"inventory: expected whole numbers of interceptors >= 0, got {inv.tolist()}")
        self.inventory = np.minimum(inv, UNLIMITED).astype(np.int64)
        if np.any(~np.isfinite(self.value)) or np.any(self.value < 0):
            raise WTAError("object values (expected warheads per object) must be finite and >= 0")
        if np.any(self.cap < 0):
            raise WTAError("engagement capacities must be >= 0")
        d = self.doctrine
        self.cap = np.minimum(self.cap.astype(np.int64), d.max_engagements if d.look else 1)
        pk = np.full(m, d.pk) if self.pk is None else np.asarray(self.pk, dtype=float).reshape(-1)
        if pk.shape != (m,):
            raise WTAError(f"pk: expected one kill probability per battery ({m}), got shape {pk.shape}")
        for p in pk:
            check_probability(p, "kill probability")
        self.pk = pk
        self.order = np.zeros((n, m)) if self.order is None else np.asarray(self.order, dtype=float).reshape(n, m)

    @property
    def n(self) -> int:
        return self.value.size

    @property
    def m(self) -> int:
        return self.cap.shape[1]

    def log_q(self) -> np.ndarray:
        """log of the survival probability of one salvo, per battery (-inf for pk = 1)."""
        with np.errstate(divide="ignore"):
            return self.doctrine.salvo * np.log1p(-self.pk)

    def replace(self, **kw) -> "Problem":
        d = dict(value=self.value, cap=self.cap, inventory=self.inventory, doctrine=self.doctrine, pk=self.pk,
                 order=self.order)
        d.update(kw)
        return Problem(**d)


@dataclass
class Assignment:
    """Engagements per object and battery, and what they are expected to do."""

    problem: Problem
    x: np.ndarray  # (n, m) engagements
    method: str
    seconds: float
    status: str = "optimal"
    bound: float | None = None  # an upper bound on the expected warheads intercepted (from the solver)
    variables: int = 0
    notes: list = field(default_factory=list)

    @property
    def survival(self) -> np.ndarray:
        lq = self.problem.log_q()
        with np.errstate(invalid="ignore"):
            s = np.exp(np.where(self.x > 0, self.x * lq[None, :], 0.0).sum(axis=1))
        return s

    @property
    def p_kill(self) -> np.ndarray:
        return 1.0 - self.survival

    @property
    def expected_intercepted(self) -> float:
        """Expected warheads intercepted."""
        return float(np.dot(self.problem.value, self.p_kill))

    @property
    def expected_leaking(self) -> float:
        return float(self.problem.value.sum()) - self.expected_intercepted

    @property
    def reserved(self) -> np.ndarray:
        """Interceptors reserved (planned) per battery."""
        return self.problem.doctrine.salvo * self.x.sum(axis=0)

    def fired(self) -> np.ndarray:
        """Expected interceptors fired, (objects, batteries): shoot-shoot fires
        every reserved interceptor; shoot-look-shoot fires an engagement only
        if the earlier ones (in order of launch time) failed."""
        p = self.problem
        s = p.doctrine.salvo
        if not p.doctrine.look:
            return (s * self.x).astype(float)
        return _fired_look(self.x, p.order, p.log_q(), float(s))

    def kills_by_battery(self) -> np.ndarray:
        """Expected warheads intercepted per (object, battery): each object's
        kill probability shared in proportion to each battery's part of its
        -log survival (exact for one battery; a stated convention otherwise)."""
        lq = self.problem.log_q()
        lq = np.where(np.isfinite(lq), lq, -50.0)
        w = -self.x * lq[None, :]
        tot = w.sum(axis=1, keepdims=True)
        share = np.divide(w, tot, out=np.zeros_like(w), where=tot > 0)
        return share * (self.problem.value * self.p_kill)[:, None]


def _prune(a: "Assignment") -> "Assignment":
    """Drop engagements that add nothing (after a certain kill), so that a
    plan never reserves interceptors it cannot use."""
    p = a.problem
    lq = p.log_q()
    dead = ~np.isfinite(lq)  # pk = 1: one engagement is certain
    if not dead.any() or not a.x.size:
        return a
    x = a.x.copy()
    for i in np.nonzero(x[:, dead].sum(axis=1) > 0)[0]:
        keep = np.nonzero(dead & (x[i] > 0))[0][0]
        x[i] = 0
        x[i, keep] = 1
    a.x = x
    return a


@numba.njit(cache=True)
def _fired_look(x, order, lq, salvo):
    n, m = x.shape
    out = np.zeros((n, m))
    for i in range(n):
        idx = np.argsort(order[i])
        surv = 1.0
        for jj in range(m):
            j = idx[jj]
            for _ in range(x[i, j]):
                out[i, j] += salvo * surv
                surv *= math.exp(lq[j]) if lq[j] > -700 else 0.0
    return out


# ------------------------------------------------------------ greedy ----
@numba.njit(cache=True)
def _greedy(value, cap, order, inv, lq, salvo, kmax, x):
    n, m = cap.shape
    inv = inv.copy()
    logs = np.zeros(n)
    tot = np.zeros(n, dtype=np.int64)
    nopt = np.zeros(n, dtype=np.int64)
    demand = np.zeros(m, dtype=np.int64)  # objects still wanting an engagement of battery j
    for i in range(n):
        for j in range(m):
            if cap[i, j] > 0:
                nopt[i] += 1
                if value[i] > 0:
                    demand[j] += 1
    pk1 = np.empty(m)
    for j in range(m):
        pk1[j] = 1.0 - math.exp(lq[j]) if lq[j] > -700 else 1.0
    while True:
        bi, bj = -1, -1
        bg = 0.0
        for i in range(n):
            if tot[i] >= kmax or value[i] <= 0:
                continue
            base = value[i] * math.exp(logs[i])
            if base <= 0:
                continue
            for j in range(m):
                if x[i, j] >= cap[i, j] or inv[j] < salvo:
                    continue
                g = base * pk1[j]
                if g <= 0:
                    continue
                better = False
                if bi < 0 or g > bg * (1 + 1e-12):
                    better = True
                elif g >= bg * (1 - 1e-12):
                    if nopt[i] < nopt[bi]:
                        better = True
                    elif nopt[i] == nopt[bi]:
                        sj = inv[j] - salvo * demand[j]
                        sb = inv[bj] - salvo * demand[bj]
                        if sj > sb or (sj == sb and order[i, j] < order[bi, bj]):
                            better = True
                if better:
                    bi, bj, bg = i, j, g
        if bi < 0:
            break
        # the object's demand on each battery before the engagement
        for j in range(m):
            if x[bi, j] < cap[bi, j] and tot[bi] < kmax:
                demand[j] -= 1
        x[bi, bj] += 1
        tot[bi] += 1
        inv[bj] -= salvo
        logs[bi] += lq[bj] if lq[bj] > -700 else -700.0
        for j in range(m):
            if x[bi, j] < cap[bi, j] and tot[bi] < kmax:
                demand[j] += 1
    return x


def greedy(problem: Problem) -> Assignment:
    """Maximum-marginal-return greedy assignment (see the module docstring)."""
    t0 = time.perf_counter()
    p = problem
    x = np.zeros((p.n, p.m), dtype=np.int64)
    if p.n and p.m:
        lq = p.log_q()
        _greedy(p.value, np.ascontiguousarray(p.cap), np.ascontiguousarray(p.order), p.inventory.copy(),
                np.where(np.isfinite(lq), lq, -1e3), np.int64(p.doctrine.salvo),
                np.int64(p.doctrine.max_engagements), x)
    return _prune(Assignment(p, x, "greedy", time.perf_counter() - t0, status="heuristic"))


# ----------------------------------------------------------- optimal ----
def patterns(m: int, kmax: int) -> np.ndarray:
    """Every engagement vector over m batteries with 1..kmax engagements in all."""
    out = []
    for k in range(1, kmax + 1):
        for combo in itertools.combinations_with_replacement(range(m), k):
            v = np.zeros(m, dtype=np.int64)
            for j in combo:
                v[j] += 1
            out.append(v)
    return np.array(out, dtype=np.int64).reshape(-1, m)


def _options(p: Problem, max_variables: int):
    """(object index, pattern) pairs that respect each object's capacities,
    only over the batteries that can engage anything."""
    live = np.nonzero(p.cap.max(axis=0, initial=0) > 0)[0] if p.n else np.zeros(0, dtype=int)
    objs = np.nonzero((p.cap.sum(axis=1) > 0) & (p.value > 0))[0]
    kmax = p.doctrine.max_engagements
    if len(live) == 0 or len(objs) == 0:
        return live, objs, np.zeros((0, len(live)), dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    npat = math.comb(len(live) + kmax, kmax) - 1
    if npat * len(objs) > 50 * max_variables:
        raise _TooLarge(npat * len(objs))
    P = patterns(len(live), kmax)
    cap = p.cap[np.ix_(objs, live)]
    oi, pi = [], []
    for s in range(0, len(objs), 4096):  # chunks keep the (objects, patterns, batteries) test small
        ok = np.all(P[None, :, :] <= cap[s:s + 4096, None, :], axis=2)
        a, b = np.nonzero(ok)
        oi.append(a + s)
        pi.append(b)
    oi = np.concatenate(oi)
    pi = np.concatenate(pi)
    if len(oi) > max_variables:
        raise _TooLarge(len(oi))
    return live, objs, P, oi, pi


class _TooLarge(Exception):
    def __init__(self, n):
        self.n = n


def optimal(problem: Problem, *, time_limit: float = 60.0, max_variables: int = 400_000) -> Assignment:
    """The assignment maximising the expected warheads intercepted, by integer
    programming (HiGHS via ``scipy.optimize.milp``). Raises :class:`WTAError`
    when the problem has more than ``max_variables`` pattern variables."""
    from scipy import sparse
    from scipy.optimize import Bounds, LinearConstraint, milp

    t0 = time.perf_counter()
    p = problem
    x = np.zeros((p.n, p.m), dtype=np.int64)
    try:
        live, objs, P, oi, pi = _options(p, max_variables)
    except _TooLarge as exc:
        raise WTAError(f"the integer program would have {exc.n:,} variables (> {max_variables:,}): use the greedy "
                       "assignment for a raid this large") from None
    nv = len(oi)
    if nv == 0:
        return Assignment(p, x, "optimal", time.perf_counter() - t0, bound=0.0, variables=0)
    lq = p.log_q()[live]
    lq = np.where(np.isfinite(lq), lq, -700.0)
    killp = 1.0 - np.exp(P @ lq)  # per pattern
    use = p.doctrine.salvo * P  # interceptors per pattern and battery
    gain = p.value[objs][oi] * killp[pi]
    # a tie-break that never trades intercepts for interceptors: prefer fewer engagements among equal gains
    eps = 1e-9 * max(1.0, float(p.value.max(initial=1.0)))
    c = -(gain - eps * P[pi].sum(axis=1))
    rows_obj = sparse.csr_matrix((np.ones(nv), (oi, np.arange(nv))), shape=(len(objs), nv))
    cons = [LinearConstraint(rows_obj, -np.inf, 1.0)]
    inv = p.inventory[live].astype(float)
    limited = inv < UNLIMITED
    if limited.any():
        U = sparse.csr_matrix(use[pi][:, limited].T.astype(float))
        cons.append(LinearConstraint(U, -np.inf, inv[limited]))
    res = milp(c, constraints=cons, integrality=np.ones(nv), bounds=Bounds(0, 1),
               options={"time_limit": float(time_limit), "mip_rel_gap": 1e-9, "presolve": True})
    if res.x is None:
        raise WTAError(f"the integer program found no solution ({res.message})")
    z = res.x > 0.5
    xs = np.zeros((len(objs), len(live)), dtype=np.int64)
    np.add.at(xs, oi[z], P[pi[z]])
    x[np.ix_(objs, live)] = xs
    status = "optimal" if res.status == 0 else f"time limit ({res.message})"
    bound = getattr(res, "mip_dual_bound", None)
    bound = None if bound is None or not np.isfinite(bound) else float(-bound)
    return _prune(Assignment(p, x, "optimal", time.perf_counter() - t0, status=status, bound=bound, variables=nv))


def exhaustive(problem: Problem, *, limit: int = 2_000_000) -> Assignment:
    """Every feasible combination of per-object patterns (a test oracle for small problems)."""
    t0 = time.perf_counter()
    p = problem
    live, objs, P, oi, pi = _options(p, limit)
    choices = [[None] + [int(b) for a, b in zip(oi, pi) if a == k] for k in range(len(objs))]
    total = math.prod(len(c) for c in choices)
    if total > limit:
        raise WTAError(f"exhaustive search over {total:,} combinations is too large (limit {limit:,})")
    lq = p.log_q()[live]
    lq = np.where(np.isfinite(lq), lq, -700.0)
    inv = p.inventory[live]
    best, best_x = -1.0, None
    for combo in itertools.product(*choices):
        used = np.zeros(len(live), dtype=np.int64)
        val = 0.0
        for k, pat in enumerate(combo):
            if pat is None:
                continue
            used += p.doctrine.salvo * P[pat]
            val += p.value[objs[k]] * (1.0 - math.exp(float(P[pat] @ lq)))
        if np.any(used > inv):
            continue
        if val > best + 1e-12:
            best, best_x = val, combo
    x = np.zeros((p.n, p.m), dtype=np.int64)
    if best_x is not None:
        for k, pat in enumerate(best_x):
            if pat is not None:
                x[objs[k], live] += P[pat]
    return Assignment(p, x, "exhaustive", time.perf_counter() - t0, status="optimal")


def assign(problem: Problem, method: str = "auto", *, time_limit: float = 60.0,
           max_variables: int = 400_000) -> dict:
    """Solve one problem. ``method``: ``optimal``, ``greedy`` or ``auto``
    (both where the integer program fits within ``max_variables``, else
    greedy alone). Returns ``{"assignment": the one to use, "greedy": ...,
    "optimal": ... or None, "gap": (optimal - greedy) / optimal or None}``."""
    if method not in ("auto", "optimal", "greedy"):
        raise WTAError(f"assignment method: expected auto, optimal or greedy, got {method!r}")
    g = greedy(problem)
    o = None
    note = None
    if method in ("auto", "optimal"):
        try:
            o = optimal(problem, time_limit=time_limit, max_variables=max_variables)
        except WTAError as exc:
            if method == "optimal":
                raise
            note = str(exc)
    gap = None
    if o is not None:
        ov = o.expected_intercepted
        gap = 0.0 if ov <= 0 else max(0.0, (ov - g.expected_intercepted) / ov)
    use = o if o is not None and o.expected_intercepted >= g.expected_intercepted - 1e-12 else g
    if note:
        use.notes.append(note)
    return {"assignment": use, "greedy": g, "optimal": o, "gap": gap}
