"""Throughput of a 10,000-point single-model scan: mechtms engines vs a plain serial
libroadrunner loop, in the same run (issue 8: local >= 1.7x, dask >= 1.4x on 2 cores).

Model: tests/data/models/closed_forms.ant (3 species, 1 rate rule), 0-10 h, 101 output
points, two parameters (k, ka) on a 100 x 100 grid; read-outs X, Kp at the end.

The peer is the loop one would write by hand: one RoadRunner, ``resetAll()``, set the two
parameters, ``simulate``. Times are wall clock and include everything a user waits for
(the peer's compile; the pool's start and each worker's model compile). "dask (running
cluster)" excludes the cluster's start (once per session), "dask (new cluster)" includes it.

Each row is the best of R runs (default 3; the machine is shared). The forkserver (the
imports every local worker forks from) starts once per session, before the timed rows;
its start is printed apart.

Run: ``.venv/bin/python benchmarks/scan_throughput.py [N [R]]`` (N points, default 10,000).
Check ``uptime`` first: the ratios need the machine's cores to be otherwise idle.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("MECHTMS_MODELS_DIR", str(ROOT / "tests" / "data" / "models"))


def grid(n: int):
    side = int(round(n ** 0.5))
    return {"k": np.linspace(0.1, 2.0, side).tolist(), "ka": np.linspace(0.5, 5.0, n // side).tolist()}


def plain_loop(space) -> tuple[float, np.ndarray]:
    import roadrunner

    from mechtms.models import sbml

    t0 = time.perf_counter()
    rr = roadrunner.RoadRunner(sbml("closed_forms"))
    rr.getIntegrator().setValue("relative_tolerance", 1e-8)
    rr.getIntegrator().setValue("absolute_tolerance", 1e-10)
    rr.timeCourseSelections = ["time", "X", "Kp"]
    out = []
    for k in space["k"]:
        for ka in space["ka"]:
            rr.resetAll()
            rr["k"] = k
            rr["ka"] = ka
            res = rr.simulate(0.0, 10.0, 101)
            out.append((res[-1, 1], res[-1, 2]))
    return time.perf_counter() - t0, np.asarray(out)


def mechtms_scan(space, **kw) -> tuple[float, object]:
    import mechtms as mt
    from mechtms.scans import ModelTarget

    t0 = time.perf_counter()
    ds = mt.scan(ModelTarget("closed_forms", t_end=10, points=101), space, readouts=["X", "Kp"],
                 progress=False, **kw)
    return time.perf_counter() - t0, ds


def best(repeats: int, run) -> float:
    """Best wall time of ``repeats`` runs (the machine is shared: the best run is the least disturbed)."""
    return min(run() for _ in range(repeats))


def main(n: int = 10_000, repeats: int = 3) -> None:
    import logging

    from dask.distributed import LocalCluster

    space = grid(n)
    n = len(space["k"]) * len(space["ka"])
    cores = os.cpu_count()
    print(f"{n} points, {cores} cores, best of {repeats}, load average before "
          f"{os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    mechtms_scan({"k": [0.5], "ka": [1.0]}, engine="serial")  # imports (xarray, zarr...): once per process
    t0 = time.perf_counter()
    mechtms_scan({"k": [0.5], "ka": [1.0]}, engine="local", workers=cores)
    rows = [("(forkserver start + first pool, 1 point)", time.perf_counter() - t0)]
    t_plain = best(repeats, lambda: plain_loop(space)[0])
    rows.insert(0, ("plain serial libroadrunner loop", t_plain))
    _, ref = plain_loop(grid(400))
    _, ds = mechtms_scan(grid(400), engine="serial")
    # the loop sets current values, the scan initial values: same physics, same numbers to 1e-9
    np.testing.assert_allclose(ds.X.values.ravel(), ref[:, 0], rtol=1e-6)
    rows.append(("mechtms serial engine", best(repeats, lambda: mechtms_scan(space, engine="serial")[0])))
    rows.append((f"mechtms local, {cores} processes", best(repeats, lambda: mechtms_scan(
        space, engine="local", workers=cores)[0])))

    def with_store():
        with tempfile.TemporaryDirectory() as tmp:
            return mechtms_scan(space, engine="local", workers=cores, store=Path(tmp) / "b.zarr")[0]

    rows.append((f"mechtms local, {cores} processes, zarr store", best(repeats, with_store)))
    rows.append((f"mechtms dask (new LocalCluster, {cores} workers)",
                 mechtms_scan(space, engine="dask", workers=cores)[0]))
    with LocalCluster(n_workers=cores, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster:
        address = cluster.scheduler_address
        mechtms_scan({"k": [0.5], "ka": [1.0]}, engine="dask", scheduler=address)  # warm the workers
        rows.append((f"mechtms dask (running cluster, {cores} workers)",
                     best(repeats, lambda: mechtms_scan(space, engine="dask", scheduler=address)[0])))
    print(f"{'':<48} {'s':>7} {'runs/s':>8} {'vs loop':>8}")
    for name, t in rows:
        if name.startswith("("):
            print(f"{name:<48} {t:7.2f}")
            continue
        print(f"{name:<48} {t:7.2f} {n / t:8.0f} {t_plain / t:7.2f}x")
    print(f"load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000, int(sys.argv[2]) if len(sys.argv) > 2 else 3)
