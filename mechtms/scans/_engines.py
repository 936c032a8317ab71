"""Engines: where chunks of points are evaluated. The parent always collects and writes.

- ``serial``: in this process (debugging, memory checks).
- ``local``: a ``ProcessPoolExecutor`` (forkserver context with the heavy modules
  preloaded, see :func:`_context`); an initializer hands each worker the target once and compiles
  its model; tasks carry only point values and seeds, never a RoadRunner.
- ``dask``: a ``dask.distributed`` cluster: a new ``LocalCluster`` (processes, one thread
  each) or an existing scheduler (``scheduler=`` or ``DASK_SCHEDULER_ADDRESS``). Each task
  carries the (small, picklable) target; a worker compiles a model on its first chunk
  and keeps it (``mechtms.models.load_model`` caches per process).

A point's result depends only on the target, its axis values and its seed (derived from
the scan seed and the point index), so every engine gives the same numbers bit for bit.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from collections.abc import Callable, Sequence

import numpy as np

ENGINES = ("local", "dask", "serial")
_MAX_MESSAGE = 2000

#: (target, readouts) handed to a local worker by the pool initializer
_WORKER: dict = {}


def point_seeds(seed: int, indices: np.ndarray) -> np.ndarray:
    """Per-point seeds in [0, 2**32): splitmix64 of (scan seed, point index).

    A pure function of its inputs, so a point gets the same seed on any engine, worker
    or resume.
    """
    with np.errstate(over="ignore"):
        x = (np.uint64(seed) << np.uint64(32)) ^ np.asarray(indices, dtype=np.uint64)
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(32)).astype(np.int64)


def evaluate_chunk(target, readouts, start: int, points: Sequence[dict], seeds: Sequence[int]) -> dict:
    """Evaluate points ``start, start+1, ...``; a failing point is recorded, never raised."""
    values = np.full((len(points), len(readouts)), np.nan)
    status = np.ones(len(points), dtype=np.int8)
    errors = [""] * len(points)
    for i, (point, seed) in enumerate(zip(points, seeds, strict=True)):
        try:
            values[i] = target.evaluate(point, int(seed), readouts)
        except Exception as exc:  # the point fails, the chunk goes on
            status[i] = 2
            message = " ".join(f"{type(exc).__name__}: {exc}".split())
            errors[i] = message[:_MAX_MESSAGE]
    return {"start": start, "values": values, "status": status, "errors": errors,
            "units": dict(getattr(target, "units", None) or {})}


# ---- local processes ---------------------------------------------------------------------
#: imported once by the forkserver; every worker forks from it with these loaded
_PRELOAD = ["numpy", "roadrunner", "antimony", "mechtms.models", "mechtms.ode", "mechtms.scans"]


def _context():
    """forkserver with the heavy modules preloaded (spawn where forkserver is missing).

    Not ``fork``: libroadrunner, numba and threads do not survive it. The forkserver
    starts once per session; later pools fork from it in milliseconds. Workers forked
    from it get the caller's ``MECHTMS_*`` environment in :func:`_init_worker` (the
    server's own environment is that of its first use).
    """
    import multiprocessing

    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(_PRELOAD)
        return ctx
    return multiprocessing.get_context("spawn")


def _mechtms_env() -> dict:
    return {k: v for k, v in os.environ.items() if k.startswith("MECHTMS_")}


def _exit_with(parent_pid: int) -> None:
    """Exit this worker when the scan process is gone (e.g. SIGKILLed): workers otherwise wait
    on their task queue forever, since each holds both ends of its pipe."""
    import threading

    def watch():
        while True:
            time.sleep(1.0)
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # pid reused by another user's process: the parent is gone
                os._exit(1)

    threading.Thread(target=watch, daemon=True, name="mechtms-parent-watch").start()


def _init_worker(target, readouts, env: dict | None = None, parent_pid: int | None = None) -> None:
    if parent_pid is not None:
        _exit_with(parent_pid)
    if env is not None:
        for key in [k for k in os.environ if k.startswith("MECHTMS_") and k not in env]:
            del os.environ[key]
        os.environ.update(env)
    logging.getLogger("roadrunner").setLevel(logging.ERROR)
    # the processes are the parallelism: one numba thread each (the synapse population's kernel
    # is parallel over synapses; results do not depend on the thread count)
    import numba

    numba.set_num_threads(1)
    _WORKER["target"], _WORKER["readouts"] = target, readouts
    warm = getattr(target, "warm", None)
    if warm is not None:
        warm()


def _local_chunk(start: int, points, seeds) -> dict:
    return evaluate_chunk(_WORKER["target"], _WORKER["readouts"], start, points, seeds)


def run_serial(target, readouts, tasks, on_result: Callable[[dict], None], **_) -> None:
    for start, points, seeds in tasks:
        on_result(evaluate_chunk(target, readouts, start, points, seeds))


def run_local(target, readouts, tasks, on_result, workers: int, **_) -> None:
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    tasks = iter(tasks)
    first = next(tasks, None)
    if first is None:
        return
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=_init_worker,
                               initargs=(target, readouts, _mechtms_env(), os.getpid()))
    try:
        # a bounded number of chunks in flight: a million-point scan never holds all its tasks
        pending = {pool.submit(_local_chunk, *first)}
        pending.update(pool.submit(_local_chunk, *t) for t in itertools.islice(tasks, 2 * workers + 1))
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                on_result(future.result())
                nxt = next(tasks, None)
                if nxt is not None:
                    pending.add(pool.submit(_local_chunk, *nxt))
    except BrokenProcessPool as exc:
        pool.shutdown(wait=False, cancel_futures=True)
        raise RuntimeError(f"a scan worker process died ({exc}); finished chunks are kept in the store: "
                           f"rerun the same scan with the same store to resume. (In a script, call scan() "
                           f"under `if __name__ == '__main__':` - workers import the main module.)") from None
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


# ---- dask ----------------------------------------------------------------------------------
def _dask_chunk(target, readouts, start, points, seeds) -> dict:
    return evaluate_chunk(target, readouts, start, points, seeds)


def run_dask(target, readouts, tasks, on_result, workers: int, scheduler: str | None = None, **_) -> dict:
    """Run on dask; returns facts for provenance (scheduler address, number of workers)."""
    from dask.distributed import Client, LocalCluster, as_completed
    from distributed.scheduler import KilledWorker

    address = scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS") or None
    cluster = None
    if address is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    else:
        try:
            client = Client(address, timeout="20s")
        except OSError as exc:
            raise ValueError(f"cannot reach the dask scheduler at {address!r}: {exc}") from None
    try:
        info = {"dask_scheduler": client.scheduler.address,
                "dask_workers": len(client.scheduler_info().get("workers", {}))}
        tasks = iter(tasks)
        limit = max(4 * info["dask_workers"], 32)

        def submit(task):
            return client.submit(_dask_chunk, target, readouts, *task, pure=False)

        futures = as_completed([submit(t) for t in itertools.islice(tasks, limit)])
        try:
            for future in futures:
                try:
                    on_result(future.result())
                except KilledWorker as exc:
                    raise RuntimeError(f"dask gave up on a chunk after its workers died ({exc}); finished "
                                       f"chunks are kept in the store: rerun to resume") from None
                nxt = next(tasks, None)
                if nxt is not None:
                    futures.add(submit(nxt))
        except BaseException:
            client.cancel(list(getattr(futures, "futures", [])))
            raise
        return info
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
