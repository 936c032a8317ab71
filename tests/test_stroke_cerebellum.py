"""Cerebellum -> thalamus -> cortex (mechtms.stroke.cerebellum) and the clinical proxies
(mechtms.stroke.proxies): closed forms, directions with sources, errors."""

import numpy as np
import pytest

import mechtms as mt
from mechtms import protocols
from mechtms.consolidation import Training
from mechtms.coupling import NetworkOptions
from mechtms.stroke import cerebellum as C
from mechtms.stroke import proxies as X

RTOL, ATOL = 1e-8, 1e-10  # the solver tolerances of mechtms.ode


def err(y, ref):
    return np.abs(np.asarray(y) - ref) / (ATOL + RTOL * np.abs(ref))


# ---- the rate model --------------------------------------------------------------------------
@pytest.mark.parametrize("pc_gain, mf", [(1.0, 1.0), (0.8, 1.0), (1.2, 0.9), (1.0, 0.6)])
def test_sbml_model_rests_at_its_closed_form_steady_state(pc_gain, mf):
    """The model starts at, and stays at, P = g P0 mf, D = D_exc mf - w P, T = T_o + w_DT D."""
    ds = mt.simulate_model(C.MODEL, changes={"pc_gain": pc_gain, "mf_input": mf}, t_end=50.0, points=6)
    ref = C.steady_state(pc_gain, mf)
    for name in ("P", "D", "T", "drive_rel"):
        assert np.max(err(ds[name].values, ref[name])) < 5


def test_closed_form_constants_match_the_model_file():
    info = mt.model_info(C.MODEL)
    text = info.path.read_text()
    for name, value in (("P0", C._P0), ("D_exc", C._D_EXC), ("w_PD", C._W_PD), ("T_other", C._T_OTHER),
                        ("w_DT", C._W_DT)):
        assert f"  {name} = {value:g} " in text, name


def test_purkinje_rate_relaxes_after_a_conditioning_pulse_with_tau_p():
    """Closed form: after a jump of cs_amp at t_cs the Purkinje rate returns as
    P(t) = P0 + cs_amp exp(-(t - t_cs)/tau_P) (tau_P = 2 ms)."""
    ds = mt.simulate_model(C.MODEL, changes={"cs_amp": 50.0, "t_cs": 5.0}, t_end=25.0, points=251)
    t = ds["time"].values
    after = t > 5.0 + 1e-9
    ref = 60.0 + 50.0 * np.exp(-(t[after] - 5.0) / 2.0)
    assert np.max(err(ds["P"].values[after], ref)) < 50  # tolerance-scale error of an event-restarted run


def test_cbi_deepens_with_conditioning_strength():
    """Cerebellar brain inhibition: a cerebellar pulse withdraws thalamocortical drive 5-7 ms
    later, more with stronger conditioning (Ugawa et al. 1995, Ann Neurol 37:703; intensity
    dependence: Daskalakis et al. 2004, J Physiol 557:689)."""
    dips = [C.cbi_dip(a) for a in (0.0, 20.0, 60.0, 120.0)]
    assert dips[0] == pytest.approx(1.0, abs=1e-6)
    assert all(b < a for a, b in zip(dips, dips[1:], strict=False))
    assert 0.4 < dips[2] < 0.95


def test_diaschisis_lowers_the_drive_to_the_affected_motor_cortex():
    """Crossed cerebellar diaschisis (less cortico-ponto-cerebellar input) lowers dentate output
    and so the thalamic drive of the affected M1."""
    assert C.thalamic_drive(mf_input=0.7) < C.thalamic_drive() == pytest.approx(1.0)
    assert C.thalamic_gain(0.8) == pytest.approx(1.0 + C.VL_SHARE * (0.8 - 1.0))


# ---- Purkinje plasticity over a course ----------------------------------------------------------
@pytest.fixture(scope="module")
def itbs_course():
    return protocols.preset_course("cerebellar_itbs_stroke")


#: The chain's session network, small for CI; the same as tests/test_stroke_course.py's SESSIONS, so that
#: both files share the plasticity run of the iTBS pattern (disk cache).
SESSIONS = NetworkOptions(n_neurons=300, n_synapses=30, max_periods=1)


def test_purkinje_session_is_the_chains_session_with_the_rules_sign(itbs_course):
    """Structure: the stimulated Purkinje synapses change by minus (inverse rule) or plus (cortical) the
    chain's plasticity population's early change for the same pulse pattern on the same network, and
    consolidate with that session's own BDNF dose (its evoked activity relative to the chain's reference
    session), as a cortical session does (mechtms.coupling.session_step)."""
    days = np.arange(0, 15)
    times = itbs_course.session_start_times_h()
    inv = C.purkinje_gain_course(itbs_course.protocol, times, days, network=SESSIONS)
    cor = C.purkinje_gain_course(itbs_course.protocol, times, days, rule="cortical", network=SESSIONS)
    assert inv["early_dW"][0] == -cor["early_dW"][0] != 0.0
    assert inv["pc_gain"][0] == 1.0                       # day 0: before the first session
    np.testing.assert_array_equal(inv["bdnf_dose"], cor["bdnf_dose"])
    ses = C.purkinje_session(itbs_course.protocol, "cortical", network=SESSIONS)
    assert ses["early_dW"] == ses["cortical_dW"] == cor["early_dW"][0]
    assert set(ses["activity"]) == {"post_spikes_per_cell", "ca_integral_uM_s"}


def test_inverse_rule_turns_itbs_into_less_purkinje_output(itbs_course):
    """Parallel fibre -> Purkinje synapses follow an inverse calcium rule (Coesmans et al. 2004,
    Neuron 44:691): the iTBS pattern that potentiates cortical synapses (Huang et al. 2005) depresses
    them, so Purkinje output falls and the dentato-thalamic drive of M1 rises over a course whose
    sessions are followed by therapy (the trials'; behavioural tagging, mechtms.consolidation.Training).
    Measured (tests' 300-neuron column): early change -17.3 % per session, BDNF dose 0.12, Purkinje
    gain 0.980 on day 14, thalamic drive +2.1 %.

    Without the therapy the same course leaves nothing lasting (Purkinje gain 0.99985 on day 14): the
    session is too weak to make plasticity-related proteins itself, as a weak tetanus (Frey & Morris
    1997). A prediction: cerebellar iTBS without training after it should not change balance."""
    days = np.arange(0, 15)
    times = itbs_course.session_start_times_h()
    inv = C.purkinje_gain_course(itbs_course.protocol, times, days, network=SESSIONS, training=Training())
    assert inv["early_dW"][0] < 0
    assert np.all(inv["pc_gain"][1:] < 0.999)
    assert C.thalamic_drive(inv["pc_gain"][-1]) > 1.01
    alone = C.purkinje_gain_course(itbs_course.protocol, times, days, network=SESSIONS)
    assert alone["pc_gain"][-1] > 0.999


def test_sham_changes_nothing(itbs_course):
    sham = itbs_course.protocol.as_sham()
    out = C.purkinje_gain_course(sham, itbs_course.session_start_times_h(), np.arange(15), network=SESSIONS)
    assert np.all(out["pc_gain"] == 1.0) and np.all(out["bdnf_dose"] == 0.0)


def test_bad_rule_is_refused():
    with pytest.raises(ValueError, match="rule.*'invers'.*Did you mean 'inverse'"):
        C.session_change(protocols.preset("itbs_600"), rule="invers")
    with pytest.raises(ValueError, match="network must be a mechtms.coupling.NetworkOptions"):
        C.session_change(protocols.preset("itbs_600"), network="m1_column")


# ---- proxies --------------------------------------------------------------------------------
def test_spontaneous_recovery_closed_form():
    t = np.array([0.0, 30.0, 90.0, 365.0])
    cst = X.spared_output(0.4, t)
    assert cst[0] == 0.4
    assert cst[1] == pytest.approx(0.4 + 0.5 * 0.6 * (1 - np.exp(-1)))
    assert cst[-1] == pytest.approx(0.4 + 0.5 * 0.6, rel=1e-4)
    with pytest.raises(ValueError, match="days_since_onset must be finite and >= 0"):
        X.spared_output(0.4, -1)


def test_recovery_is_maximal_within_three_months():
    """BMC Neurology 2022;22:324 (first-year postural balance cohort): recovery is maximal at
    3 months and moderate strokes regain ~48 % of the initial impairment by 1 year."""
    lost = 1.0 - 0.4
    at = {d: (X.spared_output(0.4, d) - 0.4) / lost for d in (90, 365)}
    assert at[90] > 0.9 * at[365]
    assert at[365] == pytest.approx(0.48, abs=0.05)


def test_bbs_proxy_is_anchored_and_bounded():
    i0 = X.impairment(0.5)                                     # 0.5: half the drive lost
    assert i0 == pytest.approx(0.5)
    assert X.bbs(i0, i0, 35.0) == pytest.approx(35.0)
    assert X.bbs(X.impairment(1.0), i0, 35.0) == pytest.approx(56.0)
    assert X.bbs(X.impairment(1.3), i0, 35.0) == pytest.approx(56.0)   # no score above the scale
    assert X.bbs(X.impairment(-5.0), i0, 35.0) == pytest.approx(0.0)   # nor below
    assert X.bbs(X.impairment(0.6), i0, 35.0) == pytest.approx(56 - 21 * 0.8)
    # the cerebellar term adds linearly with its weight
    assert X.impairment(0.6, 1.1, postural_weight=2.0) == pytest.approx(0.4 - 0.2)
    with pytest.raises(ValueError, match="bbs_start must be <= 56"):
        X.bbs(0.5, 0.5, 60.0)
    with pytest.raises(ValueError, match="impairment_start must be > 0"):
        X.bbs(0.5, 0.0, 35.0)


def test_pdbsi_closed_forms():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(20_000)
    assert X.pdbsi(x, x, 1000.0) == 0.0
    assert X.pdbsi(x, np.zeros_like(x), 1000.0) == pytest.approx(1.0)
    # one side scaled by a: |a^2 - 1| / (a^2 + 1) at every frequency
    assert X.pdbsi(x, 2.0 * x, 1000.0) == pytest.approx(3.0 / 5.0)
    with pytest.raises(ValueError, match="shorter than one Welch segment"):
        X.pdbsi(x[:100], x[:100], 1000.0)
