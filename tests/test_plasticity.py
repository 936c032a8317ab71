"""The network-driven synapse population (mechtms.plasticity): anchors, intensity, mechanism, API.

Literature anchors are the rows of data/mep_after_effects.csv (each names its paper and
the criterion); the calibration rows (Chen 1997; Wischnewski & Schutter 2015 iTBS 600 and
cTBS 600) are labelled CALIBRATION below, every other row is held out (VALIDATION). The
metric is the % change of the population's mean weight 30 min after the session
(``after_effect``). With MECHTMS_FAST=1 the network runs the first train periods (or
60-s blocks) of long sessions and repeats them (the chain's shortcut, tested against
whole sessions in tests/test_plasticity_session.py) and samples 40 synapses; the full
run uses whole sessions and 100 synapses.
"""

import os

import numpy as np
import pytest

from mechtms import plasticity as pl
from mechtms import protocols as P
from mechtms.plasticity import anchors

FAST = os.environ.get("MECHTMS_FAST") == "1"
DRIVE = pl.NetworkDrive(n_synapses=40, max_periods=4, shortcut_min_s=300.0) if FAST else pl.NetworkDrive()
#: Rows run in fast mode (the rest, the anchors the model misses among them, on full runs only).
FAST_ROWS = ("chen1997_0p9hz_810_115mt", "wischnewski2015_itbs_600", "wischnewski2015_ctbs_600",
             "maeda2000_20hz_240_90rmt", "maeda2000_1hz_240_90rmt", "dudek1992_slice_1hz_900",
             "dudek1992_slice_50hz_900")


@pytest.fixture(autouse=True)
def real_models(monkeypatch):
    monkeypatch.delenv("MECHTMS_MODELS_DIR", raising=False)


@pytest.fixture(scope="module")
def table():
    return anchors.anchor_table(FAST_ROWS if FAST else None, drive=DRIVE)


def _check(table, anchor):
    row = table.loc[anchor]
    assert row["passes"], (anchor, row["model"], row["band"])


#: Calibration anchors the calibration on m1_column does not meet (measured, seed 0, full run;
#: docs/plasticity.md, "Calibration and validation"). Empty since the threshold spread of the
#: patch (mechtms.network.efield.SIGMA_FIELD) was calibrated: Chen -21.4, iTBS +27.2, cTBS -11.1.
CALIBRATION_MISSED: dict[str, str] = {}


@pytest.mark.parametrize("anchor", ["chen1997_0p9hz_810_115mt", "wischnewski2015_itbs_600",
                                    "wischnewski2015_ctbs_600"])
def test_calibration_anchors(table, anchor):
    """CALIBRATION (not validation): Chen et al. 1997 (0.9 Hz x 810, -19.5 %); Wischnewski &
    Schutter 2015 (iTBS 600 +35.5 %, cTBS 600 -22.8 %), inside the bands of the data file.
    The ones the calibration misses are expected failures with the measured value."""
    if anchor in CALIBRATION_MISSED and not table.loc[anchor, "passes"]:
        pytest.xfail(CALIBRATION_MISSED[anchor])
    _check(table, anchor)


@pytest.mark.parametrize("anchor", ["maeda2000_20hz_240_90rmt", "maeda2000_1hz_240_90rmt",
                                    "dudek1992_slice_1hz_900", "dudek1992_slice_50hz_900"])
def test_validation_anchor_directions(table, anchor):
    """VALIDATION: Maeda et al. 2000 (20 Hz facilitates, 1 Hz inhibits, 240 pulses at 90 % RMT);
    Dudek & Bear 1992 (slice: 1 Hz x 900 LTD, 50 Hz x 900 LTP)."""
    _check(table, anchor)


@pytest.mark.skipif(FAST, reason="30-min to 1-h sessions: full runs only")
@pytest.mark.parametrize("anchor", ["peinemann2004_5hz_1800_90rmt", "stefan2000_pas25"])
def test_validation_anchors_long_sessions(table, anchor):
    """VALIDATION: Peinemann et al. 2004 (5 Hz x 1800 at 90 % RMT facilitates; model +6.8 %); Stefan
    et al. 2000 (PAS25 facilitates; model +7.3 %)."""
    _check(table, anchor)


NOT_REPRODUCED = {
    # measured (full run, seed 0, m1_column): see docs/plasticity.md, "Calibration and validation"
    "wolters2003_pas10": "PAS10 +4.4 % (depression expected): the pulse at 130 % RMT recruits most presynaptic "
                         "and postsynaptic cells, so the afferent volley's timing barely reaches the synapses",
    "wischnewski2015_ctbs_300": "cTBS 300 at 80 % AMT: -0.4 % (band -40..-5): in the model the depression needs the "
                                "sliding threshold built up over the longer train (cTBS 600: -11.1 %); in humans "
                                "cTBS 300 depresses at least as much as cTBS 600",
    "huang2005_imtbs_600": "imTBS 600: +27.8 % (no change expected, +-10): the threshold (tau_M 5 s) relaxes in the "
                           "pauses between 5-s trains as it does between iTBS's 2-s trains, so imTBS potentiates "
                           "like iTBS",
    "chen1997_0p1hz_360_115mt": "0.1 Hz x 360 at 115 % MT: -9.2 % (band -8..+8): the model's single-pulse depression "
                                "needs no minimum rate, so pulses 10 s apart still depress",
}


@pytest.mark.parametrize("anchor", sorted(NOT_REPRODUCED))
def test_validation_anchors_not_reproduced(table, anchor):
    """VALIDATION anchors the model misses, pinned as strict expected failures with the measured
    values in NOT_REPRODUCED: the test fails (XPASS) the day the model meets them."""
    if FAST:
        pytest.skip("judged on full runs (MECHTMS_FAST unset)")
    if not table.loc[anchor, "passes"]:
        pytest.xfail(NOT_REPRODUCED[anchor])
    pytest.fail(f"{anchor} is now reproduced ({table.loc[anchor, 'model']} %): move it to the passing list")


def test_the_calibration_set_is_the_documented_one(table):
    assert set(anchors.load().query("role == 'calibration'").index) == {
        "chen1997_0p9hz_810_115mt", "wischnewski2015_itbs_600", "wischnewski2015_ctbs_600"}


# ---- intensity ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def one_hz():
    p = P.rtms(1, 300 if FAST else 900, 90)
    return pl.intensity_response(p, (20, 70, 120), drive=DRIVE)


def test_no_recruitment_no_change(one_hz):
    """Issue 11: at an intensity that recruits no neuron (20 % RMT: direct activation 1e-5 of
    the cells, presynaptic axons 0.2 %) the weight moves < 2 %; a sham session likewise."""
    assert one_hz.loc[20.0, "p_direct_E"] < 1e-3
    assert abs(one_hz.loc[20.0, "dW_percent"]) < 2.0
    sham = pl.run_session(P.itbs(600).as_sham(), drive=DRIVE)
    assert abs(sham.dW_percent) < 2.0 and np.all(np.abs(sham.dW_percent_per_synapse) < 5.0)


def test_one_hz_depression_deepens_with_intensity(one_hz):
    """VALIDATION: 1 Hz x 900 (x 300 in fast mode) depresses more from 70 to 120 % RMT (more recruitment, more
    synapses whose calcium crosses the depression threshold; seed of issue 11)."""
    d70, d120 = one_hz.loc[70.0, "dW_percent"], one_hz.loc[120.0, "dW_percent"]
    assert d120 < d70 - 3.0 < 0
    assert one_hz.loc[120.0, "pre_evoked"] > one_hz.loc[70.0, "pre_evoked"] > one_hz.loc[20.0, "pre_evoked"]


# ---- mechanism: what carries the effects ------------------------------------------------------
def test_itbs_and_ctbs_differ_through_the_sliding_threshold():
    """Huang et al. 2011 / Fung & Robinson 2014: the same bursts potentiate when intermittent
    and depress when continuous because the sliding threshold (M, tau_M) keeps up only with
    continuous bursts. Freezing the threshold (M_max -> 0: theta_p stays at theta_p0) makes cTBS
    potentiate."""
    ctbs = P.preset("ctbs_600")
    normal = pl.run_session(ctbs, drive=DRIVE)
    frozen = pl.run_session(ctbs, drive=DRIVE, changes={"M_max": 1e-6})
    assert normal.dW_percent < 0 < frozen.dW_percent
    assert frozen.t_ltp_s.mean() > 3 * normal.t_ltp_s.mean()


@pytest.mark.skipif(FAST, reason="two 30-min sessions: full runs only")
@pytest.mark.xfail(strict=True, reason="PAS25 and PAS10 both potentiate: the pulse at 130 % RMT recruits ~97 % of "
                                      "the presynaptic and ~85 % of the postsynaptic cells within 10 ms, a volley fires "
                                      "15-23 % of its targets (docs/plasticity.md)")
def test_pas_direction_comes_from_timing_alone():
    """Same pulses, same nerve stimuli, same synapses: only the interval differs (25 vs 10 ms);
    the pairing of afferent-driven presynaptic spikes before (PAS25) or after (PAS10) the
    pulse's postsynaptic spikes and depolarisation sets the sign (Stefan 2000; Wolters 2003)."""
    r25 = pl.run_session(P.preset("pas25"), drive=DRIVE)
    r10 = pl.run_session(P.preset("pas10"), drive=DRIVE)
    assert r25.dW_percent > 0 > r10.dW_percent
    assert r25.t_ltp_s.mean() > r10.t_ltp_s.mean()


# ---- the session function and the API ----------------------------------------------------------
def test_run_session_hands_on_state_and_reports_spread():
    p = P.itbs(120)
    first = pl.run_session(p, drive=DRIVE, follow_s=600.0)
    n = DRIVE.n_synapses
    assert first.W_start.shape == (n,) and first.state_next.W.shape == (n,)
    assert first.dW_sd_percent > 0 and np.isfinite(first.dW_percent)
    second = pl.run_session(p, first.state_next, drive=DRIVE)
    np.testing.assert_array_equal(second.W_start, first.state_next.W)
    s = first.summary()
    for key in ("dW_percent", "dW_sd_percent", "ca_supra_uM_s", "pre_evoked_per_pulse", "W_next"):
        assert key in s
    ds = first.to_dataset()
    assert ds.dW_percent.dims == ("synapse",) and ds.ca_supra_uM_s.attrs["units"] == "uM s"


def test_same_seed_same_numbers():
    p = P.itbs(60)
    a = pl.run_session(p, drive=DRIVE, seed=3)
    pl.clear_cache()
    b = pl.run_session(p, drive=DRIVE, seed=3)
    np.testing.assert_array_equal(a.W_after, b.W_after)


def test_time_course_dataset():
    ds = pl.time_course(P.itbs(60), drive=DRIVE, t_after_s=600, points=11)
    assert ds.time.attrs["units"] == "second" and ds.time.values[0] < 0
    assert ds.W.attrs["units"] == "dimensionless" and ds.Ca.attrs["units"] == "uM"
    assert ds.attrs["dW_percent_after"] == pytest.approx(float(ds.dW_percent.values[-1]), abs=1e-3)


def test_bad_input_messages():
    with pytest.raises(ValueError, match="protocol must be a mechtms.protocols.Protocol, got str"):
        pl.after_effect("itbs_600")
    with pytest.raises(ValueError, match="n_synapses must be <= 2000, got 5000"):
        pl.NetworkDrive(n_synapses=5000)
    with pytest.raises(ValueError, match="state holds 3 synapses but the session samples"):
        pl.run_session(P.itbs(30), pl.SynapseState.baseline(3), drive=DRIVE)
    with pytest.raises(KeyError, match="unknown calcium_plasticity parameter 'A_P'"):
        pl.after_effect(P.itbs(30), changes={"A_P": 1.0}, drive=DRIVE)
    with pytest.raises(ValueError, match="no LTD-to-LTP crossover between lo_hz=1"):
        pl.crossover_frequency(1, 1.2, pulses=20, drive=DRIVE)


def test_mean_field_drive_is_deprecated():
    with pytest.warns(DeprecationWarning, match="drive= as a mapping"):
        pl.after_effect(P.itbs(30), {"epsp_mV": 5})
