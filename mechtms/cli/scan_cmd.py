"""``mechtms scan SPEC.toml`` and ``mechtms sensitivity SPEC.toml``.

The spec file (TOML) declares the target, the space and the run options; relative paths
(``store``, ``output``) are relative to the spec file. Every key maps onto an argument of
:func:`mechtms.scan` / :func:`mechtms.sensitivity`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import click

SPEC_HELP = """\b
SPEC.toml format (every key but [target] and [space] is optional):

\b
  readouts = ["X", "max(Kp)", "Kp@time=1"]  # 'X' = value at the end; max/min/mean(X); X@day=28
  seed = 0                     # design seed and root of each point's seed
  store = "scan.zarr"          # zarr store, relative to this file (resumable)
  output = "scan.nc"           # also write the result as netCDF
  engine = "local"             # local | dask | serial
  workers = 2                  # default: all cores
  chunk_size = 100             # points per task and per store chunk
  scheduler = "tcp://host:8786"   # dask: an existing cluster (else DASK_SCHEDULER_ADDRESS, else local)

\b
  [target]                     # exactly one of model / function / chain
  model = "bdnf_trkb_erk"      # a model in models/; with t_end (model time units) and/or course
  t_end = 48
  points = 101
  course = "sci_15hz_mouse"    # preset course: session events on the model's session_input
  changes = { k_bdnf = 1.0 }   # fixed parameter values
  # function = "mypkg.mymodule:myfunc"   # called with the axis values as keywords
  # fixed = { a = 1.0 }        # further keyword arguments of the function
  # chain = true               # the whole chain (mechtms.simulate) on `course`
  # condition = "sci"
  # network = { n_synapses = 30, max_pulses = 20 }   # mechtms.coupling.NetworkOptions

\b
  [space]                      # a full grid: axis = [values]
  frequency_hz = [1, 5, 10, 20]
  intensity_rmt = [80, 100, 120]
  # ... or a design:
  # method = "lhs"             # lhs | sobol | saltelli | morris
  # n = 200
  # integers = ["pulses"]
  # bounds = { k_bdnf = [0.5, 2.0], pulses = [300, 3000] }

\b
  [sensitivity]                # for `mechtms sensitivity`
  method = "sobol"             # sobol (S1, ST) | morris (mu*, sigma)
  n = 256                      # sobol: power of 2, n*(D+2) runs; morris: trajectories
  bounds = { k_bdnf = [0.5, 2.0], kcat_erk = [1, 4] }

\b
Axes: any parameter or species of a model; with a course also frequency_hz, pulses,
intensity, intensity_rmt, train_s, iti_s, pulses_per_burst, burst_frequency_hz, sham,
days, sessions, sessions_per_day, days_per_week, start_day (and dose for a model).
"""

_TOP = {"target", "space", "sensitivity", "readouts", "seed", "store", "output", "engine", "workers",
        "chunk_size", "scheduler", "common_seed"}


def load_spec(path) -> dict:
    """Read and check a spec file; returns its table with paths resolved against its folder."""
    from .._checks import unknown_name

    path = Path(path)
    try:
        spec = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None
    for key in spec:
        if key not in _TOP:
            raise unknown_name(f"key of {path.name}", key, _TOP, exc=ValueError)
    if "target" not in spec:
        raise ValueError(f"{path}: missing [target] (model = ..., function = ... or chain = true)")
    for key in ("store", "output"):
        if key in spec:
            spec[key] = str((path.parent / spec[key]).resolve())
    return spec


def make_target_from_spec(table: dict):
    """[target] table -> a scan target."""
    from .._checks import unknown_name
    from ..protocols import preset_course
    from ..scans import CourseTarget, FunctionTarget, ModelTarget

    table = dict(table)
    kinds = [k for k in ("model", "function", "chain") if table.get(k)]
    if len(kinds) != 1:
        raise ValueError(f"[target] needs exactly one of model, function or chain = true; got {kinds or 'none'}")
    kind = kinds[0]
    course = table.pop("course", None)
    course = preset_course(course) if isinstance(course, str) else course
    if kind == "model":
        allowed = {"model", "t_end", "points", "changes", "rtol", "atol", "max_steps"}
        _only(table, allowed | {"course"}, unknown_name)
        return ModelTarget(table.pop("model"), course=course, **{k: v for k, v in table.items()})
    if kind == "function":
        fixed = table.pop("fixed", {})
        _only(table, {"function"}, unknown_name)
        return FunctionTarget(table["function"], **fixed)
    table.pop("chain")
    if isinstance(table.get("network"), dict):  # [target.network]: mechtms.coupling.NetworkOptions fields
        from ..coupling import NetworkOptions

        table["network"] = NetworkOptions(**table["network"])
    return CourseTarget(course or "sci_15hz_mouse", **table)


def _only(table, allowed, unknown_name):
    for key in table:
        if key not in allowed:
            raise unknown_name("key of [target]", key, allowed, exc=ValueError)


def _options(spec: dict, engine, scheduler, store, resume, workers, retry_failed=False) -> dict:
    return {
        "retry_failed": retry_failed,
        "store": store or spec.get("store"),
        "engine": engine or spec.get("engine", "local"),
        "scheduler": scheduler or spec.get("scheduler"),
        "workers": workers or spec.get("workers"),
        "chunk_size": spec.get("chunk_size"),
        "seed": spec.get("seed", 0),
        "readouts": spec.get("readouts"),
        "resume": resume,
        "progress": True,
        "common_seed": spec.get("common_seed", False),
    }


_common = [
    click.argument("spec", type=click.Path(exists=True, dir_okay=False)),
    click.option("--engine", type=click.Choice(["local", "dask", "serial"]), default=None,
                 help="Where points run (default: the spec's engine, else local)."),
    click.option("--scheduler", default=None, help="dask scheduler address, e.g. tcp://10.0.0.5:8786."),
    click.option("--workers", type=int, default=None, help="Worker processes (default: all cores)."),
    click.option("--store", default=None, help="zarr store (overrides the spec's store)."),
    click.option("--resume/--no-resume", default=True,
                 help="Resume an existing store of the same scan (default) or overwrite it."),
    click.option("--retry-failed", is_flag=True, help="On resume, rerun the chunks holding failed points."),
    click.option("--output", default=None, help="Also write the result as netCDF."),
]


def _with_common(f):
    for decorator in reversed(_common):
        f = decorator(f)
    return f


@click.command(epilog=SPEC_HELP)
@_with_common
def scan(spec, engine, scheduler, workers, store, resume, retry_failed, output):
    """Run the parameter scan declared in SPEC (TOML); results stream to its zarr store."""
    from ..scans import scan as run_scan

    table = load_spec(spec)
    if "space" not in table:
        raise ValueError(f"{spec}: missing [space] (axis = [values] or method/n/bounds)")
    target = make_target_from_spec(table["target"])
    ds = run_scan(target, table["space"], **_options(table, engine, scheduler, store, resume, workers, retry_failed))
    done = int((ds.status == 1).sum())
    click.echo(f"scan: {ds.attrs['n_points']} points, {done} done, {ds.attrs['n_failed']} failed"
               + (f"; store {ds.attrs['store']}" if ds.attrs.get("store") else ""))
    for var in ds.data_vars:
        if var in ("status", "error", "seed"):
            continue
        v = ds[var]
        click.echo(f"  {var:<20} min {float(v.min()):.6g}  max {float(v.max()):.6g}  {v.attrs.get('units', '')}")
    _write(ds, output or table.get("output"))


@click.command(epilog=SPEC_HELP)
@_with_common
def sensitivity(spec, engine, scheduler, workers, store, resume, retry_failed, output):
    """Sobol or Morris sensitivity indices of the read-outs to the [sensitivity] bounds of SPEC."""
    from ..scans import sensitivity as run_sensitivity

    table = load_spec(spec)
    sens = dict(table.get("sensitivity") or {})
    if "bounds" not in sens:
        raise ValueError(f"{spec}: missing [sensitivity] bounds = {{ parameter = [low, high], ... }}")
    target = make_target_from_spec(table["target"])
    options = _options(table, engine, scheduler, store, resume, workers, retry_failed)
    ds = run_sensitivity(target, sens.pop("bounds"), **sens, **options)
    keys = [k for k in ("S1", "S1_conf", "ST", "ST_conf", "mu_star", "mu_star_conf", "sigma") if k in ds]
    click.echo(f"{ds.attrs['method']} sensitivity, {ds.attrs['n_runs']} runs")
    click.echo(f"{'readout':<16} {'parameter':<16} " + " ".join(f"{k:>12}" for k in keys))
    for r in ds.readout.values:
        for p in ds.parameter.values:
            row = " ".join(f"{float(ds[k].sel(readout=r, parameter=p)):>12.4g}" for k in keys)
            click.echo(f"{str(r):<16} {str(p):<16} {row}")
    _write(ds, output or table.get("output"))


def _write(ds, output) -> None:
    if output:
        ds.to_netcdf(output, engine="h5netcdf")
        click.echo(f"wrote {output}")
