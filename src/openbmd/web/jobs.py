"""The web API's background jobs: the long analyses (phases, footprint,
speed map, balance, raid, track, assess), each in a thread of its own, run
one at a time under :data:`openbmd.compute.COMPUTE_LOCK`, with progress,
cancellation and at most :data:`MAX_QUEUED_PER_KIND` queued or running per
kind. A finished job's result is kept in the store."""

from __future__ import annotations

import math
import re
import threading
import uuid

import numpy as np
from fastapi import HTTPException

from ..compute import COMPUTE_LOCK  # one analysis at a time (shared with openbmd serve)
from ..jsonsafe import jsonable
from . import views
from .loading import found, load_scenario

MAX_QUEUED_PER_KIND = 3  # queued or running jobs of one kind; beyond: 429
JOB_ID = re.compile(r"^[0-9a-f]{12}$")


class Job:
    def __init__(self, kind, scenario, params=None):
        self.id = uuid.uuid4().hex[:12]
        self.kind, self.scenario, self.params = kind, scenario, params or {}
        self.state, self.done, self.total, self.result, self.error = "queued", 0, None, None, None
        self.cancelled = threading.Event()


class Cancelled(Exception):
    pass


def speed_map_bands(step_deg: float) -> int:
    """The number of latitude bands (sweep tasks) of a speed map over its default region."""
    import inspect

    from ..synthesis import BAND_ROWS, speed_map

    la0, la1 = inspect.signature(speed_map).parameters["region"].default[:2]
    return max(1, math.ceil(len(np.arange(la0 + step_deg / 2, la1, step_deg)) / BAND_ROWS))


class JobRunner:
    """The jobs of one app (by id) and the threads that run them."""

    def __init__(self, store):
        self.store = store
        self.jobs: dict[str, Job] = {}

    def submit(self, kind: str, scenario: str, params: dict) -> Job:
        """A new job, started in its own thread; a 429 when its kind has
        :data:`MAX_QUEUED_PER_KIND` jobs queued or running already."""
        waiting = sum(1 for j in self.jobs.values() if j.kind == kind and j.state in ("queued", "running"))
        if waiting >= MAX_QUEUED_PER_KIND:
            raise HTTPException(429, f"{waiting} {kind} jobs already queued or running (at most "
                                     f"{MAX_QUEUED_PER_KIND} per kind): wait for one to finish or cancel one")
        job = Job(kind, scenario, params)
        if kind == "speed_map":
            job.total = speed_map_bands(params["step_deg"])  # known before it starts: the bar begins at 0 of N
        self.jobs[job.id] = job
        threading.Thread(target=self.run, args=(job,), daemon=True).start()
        return job

    def get(self, jid: str) -> Job:
        """The job ``jid``: a 422 for a malformed id, a 404 for an unknown one."""
        if not JOB_ID.match(jid):
            raise HTTPException(422, f"job id: expected the 12 hex characters that POST /api/jobs returned, got {jid[:40]!r}")
        return found(self.jobs.get(jid), f"job {jid!r}")

    def run(self, job: Job) -> None:
        """Run ``job`` to its end: done (its result saved), cancelled or failed (with the reason)."""

        def tick(n=1):
            if job.cancelled.is_set():
                raise Cancelled()
            job.done += n

        try:
            sc = load_scenario(self.store, job.scenario)
            job.state = "running"
            with COMPUTE_LOCK:
                job.result = RUNS.get(job.kind, run_assess)(job, sc, tick)
            job.state = "done"
            self.store.save_result(job.scenario, job.kind, job.result)
        except Cancelled:
            job.state = "cancelled"
        except HTTPException as exc:
            job.state, job.error = "failed", exc.detail
        except Exception as exc:  # noqa: BLE001 - reported to the client
            job.state, job.error = "failed", f"{type(exc).__name__}: {exc}"


# Each kind: (job, scenario, tick) -> the result; sets job.total, reports progress through tick.
def run_phases(job, sc, tick) -> dict:
    from ..analysis import phases

    job.total = len(sc.phases or [sc]) * 2
    return {"phases": jsonable(phases(sc, progress=tick).records())}


def run_footprint(job, sc, tick) -> dict:
    from ..analysis import footprint

    if sc.is_comparison or sc.footprint is None:
        raise HTTPException(422, "footprint needs one architecture with [analyses.footprint]")
    job.total = 1
    return views.footprint_result(footprint(sc, progress=tick, step_deg=job.params.get("step_deg", 1.0)))


def run_speed_map(job, sc, tick) -> dict:
    from ..guarantee import load_guarantee
    from ..synthesis import speed_map

    if sc.is_comparison:
        raise HTTPException(422, "a speed map needs one architecture (its protected threats)")
    g = load_guarantee(job.params.get("guarantee", "north-speed-limit"))
    job.total = speed_map_bands(job.params.get("step_deg", 1.0))

    def bands_done(n):  # run_sweep reports the number of finished bands
        tick(0)
        job.done = min(int(n), job.total)

    sm = speed_map(g, sc, step_deg=job.params.get("step_deg", 1.0),
                   launch_delay=job.params.get("launch_delay_s", 120.0), progress=bands_done)
    job.done = job.total
    return views.speed_map_result(g, sm, job.params.get("step_deg", 1.0))


def run_balance(job, sc, tick) -> dict:
    from ..analysis.balance import balance

    job.total = len(sc.phases or [sc])
    b = balance(sc, progress=tick)
    return jsonable({"balance": b.records(), "assumptions": b.assumptions()})


def run_raid_or_track(job, sc, tick) -> dict:
    from ..analysis.raid import raid
    from ..analysis.track import track_effect

    members = sc.phases or [sc]
    job.total = len(members)
    out = []
    for m in members:
        if job.kind == "raid":
            out.append(views.raid_result(m.name, raid(m)))
        else:
            out.append({"scenario": m.name, "table": views.records(track_effect(m).table())})
        tick(1)
    return jsonable({job.kind: out})


def run_assess(job, sc, tick) -> dict:
    from ..analysis import assess

    job.total = 1
    return {"per_role": views.records(assess(sc, progress=tick).per_role())}


RUNS = {"phases": run_phases, "footprint": run_footprint, "speed_map": run_speed_map, "balance": run_balance,
        "raid": run_raid_or_track, "track": run_raid_or_track, "assess": run_assess}
