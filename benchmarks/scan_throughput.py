"""Throughput of a 10,000-point single-model scan: mechtms engines vs a plain serial
libroadrunner loop, in the same run (issue 8: local >= 1.7x, dask >= 1.4x on 2 cores).

Model: tests/data/models/closed_forms.ant (3 species, 1 rate rule), 0-10 h, 101 output
points, two parameters (k, ka) on a 100 x 100 grid; read-outs X, Kp at the end.

The peer is the loop one would write by hand: one RoadRunner, ``resetAll()``, set the two
parameters, ``simulate``. Times are wall clock and include everything a user waits for
(the peer's compile, the pool's start). "first pool" includes starting the forkserver
(imports of numpy/roadrunner, once per session), "later pool" a scan after that; "dask
(running cluster)" excludes the cluster's start (once per session), "dask (new cluster)"
includes it.

Run: ``.venv/bin/python benchmarks/scan_throughput.py [N]`` (N points, default 10,000).
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


def main(n: int = 10_000) -> None:
    space = grid(n)
    n = len(space["k"]) * len(space["ka"])
    cores = os.cpu_count()
    print(f"{n} points, {cores} cores, load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    mechtms_scan({"k": [0.5], "ka": [1.0]}, engine="serial")  # imports (xarray, zarr...): once per process
    t_plain, ref = plain_loop(space)
    rows = [("plain serial libroadrunner loop", t_plain)]
    t, ds = mechtms_scan(space, engine="serial")
    rows.append(("mechtms serial engine", t))
    # the loop sets current values, the scan initial values: same physics, same numbers to 1e-9
    np.testing.assert_allclose(ds.X.values.ravel(), ref[:, 0], rtol=1e-6)
    t, _ = mechtms_scan(space, engine="local", workers=cores)
    rows.append((f"mechtms local, {cores} processes (first pool)", t))
    t, _ = mechtms_scan(space, engine="local", workers=cores)
    rows.append((f"mechtms local, {cores} processes (later pool)", t))
    with tempfile.TemporaryDirectory() as tmp:
        t, _ = mechtms_scan(space, engine="local", workers=cores, store=Path(tmp) / "b.zarr")
        rows.append((f"mechtms local, {cores} processes, zarr store", t))
    t, _ = mechtms_scan(space, engine="dask", workers=cores)
    rows.append((f"mechtms dask (new LocalCluster, {cores} workers)", t))
    import logging

    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=cores, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster:
        mechtms_scan({"k": [0.5], "ka": [1.0]}, engine="dask", scheduler=cluster.scheduler_address)  # warm
        t, _ = mechtms_scan(space, engine="dask", scheduler=cluster.scheduler_address)
        rows.append((f"mechtms dask (running cluster, {cores} workers)", t))
    print(f"{'':<48} {'s':>7} {'runs/s':>8} {'vs loop':>8}")
    for name, t in rows:
        print(f"{name:<48} {t:7.2f} {n / t:8.0f} {t_plain / t:7.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
