"""The libroadrunner boundary: change order, closed forms in units of the tolerance, courses.

Closed forms (STYLE.md §5, after scipy's test_ivp): e = |y - y_true| / (atol + rtol |y_true|).
CVODE controls the *local* error; the global error grows with the number of steps. Measured
here on X' = -0.5 X over 5 time constants: max e = 5-31 for rtol 1e-6..1e-10 (atol = rtol/100
or rtol/1e4), e < 0.01 within the first time constant. So: e < 5 within one time constant,
e < 50 over the whole run.
"""


import numpy as np
import pytest

from mechtms import ode, protocols

pytestmark = pytest.mark.usefixtures("closed_form_models")  # tests/conftest.py


def err_units(y, y_true, rtol, atol):
    return np.max(np.abs(y - y_true) / (atol + rtol * np.abs(y_true)))


def test_first_order_decay_matches_closed_form():
    rtol, atol = 1e-8, 1e-10
    ds = ode.simulate_model("closed_forms", t_end=10, points=101, rtol=rtol, atol=atol)
    t = ds.time.values
    e = np.abs(ds.X.values - np.exp(-0.5 * t)) / (atol + rtol * np.exp(-0.5 * t))
    assert e[t <= 2].max() < 5
    assert e.max() < 50


def test_two_state_kinase_steady_state():
    rtol, atol = 1e-8, 1e-10
    ds = ode.simulate_model("closed_forms", changes={"ka": 3.0, "kd": 0.5}, t_end=40, points=5, rtol=rtol, atol=atol)
    assert err_units(ds.Kp.values[-1], 3.0 / 3.5, rtol, atol) < 5


def test_change_order_keeps_parameters_and_initial_values():
    # Trap (roadrunner.md): setting init(X) after a parameter reverts the parameter.
    ds = ode.simulate_model("closed_forms", changes={"k": 2.0, "X": 3.0}, t_end=1, points=11)
    np.testing.assert_allclose(ds.X.values, 3.0 * np.exp(-2.0 * ds.time.values), rtol=1e-6)
    rr = __import__("mechtms").load_model("closed_forms")
    assert rr["X2"] == pytest.approx(4.0)  # initial assignment re-evaluated with k = 2


def test_runs_do_not_leak_changes():
    ode.simulate_model("closed_forms", changes={"k": 5.0}, t_end=1, points=3)
    ds = ode.simulate_model("closed_forms", t_end=1, points=3)
    assert ds.X.values[-1] == pytest.approx(np.exp(-0.5), rel=1e-6)


def test_units_and_provenance():
    ds = ode.simulate_model("closed_forms", t_end=1, points=3)
    assert ds.X.attrs["units"] == "uM" and ds.signal.attrs["units"] == "dimensionless"
    assert ds.time.attrs["units"] == "hour" and "day" in ds.coords
    for key in ("mechtms_version", "model", "sbml_sha256", "roadrunner_version", "rtol", "atol"):
        assert key in ds.attrs
    assert len(ds.attrs["sbml_sha256"]) == 64


def test_netcdf_round_trip(tmp_path):
    import xarray as xr

    ds = ode.simulate_model("closed_forms", changes={"k": 1.0}, t_end=2, points=5)
    ds.to_netcdf(tmp_path / "r.nc", engine="h5netcdf")
    back = xr.load_dataset(tmp_path / "r.nc", engine="h5netcdf")
    xr.testing.assert_identical(ds, back)


def test_course_sessions_are_events_with_closed_form():
    rtol, atol = 1e-8, 1e-10
    c = protocols.course(protocols.itbs(600), days=3, start_day=1, clock_h=9)
    ds = ode.simulate_model("closed_forms", course=c, session_doses=[1.0, 2.0, 0.5], rtol=rtol, atol=atol,
                            points=4 * 24 * 4 + 1)
    t = ds.time.values
    starts, doses = [33.0, 57.0, 81.0], [1.0, 2.0, 0.5]
    expected = sum(d * np.exp(-(t - s) / 3.0) * (t >= s) for s, d in zip(starts, doses, strict=True))
    # away from the jump instants, where output sampling cannot resolve the discontinuity
    mask = np.all([np.abs(t - s) > 1e-9 for s in starts], axis=0)
    assert err_units(ds.signal.values[mask], expected[mask], rtol, atol) < 50
    assert ds.time.values[-1] == 4 * 24  # default t_end: end of the last course day


def test_session_at_time_zero_is_not_lost():
    c = protocols.course(protocols.itbs(600), days=1, start_day=0, clock_h=0)
    ds = ode.simulate_model("closed_forms", course=c, t_end=3, points=4)
    assert ds.signal.values[1] == pytest.approx(np.exp(-1 / 3), rel=1e-6)


def test_sham_course_delivers_zero_dose():
    c = protocols.course(protocols.itbs(600).as_sham(), days=3)
    ds = ode.simulate_model("closed_forms", course=c)
    assert np.all(ds.signal.values == 0)


def test_unknown_names_suggest_close_matches():
    with pytest.raises(KeyError, match=r"unknown parameter or species of closed_forms 'kaa'. Did you mean 'ka'"):
        ode.simulate_model("closed_forms", changes={"kaa": 1}, t_end=1)
    with pytest.raises(KeyError, match=r"unknown model 'closed_form'. Did you mean 'closed_forms'"):
        ode.simulate_model("closed_form", t_end=1)
    with pytest.raises(KeyError, match=r"unknown variable of closed_forms 'Kpp'"):
        ode.simulate_model("closed_forms", t_end=1, selections=["Kpp"])


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"give t_end \(in hours\) or a course"):
        ode.simulate_model("closed_forms")
    with pytest.raises(ValueError, match=r"t_end must be > 0, got -1"):
        ode.simulate_model("closed_forms", t_end=-1)
    with pytest.raises(ValueError, match=r"changes\['k'\] must be finite, got nan"):
        ode.simulate_model("closed_forms", t_end=1, changes={"k": float("nan")})
    c = protocols.course(protocols.itbs(600), days=3)
    with pytest.raises(ValueError, match=r"session_doses has 2 values but the course has 3 sessions"):
        ode.simulate_model("closed_forms", course=c, session_doses=[1, 2])


def test_model_info_reads_header():
    from mechtms import models

    info = models.model_info("closed_forms")
    assert info.time_unit == "hour" and info.outputs == ("X", "Kp", "signal")
    assert info.session_input == "signal" and info.session_mode == "add"
    assert models.list_models() == ["closed_forms"]


def test_init_changes_do_not_survive_into_the_next_run():
    # init() values survive resetAll() in libroadrunner (roadrunner.md): apply_changes restores them.
    ode.simulate_model("closed_forms", changes={"k": 2.0, "X": 5.0, "ka": 9.0}, t_end=1, points=3)
    ds = ode.simulate_model("closed_forms", changes={"kd": 3.0}, t_end=1, points=3)
    assert ds.X.values[0] == 1.0 and ds.X.values[-1] == pytest.approx(np.exp(-0.5), rel=1e-6)
    rr = __import__("mechtms").load_model("closed_forms")
    assert (rr["k"], rr["ka"], rr["kd"]) == (0.5, 2.0, 3.0)


def test_course_run_piece_by_piece_equals_one_run():
    """Invariance (STYLE.md §7): sessions simulated one segment at a time, each starting
    from the previous segment's final state, equal one continuous run (to the solver
    tolerance: CVODE restarts at each segment boundary)."""
    import json

    rtol, atol = 1e-10, 1e-12
    c = protocols.course(protocols.itbs(600), days=4, start_day=1)
    doses = [1.0, 0.5, 2.0, 1.5]
    whole = ode.simulate_model("closed_forms", course=c, session_doses=doses, t_end=5 * 24, points=5 * 24 + 1,
                               rtol=rtol, atol=atol)
    # segments start 1 h before each session (never exactly on one: see ode._retire_past_sessions)
    starts = [t - 1.0 for t in c.session_start_times_h()] + [5 * 24.0]
    state, pieces = None, []
    first = ode.simulate_model("closed_forms", course=c, session_doses=doses, sessions=[], t_end=starts[0],
                               points=int(starts[0]) + 1, rtol=rtol, atol=atol)
    state = json.loads(first.attrs["final_state"])
    for k in range(c.n_sessions):
        seg = ode.simulate_model("closed_forms", course=c, session_doses=doses, sessions=[k], t_start=starts[k],
                                 t_end=starts[k + 1], points=int(starts[k + 1] - starts[k]) + 1,
                                 initial_state=state, rtol=rtol, atol=atol)
        state = json.loads(seg.attrs["final_state"])
        pieces.append(seg.sel(time=slice(None, starts[k + 1] - 0.5)))
    for name in ("X", "Kp", "signal"):
        at_end = whole[name].sel(time=starts[-1]).item()
        assert abs(state[name] - at_end) / (atol + rtol * abs(at_end)) < 50, name
    joined = np.concatenate([p.signal.values for p in pieces])
    t_joined = np.concatenate([p.time.values for p in pieces])
    ref = whole.signal.sel(time=t_joined).values
    assert np.max(np.abs(joined - ref) / (atol + rtol * np.abs(ref))) < 50


def test_sessions_subset_validation():
    c = protocols.course(protocols.itbs(600), days=2)
    with pytest.raises(ValueError, match=r"sessions \[5\] not in the course \(0..1\)"):
        ode.simulate_model("closed_forms", course=c, sessions=[5])


def test_segment_may_not_start_on_a_session():
    c = protocols.course(protocols.itbs(600), days=2, start_day=1)
    with pytest.raises(ValueError, match=r"t_start=33 falls exactly on session 0; start the segment before"):
        ode.simulate_model("closed_forms", course=c, t_start=33, t_end=40)


def test_sessions_before_a_late_start_are_history():
    """A run from t=40 with sessions at 33 and 57 delivers only the one at 57, and the
    next run is unaffected (the libroadrunner stale-trigger trap)."""
    c = protocols.course(protocols.itbs(600), days=2, start_day=1)
    late = ode.simulate_model("closed_forms", course=c, t_start=40, t_end=60, points=21)
    assert late.signal.sel(time=56).item() == 0.0
    assert late.signal.sel(time=58).item() == pytest.approx(np.exp(-1 / 3), rel=1e-6)
    again = ode.simulate_model("closed_forms", course=c, t_start=32, t_end=34, points=3)
    assert again.signal.values[0] == 0.0 and again.signal.values[-1] == pytest.approx(np.exp(-1 / 3), rel=1e-6)
    at_zero = protocols.course(protocols.itbs(600), days=2, start_day=0, clock_h=0)
    ode.simulate_model("closed_forms", course=at_zero, t_start=10, t_end=30, points=3)
    first = ode.simulate_model("closed_forms", course=at_zero, t_end=3, points=4)
    assert first.signal.values[1] == pytest.approx(np.exp(-1 / 3), rel=1e-6)  # the t = 0 session still fires


def test_fast_writes_equal_roadrunner_init_writes_on_a_fresh_runner():
    """apply_changes writes initial values through the model's setter (~10 us); a fresh
    RoadRunner given them with RoadRunner.setValue("init(x)") (~65 ms each, regenerates
    the model) runs the same course, initial assignments included (X2 = 2 k)."""
    import roadrunner

    from mechtms import models

    c = protocols.course(protocols.itbs(600), days=3)
    changes = {"kd": 0.3, "k": 0.8, "X": 2.0}
    fast = ode.simulate_model("closed_forms", course=c, changes=changes, selections=["X", "Kp", "signal", "X2"])
    info = models.model_info("closed_forms")
    source = models.antimony_to_sbml(models._with_extra(models.antimony_source("closed_forms"),
                                                        ode.course_events(c.n_sessions, "signal")))
    rr = roadrunner.RoadRunner(source)
    for name, value in {**ode.course_changes(c, info), **changes}.items():
        rr.setValue(f"init({name})", value)
    rr.resetAll()
    rr.getIntegrator().setValue("relative_tolerance", ode.DEFAULT_RTOL)
    rr.getIntegrator().setValue("absolute_tolerance", ode.DEFAULT_ATOL)
    rr.timeCourseSelections = ["time", "X", "Kp", "signal", "X2"]
    slow = np.asarray(rr.simulate(0, float(fast.time[-1]), fast.sizes["time"]))
    for i, name in enumerate(("X", "Kp", "signal", "X2"), start=1):
        np.testing.assert_allclose(fast[name].values, slow[:, i], rtol=1e-9, atol=1e-12, err_msg=name)
    assert fast.X2.values[0] == pytest.approx(1.6)
