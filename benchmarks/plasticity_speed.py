"""Speed of the plasticity layer: a network-driven synapse population against mechtms 0.1.

Prints, in one run on this machine:

* mechtms 0.1's mean-field synapse (``benchmarks/legacy``: one representative synapse,
  three numbers per pulse, libroadrunner): seconds per iTBS 600 and 1 Hz x 900 session;
* the network-driven population (``mechtms.plasticity.run_session``): the same sessions
  with the network included (run fresh, no cache), split into network and synapses, for
  the default population (100 synapses) — targets: iTBS 600 < 20 s, 1 Hz x 900 < 60 s on
  one core after compilation;
* the tolerance effect: after-effects at the integrator's default tolerances (rtol 1e-5)
  against rtol 1e-8, on cached network activity.

Usage: ``.venv/bin/python benchmarks/plasticity_speed.py`` (about 2 minutes on one core;
run it on a quiet machine: the numbers are wall-clock).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    from legacy import mean_field

    from mechtms import plasticity as pl
    from mechtms import protocols as P
    from mechtms.plasticity import drive as drv

    sessions = {"iTBS 600": (P.preset("itbs_600"), 20.0), "1 Hz x 900": (P.preset("rtms_1hz_900"), 60.0)}

    rr = mean_field.load()
    legacy = {}
    for label, (p, _) in sessions.items():
        mean_field.after_effect(rr, p)
        legacy[label] = best_of(lambda p=p: mean_field.after_effect(rr, p))

    # compile every kernel once (network and synapses) on a tiny session
    pl.run_session(P.itbs(30), cache=False)
    print(f"{'session':12s} {'0.1 mean-field':>15s} {'network':>9s} {'synapses':>9s} {'total':>8s} "
          f"{'target':>7s} {'x 0.1':>8s} {'dW %':>7s}")
    for label, (p, target) in sessions.items():
        t0 = time.perf_counter()
        activity = drv.network_activity(p, cache=False)
        t_net = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = pl.run_session(p, activity=activity)
        t_syn = time.perf_counter() - t0
        total = t_net + t_syn
        ok = "ok" if total < target else "SLOW"
        print(f"{label:12s} {legacy[label]:14.3f}s {t_net:8.1f}s {t_syn:8.1f}s {total:7.1f}s {target:6.0f}s "
              f"{total / legacy[label]:8.0f} {res.dW_percent:+7.1f}  {ok}")

    # synapses over threads (numba.prange) against the serial loop, same activity, bit-identical
    from mechtms.plasticity import _kernel as K

    p = sessions["1 Hz x 900"][0] if "1 Hz x 900" in sessions else next(iter(sessions.values()))[0]
    activity = drv.network_activity(p)
    t_par = best_of(lambda: pl.run_session(p, activity=activity), repeat=2)
    parallel_kernel = K.run_population
    K.run_population = K.run_population_serial
    try:
        t_ser = best_of(lambda: pl.run_session(p, activity=activity), repeat=2)
    finally:
        K.run_population = parallel_kernel
    import numba

    print(f"synapse population of {p.name}: serial {t_ser:.2f} s, parallel ({numba.get_num_threads()} threads) "
          f"{t_par:.2f} s, ratio {t_ser / t_par:.2f}x")

    diffs = []
    for name in ("itbs_600", "ctbs_600", "rtms_1hz_900"):
        p = P.preset(name)
        a = pl.after_effect(p)
        b = pl.after_effect(p, rtol=1e-8, atol=1e-11)
        diffs.append(abs(a - b))
    print(f"after-effect difference rtol 1e-5 vs 1e-8: max {max(diffs):.2e} percentage points")


if __name__ == "__main__":
    main()
