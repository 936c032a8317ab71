"""Virtual-cohort throughput: subjects per hour for a 10-session course on 2 cores.

Each subject runs both arms (active iTBS 600 daily for 10 days, and sham) through the whole
chain (:func:`mechtms.simulate`, small network) as points of :func:`mechtms.scan`. The
serial loop (engine "serial", this process, already warm) is the peer, measured in the same
run; the local (process pool) and dask engines use 2 workers, and their wall time includes
starting the workers and compiling models and kernels in them (a few seconds each), which is
why a cohort needs some tens of subjects to approach 2x. Target: >= 1.7x the serial loop.

    python benchmarks/cohort_speed.py [--subjects 8]

Run on a quiet machine: 2 cores shared with other jobs halve the parallel figures.
"""

from __future__ import annotations

import argparse
import os
import time


def main() -> None:
    import numpy as np

    import mechtms as mt
    from mechtms import protocols
    from mechtms.coupling import NetworkOptions

    ap = argparse.ArgumentParser()
    ap.add_argument("--subjects", type=int, default=int(os.environ.get("COHORT_SUBJECTS", 24)))
    args = ap.parse_args()
    course = protocols.course(protocols.preset("itbs_600"), days=10, start_day=0)
    opts = NetworkOptions(n_neurons=200, max_pulses=20)
    kw = dict(condition="healthy", n=args.subjects, seed=0, network=opts, expected_sign=1)
    # warm-up: compile numba kernels and models in this process (the workers compile their own)
    mt.cohort(course, **{**kw, "n": 1})
    results, times = {}, {}
    cpu_serial = 0.0
    for engine in ("serial", "local", "dask"):
        t0, c0 = time.perf_counter(), time.process_time()
        results[engine] = mt.cohort(course, engine=engine, workers=2, **kw)
        times[engine] = time.perf_counter() - t0
        if engine == "serial":
            cpu_serial = time.process_time() - c0
    for engine in ("local", "dask"):
        same = np.array_equal(results[engine].measured.values, results["serial"].measured.values)
        if not same:
            raise SystemExit(f"{engine} differs from serial: cohorts must be identical on every engine")
    print(f"cohort of {args.subjects} subjects x 2 arms, 10-session iTBS course, chain with a "
          f"{opts.n_neurons}-neuron network; os.cpu_count() = {os.cpu_count()}")
    for engine, t in times.items():
        rate = args.subjects / t * 3600
        print(f"  {engine:<7} {t:7.1f} s  {rate:8.0f} subjects/h  {times['serial'] / t:5.2f}x serial")
    print("identical results on every engine: yes")
    share = cpu_serial / times["serial"]
    print(f"serial loop: {cpu_serial:.1f} CPU s in {times['serial']:.1f} s wall ({share:.0%} of a core); "
          f"on an idle machine 2 workers could reach {2 * args.subjects / cpu_serial * 3600:.0f} subjects/h")
    if share < 0.9:
        print("WARNING: the machine is busy (the serial loop got less than 90 % of a core): "
              "the parallel figures above are not meaningful; rerun on a quiet machine")


if __name__ == "__main__":
    main()
