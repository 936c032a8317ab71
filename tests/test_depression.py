"""Human depression: the HAMD-17 proxy on the chain's w_late, on hand-made trajectories, and the DLPFC network.

Two inputs. (1) The chain's daily w_late of the O'Reardon course (10 Hz left DLPFC) and of the
1 Hz right-DLPFC course, recorded in tests/data/chain_w_late.csv (regenerate with
``python -m mechtms.clinical_figures trajectories``; the live chain runs are in
tests/test_conditions_clinical.py): the calibration re-check and the validations. (2)
mechtms.proxies.handmade_plasticity, a stand-in with a given plateau, for properties of the
proxy alone (a larger plateau, the link options). Cohorts: 4,000 virtual patients (rates to
about +-1.5 points). Endpoint: the evening of the last session (the chain's 20:00 read-out).

Sources of the targets:
- Berlim MT et al. 2014 Psychol Med 44:225 (29 RCTs, ~13 sessions of HF-rTMS): responders 29.3 %
  vs 10.4 % sham, remitters 18.6 % vs 5 %. CALIBRATION: the sham rates (logit_mean, logit_sd;
  stage 1) and the active response rate (gain, on the chain's w_late). VALIDATION: the active
  remission rate.
- Razza LB et al. 2018 Prog Neuropsychopharmacol Biol Psychiatry 81:105: within-group placebo
  response of sham arms, Hedges g = 0.8 (95 % CI 0.65-0.95). VALIDATION.
- Teng S et al. 2017 Eur Psychiatry 41:75: SMD -0.43/-0.60/-1.13/-2.74 after 5/10/15/20 sessions
  (overall -0.73). Kedzior KK et al. 2014 Neuropsychiatr Dis Treat 10:727: left fast rTMS
  d = -0.49 (-0.63, -0.34), 43 studies. VALIDATION (shape, and the 10-15-session magnitude).
- Berlim MT et al. 2013 Neuropsychopharmacology 38:543: 1 Hz right DLPFC, responders 38.2 % vs
  15.1 % sham, OR 3.35 (95 % CI 1.4-8.02). VALIDATION.
- Blumberger DM et al. 2018 Lancet 391:1683 (THREE-D): left DLPFC iTBS 600 pulses at 120 % RMT and
  10 Hz 3000 pulses lowered the HRSD-17 alike (23.6 -> 13.4 and 23.5 -> 13.4). VALIDATION.
"""

from pathlib import Path

import numpy as np
import pytest

from mechtms import conditions_clinical as cc
from mechtms import network, protocols
from mechtms.proxies import depression as D
from mechtms.proxies import handmade_plasticity

N = 4000
HF = protocols.preset("hf_rtms_10hz_depression")            # O'Reardon 2007: 10 Hz, 120 % MT, 3000 pulses
LF_RIGHT = protocols.rtms(1, 1200, 110)                       # 1 Hz right DLPFC (Berlim 2013: > 1,200 pulses)


def read_chain(path=Path(__file__).parent / "data" / "chain_w_late.csv"):
    """name -> (days, w_late) of the recorded chain trajectories."""
    rows = np.genfromtxt(path, delimiter=",", names=True, dtype=None, encoding="utf-8")
    return {n: (rows["day"][rows["name"] == n].astype(float), rows["w_late"][rows["name"] == n])
            for n in np.unique(rows["name"])}


CHAIN = read_chain()


def weekday(proto, n_sessions, target=""):
    """``n_sessions`` weekday sessions from day 1 and its last session's day."""
    c = protocols.course(proto, days=int(np.ceil(n_sessions / 5)) * 7, days_per_week=5, start_day=1, target=target)
    last = int(c.session_days[n_sessions - 1])
    return c.replace(days=last), last


def trial(n_sessions, plateau=0.2, proto=HF, **params):
    """Active (hand-made w_late of ``plateau``) and sham arms after ``n_sessions`` weekday sessions."""
    c, last = weekday(proto, n_sessions)
    sham = c.replace(protocol=c.protocol.as_sham())
    days = np.arange(0, last + 1, dtype=float)
    return D.virtual_trial(days, {"active": handmade_plasticity(days, c, plateau), "sham": np.zeros(len(days))},
                           {"active": c, "sham": sham}, n=N, params=params)


def chain_trial(n_sessions, name="depression_10hz_left", proto=HF, target="", **params):
    """Active arm on the chain's recorded w_late (``name``) and sham, after ``n_sessions`` weekday sessions."""
    c, last = weekday(proto, n_sessions, target)
    days, w = CHAIN[name]
    keep = days <= last
    days, w = days[keep], w[keep]
    assert days[-1] == last, "tests/data/chain_w_late.csv is shorter than the course"
    return D.virtual_trial(days, {"active": w, "sham": np.zeros(len(days))},
                           {"active": c, "sham": c.replace(protocol=c.protocol.as_sham())}, n=N, params=params)


@pytest.fixture(scope="module")
def thirteen():
    return chain_trial(13)


# ---- CALIBRATION (re-checks of the calibrated values: not validation) ------------------------
def test_calibration_sham_and_active_response_rates(thirteen):
    """CALIBRATION, Berlim 2014: sham 10.4 % responders and 5 % remitters (logit_mean, logit_sd);
    active 29.3 % responders (gain, on the chain's w_late of the O'Reardon course, evening of
    session 13). Tolerance: 2 binomial s.e. at n = 4,000 (~1 percentage point) plus 0.5 point
    (calibration on another cohort size and, for the sham pair, the stage-1 endpoint a day later)."""
    sham, active = thirteen["sham"], thirteen["active"]
    assert sham["response"] == pytest.approx(0.104, abs=0.015)
    assert sham["remission"] == pytest.approx(0.05, abs=0.012)
    assert active["response"] == pytest.approx(0.293, abs=0.02)


# ---- VALIDATION -----------------------------------------------------------------------------
def test_active_remission_rate_follows_from_the_calibration(thirteen):
    """Berlim 2014: 18.6 % remitters under HF-rTMS (not a calibration target). Band 12-25 %."""
    assert 0.12 <= thirteen["active"]["remission"] <= 0.25
    lo, hi = thirteen["active"]["remission_ci"]
    assert lo < thirteen["active"]["remission"] < hi


def test_sham_within_group_effect_size_matches_razza_2018(thirteen):
    """Razza 2018: placebo response of sham arms g = 0.8 (95 % CI 0.65-0.95); g here is the mean
    change over the pooled SD of the baseline and endpoint scores (the usual pre-post g)."""
    sham = thirteen["sham"]
    change = sham["change"]
    sd_pre = sham["baseline_sd"]
    sd_post = np.std(change + sham["baseline_mean"], ddof=1)  # endpoint spread (baseline shift does not matter)
    g = -change.mean() / np.sqrt(0.5 * (sd_pre**2 + sd_post**2))
    assert 0.65 <= g <= 0.95


def test_effect_grows_with_the_number_of_sessions_teng_2017():
    """Teng 2017: the SMD (active - sham) grows with sessions, 5 < 10 < 15 < 20 (-0.43, -0.60, -1.13,
    -2.74), on the chain's w_late. Reproduced: the order, and a 20-session effect at least twice the
    5-session one. NOT reproduced: the 20-session magnitude (-2.74; the model stays above -1.2:
    docs/depression.md)."""
    smd = [chain_trial(n)["smd"]["active"] for n in (5, 10, 15, 20)]
    assert all(b < a for a, b in zip(smd, smd[1:], strict=False))
    assert smd[3] <= 2.0 * smd[0]
    assert smd[3] > -1.2


def test_ten_to_fifteen_sessions_match_the_meta_analytic_effect(thirteen):
    """Kedzior 2014 (left fast, d = -0.49 [-0.63, -0.34]) and Teng 2017 (overall -0.73): after
    13 sessions the SMD lies between -0.95 and -0.34."""
    assert -0.95 <= thirteen["smd"]["active"] <= -0.34


def test_stronger_sessions_give_more_responders():
    """Review (>1,000 pulses, >100 % MT better): a stronger plasticity per session (what the chain
    gives more pulses or a higher intensity) gives more responders after 20 sessions. A property of
    the proxy; whether pulses and intensity raise the plasticity is the chain's (stage 2)."""
    rates = [trial(20, plateau)["active"]["response"] for plateau in (0.05, 0.1, 0.2, 0.3)]
    assert all(b > a for a, b in zip(rates, rates[1:], strict=False))


def test_one_hz_right_dlpfc_is_antidepressant():
    """Berlim 2013: LF-rTMS of the right DLPFC beats sham (OR 3.35, 95 % CI 1.4-8.02). Input: the
    chain's w_late of 10 sessions of the 1 Hz right-DLPFC preset (LTD of the DLPFC column); signed
    link (hemisphere from the course's target)."""
    r = chain_trial(10, "depression_1hz_right", protocols.preset("lf_rtms_1hz_right_dlpfc_depression"),
                    target="right_DLPFC")
    a, s = r["active"]["response"], r["sham"]["response"]
    odds = (a / (1 - a)) / (s / (1 - s))
    assert 1.4 <= odds <= 8.02


def test_itbs_is_non_inferior_to_10hz_three_d():
    """VALIDATION (held out: nothing of the chain or the proxy was set on a theta-burst course).
    Blumberger et al. 2018 (THREE-D): over the left DLPFC, iTBS 600 pulses at 120 % RMT (3 min) and
    10 Hz 3000 pulses at 120 % RMT (37.5 min) lowered the HRSD-17 by 10.2 and 10.1 points after 4-6
    weeks; iTBS was non-inferior (margin 2.25 points, [recalled]). Input: the chain's w_late of 20
    weekday sessions of each (tests/data/chain_w_late.csv; iTBS at 120 % RMT recruits enough to
    consolidate by itself: BDNF dose ~0.5 of the reference, no training).

    Model (4,000 patients): mean change iTBS -8.41, 10 Hz -9.77 points (difference 1.36, inside
    the margin; the trial's iTBS did as well as 10 Hz, the model's a little worse); each arm within
    the margin of the trial's own change. Not asserted: the response rates, 32 % / 38 % against the
    trial's 49 % / 47 % (an open-label trial without a sham arm; the proxy's placebo part is
    calibrated on blinded sham arms, Berlim 2014)."""
    itbs = chain_trial(20, "depression_itbs_left", protocols.preset("itbs_600_dlpfc_depression"))["active"]
    hf = chain_trial(20)["active"]
    assert abs(itbs["mean_change"] - hf["mean_change"]) < 2.25
    assert abs(hf["mean_change"] - (-10.1)) < 2.25
    assert abs(itbs["mean_change"] - (-10.2)) < 2.25


def test_link_hypotheses_differ_for_one_hz_left():
    """Kedzior 2014: left 1 Hz also antidepressant (d = -0.61, 4 studies). The signed (asymmetry)
    link predicts no benefit over sham; the magnitude link predicts one (both are options)."""
    signed = trial(13, -0.1, LF_RIGHT, hemisphere="left", link="signed")
    magnitude = trial(13, -0.1, LF_RIGHT, hemisphere="left", link="magnitude")
    assert signed["active"]["response"] <= signed["sham"]["response"]
    assert magnitude["active"]["response"] > magnitude["sham"]["response"] + 0.05


def test_median_patient_course():
    """O'Reardon 2007: active and sham separate over weeks; the median patient's HAMD-17 falls
    faster under a potentiating course, and nothing happens without sessions."""
    import xarray as xr

    c = protocols.course(HF, weeks=6, days_per_week=5, start_day=1)
    days = np.arange(0, 43, dtype=float)
    daily = xr.Dataset({"w_late": ("day", handmade_plasticity(days, c, 0.2))}, coords={"day": days})
    active = D.hamd17(daily, c).values
    sham = D.hamd17(daily.assign(w_late=0 * daily.w_late), c.replace(protocol=HF.as_sham())).values
    untreated = D.hamd17(daily.assign(w_late=0 * daily.w_late), None).values
    assert np.all(untreated == D.PARAMS["baseline"].value)
    assert np.all(active[2:] < sham[2:]) and np.all(sham[2:] < untreated[2:])
    assert np.all(np.diff(active[1:36]) <= 1e-9)  # improving while sessions continue


# ---- the DLPFC-like network ---------------------------------------------------------------
def test_dlpfc_network_differs_only_in_recurrent_l23_excitation():
    m1 = network.networks.get(cc.M1_NETWORK)
    spec = cc.dlpfc_network()
    assert spec.name == "dlpfc"
    gains = {(a, b): g for a, b, g in spec.pathway_gain}
    m1_gains = {(a, b): g for a, b, g in m1.pathway_gain}
    assert gains.pop(cc.RECURRENT_PATHWAY) == pytest.approx(m1_gains.pop(cc.RECURRENT_PATHWAY, 1.0) * cc.DLPFC_RECURRENT_GAIN)
    assert gains == m1_gains
    assert spec.replace(name=m1.name, pathway_gain=m1.pathway_gain, source=m1.source) == m1
    with pytest.raises(ValueError, match="recurrent_gain must be <= 3"):
        cc.dlpfc_network(5.0)
    with pytest.raises(ValueError, match="base must be a layered network"):
        cc.dlpfc_network(base="cortex")


def test_dlpfc_network_rests_in_the_asynchronous_state():
    """The DLPFC-like column keeps M1's resting regime (2-10 Hz, no runaway) at baseline weights
    and with E->E weights 25 % up (beyond the chain's range), and its recurrent excitation shows:
    it fires more than M1 at rest."""
    spec = cc.dlpfc_network()
    rates = {}
    for name, net, scale in (("m1", cc.M1_NETWORK, 1.0), ("dlpfc", spec, 1.0), ("dlpfc+", spec, 1.25)):
        ds = network.simulate(None, network=net, duration_s=2.0, seed=0, record=("rates",), weight_scale_ee=scale)
        rates[name] = float(ds.rate_E.values[500:].mean())
        assert not ds.attrs.get("runaway"), name
    assert 2.0 <= rates["dlpfc"] <= 10.0 and 2.0 <= rates["dlpfc+"] <= 10.0
    assert rates["dlpfc"] > rates["m1"]


def test_dlpfc_is_dosed_from_the_m1_threshold(monkeypatch):
    """The DLPFC's 100 % MT field is field_ratio x the M1 column's calibrated RMT field (never a
    DLPFC calibration)."""
    import mechtms.network as net

    seen = {}

    def fake_calibrate(network="cortex", **kw):
        seen["network"] = network
        return 0.7

    monkeypatch.setattr(net, "calibrate_rmt", fake_calibrate)
    assert cc.dlpfc_x_rmt() == pytest.approx(0.7 * cc.DLPFC_FIELD_RATIO)
    assert seen["network"] == cc.M1_NETWORK
    with pytest.raises(ValueError, match="field_ratio must be >= 0.1"):
        cc.dlpfc_x_rmt(0.0)


def test_hemisphere_follows_the_course_target():
    """'auto' reads Course.target: the right-DLPFC preset is treated as right, the O'Reardon preset
    (no target: the condition's usual site) as left."""
    import xarray as xr

    right = protocols.preset_course("lf_rtms_1hz_right_dlpfc_depression")
    assert right.target == "right_DLPFC"
    days = np.arange(0, 25, dtype=float)
    daily = xr.Dataset({"w_late": ("day", handmade_plasticity(days, right, -0.1))}, coords={"day": days})
    auto = D.hamd17(daily, right).values
    np.testing.assert_array_equal(auto, D.hamd17(daily, right, {"hemisphere": "right"}).values)
    assert np.all(auto[3:] < D.hamd17(daily, right, {"hemisphere": "left"}).values[3:])
