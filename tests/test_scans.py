"""Scans: spaces, targets, read-outs, store and resume, failures, sensitivity, CLI.

Engines against each other (local / dask / a real cluster), SIGKILL and memory are in
tests/test_scans_engines.py. Closed forms are those of tests/data/models/closed_forms.ant.
"""

import dataclasses
import json
import math

import numpy as np
import pytest

import mechtms as mt
from mechtms import ode, protocols
from mechtms.scans import ModelTarget, course_from_axes, examples, open_scan, point_seeds

pytestmark = pytest.mark.usefixtures("closed_form_models")  # tests/conftest.py


def decay_target():
    return ModelTarget("closed_forms", t_end=10, points=101)


def scan(*args, **kw):
    kw.setdefault("progress", False)
    kw.setdefault("engine", "serial")
    return mt.scan(*args, **kw)


# ---- model target --------------------------------------------------------------------------
def test_grid_dims_coords_units_and_closed_form():
    """First-order decay X(10 h) = X0 exp(-10 k) (closed form; error in units of the tolerance,
    STYLE.md §5; < 50 over the whole run as measured in tests/test_ode.py)."""
    ks, x0s = [0.1, 0.3, 0.7], [1.0, 2.0]
    ds = scan(decay_target(), {"k": ks, "X": x0s}, readouts={"X_end": "X", "Kp": "Kp"})
    assert ds.X_end.dims == ("k", "X") and ds.X_end.shape == (3, 2)
    np.testing.assert_array_equal(ds.k.values, ks)
    truth = np.array(x0s)[None, :] * np.exp(-10 * np.array(ks))[:, None]
    e = np.abs(ds.X_end.values - truth) / (1e-10 + 1e-8 * truth)
    assert e.max() < 50
    # two-state kinase Kp(10 h) ~ steady state ka/(ka+kd) = 2/3 (unaffected by k and X)
    np.testing.assert_allclose(ds.Kp.values, 2 / 3, rtol=1e-5)
    assert ds.X_end.attrs["units"] == "uM" and (ds.status == 1).all() and (ds.error == "").all()
    definition = json.loads(ds.attrs["scan"])
    assert definition["target"]["model"] == "closed_forms" and definition["space"] == {"axes": ["k", "X"], "grid": {"k": ks, "X": x0s}}
    assert len(ds.attrs["sbml_sha256"]) == 64 and ds.attrs["n_failed"] == 0


def test_each_point_equals_simulate_model_bit_for_bit():
    """The scan's fast path (model setter, no Dataset) must give simulate_model's numbers exactly
    when both write every change as an initial value."""
    ds = scan(decay_target(), {"k": [0.2, 1.5], "ka": [0.5, 3.0]}, readouts=["X", "max(Kp)", "Kp@time=1"])
    for k in (0.2, 1.5):
        for ka in (0.5, 3.0):
            ref = ode.simulate_model("closed_forms", changes={"k": k, "ka": ka}, t_end=10, points=101)
            point = ds.sel(k=k, ka=ka)
            assert point.X.item() == ref.X.values[-1]
            assert point["max(Kp)"].item() == ref.Kp.values.max()
            assert point["Kp@time=1"].item() == ref.Kp.sel(time=1.0).item()


def test_course_axes_closed_form_of_session_impulses():
    """signal' = -signal/tau with a jump of `dose` at each session (mode add): at t_end,
    signal = dose * sum_k exp(-(t_end - t_k)/tau) (closed form), sessions at 9 h on days 1..n, tau = 24 h."""
    base = protocols.course(protocols.preset("itbs_600"), days=5)
    target = ModelTarget("closed_forms", course=base, changes={"tau_signal": 24.0}, t_end=24 * 6, points=24 * 6 + 1)
    ds = scan(target, {"dose": [0.5, 2.0], "sessions": [1, 3, 5]}, readouts={"s": "signal", "peak": "max(signal)"})
    for dose in (0.5, 2.0):
        for n in (1, 3, 5):
            t_k = np.array([24 * d + 9.0 for d in range(1, n + 1)])
            truth = dose * np.exp(-(24 * 6 - t_k) / 24.0).sum()
            assert ds.s.sel(dose=dose, sessions=n).item() == pytest.approx(truth, rel=1e-5)
            # the peak follows the last session: dose * sum exp(-(t_n - t_k)/24), within one
            # hourly output step (exp(-1/24) = 0.96)
            peak = dose * np.exp(-(t_k[-1] - t_k) / 24.0).sum()
            assert ds.peak.sel(dose=dose, sessions=n).item() == pytest.approx(peak, rel=0.05)


def test_real_model_course_scan_equals_simulate_model_and_does_not_disturb_it(monkeypatch):
    """cx43_autophagy_mtor (events for sessions, injury) on a 3-day course: each point equals
    simulate_model to 1e-9 relative (both paths; measured 2e-12: simulate_model's init() writes rebuild
    the model and its integrator, the scan reuses one), with simulate_model calls interleaved in the same
    process (the scan's runner is its own: sharing one lost a run's changes), and a rerun is bit-equal."""
    monkeypatch.delenv("MECHTMS_MODELS_DIR")
    from mechtms import models

    models.clear_cache()
    base = protocols.preset_course("sci_15hz_mouse").replace(days=3)
    target = ModelTarget("cx43_autophagy_mtor", course=base, changes={"injury": 1.0}, t_end=24 * 5, points=24 * 5 + 1)
    space = {"g_trophic": [0.5, 1.0], "dose": [0.5, 2.0]}
    first = scan(target, space, readouts=["BMS", "pmTOR", "max(stim)"])
    for g in (0.5, 1.0):
        for dose in (0.5, 2.0):
            kw = {"course": base, "changes": {"injury": 1.0, "g_trophic": g}, "session_doses": dose,
                  "t_end": 24 * 5, "points": 24 * 5 + 1, "selections": ["BMS", "pmTOR", "stim"]}
            ref = ode.simulate_model("cx43_autophagy_mtor", **kw)
            point = first.sel(g_trophic=g, dose=dose)
            np.testing.assert_allclose(point.BMS.item(), ref.BMS.values[-1], rtol=1e-9)
            np.testing.assert_allclose(point.pmTOR.item(), ref.pmTOR.values[-1], rtol=1e-9)
            np.testing.assert_allclose(point["max(stim)"].item(), ref.stim.values.max(), rtol=1e-9)
    again = scan(target, space, readouts=["BMS", "pmTOR", "max(stim)"])
    for name in ("BMS", "pmTOR", "max(stim)"):
        np.testing.assert_array_equal(again[name].values, first[name].values)
    assert first.BMS.sel(dose=2.0, g_trophic=1.0) != first.BMS.sel(dose=0.5, g_trophic=1.0)
    # a point's bits do not depend on the points run before it (so chunking and engines do not matter)
    from mechtms.scans._targets import parse_readouts

    ro = parse_readouts(["BMS", "pmTOR"])
    alone = target.evaluate({"g_trophic": 0.5, "dose": 0.5}, 0, ro)
    target.evaluate({"g_trophic": 1.0, "dose": 2.0}, 0, ro)
    target.evaluate({"g_trophic": 0.7, "dose": 0.1, "sessions": 2}, 0, ro)
    assert target.evaluate({"g_trophic": 0.5, "dose": 0.5}, 0, ro) == alone


def test_course_from_axes_builds_protocol_and_calendar():
    base = protocols.preset_course("sci_15hz_mouse")
    c = course_from_axes(base, {"frequency_hz": 10.0, "intensity_rmt": 110.0, "pulses": 600, "sessions": 14})
    assert c.protocol.frequency_hz == 10.0 and c.protocol.pulses == 600
    assert c.protocol.intensity_rmt == pytest.approx(110.0) and c.n_sessions == 14
    weekdays = course_from_axes(base.replace(days_per_week=5), {"sessions": 10})
    assert weekdays.n_sessions == 10 and weekdays.days == 12  # two Mon-Fri blocks: day offsets 0-4, 7-11
    twice = course_from_axes(base, {"sessions_per_day": 2, "sessions": 6})
    assert twice.n_sessions == 6 and twice.days == 3 and len(twice.clock_h) == 2
    with pytest.raises(ValueError, match="sessions=5 is not a multiple of sessions_per_day=2"):
        course_from_axes(base, {"sessions_per_day": 2, "sessions": 5})


# ---- designs ----------------------------------------------------------------------------------
def test_latin_hypercube_is_stratified_and_seeded():
    """LHS (McKay et al. 1979): each of n equal strata of every axis holds exactly one sample."""
    space = {"method": "lhs", "n": 20, "bounds": {"x1": (0, 1), "x2": (-2, 2), "x3": (5, 6)}}
    ds = scan(examples.weighted_sum, space)
    assert ds.y.dims == ("sample",) and ds.sizes["sample"] == 20
    for axis, (lo, hi) in space["bounds"].items():
        strata = np.floor((ds[axis].values - lo) / (hi - lo) * 20).astype(int)
        assert sorted(strata) == list(range(20))
    np.testing.assert_allclose(ds.y, ds.x1 - 5 * ds.x2, rtol=1e-12)
    again = scan(examples.weighted_sum, space)
    np.testing.assert_array_equal(again.x1, ds.x1)
    other = scan(examples.weighted_sum, space, seed=1)
    assert not np.array_equal(other.x1, ds.x1)


@pytest.mark.parametrize("method, n, rows", [("sobol", 16, 16), ("saltelli", 8, 8 * (2 + 2)), ("morris", 4, 4 * 3)])
def test_design_sizes(method, n, rows):
    """Row counts of SALib's designs: Saltelli n(D+2) without second order, Morris n(D+1)."""
    from mechtms.scans import FunctionTarget

    target = FunctionTarget(examples.weighted_sum, x3=0.0)
    ds = scan(target, {"method": method, "n": n, "bounds": {"x1": (0, 1), "x2": (0, 1)}, "integers": []})
    assert ds.sizes["sample"] == rows and ((ds.x1 >= 0) & (ds.x1 <= 1)).all()


def test_integer_axes_are_rounded():
    ds = scan(examples.fails_at, {"method": "lhs", "n": 10, "bounds": {"x": (4, 50)}, "integers": ["x"]})
    assert ds.x.dtype.kind == "i" and np.all(ds.y == ds.x.values ** 2)


# ---- seeds, failures ---------------------------------------------------------------------------
def test_point_seed_derives_from_scan_seed_and_index_only():
    ds = scan(examples.noisy_line, {"x": [0.0, 1.0, 2.0, 3.0]}, seed=7, chunk_size=1)
    seeds = point_seeds(7, np.arange(4))
    np.testing.assert_array_equal(ds.seed.values, seeds)
    assert len(set(seeds.tolist())) == 4
    for i, x in enumerate([0.0, 1.0, 2.0, 3.0]):
        assert ds.y.values[i] == examples.noisy_line(x, seed=int(seeds[i]))["y"]
    common = scan(examples.noisy_line, {"x": [0.0, 1.0]}, seed=7, common_seed=True)
    assert (common.seed == 7).all()
    # common random numbers: the noise is the same at every x, so y - 2x is constant
    assert (common.y - 2 * common.x).std().item() == pytest.approx(0, abs=1e-12)


def test_failing_point_is_recorded_with_message(tmp_path):
    ds = scan(examples.fails_at, {"x": [1.0, 2.0, 3.0, 4.0]}, store=tmp_path / "f.zarr", chunk_size=2)
    np.testing.assert_array_equal(ds.status.values, [1, 1, 2, 1])
    assert np.isnan(ds.y.values[2]) and ds.y.values[3] == 16.0
    assert ds.error.values[2] == "FloatingPointError: solver diverged at x=3" and ds.attrs["n_failed"] == 1
    back = open_scan(tmp_path / "f.zarr")
    assert back.error.values[2] == ds.error.values[2] and back.status.values.tolist() == [1, 1, 2, 1]


def test_solver_failure_of_a_model_point_is_recorded():
    """CVODE gives up when maximum_num_steps is too small for a stiff point; others complete."""
    target = ModelTarget("closed_forms", t_end=10, points=2, max_steps=200)
    ds = scan(target, {"ka": [1.0, 1e4]})
    assert ds.status.values.tolist() == [1, 2]
    assert "integration failed" in ds.error.values[1] and np.isfinite(ds.X.values[0])


# ---- store -------------------------------------------------------------------------------------
def test_store_round_trip_and_resume_skips_finished_points(tmp_path):
    log = tmp_path / "calls.log"
    target = mt.scans.FunctionTarget(examples.slow_square, delay_s=0.0, log_path=str(log))
    store = tmp_path / "s.zarr"
    first = scan(target, {"x": list(range(10))}, store=store, chunk_size=3)
    assert len(log.read_text().split()) == 10
    again = scan(target, {"x": list(range(10))}, store=store, chunk_size=3)
    assert len(log.read_text().split()) == 10  # nothing re-run
    import xarray as xr

    xr.testing.assert_identical(first.drop_attrs(), again.drop_attrs())
    # a chunk lost in flight (status pending) is the only thing recomputed
    import zarr

    group = zarr.open_group(str(store), mode="r+")
    group["status"][3:6] = 0
    resumed = scan(target, {"x": list(range(10))}, store=store)
    assert len(log.read_text().split()) == 13  # the one pending chunk of 3 points, nothing else
    np.testing.assert_array_equal(resumed.y.values, first.y.values)
    xr.testing.assert_identical(open_scan(store).drop_attrs(), first.drop_attrs())


def test_netcdf_round_trip(tmp_path):
    import xarray as xr

    ds = scan(decay_target(), {"k": [0.1, 0.2]}, readouts=["X"])
    ds.to_netcdf(tmp_path / "s.nc", engine="h5netcdf")
    xr.testing.assert_identical(xr.load_dataset(tmp_path / "s.nc", engine="h5netcdf"), ds)


@pytest.mark.parametrize("change, message", [
    ({"space": {"k": [0.1, 0.3]}}, r"holds a different scan: space\.grid\.k differs \(store: \[0\.1, 0\.2\], now: \[0\.1, 0\.3\]\)"),
    ({"readouts": ["Kp"]}, r"holds a different scan: readouts differs \(store: \[\[\"X\", \"X\"\]\], now: \[\[\"Kp\", \"Kp\"\]\]\)"),
    ({"seed": 3}, r"holds a different scan: seed differs \(store: 0, now: 3\)"),
    ({"target": "t_end=20"}, r"target\.t_end differs \(store: 10\.0, now: 20\.0\)"),
])
def test_mismatched_resume_is_refused(tmp_path, change, message):
    store = tmp_path / "m.zarr"
    scan(decay_target(), {"k": [0.1, 0.2]}, store=store, readouts=["X"])
    kw = {"target": decay_target(), "space": {"k": [0.1, 0.2]}, "readouts": ["X"], "seed": 0, **change}
    if kw["target"] == "t_end=20":
        kw["target"] = ModelTarget("closed_forms", t_end=20, points=101)
    with pytest.raises(ValueError, match=message):
        scan(kw.pop("target"), kw.pop("space"), store=store, **kw)
    # resume=False starts over
    ds = scan(decay_target(), {"k": [0.1, 0.3]}, store=store, readouts=["X"], resume=False)
    assert ds.X.values[1] == pytest.approx(math.exp(-3), rel=1e-6)


def test_store_that_is_not_a_scan_is_refused(tmp_path):
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "precious.txt").write_text("x")
    with pytest.raises(ValueError, match="exists and is not a mechtms scan store"):
        scan(decay_target(), {"k": [0.1]}, store=tmp_path / "other", resume=False)
    assert (tmp_path / "other" / "precious.txt").exists()


# ---- sensitivity ----------------------------------------------------------------------------------
def test_sobol_indices_of_ishigami_match_analytic():
    """Ishigami a=7, b=0.1: S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437)
    (Sobol & Levitan 1999; SALib's own test values). Saltelli estimator, n=1024: within 0.05."""
    pi = math.pi
    s = mt.sensitivity(examples.ishigami, {"x1": (-pi, pi), "x2": (-pi, pi), "x3": (-pi, pi)},
                       n=1024, engine="serial", progress=False)
    assert s.S1.dims == ("readout", "parameter") and list(s.parameter.values) == ["x1", "x2", "x3"]
    np.testing.assert_allclose(s.S1.sel(readout="y"), [0.3139, 0.4424, 0.0], atol=0.05)
    np.testing.assert_allclose(s.ST.sel(readout="y"), [0.5576, 0.4424, 0.2437], atol=0.05)
    assert (s.S1_conf > 0).all() and s.attrs["n_runs"] == 1024 * 5


def test_morris_of_linear_function_is_exact():
    """Linear y = w . x on [0, 1]^3: every elementary effect equals w_i (Morris 1991), so
    mu* = |w_i|, mu = w_i, sigma = 0."""
    s = mt.sensitivity(examples.weighted_sum, {"x1": (0, 1), "x2": (0, 1), "x3": (0, 1)}, method="morris",
                       n=10, engine="serial", progress=False)
    np.testing.assert_allclose(s.mu_star.sel(readout="y"), [1.0, 5.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(s.mu.sel(readout="y"), [1.0, -5.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(s.sigma.sel(readout="y"), 0.0, atol=1e-9)


def test_sensitivity_with_failed_points_gives_nan_and_warns():
    # Morris levels on [0, 9] with 4 levels are 0, 3, 6, 9: x = 3 (the failing point) is drawn
    with pytest.warns(RuntimeWarning, match=r"read-out 'y' has [1-9]\d* failed or non-finite points"):
        s = mt.sensitivity(examples.fails_at, {"x": (0, 9)}, method="morris", n=4, integers=["x"],
                           engine="serial", progress=False, seed=1)
    assert np.isnan(s.mu_star).all()


# ---- errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize("target, space, kw, exc, message", [
    (decay_target, {"kk": [1]}, {}, KeyError, r"unknown axis \(parameter or species of closed_forms\) 'kk'\. Did you mean 'k'"),
    (decay_target, {"frequency_hz": [1]}, {}, ValueError, r"axis 'frequency_hz' needs a course"),
    (decay_target, {"k": [1]}, {"readouts": ["Xx"]}, KeyError, r"unknown read-out variable of closed_forms 'Xx'\. Did you mean 'X'"),
    (decay_target, {"k": [1]}, {"readouts": ["X@hour=3"]}, ValueError, r"a model's coordinates are 'time' and 'day'"),
    (decay_target, {"k": [1]}, {"readouts": ["sum(X)"]}, ValueError, r"read-out 'sum\(X\)' not understood"),
    (decay_target, {"k": [1, 1]}, {}, ValueError, r"axis 'k' repeats a value"),
    (decay_target, {"k": [1]}, {"engine": "slurm"}, ValueError, r"unknown engine 'slurm'"),
    (decay_target, {"k": [1]}, {"readouts": {"k": "X"}}, ValueError, r"read-out name 'k' is also an axis"),
    (decay_target, {"method": "lhs", "n": 4}, {}, ValueError, r"a 'lhs' design needs 'n' and 'bounds'"),
    (decay_target, {"method": "latin", "n": 4, "bounds": {"k": (0, 1)}}, {}, ValueError, r"unknown space\['method'\] 'latin'"),
    (decay_target, {"method": "saltelli", "n": 100, "bounds": {"k": (0, 1)}}, {}, ValueError, r"n a power of 2.*try 128"),
    (decay_target, {"method": "lhs", "n": 4, "bounds": {"k": (1, 0)}}, {}, ValueError, r"bounds of 'k' must have low < high"),
    (lambda: examples.ishigami, {"x4": [1]}, {}, ValueError, r"unknown argument of mechtms\.scans\.examples:ishigami 'x4'"),
    (lambda: (lambda x: {"y": x}), {"x": [1]}, {}, ValueError, r"must be defined at the top level of an importable module"),
    (lambda: "closed_form", {"x": [1]}, {}, KeyError, r"unknown scan target .* 'closed_form'\. Did you mean 'closed_forms'"),
    (lambda: "closed_forms", {"k": [1]}, {}, ValueError, r"needs a time span: use mechtms\.scans\.ModelTarget"),
    (lambda: "mechtms.scans.examples:ishigamy", {"x1": [1]}, {}, ValueError, r"Did you mean 'ishigami'"),
])
def test_errors_name_the_value_and_the_fix(target, space, kw, exc, message):
    with pytest.raises(exc, match=message):
        scan(target(), space, **kw)


def test_unknown_function_readout_fails_the_point_not_the_scan():
    ds = scan(examples.noisy_line, {"x": [1.0]}, readouts=["noise", "y"])
    assert ds.status.item() == 1
    ds = scan(examples.noisy_line, {"x": [1.0]}, readouts=["zz"])
    assert ds.status.item() == 2 and "unknown read-out variable 'zz'" in ds.error.item()


# ---- CLI -------------------------------------------------------------------------------------------
SPEC = """
readouts = ["X", "max(Kp)"]
store = "cli.zarr"
engine = "serial"
[target]
model = "closed_forms"
t_end = 10
points = 101
[space]
k = [0.1, 0.5]
ka = [1.0, 2.0, 3.0]
[sensitivity]
method = "morris"
n = 4
bounds = { k = [0.1, 1.0], ka = [1.0, 3.0] }
"""


def run_cli(*args):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "mechtms", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def test_cli_scan_and_sensitivity(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    r = run_cli("scan", spec, "--output", tmp_path / "out.nc")
    assert r.returncode == 0, r.stderr
    assert "scan: 6 points, 6 done, 0 failed" in r.stdout and (tmp_path / "cli.zarr").is_dir()
    ds = open_scan(tmp_path / "cli.zarr")
    assert ds.X.sel(k=0.5, ka=1.0).item() == pytest.approx(math.exp(-5), rel=1e-6)
    r = run_cli("sensitivity", spec, "--store", tmp_path / "sens.zarr")
    assert r.returncode == 0, r.stderr
    assert "morris sensitivity, 12 runs" in r.stdout and "mu_star" in r.stdout
    spec.write_text(SPEC.replace("k = [0.1, 0.5]", "k = [0.1, 0.6]"))
    r = run_cli("scan", spec)
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "holds a different scan: space.grid.k differs" in r.stderr
    r = run_cli("scan", spec, "--no-resume")
    assert r.returncode == 0 and "6 done" in r.stdout


def test_cli_spec_errors_are_one_line(tmp_path):
    spec = tmp_path / "bad.toml"
    spec.write_text("[space]\nk = [1]\n")
    r = run_cli("scan", spec)
    assert r.returncode == 2 and "missing [target]" in r.stderr and r.stderr.count("\n") == 1
    spec.write_text("[target]\nmodel = 'closed_forms'\nt_end = 1\n[spcae]\n")
    r = run_cli("scan", spec)
    assert r.returncode == 2 and "unknown key of bad.toml 'spcae'. Did you mean 'space'" in r.stderr
    r = run_cli("scan", "--help")
    assert r.returncode == 0 and "[sensitivity]" in r.stdout and "method = \"lhs\"" in r.stdout


# ---- figures ---------------------------------------------------------------------------------------
def test_heatmap_and_sobol_bars():
    import matplotlib

    matplotlib.use("Agg")
    from mechtms import scans_plots

    ds = scan(examples.fails_at, {"x": [1.0, 2.0, 3.0], "bad": [3.0, 9.0]})
    ax = scans_plots.heatmap(ds, "y", x="x", y="bad")
    # the failed point (x = 3, bad = 3) is a blank cell: seaborn masks NaN
    cells = ax.collections[0].get_array()
    assert cells.size == 6 and np.ma.count_masked(cells) == 1
    with pytest.raises(ValueError, match=r"unknown grid axis 'frequency_hz'"):
        scans_plots.heatmap(ds, "y")
    s = mt.sensitivity(examples.weighted_sum, {"x1": (0, 1), "x2": (0, 1), "x3": (0, 1)}, n=8,
                       engine="serial", progress=False)
    fig = scans_plots.sobol_bars(s)
    assert len(fig.axes) == 1 and len(fig.axes[0].containers) >= 2


def test_worker_with_another_model_version_fails_points_and_retry_failed_reruns_them(tmp_path, monkeypatch, closed_form_models):
    """A worker whose models/ differ from the scan's definition must not mix model versions."""
    import os
    import shutil

    from mechtms import models

    shutil.copy(closed_form_models / "closed_forms.ant", tmp_path / "closed_forms.ant")
    monkeypatch.setenv("MECHTMS_MODELS_DIR", str(tmp_path))
    models.clear_cache()
    target = ModelTarget("closed_forms", t_end=10, points=11)
    source = (tmp_path / "closed_forms.ant").read_text()
    (tmp_path / "closed_forms.ant").write_text(source.replace("k = 0.5;", "k = 0.6;"))
    os.utime(tmp_path / "closed_forms.ant", ns=(1, 1))
    store = tmp_path / "v.zarr"
    ds = scan(target, {"ka": [1.0, 2.0]}, store=store, readouts=["X"])
    assert (ds.status == 2).all()
    assert "differs from the one this scan was defined with" in ds.error.values[0]
    (tmp_path / "closed_forms.ant").write_text(source)
    os.utime(tmp_path / "closed_forms.ant", ns=(2, 2))
    assert (scan(target, {"ka": [1.0, 2.0]}, store=store, readouts=["X"]).status == 2).all()  # kept
    ds = scan(target, {"ka": [1.0, 2.0]}, store=store, readouts=["X"], retry_failed=True)
    assert (ds.status == 1).all() and ds.X.values[0] == pytest.approx(math.exp(-5), rel=1e-6)


# ---- the whole chain ------------------------------------------------------------------------------
def test_course_target_equals_mechtms_simulate(monkeypatch):
    """A course scan point is mechtms.simulate on the course built from the axis values, with the
    point's seed, reduced by the read-outs (10 sampled synapses and 2-day courses to keep it quick)."""
    monkeypatch.delenv("MECHTMS_MODELS_DIR")  # the chain needs the real models
    from mechtms import models
    from mechtms.coupling import NetworkOptions
    from mechtms.scans import CourseTarget

    models.clear_cache()
    opts = NetworkOptions(n_synapses=10, max_pulses=10)
    target = CourseTarget(protocols.preset_course("sci_15hz_mouse"), condition="sci", network=opts)
    ds = scan(target, {"frequency_hz": [5.0, 15.0], "sessions": [2]}, seed=3,
              readouts=["BMS", "pmTOR", "dW_percent", "BMS@day=1"])
    assert (ds.status == 1).all(), ds.error.values
    assert ds.dW_percent.attrs["units"] == "%"
    definition = json.loads(ds.attrs["scan"])["target"]
    assert definition["options"]["network"] == {"type": "NetworkOptions", **dataclasses.asdict(opts)}
    base = protocols.preset_course("sci_15hz_mouse")
    for i, f in enumerate([5.0, 15.0]):
        course = base.replace(days=2, protocol=base.protocol.replace(frequency_hz=f))
        ref = mt.simulate(course, condition="sci", seed=int(ds.seed.values[i, 0]), network=opts)
        point = ds.isel(frequency_hz=i, sessions=0)
        assert point.BMS.item() == ref.BMS.values[-1] and point.pmTOR.item() == ref.pmTOR.values[-1]
        assert point.dW_percent.item() == ref.dW_percent.values[-1]
        assert point["BMS@day=1"].item() == ref.BMS.sel(day=1).item()
    with pytest.raises(KeyError, match="unknown axis of a course scan 'frequency'. Did you mean 'frequency_hz'"):
        scan(target, {"frequency": [5.0]})


def test_course_scan_over_the_training_after_each_session(monkeypatch):
    """The training axes (fields of mechtms.consolidation.Training) reach mt.simulate's training
    option: a point equals mt.simulate with that Training (the healthy condition's iTBS 600, two
    daily sessions on the baseline network (coupling=False, so the network runs are shared), the
    consolidated change at the end; 10 sampled synapses)."""
    monkeypatch.delenv("MECHTMS_MODELS_DIR")
    from mechtms import models
    from mechtms.consolidation import Training
    from mechtms.coupling import NetworkOptions
    from mechtms.scans import CourseTarget

    models.clear_cache()
    opts = NetworkOptions(n_synapses=10, max_pulses=10)
    course = protocols.course(protocols.preset("itbs_600"), days=2, start_day=1)
    target = CourseTarget(course, condition="healthy", network=opts, coupling=False)
    ds = scan(target, {"training_start_h": [0.5, 3.0]}, seed=3, readouts=["w_late"])
    assert (ds.status == 1).all(), ds.error.values
    ref = mt.simulate(course, condition="healthy", seed=int(ds.seed.values[0]), network=opts, coupling=False,
                      training=Training(start_h=0.5))
    assert ds.w_late.values[0] == ref.w_late.values[-1]
    assert ds.w_late.values[0] > ds.w_late.values[1]      # the sooner, the more (tag lifetime)


def test_cli_spec_builds_chain_and_function_targets(tmp_path):
    from mechtms.cli.scan_cmd import load_spec, make_target_from_spec
    from mechtms.coupling import NetworkOptions
    from mechtms.scans import CourseTarget, FunctionTarget

    spec = tmp_path / "chain.toml"
    spec.write_text('store = "out/s.zarr"\n[target]\nchain = true\ncourse = "sci_15hz_mouse"\ncondition = "sci"\n'
                    'network = { n_synapses = 10, max_pulses = 10 }\n[space]\nfrequency_hz = [5, 15]\n')
    table = load_spec(spec)
    assert table["store"] == str(tmp_path / "out" / "s.zarr")
    target = make_target_from_spec(table["target"])
    assert isinstance(target, CourseTarget) and target.options["network"] == NetworkOptions(n_synapses=10, max_pulses=10)
    assert target.course.n_sessions == 28 and target.condition == "sci"
    target = make_target_from_spec({"function": "mechtms.scans.examples:weighted_sum", "fixed": {"x3": 1.0}})
    assert isinstance(target, FunctionTarget) and target.fixed == {"x3": 1.0}
    with pytest.raises(ValueError, match=r"\[target\] needs exactly one of model, function or chain = true; got \['model', 'chain'\]"):
        make_target_from_spec({"model": "closed_forms", "chain": True})
