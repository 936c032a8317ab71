"""cx43_autophagy_mtor: SCI vs sham, SCI + daily 15 Hz rTMS vs SCI, drugs, proxies.

Sources of the targets:
- Zhang L, Xiao Z, Su Z et al. (2024) J Orthop Surg Res 19:387 (mouse, complete T8
  transection, daily 15 Hz TMS for 28 days). Directions only (no numbers are public):
  after SCI Cx43 up, flux down, p62 up, mTOR signalling down; with rTMS Cx43 down,
  LC3-II up, p62 down, flux up, mTOR / p-mTOR / p-4EBP1 up, BMS higher, MEPs better.
- Basso DM et al. (2006) J Neurotrauma 23:635: sham BMS 9; complete transection stays
  ~0-1.5 through day 28.
- Bejarano E et al. (2014) Nat Cell Biol 16:401: Cx43 -| autophagy initiation, autophagy
  degrades Cx43 (the loop through which rTMS is claimed to act).
- Klionsky DJ et al. (2016) Autophagy 12:1 (guidelines): mTOR inhibition (rapamycin) raises
  LC3-II and flux and lowers p62; a lysosomal block (bafilomycin A1) raises LC3-II and p62
  and lowers flux. Martin KR et al. (2013) Autophagy 9:74 model the same.
- Munoz-Galdeano T et al. (2018) Front Cell Neurosci 12:164 (mouse contusion): after SCI LC3-II and p62 both
  rise when lysosomal clearance is impaired.

Comparisons are made on daily samples at 08:00 (the morning before that day's session).
"""

import json

import numpy as np
import pytest

from mechtms import models, ode, pathways, protocols, readouts

MODEL = "cx43_autophagy_mtor"
STATES = ["stim", "Cx43", "A_init", "l_LC3II", "p62_cyt", "p62_cap", "mTOR", "ph_mTOR", "q_4EBP1", "Rec"]
READ = ["Cx43", "LC3II", "p62", "flux", "mTOR", "pmTOR", "p4EBP1", "BMS", "CST"]


@pytest.fixture(scope="module")
def study():
    """The three arms of Zhang 2024 plus rTMS without its action on Cx43, daily at 08:00."""
    ds = pathways.sci_study(MODEL)
    no_cx = pathways.run_course(MODEL, "sci_15hz_mouse", {"injury": 1.0, "stim_on_cx43": 0.0})
    return ds, no_cx


def at(ds, arm, name, day):
    return float(ds[name].sel(arm=arm, day=day))


# ---- structure ---------------------------------------------------------------------------
def test_header_and_readout_names():
    info = models.model_info(MODEL)
    assert info.time_unit == "hour"
    assert info.session_input == "stim" and info.session_mode == "add"
    for name in ("Cx43", "LC3II", "p62", "flux", "mTOR", "pmTOR", "p4EBP1", "BMS", "CST"):
        assert name in info.outputs
    for name in ("injury", "trophic_input", "stim_on_cx43", "rapamycin", "lyso_block"):
        assert name in info.inputs


def test_units_consistent_and_declared():
    """libsbml unit check with the units category on: no warning at all (STYLE.md §2)."""
    import libsbml

    doc = libsbml.readSBMLFromString(models.sbml(MODEL))
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
    doc.checkConsistency()
    assert [doc.getError(i).getMessage() for i in range(doc.getNumErrors())] == []
    model = doc.getModel()
    assert [p.getId() for p in model.getListOfParameters() if not p.isSetUnits()] == []
    assert model.getNumInitialAssignments() == 0
    assert all(not r.isAlgebraic() for r in model.getListOfRules())
    assert "delay(" not in models.antimony_source(MODEL)


def test_states_start_at_their_resting_parameters():
    rr = models.load_model(MODEL)
    ode.apply_changes(rr, {})
    assert rr.getValue("init(l_LC3II)") == pytest.approx(rr.getValue("l_0"), rel=1e-12)
    assert rr.getValue("init(p62_cap)") == pytest.approx(rr.getValue("phi_62"), rel=1e-12)
    assert rr.getValue("init(p62_cyt)") == pytest.approx(1 - rr.getValue("phi_62"), rel=1e-12)
    assert rr.getValue("init(ph_mTOR)") == pytest.approx(rr.getValue("ph_0"), rel=1e-12)
    assert rr.getValue("init(q_4EBP1)") == pytest.approx(rr.getValue("q_0"), rel=1e-12)


def test_sham_is_a_steady_state():
    """injury = 0 and no sessions: every state and read-out stays put for 28 days (1e-9)."""
    ds = ode.simulate_model(MODEL, changes={"injury": 0.0}, t_end=29 * 24, points=30, selections=STATES + READ)
    for name in STATES + READ:
        y = ds[name].values
        assert np.max(np.abs(y - y[0])) <= 1e-9 * max(abs(y[0]), 1e-3), name
    assert np.all(ds.BMS.values == pytest.approx(9.0))


# ---- SCI without rTMS vs sham (Zhang 2024 directions; Basso 2006) ---------------------------------
@pytest.mark.parametrize("day", [3, 7, 14, 28])
def test_sci_against_sham(study, day):
    """Cx43 >= +20 %, flux <= -5 %, p62 >= +5 %, p-mTOR and p-4EBP1 <= -5 % (Zhang 2024 directions)."""
    ds, _ = study
    assert at(ds, "sci", "Cx43", day) >= 1.2 * at(ds, "sham", "Cx43", day)
    assert at(ds, "sci", "flux", day) <= 0.95 * at(ds, "sham", "flux", day)
    assert at(ds, "sci", "p62", day) >= 1.05 * at(ds, "sham", "p62", day)
    assert at(ds, "sci", "pmTOR", day) <= 0.95 * at(ds, "sham", "pmTOR", day)
    assert at(ds, "sci", "p4EBP1", day) <= 0.95 * at(ds, "sham", "p4EBP1", day)


def test_bms_after_transection():
    """Basso 2006: sham 9; transection BMS <= 1 on day 1, non-decreasing after day 3, 0-1.5 on day 28."""
    ds = pathways.sci_study(MODEL, arms=["sham", "sci"], hourly=True)
    sham, sci = ds.sel(arm="sham"), ds.sel(arm="sci")
    assert np.allclose(sham.BMS.values, 9.0)
    t = sci.time.values
    assert sci.BMS.values[(t >= 24) & (t < 48)].max() <= 1.0
    late = sci.BMS.values[t >= 72]
    assert np.all(np.diff(late) >= -1e-9)
    assert 0.0 <= float(np.interp(28 * 24 + 8, t, sci.BMS.values)) <= 1.5


# ---- SCI + daily 15 Hz rTMS vs SCI (Zhang 2024) ---------------------------------------------
@pytest.mark.parametrize("day", [7, 14, 21, 28])
def test_rtms_against_sci(study, day):
    """Cx43 down, LC3-II up, p62 down, flux up, mTOR/p-mTOR/p-4EBP1 up (each by >= 2 %)."""
    ds, _ = study
    ratio = lambda n: at(ds, "sci_rtms", n, day) / at(ds, "sci", n, day)  # noqa: E731
    assert ratio("Cx43") <= 0.98
    assert ratio("p62") <= 0.98
    for name in ("LC3II", "flux", "mTOR", "pmTOR", "p4EBP1"):
        assert ratio(name) >= 1.02, name


def test_rtms_raises_bms_from_day_7_through_28_and_mep(study):
    """Zhang 2024: BMS higher from day 7 through day 28 (by >= 0.1 points each day); MEP larger."""
    ds, _ = study
    days = list(range(7, 29))
    gain = ds.BMS.sel(arm="sci_rtms", day=days) - ds.BMS.sel(arm="sci", day=days)
    assert float(gain.min()) >= 0.1
    mep_rtms = readouts.mep(at(ds, "sci_rtms", "CST", 28))
    mep_sci = readouts.mep(at(ds, "sci", "CST", 28))
    assert mep_rtms >= 1.1 * mep_sci
    assert at(ds, "sci_rtms", "BMS", 28) <= 9.0


def test_rtms_acts_via_the_cx43_autophagy_loop(study):
    """Zhang 2024's claim (mechanism after Bejarano 2014): without rTMS's action on Cx43,
    at most 25 % of its flux and LC3-II benefit remains on day 28 (or it turns negative)."""
    ds, no_cx = study
    for name in ("flux", "LC3II"):
        full = at(ds, "sci_rtms", name, 28) - at(ds, "sci", name, 28)
        partial = float(no_cx[name].sel(day=28)) - at(ds, "sci", name, 28)
        assert full > 0
        assert partial <= 0.25 * full, name
    full_p62 = at(ds, "sci", "p62", 28) - at(ds, "sci_rtms", "p62", 28)
    assert float(no_cx["p62"].sel(day=28)) - at(ds, "sci_rtms", "p62", 28) >= 0.75 * full_p62


# ---- drugs and phenotypes ------------------------------------------------------------
def _day1(changes):
    ds = ode.simulate_model(MODEL, changes=changes, t_end=24, points=25, selections=["LC3II", "p62", "flux"])
    return {n: float(ds[n].values[-1]) for n in ("LC3II", "p62", "flux")}


def test_rapamycin_moves_autophagy_markers_as_in_the_guidelines():
    """Klionsky 2016 / Martin 2013: mTOR inhibition -> LC3-II up, p62 down, flux up (24 h, >= 5 %)."""
    r = _day1({"rapamycin": 0.8})
    assert r["LC3II"] >= 1.05 and r["flux"] >= 1.05 and r["p62"] <= 0.95


def test_lysosomal_block_moves_autophagy_markers_as_in_the_guidelines():
    """Klionsky 2016 (bafilomycin A1): lysosomal block -> LC3-II up, p62 up, flux down (24 h, >= 5 %)."""
    r = _day1({"lyso_block": 0.5})
    assert r["LC3II"] >= 1.05 and r["p62"] >= 1.05 and r["flux"] <= 0.95


def test_lysosomal_phenotype_of_sci():
    """Munoz-Galdeano 2018: with a dominant lysosomal defect (inj_lyso = 0.8) SCI raises
    both LC3-II and p62 on day 7; with the default (initiation) phenotype LC3-II falls."""
    lyso = pathways.run_course(MODEL, "sham", {"injury": 1.0, "inj_lyso": 0.8}).sel(day=7)
    default = pathways.run_course(MODEL, "sham", {"injury": 1.0}).sel(day=7)
    assert float(lyso.LC3II) >= 1.03 and float(lyso.p62) >= 1.05 and float(lyso.flux) <= 0.95
    assert float(default.LC3II) < 1.0


def test_trophic_input_raises_mtor_signalling():
    """Cross-model link: the BDNF model's trophic output raises p-mTOR and p-4EBP1."""
    base = ode.simulate_model(MODEL, changes={"injury": 1.0}, t_end=72, points=4)
    fed = ode.simulate_model(MODEL, changes={"injury": 1.0, "trophic_input": 0.2}, t_end=72, points=4)
    for name in ("mTOR", "pmTOR", "p4EBP1"):
        assert float(fed[name][-1]) >= 1.02 * float(base[name][-1]), name


def test_standalone_trophic_stand_in_matches_the_bdnf_model():
    """Header calibration: with dose-1 daily sessions, the Cx43 model's own trophic drive T
    has the same day-21 mean as bdnf_trkb_erk's `trophic` (within 5 %), so running the
    Cx43 model alone and in the chain (trophic_input, g_trophic = 0) give similar mTOR."""
    course = protocols.preset_course("sci_15hz_mouse")
    bdnf = ode.simulate_model("bdnf_trkb_erk", course=course, t_end=22 * 24, selections=["trophic"])
    cx = ode.simulate_model(MODEL, course=course, changes={"injury": 1.0}, t_end=22 * 24, selections=["T"])
    target = float(readouts.last_day_mean(bdnf, ["trophic"], day=21).trophic)
    own = float(readouts.last_day_mean(cx, ["T"], day=21).T)
    assert own == pytest.approx(target, rel=0.05)


# ---- dose scale, positivity, split runs --------------------------------------------------
def test_response_is_monotonic_in_the_session_dose():
    """Dose scale (header): larger doses -> lower Cx43 and p62, higher LC3-II, flux, p-mTOR,
    p-4EBP1 and BMS on day 28, over doses 0-8 x the reference session."""
    course = protocols.preset_course("sci_15hz_mouse")
    rows = []
    for dose in (0.0, 0.5, 1.0, 2.0, 4.0, 8.0):
        ds = ode.simulate_model(MODEL, course=course, changes={"injury": 1.0}, session_doses=dose)
        rows.append([float(ds[n][-1]) for n in ("Cx43", "p62", "LC3II", "flux", "pmTOR", "p4EBP1", "BMS")])
    rows = np.array(rows)
    assert np.all(np.diff(rows[:, :2], axis=0) < 0)
    assert np.all(np.diff(rows[:, 2:], axis=0) > 0)


@pytest.mark.parametrize("changes", [{"injury": 1.0}, {"injury": 1.0, "rapamycin": 1.0},
                                     {"injury": 1.0, "lyso_block": 1.0}, {"injury": 1.0, "inj_lyso": 1.0},
                                     {"injury": 0.0, "trophic_input": 5.0}])
def test_no_state_goes_negative(changes):
    course = protocols.preset_course("sci_15hz_mouse")
    ds = ode.simulate_model(MODEL, course=course, changes=changes, session_doses=5.0, selections=STATES + READ)
    for name in STATES + READ:
        assert ds[name].values.min() >= -10 * ode.DEFAULT_ATOL, name
    assert ds.BMS.values.max() <= 9.0


def test_a_run_split_in_two_equals_one_run():
    """STYLE.md §7: continuing from the state at day 10 reproduces the single run (1e-6)."""
    course = protocols.preset_course("sci_15hz_mouse")
    whole = ode.simulate_model(MODEL, course=course, changes={"injury": 1.0})
    first = ode.simulate_model(MODEL, course=course, changes={"injury": 1.0}, t_end=10 * 24 + 8)
    second = ode.simulate_model(MODEL, course=course, changes={"injury": 1.0}, t_start=10 * 24 + 8,
                                initial_state=json.loads(first.attrs["final_state"]))
    end = whole.sel(time=second.time.values[-1])
    for name in READ:
        assert float(second[name][-1]) == pytest.approx(float(end[name]), rel=1e-6, abs=1e-9), name
