"""Scan engines against each other, interruption and memory.

- the same scan gives identical numbers (bit for bit) serially, on local processes, on a
  dask LocalCluster and on a real ``dask scheduler`` + two ``dask worker`` processes on
  127.0.0.1 started here (issue 8);
- a SIGKILL of the scan process or of a dask worker loses no finished point, and the rerun
  completes identical to an uninterrupted run;
- RSS grows < 50 MB over 10,000 single-model simulations (libroadrunner <= 2.10 leaked
  when pickled: docs/roadrunner.md).
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import mechtms as mt
from mechtms.scans import FunctionTarget, ModelTarget, examples

DATA = Path(__file__).parent / "data" / "models"
PY = sys.executable
DASK = str(Path(sys.executable).with_name("dask"))


@pytest.fixture(autouse=True)
def fixture_models(monkeypatch):
    monkeypatch.setenv("MECHTMS_MODELS_DIR", str(DATA))
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    from mechtms import models

    models.clear_cache()
    yield
    models.clear_cache()


def model_scan(**kw):
    target = ModelTarget("closed_forms", t_end=10, points=101)
    space = {"k": np.linspace(0.1, 2.0, 12).tolist(), "ka": [0.5, 1.0, 2.0, 4.0, 8.0]}
    return mt.scan(target, space, readouts=["X", "max(Kp)", "mean(Kp)"], chunk_size=7, progress=False, **kw)


def noisy_scan(**kw):
    return mt.scan(examples.noisy_line, {"x": np.arange(30.0).tolist()}, readouts=["y", "noise"], seed=11,
                   chunk_size=4, progress=False, **kw)


def assert_same_numbers(a, b):
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)


def test_local_and_dask_localcluster_equal_serial():
    ref_model, ref_noisy = model_scan(engine="serial"), noisy_scan(engine="serial")
    assert (ref_model.status == 1).all() and (ref_noisy.status == 1).all()
    assert_same_numbers(model_scan(engine="local", workers=2), ref_model)
    assert_same_numbers(noisy_scan(engine="local", workers=2), ref_noisy)
    ds = model_scan(engine="dask", workers=2)
    assert_same_numbers(ds, ref_model)
    assert ds.attrs["engine"] == "dask" and ds.attrs["dask_workers"] == 2


# ---- a real cluster on loopback ------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cluster(tmp_path):
    """``dask scheduler`` + two ``dask worker`` processes (no nanny: a killed worker stays dead)."""
    from dask.distributed import Client

    env = {**os.environ, "MECHTMS_MODELS_DIR": str(DATA)}
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              env=env, stdout=subprocess.DEVNULL, stderr=tmp_path.joinpath("sched.log").open("w"))]
    try:
        for i in range(2):
            procs.append(subprocess.Popen(
                [DASK, "worker", address, "--nthreads", "1", "--no-nanny", "--host", "127.0.0.1",
                 "--no-dashboard", "--name", f"w{i}"],
                env=env, stdout=subprocess.DEVNULL, stderr=tmp_path.joinpath(f"w{i}.log").open("w")))
        deadline = time.time() + 60
        while True:
            try:
                with Client(address, timeout="5s") as client:
                    client.wait_for_workers(2, timeout=60)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.5)
        yield address, procs
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def done_points(store) -> int:
    import zarr

    try:
        return int(np.count_nonzero(zarr.open_group(str(store), mode="r")["status"][:]))
    except Exception:
        return 0


def test_real_cluster_equal_numbers_and_survives_a_killed_worker(cluster, tmp_path):
    address, procs = cluster
    assert_same_numbers(model_scan(engine="dask", scheduler=address), model_scan(engine="serial"))
    os.environ["DASK_SCHEDULER_ADDRESS"] = address  # (the autouse fixture removes it afterwards)
    ds = noisy_scan(engine="dask")
    del os.environ["DASK_SCHEDULER_ADDRESS"]
    assert ds.attrs["dask_scheduler"] == address and ds.attrs["dask_workers"] == 2
    assert_same_numbers(ds, noisy_scan(engine="serial"))

    # SIGKILL one worker midway: its chunks move to the other worker; nothing finished is lost
    target = FunctionTarget(examples.slow_square, delay_s=0.1)
    space = {"x": np.arange(40.0).tolist()}
    store = tmp_path / "killed.zarr"
    result = {}
    run = threading.Thread(target=lambda: result.update(ds=mt.scan(
        target, space, store=store, engine="dask", scheduler=address, chunk_size=2, progress=False)))
    run.start()
    deadline = time.time() + 60
    while done_points(store) < 6 and time.time() < deadline:
        time.sleep(0.02)
    before = mt.scans.open_scan(store)
    finished = before.status.values == 1
    assert 6 <= finished.sum() < 40, "the kill must land midway"
    procs[1].send_signal(signal.SIGKILL)
    run.join(timeout=120)
    assert not run.is_alive() and "ds" in result
    ds = result["ds"]
    assert (ds.status == 1).all()
    np.testing.assert_array_equal(ds.y.values[finished], before.y.values[finished])
    reference = mt.scan(FunctionTarget(examples.slow_square, delay_s=0.0), space, engine="serial", progress=False)
    assert_same_numbers(ds[["y", "draw", "seed"]], reference[["y", "draw", "seed"]])


# ---- SIGKILL of the scan process -------------------------------------------------------------
SCRIPT = """
import sys
import mechtms as mt
from mechtms.scans import FunctionTarget, examples
mt.scan(FunctionTarget(examples.slow_square, delay_s=0.1, log_path=sys.argv[2]), {"x": [float(i) for i in range(40)]},
        store=sys.argv[1], engine="local", workers=2, chunk_size=2, progress=False)
"""


def test_sigkill_of_the_scan_process_loses_no_finished_point(tmp_path):
    import psutil

    store, log = tmp_path / "k.zarr", tmp_path / "calls.log"
    proc = subprocess.Popen([PY, "-c", SCRIPT, str(store), str(log)], stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 60
        while done_points(store) < 6 and time.time() < deadline and proc.poll() is None:
            time.sleep(0.02)
        children = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        # the workers (and the forkserver) notice and exit on their own: no orphans
        _, alive = psutil.wait_procs(children, timeout=15)
        assert not alive, f"orphaned worker processes: {alive}"
    finally:
        for child in children if "children" in dir() else []:
            try:
                child.kill()
            except psutil.NoSuchProcess:
                pass
        if proc.poll() is None:
            proc.kill()
    before = mt.scans.open_scan(store)
    finished = before.status.values == 1
    assert 6 <= finished.sum() < 40, "the kill must land midway"
    calls_before = len(log.read_text().split())
    target = FunctionTarget(examples.slow_square, delay_s=0.1, log_path=str(log))
    ds = mt.scan(target, {"x": [float(i) for i in range(40)]}, store=store, engine="local", workers=2,
                 progress=False)
    assert (ds.status == 1).all()
    # only the unfinished points ran again (chunks are all or nothing)
    assert len(log.read_text().split()) - calls_before == 40 - finished.sum()
    np.testing.assert_array_equal(ds.y.values[finished], before.y.values[finished])
    reference = mt.scan(FunctionTarget(examples.slow_square, delay_s=0.0), {"x": [float(i) for i in range(40)]},
                        engine="serial", progress=False)
    assert_same_numbers(ds[["y", "draw", "seed"]], reference[["y", "draw", "seed"]])


# ---- memory ---------------------------------------------------------------------------------------
def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def test_rss_flat_over_10000_single_model_simulations():
    """10,000 runs of one compiled model in this process (serial engine: the worker's loop)."""
    import gc

    target = ModelTarget("closed_forms", t_end=10, points=101)
    space = {"k": np.linspace(0.1, 2.0, 100).tolist(), "ka": np.linspace(0.5, 5.0, 20).tolist()}
    mt.scan(target, space, readouts=["X"], engine="serial", progress=False)  # warm-up: 2,000
    gc.collect()
    start = rss_mb()
    space["ka"] = np.linspace(0.5, 5.0, 100).tolist()
    ds = mt.scan(target, space, readouts=["X", "Kp"], engine="serial", progress=False)  # 10,000
    assert ds.X.size == 10_000 and (ds.status == 1).all()
    gc.collect()
    assert rss_mb() - start < 50
