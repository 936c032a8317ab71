"""spinal_lesion + mechtms.lesion: the lesion driven by descending corticospinal activity.

Sources of the targets (docs/lesion.md has the full list):
- Zhang L, Xiao Z, Su Z et al. (2024) J Orthop Surg Res 19:387 (mouse, complete T8
  transection, daily 15 Hz TMS): after SCI Cx43 up, flux down, p62 up, mTOR signalling down;
  with daily rTMS Cx43 down, LC3-II up, p62 down, mTOR / p-mTOR / p-4EBP1 up, BMS up; the
  benefit is claimed to go through Cx43. Directions only: no numbers are public.
- Trk block (K252a) removes rTMS's benefit after SCI in rats (Chin J Rehabil Med 2024,
  rTMS-BDNF-TrkB-KCC2 study).
- Basso DM et al. (2006) J Neurotrauma 23:635: complete transection stays at BMS ~0-1.5
  through day 28 (CALIBRATION target of b_intr, not validation).
- BDNF release needs high-frequency bursts: Hartmann M et al. (2001) EMBO J 20:5887;
  Balkowiec A & Katz DM (2002) J Neurosci 22:10399.
- Activity-dependent corticospinal sprouting: Brus-Ramer M et al. (2007) J Neurosci
  27:13793; Carmel JB et al. (2010) J Neurosci 30:10918.

"Raised descending drive" is the daily reference session (the 15 Hz SCI preset, every
volley equal to the 100 % RMT volley); "untreated" has no session and tonic drive 1.
Read-outs are compared at the daily read-out (20:00, 11 h after a 09:00 session).
"""

import json

import numpy as np
import pytest

from mechtms import lesion, models, ode, protocols

MODEL = "spinal_lesion"
STATES = ["Cx43", "A_init", "l_LC3II", "p62_cyt", "p62_cap", "mTOR", "ph_mTOR", "q_4EBP1", "G"]
DAYS = 28
SHORT = 14


def drive(volley=1.0, course=None, tonic=1.0):
    course = course or protocols.preset_course("sci_15hz_mouse")
    return lesion.DescendingDrive.from_course(course, volley=volley, tonic=tonic)


def gain(treated, untreated, name, day):
    return float(treated[name].sel(day=day) - untreated[name].sel(day=day))


@pytest.fixture(scope="module")
def arms():
    """Untreated transection and transection + raised descending drive, 28 days."""
    return lesion.simulate(days=DAYS), lesion.simulate(drive(), days=DAYS)


@pytest.fixture(scope="module")
def short_arms():
    return lesion.simulate(days=SHORT), lesion.simulate(drive(), days=SHORT)


# ---- structure ------------------------------------------------------------------------------
def test_header_names_inputs_and_no_stimulation_variable():
    """Issue 12: every input is a named upstream quantity; nothing stands for "stimulation"."""
    info = models.model_info(MODEL)
    assert info.time_unit == "hour" and info.session_input is None
    for name in ("Cx43", "LC3II", "p62", "flux", "mTOR", "pmTOR", "p4EBP1", "BMS", "CST"):
        assert name in info.outputs
    for name in ("injury", "drive_tonic", "trophic_input", "h_trk_cx43", "h_act_cx43", "cx43_clamp"):
        assert name in info.inputs
    rr = models.load_model(MODEL)
    ids = list(rr.model.getGlobalParameterIds()) + list(rr.model.getFloatingSpeciesIds())
    assert not [i for i in ids if "stim" in i.lower() or i == "g_trophic"]


def test_sham_is_a_steady_state():
    """injury = 0, drive 1, no trophic excess: every state stays put for 20 days (1e-9) and
    BMS = 9. (Rec, the recovery of an injured cord, is not read when injury = 0.)"""
    ds = ode.simulate_model(MODEL, changes={"injury": 0.0}, t_end=20 * 24, points=21,
                            selections=STATES + ["BMS", "CST", "S", "flux"])
    for name in STATES + ["CST", "S", "flux"]:
        y = ds[name].values
        assert np.max(np.abs(y - y[0])) <= 1e-9 * max(abs(y[0]), 1e-3), name
    assert np.allclose(ds.BMS.values, 9.0)


def test_a_run_split_in_two_equals_one_run():
    """STYLE.md §7: continuing the lesion model from its state at 10.3 days reproduces one run
    (error in units of the solver tolerance, e < 50)."""
    changes = {"injury": 1.0, "trophic_input": 0.05, "drive_tonic": 1.2}
    whole = ode.simulate_model(MODEL, changes=changes, t_end=20 * 24, points=2)
    first = ode.simulate_model(MODEL, changes=changes, t_end=10.3 * 24, points=2)
    second = ode.simulate_model(MODEL, changes=changes, t_start=10.3 * 24, t_end=20 * 24, points=2,
                                initial_state=json.loads(first.attrs["final_state"]))
    for name in ("Cx43", "LC3II", "p62", "pmTOR", "BMS", "G"):
        y, ref = float(second[name][-1]), float(whole[name][-1])
        e = abs(y - ref) / (ode.DEFAULT_ATOL + ode.DEFAULT_RTOL * abs(ref))
        assert e < 50, (name, e)


# ---- the injury without treatment ----------------------------------------------------------
@pytest.mark.parametrize("day", [3, 7, 28])
def test_sci_against_sham(arms, day):
    """Zhang 2024 directions after SCI (CALIBRATED magnitudes a_inj_cx, c_inj_mt): Cx43 >= +20 %,
    flux <= -5 %, p62 >= +5 %, p-mTOR and p-4EBP1 <= -5 % (sham = 1)."""
    untreated, _ = arms
    x = untreated.sel(day=day)
    assert float(x.Cx43) >= 1.2 and float(x.flux) <= 0.95 and float(x.p62) >= 1.05
    assert float(x.pmTOR) <= 0.95 and float(x.p4EBP1) <= 0.95


def test_bms_of_untreated_transection(arms):
    """CALIBRATION (b_intr), Basso 2006: BMS <= 1 on day 1, rising then on a plateau (no fall
    > 0.005 points a day) after day 3, 0-1.5 on day 28."""
    untreated, _ = arms
    bms = untreated.BMS
    assert float(bms.sel(day=1)) <= 1.0
    assert np.all(np.diff(bms.sel(day=slice(3, DAYS)).values) >= -0.005)  # plateau, no relapse
    assert 0.0 <= float(bms.sel(day=DAYS)) <= 1.5


# ---- raised descending drive (validation of the links) ----------------------------------------
@pytest.mark.parametrize("day", [7, 14, 28])
def test_raised_drive_moves_readouts_as_zhang_2024(arms, day):
    """Zhang 2024 under daily 15 Hz: Cx43 down, LC3-II up, p62 down, mTOR / p-mTOR / p-4EBP1
    up, BMS up. Margins: >= 2 % (Cx43, LC3-II, p62, p-mTOR), >= 1 % (p-4EBP1), >= 0.5 %
    (total mTOR, slow turnover), BMS >= +0.05 points."""
    untreated, treated = arms
    ratio = lambda n: float(treated[n].sel(day=day) / untreated[n].sel(day=day))  # noqa: E731
    assert ratio("Cx43") <= 0.98
    assert ratio("LC3II") >= 1.02
    assert ratio("p62") <= 0.98
    assert ratio("pmTOR") >= 1.02 and ratio("p4EBP1") >= 1.01 and ratio("mTOR") >= 1.005
    assert ratio("flux") >= 1.02
    assert gain(treated, untreated, "BMS", day) >= 0.05
    assert ratio("BDNF") > 1.0 and ratio("pERK") > 1.0


def test_sham_sessions_equal_the_untreated_lesion(arms):
    """Issue 12: zero extra drive (a sham course: no pulse, no volley) equals no stimulation."""
    untreated, _ = arms
    sham = protocols.course(protocols.preset("sci_15hz_mouse").as_sham(), days=DAYS)
    ds = lesion.simulate(drive(course=sham), days=DAYS)
    assert np.all(ds.spinal_dose.values == 0.0)
    for name in ("Cx43", "LC3II", "p62", "pmTOR", "BMS", "BDNF", "CST"):
        np.testing.assert_allclose(ds[name].values, untreated[name].values, rtol=1e-9, atol=1e-12)


def test_more_drive_helps_with_diminishing_returns(short_arms):
    """Issue 12: larger volleys (x1, x2, x4, x8 the 100 % RMT volley) raise the day-14 BMS and
    lower Cx43 monotonically, and each doubling adds less than the one before from x2 on
    (recruitment and release saturate; TrkB saturates)."""
    untreated, treated = short_arms
    runs = [treated] + [lesion.simulate(drive(v), days=SHORT) for v in (2.0, 4.0, 8.0)]
    bms = np.array([gain(r, untreated, "BMS", SHORT) for r in runs])
    cx = np.array([float(r.Cx43.sel(day=SHORT)) for r in runs])
    assert np.all(bms > 0) and np.all(np.diff(bms) > 0) and np.all(np.diff(cx) < 0)
    steps = np.diff(bms)
    assert steps[1] < steps[0] and steps[2] < steps[1]


def test_more_sessions_help_with_diminishing_returns(arms):
    """Issue 12: 0, 7, 14, 28 daily sessions from day 1, BMS read on day 28: rises with the
    session count, each added block adds less (secondary damage, which the drive limits,
    happens mostly in the first week), and the gain of a short course is kept after it ends."""
    untreated, treated = arms
    bms = [float(untreated.BMS.sel(day=DAYS))]
    for days in (7, 14):
        c = protocols.course(protocols.preset("sci_15hz_mouse"), days=days)
        bms.append(float(lesion.simulate(drive(course=c), days=DAYS).BMS.sel(day=DAYS)))
    bms.append(float(treated.BMS.sel(day=DAYS)))
    steps = np.diff(bms)
    assert np.all(steps > 0)
    assert steps[1] < steps[0] and steps[2] < steps[0]


# ---- knock-outs and hypotheses ------------------------------------------------------------------
@pytest.mark.parametrize("knockout", ["Cx43", "TrkB"])
def test_knockouts_remove_most_of_the_benefit(short_arms, knockout):
    """Issue 12: clamping Cx43 (blocker / overexpression; Zhang 2024's "via Cx43") and
    blocking Trk kinase (K252a / ANA-12; Chin J Rehabil Med 2024) each leave <= 25 % of the
    BMS, flux and LC3-II benefit of raised drive on day 14."""
    untreated, treated = short_arms
    ko_u = lesion.simulate(days=SHORT, knockouts=(knockout,))
    ko_t = lesion.simulate(drive(), days=SHORT, knockouts=(knockout,))
    for name in ("BMS", "flux", "LC3II"):
        full = gain(treated, untreated, name, SHORT)
        left = gain(ko_t, ko_u, name, SHORT)
        assert full > 0
        assert left <= 0.25 * full, (name, full, left)
    if knockout == "Cx43":
        assert np.allclose(ko_t.Cx43.sel(day=slice(1, SHORT)).values, lesion.CX43_CLAMP_LEVEL, rtol=1e-3)
        # mTOR signalling still rises: it does not go through Cx43 alone
        assert gain(ko_t, ko_u, "pmTOR", SHORT) > 0
    else:
        assert abs(gain(ko_t, ko_u, "pmTOR", SHORT)) <= 0.05 * gain(treated, untreated, "pmTOR", SHORT)


def test_without_hypothesis_h1_cx43_does_not_fall(short_arms):
    """Model header H1 (TrkB signalling lowers the inflammatory induction of Cx43) is what
    makes Cx43 fall: switched off, raised drive changes day-14 Cx43 by < 10 % of its fall
    with H1, BMS gains < 25 %, while p-mTOR still rises (the trophic arm is documented)."""
    untreated, treated = short_arms
    off = {"h_trk_cx43": 0.0}
    u, t = lesion.simulate(days=SHORT, changes=off), lesion.simulate(drive(), days=SHORT, changes=off)
    fall = -gain(treated, untreated, "Cx43", SHORT)
    assert fall > 0
    assert abs(gain(t, u, "Cx43", SHORT)) < 0.1 * fall
    assert gain(t, u, "BMS", SHORT) < 0.25 * gain(treated, untreated, "BMS", SHORT)
    assert gain(t, u, "pmTOR", SHORT) > 0


def test_tonic_drive_acts_through_activity_and_bdnf():
    """Tonic corticospinal output (no session): 20 % more tonic drive raises lesion activity S,
    spinal BDNF and its trophic signal, hence lowers Cx43 (via H1) and raises sprouting G
    (activity-dependent CST sprouting, Brus-Ramer 2007, Carmel 2010); 20 % less does the
    opposite. With TrkB blocked, tonic drive moves Cx43 only if hypothesis H2 is on."""
    runs = {t: lesion.simulate(lesion.DescendingDrive(tonic=np.array([t])), days=SHORT) for t in (0.8, 1.0, 1.2)}
    at = lambda t, n: float(runs[t][n].sel(day=SHORT))  # noqa: E731
    for name in ("S", "BDNF", "trophic", "G", "pmTOR"):
        assert at(0.8, name) < at(1.0, name) < at(1.2, name), name
    assert at(0.8, "Cx43") > at(1.0, "Cx43") > at(1.2, "Cx43")
    assert at(1.0, "trophic") == pytest.approx(0.0, abs=1e-9)  # intact tonic level: rest
    ko = {"knockouts": ("TrkB",)}
    lo = lesion.simulate(lesion.DescendingDrive(tonic=np.array([1.0])), days=SHORT, **ko)
    hi = lesion.simulate(lesion.DescendingDrive(tonic=np.array([1.2])), days=SHORT, **ko)
    assert float(hi.Cx43.sel(day=SHORT)) == pytest.approx(float(lo.Cx43.sel(day=SHORT)), rel=2e-3)
    h2 = {"changes": {"h_act_cx43": 1.0}, **ko}
    lo2 = lesion.simulate(lesion.DescendingDrive(tonic=np.array([1.0])), days=SHORT, **h2)
    hi2 = lesion.simulate(lesion.DescendingDrive(tonic=np.array([1.2])), days=SHORT, **h2)
    assert float(hi2.Cx43.sel(day=SHORT)) <= 0.98 * float(lo2.Cx43.sel(day=SHORT))


def test_tonic_act_equivalence():
    """tonic_act: a sustained excess of tonic_equivalent releases over a day what one session
    of dose 1 does (integral of act = tau_act); zero at the intact level."""
    prm = lesion.ReleaseParams()
    a = lesion.tonic_act(1.0 + prm.tonic_equivalent, cst=1.0, f_caudal=0.5, tau_act_h=0.5, params=prm)
    assert 24.0 * a == pytest.approx(0.5, rel=1e-12)
    assert lesion.tonic_act(1.0, 0.0, 0.5, 0.5) == 0.0
    assert lesion.tonic_act(1.1, 0.0, 0.5, 0.5) == pytest.approx(0.5 * lesion.tonic_act(1.1, 1.0, 0.5, 0.5))


# ---- the volley -> spinal dose conversion --------------------------------------------------------
def test_release_closed_forms():
    """One volley: p^(1+n)/(p^n + K^n). A long regular train: c -> p/(1 - exp(-dt/tau))."""
    prm = lesion.ReleaseParams()
    p = 0.5  # volley = v50 recruits half
    one = lesion.release([0.0], prm.v50, prm)
    assert one == pytest.approx(p * p**prm.n_rel / (p**prm.n_rel + prm.k_rel**prm.n_rel), rel=1e-12)
    dt, n = 0.05, 400
    total = lesion.release(np.arange(n) * dt, prm.v50, prm)
    c_inf = p / (1.0 - np.exp(-dt / prm.tau_s))
    last = p * c_inf**prm.n_rel / (c_inf**prm.n_rel + prm.k_rel**prm.n_rel)
    assert total / n == pytest.approx(last, rel=0.02)


def test_reference_session_on_an_intact_cord_is_dose_one():
    """Definition (calibration of the scale): the reference session's volleys of 1 reaching an
    intact cord give dose 1; after transection only the rostral share responds."""
    session = drive().sessions[0]
    assert lesion.spinal_dose(session, cst=1.0, f_caudal=0.5) == pytest.approx(1.0, rel=1e-12)
    assert lesion.spinal_dose(session, cst=0.0, f_caudal=0.5) == pytest.approx(0.5, rel=1e-12)


def test_high_frequency_releases_more_than_1hz_at_equal_pulses():
    """Hartmann 2001, Balkowiec & Katz 2002: release needs high-frequency firing. The same
    1500 volleys at 1 Hz give < 30 % of the 15 Hz session's spinal dose."""
    hf = lesion.DriveSession(33.0, protocols.preset("sci_15hz_mouse"), 1.0)
    lf = lesion.DriveSession(33.0, protocols.rtms(1, 1500, 100), 1.0)
    assert lesion.spinal_dose(lf, 0.0, 0.5) < 0.3 * lesion.spinal_dose(hf, 0.0, 0.5)


def test_result_dataset(arms):
    _, treated = arms
    assert treated.BMS.dims == ("day",) and int(treated.day[-1]) == DAYS
    for name in lesion.READOUTS:
        assert name in treated and treated[name].attrs.get("units"), name
    assert treated.sizes["session"] == DAYS
    assert json.loads(treated.attrs["models"]) == ["spinal_lesion", "bdnf_trkb_erk"]
    assert np.all(treated.BMS.values <= 9.0) and np.all(treated.CST.values <= 1.0)


# ---- bad input ------------------------------------------------------------------------------------
def test_bad_input_is_named():
    with pytest.raises(ValueError, match="unknown knockout 'Cx34'. Did you mean 'Cx43'"):
        lesion.simulate(days=2, knockouts=("Cx34",))
    with pytest.raises(ValueError, match="injury must be <= 1"):
        lesion.simulate(days=2, injury=1.5)
    with pytest.raises(ValueError, match="bdnf_changes may not set 'act'"):
        lesion.simulate(days=2, bdnf_changes={"act": 1.0})
    with pytest.raises(ValueError, match="bdnf_changes may not set 'act_tonic'"):
        lesion.simulate(days=2, bdnf_changes={"act_tonic": 1.0})
    with pytest.raises(ValueError, match="descending_drive must be a DescendingDrive"):
        lesion.simulate({"tonic": 1.0}, days=2)
    with pytest.raises(ValueError, match="tonic must be a non-empty 1-D array"):
        lesion.DescendingDrive(tonic=np.array([-1.0]))
    p = protocols.preset("sci_15hz_mouse")
    with pytest.raises(ValueError, match="starts exactly at midnight"):
        lesion.DescendingDrive(sessions=(lesion.DriveSession(48.0, p, 1.0),))
    with pytest.raises(ValueError, match="3 volleys for 1500 delivered pulses"):
        lesion.DescendingDrive(sessions=(lesion.DriveSession(33.0, p, np.ones(3)),))
    with pytest.raises(KeyError, match="unknown parameter or species of spinal_lesion 'injurry'"):
        lesion.simulate(days=2, changes={"injurry": 1.0})


def test_hourly_time_courses():
    """hourly=True: both models on one hourly grid (no gaps), day 0..days."""
    daily, hourly = lesion.simulate(days=2, hourly=True)
    assert hourly.sizes["time"] == 3 * 24 + 1 and float(hourly.time[-1]) == 72.0
    for name in ("Cx43", "BMS", "BDNF", "trophic"):
        assert not bool(hourly[name].isnull().any()), name
    assert float(hourly.Cx43.interp(time=20.0)) == pytest.approx(float(daily.Cx43.sel(day=0)), rel=1e-9)
