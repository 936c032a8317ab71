"""Parameter scans and sensitivity analysis: declare axes, get a labelled Dataset.

>>> import mechtms as mt
>>> from mechtms.scans import ModelTarget
>>> ds = mt.scan(ModelTarget("bdnf_trkb_erk", t_end=48),
...              {"k_bdnf": [0.5, 1, 2], "kcat_erk": [1, 2]},
...              store="scan.zarr", engine="local")                  # doctest: +SKIP

Targets (:mod:`mechtms.scans._targets`): a :class:`ModelTarget` (one model, any
parameter or species as an axis, protocol and calendar axes with a course), a
:class:`CourseTarget` (the whole chain, :func:`mechtms.simulate`, on a course; also a
plain ``Course``) or a module-level function (``callable`` or ``"module:function"``).

Engines: ``"local"`` (processes on this machine, default), ``"dask"`` (a new local
cluster, or ``scheduler="tcp://host:port"`` / ``DASK_SCHEDULER_ADDRESS`` for an existing
one), ``"serial"`` (this process). Same numbers on every engine.

Store: ``store="x.zarr"`` streams results to disk chunk by chunk; rerunning the same
call skips finished points (see :mod:`mechtms.scans._store`).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import __version__, _checks
from ._engines import ENGINES, point_seeds, run_dask, run_local, run_serial
from ._sensitivity import sensitivity
from ._space import Space, make_space
from ._spec import check_space
from ._store import DONE, FAILED, PENDING, ScanStore, read_definition
from ._targets import (
    COURSE_AXES,
    PROTOCOL_AXES,
    TRAINING_AXES,
    CourseTarget,
    FunctionTarget,
    ModelTarget,
    course_from_axes,
    make_target,
    parse_readouts,
)

__all__ = ["scan", "sensitivity", "open_scan", "check_space", "ModelTarget", "CourseTarget", "FunctionTarget",
           "make_space", "point_seeds", "course_from_axes", "PROTOCOL_AXES", "COURSE_AXES", "TRAINING_AXES",
           "ENGINES", "PENDING", "DONE", "FAILED"]


_RESERVED = ("status", "error", "seed", "sample")


def scan(target, space, store=None, engine: str = "local", scheduler: str | None = None,
         workers: int | None = None, chunk_size: int | None = None, seed: int = 0, readouts=None,
         resume: bool = True, progress: bool = True, common_seed: bool = False, retry_failed: bool = False):
    """Evaluate ``target`` over ``space``; return an ``xarray.Dataset`` of read-outs.

    Parameters
    ----------
    target : ModelTarget, CourseTarget, mechtms.protocols.Course, callable or str
        What each point runs. A function gets the axis values as keyword arguments (and
        ``seed=`` if it takes one) and returns a mapping read-out -> number.
    space : dict
        Grid: ``{axis: [values, ...], ...}`` (full factorial, dims in this order). Design:
        ``{"method": "lhs"|"sobol"|"saltelli"|"morris", "n": N, "bounds": {axis: (lo, hi)},
        "integers": [axis, ...]}`` (dim ``sample``), drawn with ``seed``.
    store : path, optional
        zarr store written as chunks finish; an existing store of the same scan is resumed
        (finished points are skipped); a store of a different scan is refused.
    engine : {"local", "dask", "serial"}
    scheduler : str, optional
        dask scheduler address (``tcp://host:port``); default ``DASK_SCHEDULER_ADDRESS``,
        else a new ``LocalCluster``.
    workers : int, optional
        Processes (local engine, new dask cluster); default: all cores.
    chunk_size : int, optional
        Points per task and per store chunk; default ``min(250, n / (8 * workers))`` (at
        least 8 chunks per worker balance the load; 250 points of a small model take ~0.1 s,
        so per-task and per-write costs stay small). A resumed store keeps its own.
    seed : int
        Design seed and the root of every point's seed (:func:`point_seeds`).
    readouts : list of str or dict name -> spec, optional
        ``"X"``, ``"max(X)"``, ``"min(X)"``, ``"mean(X)"``, ``"X@day=28"``; default: the
        model's outputs, the function's ``readouts`` attribute, or ``BMS``, ``pmTOR``,
        ``dW_percent`` for a course.
    resume : bool
        False: overwrite an existing scan store instead of resuming it.
    progress : bool
        tqdm progress bar on stderr.
    common_seed : bool
        Every point gets ``seed`` itself (common random numbers: smoother maps of a
        stochastic target) instead of its own derived seed.
    retry_failed : bool
        On resume, also rerun the chunks holding failed points (e.g. after fixing a
        worker's environment); by default a failure is a result and is kept.

    Raises
    ------
    ValueError
        Before anything runs (no store is created or opened) when the spec is invalid: an
        unknown axis or read-out, or any point whose protocol, course, condition or
        ``X@day=N`` read-out cannot exist (:func:`mechtms.scans.check_space`).

    Returns
    -------
    xarray.Dataset
        Dims: the grid axes (with their values as coordinates) or ``sample`` (axis values
        as coordinates along it). One variable per read-out (``attrs["units"]``), plus
        ``status`` (0 pending, 1 done, 2 failed), ``error`` (message of a failed point,
        ``""`` otherwise) and ``seed`` (each point's seed). ``attrs["scan"]`` holds the
        scan definition as JSON.
    """
    from tqdm.auto import tqdm

    target = make_target(target)
    seed = _checks.whole_number("seed", seed, low=0, high=2**32 - 1)
    engine = _checks.choice("engine", engine, ENGINES)
    space = make_space(space, seed)
    ro = parse_readouts(readouts) if readouts is not None else target.default_readouts()
    for r in ro:
        if r.name in space.axes or r.name in _RESERVED:
            raise ValueError(f"read-out name {r.name!r} is also {'an axis' if r.name in space.axes else 'reserved'}; "
                             f"name it, e.g. readouts={{'{r.name}_end': {r.spec!r}}}")
    units = target.check(space.axes, ro)
    check_space(target, space, ro)  # an invalid point refuses the whole scan before anything runs
    workers = _checks.whole_number("workers", workers if workers is not None else (os.cpu_count() or 1), low=1)
    n = space.n_points
    if chunk_size is None:
        chunk_size = max(1, min(250, math.ceil(n / (8 * workers))))
    chunk_size = _checks.whole_number("chunk_size", chunk_size, low=1)
    definition = {"target": target.definition(), "space": space.definition,
                  "readouts": [[r.name, r.spec] for r in ro], "seed": seed, "common_seed": bool(common_seed),
                  "mechtms_version": __version__}
    names = [r.name for r in ro]
    if store is not None:
        st = ScanStore(store, definition, space, names, chunk_size, resume)
        chunk_size = st.chunk_size
        values, status, errors = st.read()
    else:
        st = None
        values = np.full((n, len(ro)), np.nan)
        status = np.zeros(n, dtype=np.int8)
        errors = np.full(n, "", dtype=object)
    seeds = np.full(n, seed, dtype=np.int64) if common_seed else point_seeds(seed, np.arange(n))
    redo = (PENDING, FAILED) if retry_failed else (PENDING,)
    todo = [s for s in range(0, n, chunk_size) if np.isin(status[s:s + chunk_size], redo).any()]
    tasks = ((s, [space.point(i) for i in range(s, min(s + chunk_size, n))],
              seeds[s:s + chunk_size].tolist()) for s in todo)  # built as the engine asks
    n_done = n - sum(min(chunk_size, n - s) for s in todo)
    bar = tqdm(total=n, initial=n_done, unit="pt", desc="scan", disable=not progress, dynamic_ncols=True)
    errors = errors.astype(object)

    def on_result(res: dict) -> None:
        start, m = res["start"], len(res["status"])
        if st is not None:
            st.write_chunk(start, res["values"], res["status"], res["errors"])
        values[start:start + m] = res["values"]
        status[start:start + m] = res["status"]
        errors[start:start + m] = res["errors"]
        for key, unit in res["units"].items():
            for r in ro:
                if r.var == key and not units.get(r.name):
                    units[r.name] = unit
        bar.update(m)

    engines: dict[str, Callable[..., Any]] = {"serial": run_serial, "local": run_local, "dask": run_dask}
    run = engines[engine]
    try:
        facts = run(target, ro, tasks, on_result, workers=workers, scheduler=scheduler) or {}
    finally:
        bar.close()
    if st is not None:
        st.set_units(units)
    return _assemble(space, ro, values, status, errors, seeds, units, definition,
                     {"engine": engine, "store": "" if store is None else str(store), **facts})


def open_scan(path):
    """The Dataset of the scan store at ``path`` (finished or not: see ``status``)."""
    import zarr

    definition = read_definition(path)
    group = zarr.open_group(str(path), mode="r")
    values = np.asarray(group["values"][:])
    status = np.asarray(group["status"][:])
    errors = np.asarray(group["error"][:]).astype(object)
    space_def = definition["space"]
    axes = tuple(space_def["axes"])
    if "grid" in space_def:
        space = make_space({a: space_def["grid"][a] for a in axes})
    else:
        space = Space(space_def["method"], axes, space_def,
                      {a: np.asarray(group[f"axis_{a}"][:]) for a in axes})
    ro = parse_readouts(dict(definition["readouts"]))
    units = json.loads(group.attrs.get("units", "{}"))
    n = space.n_points
    seed = definition["seed"]
    seeds = np.full(n, seed, dtype=np.int64) if definition.get("common_seed") else point_seeds(seed, np.arange(n))
    return _assemble(space, ro, values, status, errors, seeds, units, definition, {"store": str(path)})


def _assemble(space: Space, ro, values, status, errors, seeds, units, definition, facts):
    import xarray as xr

    shape, dims = space.shape, space.dims
    data = {r.name: (dims, values[:, j].reshape(shape), {"units": units.get(r.name, ""), "readout": r.spec})
            for j, r in enumerate(ro)}
    data["status"] = (dims, status.reshape(shape),
                      {"flag_values": [PENDING, DONE, FAILED], "flag_meanings": "pending done failed"})
    data["error"] = (dims, np.asarray(errors, dtype=str).reshape(shape), {})
    data["seed"] = (dims, seeds.reshape(shape), {"description": "seed given to the point"})
    if space.kind == "grid":
        coords = {a: (a, space.values[a]) for a in space.axes}
    else:
        coords = {"sample": ("sample", np.arange(space.n_points))}
        coords.update({a: ("sample", np.asarray(space.values[a])) for a in space.axes})
    attrs = {"mechtms_version": __version__, "scan": json.dumps(definition, sort_keys=True),
             "target": json.dumps(definition["target"], sort_keys=True), "space_kind": space.kind,
             "seed": definition["seed"], "n_points": space.n_points,
             "n_failed": int(np.count_nonzero(status == FAILED)),
             "n_pending": int(np.count_nonzero(status == PENDING))}
    if definition["target"].get("kind") == "model":
        import roadrunner

        attrs["roadrunner_version"] = roadrunner.__version__
        attrs["sbml_sha256"] = definition["target"]["sbml_sha256"]
    attrs.update({k: v for k, v in facts.items() if v is not None})
    return xr.Dataset(data, coords=coords, attrs=attrs)
