"""The clinical conditions on the chain: depression (human, rat) and chronic pain (issue 15).

Short runs: the network options of ``conditions_clinical.small_options`` (300 neurons, 20
sampled synapses, one simulated train period per session; a 3-session 10 Hz DLPFC course gives
the same w_late as 1,000 neurons to 1e-3, docs/depression.md) and courses of a few sessions.
The assertions are directions and orderings that follow from the mechanism; the figures of
the full courses are in docs/depression.md and docs/pain.md (``python -m mechtms.clinical_figures``).
"""

import numpy as np
import pytest

import mechtms as mt
from mechtms import conditions, protocols
from mechtms import conditions_clinical as cc
from mechtms.clinical_figures import endpoint_day, weekday_course
from mechtms.coupling import NetworkOptions


def test_the_three_conditions_are_registered_with_mechanism_and_proxy_stated():
    for name in ("depression", "depression_rat", "chronic_pain"):
        cond = conditions.get(name)
        assert "MECHANISM" in cond.description and "PROXY" in cond.description, name
        assert cond.proxies and cond.source
    dep = conditions.get("depression")
    assert isinstance(dep.network, NetworkOptions) and dep.network.network_name == "dlpfc"
    assert hash(dep.network) == hash(cc.dlpfc_options())  # a value: equal options, same caches
    # dosed in % of the M1 threshold (never recalibrated on the DLPFC): 0.9 of M1's field
    assert dep.network.x_rmt == pytest.approx(0.9 * cc.dlpfc_x_rmt(1.0))
    assert conditions.get("depression_rat").changes["bdnf_trkb_erk"]["cort_rel"] == 2.0
    assert dep.cohort["readout"] == "HAMD17" and dep.cohort["variability"]["hamd_z"].acts_on == "proxy"
    with pytest.raises(ValueError, match="trk_inhib"):
        cc.depression_rat(trk_inhib=2)


# --- rat: chronic unpredictable stress -------------------------------------------------------

RAT_SESSIONS = 2


@pytest.fixture(scope="module")
def rat():
    """Five groups after 2 daily 15 Hz sessions from day 21 (the preset's protocol; sessions at
    09:00 on days 21-22, read at 20:00 on day 22)."""
    crs = protocols.preset_course("rtms_15hz_cums_rat").replace(days=RAT_SESSIONS)
    sham = crs.replace(protocol=crs.protocol.as_sham())
    opts = cc.small_options("m1_column", n_synapses=10)
    groups = {
        "control": (cc.depression_rat(cort_rel=1.0), sham),
        "cus_sham": (cc.depression_rat(), sham),
        "cus_rtms": (cc.depression_rat(), crs),
        "block_sham": (cc.depression_rat(trk_inhib=1.0), sham),
        "block_rtms": (cc.depression_rat(trk_inhib=1.0), crs),
    }
    return {g: mt.simulate(c, condition=cond, seed=0, network=opts).isel(day=-1) for g, (cond, c) in groups.items()}


def test_stress_lowers_hippocampal_bdnf_perk_proliferation_and_sucrose_preference(rat):
    """CUS lowers hippocampal BDNF and p-ERK (Feng 2012; Chen 2015), dentate proliferation
    (Czeh 2002) and sucrose preference (Antoniuk 2019). BDNF 0.625 and p-ERK 0.60 of control are
    CALIBRATED (K_gr, K_mkp); proliferation and sucrose preference follow from them."""
    c, s = rat["control"], rat["cus_sham"]
    for name in ("BDNF_cortex", "pERK_cortex", "pTrkB_cortex", "proliferation"):
        assert float(s[name]) < 0.9 * float(c[name]), name
    assert float(s.sucrose_preference) < float(c.sucrose_preference) - 0.1


def test_rtms_course_raises_bdnf_perk_proliferation_and_sucrose_preference_under_stress(rat):
    """rTMS in CUS rats raised hippocampal BDNF, p-ERK1/2 and proliferation and restored sucrose
    preference (Chen 2015; Wang 2014; Feng 2012: Peng et al. review refs 50-53). Direction
    asserted; restoration is partial in the model after 2 sessions (docs/depression.md: BDNF
    0.83, p-ERK 0.68 of control after the 7-session course)."""
    s, r = rat["cus_sham"], rat["cus_rtms"]
    for name in ("BDNF_cortex", "pERK_cortex", "pTrkB_cortex", "proliferation", "sucrose_preference"):
        assert float(r[name]) > float(s[name]) * 1.02, name


def test_trkb_block_removes_the_benefit_of_rtms(rat):
    """Blocking TrkB in the model removes the rTMS benefit on p-ERK, proliferation and sucrose
    preference (antidepressant behaviour needs TrkB: Saarelainen 2003), while BDNF itself, upstream
    of the receptor, still rises."""
    gain_free = float(rat["cus_rtms"].pERK_cortex - rat["cus_sham"].pERK_cortex)
    for name in ("pERK_cortex", "proliferation", "sucrose_preference"):
        benefit = float(rat["block_rtms"][name] - rat["block_sham"][name])
        free = float(rat["cus_rtms"][name] - rat["cus_sham"][name])
        assert abs(benefit) < 0.05 * free, name
    assert gain_free > 0
    assert float(rat["block_rtms"].BDNF_cortex) > float(rat["block_sham"].BDNF_cortex)


@pytest.mark.xfail(strict=True, reason="NOT REPRODUCED: restoration is partial; p-ERK of CUS + rTMS is 0.68 of "
                   "control after the 7-session course (0.60 under sham; docs/depression.md), the Xijing papers "
                   "report near-complete restoration")
def test_rtms_course_restores_perk_to_control(rat):
    """Chen 2015 and Wang 2014: rTMS brought hippocampal p-ERK1/2 of CUS rats back to control levels
    (band: >= 0.9 of control)."""
    assert float(rat["cus_rtms"].pERK_cortex) >= 0.9 * float(rat["control"].pERK_cortex)


# --- human depression: DLPFC ----------------------------------------------------------------

DEP_SESSIONS = 10


@pytest.fixture(scope="module")
def dlpfc():
    """10 Hz left DLPFC (1000 pulses at 120 % MT), a weaker 10 Hz course (300 pulses at 100 % MT),
    1 Hz right DLPFC (600 pulses) and sham: 10 weekday sessions each (the courses of the trials are
    10-20 sessions; after 5 the lagged proxy has barely moved: docs/depression.md), read on the
    evening of the tenth."""
    opts = cc.small_options("dlpfc", n_synapses=10)
    p10 = protocols.rtms(10, 1000, 120, train_s=4.0, iti_s=26.0, name="10 Hz 1000")
    weak = protocols.rtms(10, 300, 100, train_s=4.0, iti_s=26.0, name="10 Hz 300 at 100 %")
    p1 = protocols.rtms(1, 600, 110, name="1 Hz 600")
    courses = {"left_10hz": weekday_course(p10, DEP_SESSIONS), "weak_10hz": weekday_course(weak, DEP_SESSIONS),
               "right_1hz": weekday_course(p1, DEP_SESSIONS, target="right_DLPFC"),
               "sham": weekday_course(p10.as_sham(), DEP_SESSIONS)}
    day = endpoint_day(courses["sham"], DEP_SESSIONS)
    return {k: (mt.simulate(c, condition="depression", seed=0, network=opts).sel(day=slice(0, day)), c)
            for k, c in courses.items()}


def test_left_10hz_and_right_1hz_lower_hamd_below_sham(dlpfc):
    """HF-rTMS of the left DLPFC is antidepressant (Level A) and 1 Hz over the right DLPFC is too
    (Level B; Lefaucheur 2020): both end below sham in the median patient. Mechanism: 10 Hz
    potentiates and 1 Hz depresses the DLPFC column's E->E synapses (w_late of opposite signs);
    the proxy's frontal-asymmetry sign makes both antidepressant (an ASSUMED link)."""
    end = {k: float(d.HAMD17.values[-1]) for k, (d, _) in dlpfc.items()}
    print("HAMD-17 after 10 sessions:", end)
    assert float(dlpfc["left_10hz"][0].w_late.values[-1]) > 0.02
    assert float(dlpfc["right_1hz"][0].w_late.values[-1]) < -0.02
    assert end["left_10hz"] < end["sham"] - 0.5
    assert end["right_1hz"] < end["sham"] - 0.5


def test_more_pulses_and_intensity_and_sessions_help_more(dlpfc):
    """Efficacy grows with pulses per session, intensity and sessions (the review: > 1,000 pulses,
    > 100 % MT, > 10 sessions; Teng 2017: SMD grows from 5 to 20 sessions). Asserted: 1000 pulses
    at 120 % MT give a larger w_late and a lower HAMD than 300 at 100 %, and the HAMD of the
    10 Hz course falls from session 5 to session 10 further than sham's."""
    strong, weak, sham = dlpfc["left_10hz"][0], dlpfc["weak_10hz"][0], dlpfc["sham"][0]
    assert float(strong.w_late[-1]) > float(weak.w_late[-1]) > 0
    assert float(strong.HAMD17[-1]) < float(weak.HAMD17[-1])
    day5 = endpoint_day(dlpfc["sham"][1], 5)
    drop = lambda d: float(d.HAMD17.sel(day=day5) - d.HAMD17[-1])  # noqa: E731
    assert drop(strong) > drop(sham)


def test_cohort_outcome_gives_response_and_remission():
    """The cohort hook of the condition: each patient's rated baseline (>= 20 to enter), endpoint,
    response (>= 50 % fall) and remission (<= 7) from the chain's daily Dataset (Berlim 2014)."""
    import xarray as xr

    from mechtms.proxies import depression as dep

    days = np.arange(0, 30)
    crs = weekday_course(protocols.preset("hf_rtms_10hz_depression"), 20)
    daily = xr.Dataset({"w_late": ("day", np.full(days.size, 0.2))}, coords={"day": days})
    rng = np.random.default_rng(0)
    good = dep.cohort_outcome(daily, crs, {"hamd_z": 2.0, "hamd_severity": 24.0}, rng)
    poor = dep.cohort_outcome(daily, crs, {"hamd_z": -2.0, "hamd_severity": 24.0}, np.random.default_rng(0))
    assert good["responder"] and good["remitter"] and not poor["responder"]
    assert good["measured"] < poor["measured"] < 0
    again = dep.cohort_outcome(daily, crs, {"hamd_z": 2.0, "hamd_severity": 24.0}, np.random.default_rng(0))
    assert again == good


def test_mt_cohort_runs_the_depression_condition_through_its_hook():
    """mt.cohort reads Condition.cohort: outcome function, proxy variability, HAMD-17 read-out."""
    opts = cc.small_options("dlpfc", n_neurons=100, n_synapses=5)
    crs = weekday_course(protocols.rtms(10, 200, 120, train_s=4.0, iti_s=26.0, name="10 Hz 200"), 1)
    ds = mt.cohort(crs, condition="depression", n=1, seed=1, network=opts)
    assert ds.attrs["readout"] == "HAMD17" and "placebo" in ds.attrs
    assert set(ds.arm.values) == {"active", "sham"}
    assert "hamd_z" in ds and "remitter_rate" in ds
    assert np.all((ds.responder_rate >= 0) & (ds.responder_rate <= 1))


# --- chronic pain: M1 -----------------------------------------------------------------------

PAIN_SESSIONS = 3


@pytest.fixture(scope="module")
def m1():
    """20 Hz (the Masoumbeigi 2022 preset: 1600 pulses at 90 % RMT), the same at 70 % RMT, 1 Hz
    (600 pulses) and sham over M1: 3 weekday sessions, read on the evening of the third.

    The full 1600 pulses, not a shortened session: the consolidated change grows with the
    session's dose (supra-threshold calcium, evoked spikes), so 800 pulses give a third of the
    preset's w_late after 3 sessions (0.050 vs 0.158) and would not stand for the preset."""
    opts = cc.small_options("m1_column", n_synapses=10)
    hf = protocols.preset("rtms_20hz_lbp")
    low = protocols.rtms(20, 1600, 70, train_s=2.0, iti_s=28.0, name="20 Hz 1600 at 70 %")
    lf = protocols.rtms(1, 600, 90, name="1 Hz 600")
    courses = {"20hz": weekday_course(hf, PAIN_SESSIONS), "20hz_70": weekday_course(low, PAIN_SESSIONS),
               "1hz": weekday_course(lf, PAIN_SESSIONS), "sham": weekday_course(hf.as_sham(), PAIN_SESSIONS)}
    day = endpoint_day(courses["sham"], PAIN_SESSIONS)
    return {k: (mt.simulate(c, condition="chronic_pain", seed=0, network=opts).sel(day=slice(0, day)), c)
            for k, c in courses.items()}


def test_20hz_m1_relieves_pain_more_than_sham_and_more_than_1hz(m1):
    """20 Hz M1 rTMS reduces VAS more than sham (Masoumbeigi 2022; Level A for neuropathic pain,
    Lefaucheur 2020); 1 Hz M1 is less effective than 20 Hz (Andre-Obadia 2006; Level B against
    LF). Mechanism: 20 Hz potentiates M1 (w_late > 0), 1 Hz does not."""
    vas = {k: float(d.VAS.values[-1]) for k, (d, _) in m1.items()}
    print("VAS after 3 sessions:", vas)
    assert vas["20hz"] < vas["sham"] - 0.2
    assert vas["20hz"] < vas["1hz"] - 0.2
    assert float(m1["20hz"][0].PPR[-1]) > float(m1["sham"][0].PPR[-1])


def test_pain_relief_grows_with_intensity_and_sessions(m1):
    """Higher intensity and more sessions give more relief (M1 pain trials: cumulative effect of
    daily sessions, Lefaucheur 2020). 90 % RMT beats 70 %; PPR after 3 sessions exceeds PPR after 1
    by more than sham's."""
    assert float(m1["20hz"][0].VAS[-1]) < float(m1["20hz_70"][0].VAS[-1])
    day1 = endpoint_day(m1["sham"][1], 1)
    gain = lambda d: float(d.PPR[-1] - d.PPR.sel(day=day1))  # noqa: E731
    assert gain(m1["20hz"][0]) > gain(m1["sham"][0])


def test_recorded_chain_trajectories_match_the_live_chain(m1):
    """Guard, not science: tests/test_depression.py and tests/test_pain.py read the chain's w_late
    recorded in tests/data/chain_w_late.csv (20 sampled synapses). The live 20 Hz preset course
    here (10 sampled synapses) must give the recorded w_late after sessions 2 and 3 within 20 %
    (the two synapse samples differ by 11 % and 9 % there; by 18 % after the first session). If the chain's plasticity or consolidation changes,
    this fails: regenerate with ``python -m mechtms.clinical_figures trajectories`` and
    recalibrate (``python -m mechtms.clinical_figures calibrate``)."""
    from pathlib import Path

    rows = np.genfromtxt(Path(__file__).parent / "data" / "chain_w_late.csv", delimiter=",", names=True,
                         dtype=None, encoding="utf-8")
    rec = rows[rows["name"] == "pain_20hz"]
    live = m1["20hz"][0].w_late
    for day in (2, 3):
        recorded = float(rec["w_late"][rec["day"] == day][0])
        assert float(live.sel(day=day)) == pytest.approx(recorded, rel=0.2), day
