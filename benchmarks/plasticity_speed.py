"""Speed of the calcium plasticity layer: compile time and sessions per second.

Prints, in one run on this machine:

* compile time of ``calcium_plasticity`` (Antimony -> SBML -> libroadrunner);
* seconds per session (``mechtms.plasticity.session_summary``, first pulse to 1 s after
  the last) for every preset, and sessions per second;
* two peers on the same session (iTBS 600), as ratios:
  - the same session with ``RoadRunner.setValue("init(x)")`` writes (the documented API,
    which makes libroadrunner 2.11 regenerate the model on every write; mechtms.ode writes
    initial values through the model's setter instead);
  - a bare libroadrunner loop (``resetAll`` + value writes + ``simulate``) with no
    mechtms code around it: the floor the engine allows.
* the tolerance effect: after-effects at rtol 1e-6 (used) against 1e-8 (ode default).

Usage: ``.venv/bin/python benchmarks/plasticity_speed.py`` (about a minute on 2 cores).
"""

from __future__ import annotations

import time

import numpy as np


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    import roadrunner

    from mechtms import models
    from mechtms import plasticity as pl
    from mechtms import protocols as P

    models.clear_cache()
    t0 = time.perf_counter()
    sbml = models.sbml(pl.MODEL)
    t_sbml = time.perf_counter() - t0
    t0 = time.perf_counter()
    models.load_model(pl.MODEL)
    t_rr = time.perf_counter() - t0
    print(f"compile: Antimony->SBML {t_sbml * 1e3:.0f} ms, SBML->RoadRunner {t_rr * 1e3:.0f} ms")

    print(f"{'preset':26s} {'pulses':>6s} {'s/session':>10s} {'sessions/s':>10s}")
    for name in P.presets():
        p = P.preset(name)
        pl.session_summary(p)  # warm
        t = best_of(lambda p=p: pl.session_summary(p))
        print(f"{name:26s} {p.n_delivered:6d} {t:10.3f} {1 / t:10.1f}")

    p = P.preset("itbs_600")
    changes = {**pl.schedule_changes(p), **pl.drive_changes(None)}
    t_end = p.duration_s + 1.0
    fast = best_of(lambda: pl.session_summary(p))

    rr_init = roadrunner.RoadRunner(sbml)
    rr_init.getIntegrator().setValue("relative_tolerance", pl.RTOL)
    rr_init.getIntegrator().setValue("absolute_tolerance", pl.ATOL)

    def via_init():
        for k, v in changes.items():
            rr_init.setValue(f"init({k})", v)
        rr_init.resetAll()
        rr_init.simulate(0, t_end, 3)

    slow = best_of(via_init, repeat=2)
    rr = roadrunner.RoadRunner(sbml)
    rr.getIntegrator().setValue("relative_tolerance", pl.RTOL)
    rr.getIntegrator().setValue("absolute_tolerance", pl.ATOL)

    def bare():
        rr.resetAll()
        for k, v in changes.items():
            rr[k] = v
        rr.simulate(-1e-9, 0.0, 2)
        rr.timeCourseSelections = ["time", "W", "Ca_int", "pulse_count"]
        rr.simulate(0.0, t_end, 3)

    floor = best_of(bare)
    print(f"iTBS 600 session: mechtms {fast * 1e3:.0f} ms; with init() writes {slow * 1e3:.0f} ms "
          f"(x{slow / fast:.1f} slower); bare libroadrunner loop {floor * 1e3:.0f} ms "
          f"(mechtms overhead x{fast / floor:.2f})")

    diffs = []
    for name in ("rtms_1hz_900", "itbs_600", "ctbs_600", "rtms_20hz"):
        q = P.preset(name)
        diffs.append(abs(pl.after_effect(q) - pl.after_effect(q, rtol=1e-8, atol=1e-10)))
    print(f"after-effect difference rtol 1e-6 vs 1e-8: max {max(diffs):.2e} percentage points")
    assert np.isfinite(fast)


if __name__ == "__main__":
    main()
