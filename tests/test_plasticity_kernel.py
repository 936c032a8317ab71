"""The numba integrator of the synapse (mechtms.plasticity._kernel) against libroadrunner on the SBML.

The SBML model (models/calcium_plasticity.ant) is the single description of the synapse;
mechtms.plasticity.model.sbml_with_events feeds it an explicit event train (each event a
copy of the model's own depol/pre/bap event). Errors are in units of the integrator's
tolerance, e = |y - y_ref| / (atol + rtol |y_ref|) (STYLE.md §5), with libroadrunner at
rtol 1e-11 / atol 1e-14 as the reference. Measured (seed 1 train below): max e 2.1
(Ca) at rtol 1e-6 / atol 1e-9; 3.7 (W) at rtol 1e-8 / atol 1e-11.
"""

import numpy as np
import pytest

from mechtms.plasticity import _kernel as K
from mechtms.plasticity import model as mdl
from mechtms.plasticity import population as pop

T_END = 4.0


def _train(seed=1):
    """Bursts, single pulses and random spikes over 3 s, with simultaneous events at 0.6, 0.62,
    0.64 and 1.2 s (depolarisation and release together: the order depol, pre, bAP matters)."""
    rng = np.random.default_rng(seed)
    t_pre = np.sort(np.r_[0.05 + np.arange(3) * 0.02, 0.6 + np.arange(3) * 0.02, 1.2, 1.5, rng.uniform(0.1, 2.9, 15)])
    t_bap = np.sort(np.r_[0.064, 0.61, 1.19, rng.uniform(0.1, 2.9, 8)])
    t_dep = np.r_[0.05, 0.07, 0.09, 0.6, 0.62, 0.64, 1.2, 2.0]
    a_dep = np.r_[12, 8, 8, 25, 20, 20, 15, 30.0]
    times = np.r_[t_dep, t_pre, t_bap]
    kinds = np.r_[np.zeros(t_dep.size), np.ones(t_pre.size), np.full(t_bap.size, 2)].astype(np.int64)
    amps = np.r_[a_dep, np.full(t_pre.size, 0.3), np.zeros(t_bap.size)]
    return times, kinds, amps


@pytest.fixture(scope="module")
def reference():
    import roadrunner

    times, kinds, amps = _train()
    changes = {"A_p": 1.5, "g_homeo": 0.8}
    rr = roadrunner.RoadRunner(mdl.sbml_with_events(times, kinds, amps, changes=changes))
    integ = rr.getIntegrator()
    integ.setValue("relative_tolerance", 1e-11)
    integ.setValue("absolute_tolerance", 1e-14)
    integ.setValue("maximum_num_steps", 10**6)
    rr.timeCourseSelections = ["time", "W", "Ca", "K", "M", "b_f", "b_s"]
    return (times, kinds, amps), np.asarray(rr.simulate(0.0, T_END, 401))


def _kernel_run(train, rec_t, rtol, atol):
    times, kinds, amps = train
    order = np.lexsort((kinds, times))
    events = pop.Events(np.array([0, times.size]), times[order], kinds[order], amps[order])
    return pop.integrate(mdl.parameters({"A_p": 1.5}), events, pop.initial_state(1), 0.0, T_END,
                         g_homeo=np.array([0.8]), rec_t=rec_t, rtol=rtol, atol=atol)


@pytest.mark.parametrize("rtol, atol, bound", [(1e-6, 1e-9, 10.0), (1e-8, 1e-11, 20.0)])
def test_kernel_equals_roadrunner_on_the_sbml_to_solver_precision(reference, rtol, atol, bound):
    """W, Ca, K and M of the integrator within ``bound`` tolerance units of libroadrunner
    (the train drives Ca to ~3 uM, K and M above threshold, W through LTD and LTP)."""
    train, ref = reference
    run = _kernel_run(train, ref[:, 0], rtol, atol)
    column = {"W": 0, "Ca": 1, "K": 2, "M": 3}
    for i, name in enumerate(("W", "Ca", "K", "M"), start=1):
        y, y_ref = run.rec[0, :, column[name]], ref[:, i]
        e = np.abs(y - y_ref) / (atol + rtol * np.abs(y_ref))
        assert e.max() < bound, (name, e.max())
    assert ref[:, 2].max() > 1.0 and abs(ref[-1, 1] - 1.0) > 0.05  # the comparison is not trivial


def test_simultaneous_events_act_in_the_stated_order(reference):
    """A depolarisation and a release at the same time: both jumps count (SBML events with
    fromTrigger=false and priorities depol > pre > bap; the kernel sorts by kind)."""
    train, ref = reference
    run = _kernel_run(train, np.array([0.6 + 1e-9, 0.65]), 1e-8, 1e-11)
    i = np.searchsorted(ref[:, 0], 0.65)
    assert run.rec[0, 1, 1] == pytest.approx(ref[i, 2], rel=1e-6)


def test_nmda_binding_is_bounded_by_one():
    """Destexhe et al. 1994: each release binds a fraction of the FREE receptors, so the bound
    fraction stays below 1 in any train (here 200 Hz for 2 s with no depression, U = 0, and a
    binding fraction of 0.9 per release); a linear sum of gating kernels reaches 23."""
    times = np.arange(1, 401) * 0.005
    events = pop.Events(np.array([0, times.size]), times, np.ones(times.size, dtype=np.int64), np.zeros(times.size))
    params = mdl.parameters({"U": 0.0, "rho": 0.9})
    run = pop.integrate(params, events, pop.initial_state(1), 0.0, 2.0, rec_t=times[-1:])
    bound = run.y_end[0, 1] + run.y_end[0, 2]
    assert 0.5 < bound < 1.0
    # the sum of the linear kernels (what an unsaturated model adds up)
    linear = np.sum(0.9 * (0.5 * np.exp(-(2.0 - times) / params.tau_f) + 0.5 * np.exp(-(2.0 - times) / params.tau_s)))
    assert linear > 20


def test_no_events_no_calcium_and_W_returns_with_tau_decay():
    """At rest Ca stays 0 and W relaxes to baseline with Shouval's tau(Ca = 0) = P1/P2 + P4."""
    params = mdl.parameters()
    y0 = pop.initial_state(1, W=1.2)
    events = pop.Events(np.array([0, 0]), np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0))
    run = pop.integrate(params, events, y0, 0.0, 3600.0, rtol=1e-9, atol=1e-12)
    expected = 1.0 + 0.2 * np.exp(-3600.0 / params.tau_decay)
    assert run.y_end[0, K.I_CA] == 0.0
    assert abs(run.y_end[0, K.I_W] - expected) / (1e-12 + 1e-9 * expected) < 10


def test_parallel_population_is_bit_identical_to_the_serial_loop(monkeypatch):
    """``run_population`` spreads synapses over threads (numba.prange); each synapse owns its
    scratch arrays and output rows, so the session must equal the serial loop bit for bit."""
    from mechtms import plasticity, protocols
    from mechtms.plasticity import drive

    activity = drive.slice_activity(5.0, 60, n_synapses=16, seed=4)
    p = protocols.rtms(5.0, 60, 100.0)
    parallel = plasticity.run_session(p, seed=4, activity=activity, after_s=60.0)
    monkeypatch.setattr(K, "run_population", K.run_population_serial)
    serial = plasticity.run_session(p, seed=4, activity=activity, after_s=60.0)
    for name in ("W_after", "W_session_end", "ca_integral_uM_s", "ca_peak_uM", "t_ltp_s"):
        np.testing.assert_array_equal(getattr(parallel, name), getattr(serial, name), err_msg=name)
