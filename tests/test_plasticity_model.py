"""The synapse model file (models/calcium_plasticity.ant): units, sources, schedule, closed forms.

Sources: Shouval, Bear & Cooper 2002 (PNAS 99:10831: a single release with a 10 mV EPSP
peaks inside the LTD window, ~0.4 uM); Jahr & Stevens 1990 (J Neurosci 10:3178: Mg2+
block); Tsodyks & Markram 1997 (PNAS 94:719: resources recover with tau_rec).
"""

import re

import numpy as np
import pytest

from mechtms import models, ode
from mechtms import protocols as P
from mechtms.plasticity import model as mdl
from mechtms.plasticity import population as pop

MODEL = "calcium_plasticity"


@pytest.fixture(autouse=True)
def real_models(monkeypatch):
    monkeypatch.delenv("MECHTMS_MODELS_DIR", raising=False)


def test_sbml_units_consistent_and_no_delay_or_algebraic_rules():
    import libsbml

    doc = libsbml.readSBMLFromString(models.sbml(MODEL))
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
    doc.checkConsistency()
    assert [doc.getError(i).getMessage() for i in range(doc.getNumErrors())] == []
    assert not any(r.isAlgebraic() for r in doc.getModel().getListOfRules())
    assert "<delay" not in models.sbml(MODEL) and "csymbol/delay" not in models.sbml(MODEL)


def test_every_parameter_has_units_a_value_and_a_source_or_status():
    """STYLE.md §2/§6: units declared, every value set, each value sourced or marked
    CALIBRATED / ASSUMED / DERIVED in its comment."""
    text = models.antimony_source(MODEL)
    decl = re.compile(r"^\s{2}([A-Za-z_]\w*) = (-?[\d.e+-]+) (\w+)\s*(//.*)?$")
    found = {m.group(1): m.group(4) or "" for line in text.splitlines() if (m := decl.match(line))}
    assert len(found) > 50
    state = {"n_pre", "n_bap", "n_depol", "x", "b_f", "b_s", "h_nr", "e_r", "e_d", "a_f", "a_s", "Ca", "Ca_int",
             "K", "M", "W", "t_never"}
    uncommented = [n for n, c in found.items() if not c.strip() and n not in state]
    assert uncommented == []
    import libsbml

    model = libsbml.readSBMLFromString(models.sbml(MODEL)).getModel()
    for p in model.getListOfParameters():
        assert p.isSetUnits(), p.getId()
    calibrated = {n for n, c in found.items() if "CALIBRATED" in c}
    assert calibrated == {"Ca_h", "theta_p0", "A_p", "A_d", "tau_M"}  # the calibrated set, docs/plasticity.md


def test_header_declares_inputs_and_outputs():
    info = models.model_info(MODEL)
    assert info.time_unit == "second"
    assert set(mdl.SCHEDULE) <= set(info.inputs) and set(mdl.DRIVE_RANGES) <= set(info.inputs)
    for name in ("W", "Ca", "K", "M", "theta_p", "n_pre", "n_bap", "n_depol"):
        assert name in info.outputs
    assert "Shouval" in info.reference and "Destexhe" in info.reference


@pytest.mark.parametrize("name", ["itbs_600", "ctbs_300", "rtms_20hz", "rtms_1hz_900", "pas25", "sham"])
def test_schedule_delivers_every_pulse_of_a_preset(name):
    """The regular schedule (three self-rescheduling events) delivers one release, one bAP and
    one depolarisation per delivered pulse; the last depolarisation at the last pulse time."""
    p = P.preset(name)
    t_end = (p.duration_s if p.n_delivered else 1.0) + 0.05
    ds = ode.simulate_model(MODEL, changes=mdl.schedule_changes(p), t_end=t_end, points=2,
                            selections=["n_pre", "n_bap", "n_depol"], rtol=1e-6, atol=1e-9)
    for counter in ("n_pre", "n_bap", "n_depol"):
        assert ds[counter].values[-1] == p.n_delivered, counter


def test_first_pulse_at_zero():
    """A trigger true at t = 0 fires only with t0=false (docs/roadrunner.md)."""
    ds = ode.simulate_model(MODEL, changes=mdl.schedule_changes(P.rtms(1, 5, 100)), t_end=1e-4, points=2,
                            selections=["n_depol"])
    assert ds.n_depol.values[-1] == 1


def _peak_after_one_release(depol_mV, g=1.0):
    events = pop.merge_events([(np.array([0, 1]), np.array([0.0]), np.array([depol_mV])),
                               (np.array([0, 1]), np.array([0.0]), np.array([0.0])),
                               (np.array([0, 0]), np.zeros(0), np.zeros(0))], 1)
    rec = np.arange(0.0, 0.5, 1e-4)
    run = pop.integrate(mdl.parameters(), events, pop.initial_state(1), -0.01, 0.5, g_homeo=np.array([g]),
                        rec_t=rec, rtol=1e-9, atol=1e-12)
    return run.rec[0, :, 1].max()


def test_a_single_release_with_a_10_mV_epsp_peaks_inside_the_ltd_window():
    """G_NMDA is DERIVED so that a full release with Shouval's 10 mV EPSP peaks at 0.4 uM,
    between theta_d (0.35) and the LTP range (Shouval et al. 2002, Fig. 2); without the EPSP
    the Mg2+ block keeps it below theta_d (Jahr & Stevens 1990: B(-65 mV) = 0.06)."""
    values = mdl.model_values()
    with_epsp = _peak_after_one_release(10.0)
    assert with_epsp == pytest.approx(0.4, abs=0.01)
    assert values["theta_d"] < with_epsp
    assert _peak_after_one_release(0.0) < values["theta_d"]


def test_mg_block_matches_jahr_stevens():
    """B(V) = 1/(1 + exp(-0.062 V) [Mg]/3.57) at -65, -30 and 0 mV (rr assignment rule)."""
    rr = models.load_model(MODEL)
    rr.resetAll()
    for v in (-65.0, -30.0, 0.0):
        rr["e_d"] = v + 65.0
        rr["e_r"] = 0.0
        expected = 1.0 / (1.0 + np.exp(-0.062 * v) / 3.57)
        assert rr["B_mg"] == pytest.approx(expected, rel=1e-12)
    rr.resetAll()


def test_short_term_depression_recovers_with_tau_rec():
    """Tsodyks & Markram 1997: after a release x = 1 - U, then recovers as 1 - U exp(-t/tau_rec)."""
    params = mdl.parameters()
    events = pop.Events(np.array([0, 1]), np.array([0.0]), np.array([1]), np.array([0.0]))
    run = pop.integrate(params, events, pop.initial_state(1), -0.001, 0.5)
    assert run.y_end[0, 0] == pytest.approx(1.0 - params.U * np.exp(-0.5 / params.tau_rec), rel=1e-12)


def test_sbml_sham_stays_at_baseline_for_hours():
    """No events: Ca = 0 and W = 1 (Omega/eta rule with the dead zone below theta_d)."""
    ds = ode.simulate_model(MODEL, t_end=6 * 3600, points=25, selections=["W", "Ca"])
    assert np.max(np.abs(ds.W.values - 1.0)) < 1e-9 and np.all(ds.Ca.values == 0)


def test_bad_changes_are_named():
    with pytest.raises(KeyError, match="unknown calcium_plasticity parameter 'G_nmda'. Did you mean 'G_NMDA'"):
        mdl.parameters({"G_nmda": 1.0})
    with pytest.raises(ValueError, match="tau_decay is derived"):
        mdl.parameters({"tau_decay": 1.0})
    with pytest.raises(ValueError, match="event times must be > 0 s"):
        mdl.sbml_with_events([0.0], [1], [0.0])
