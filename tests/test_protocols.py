"""Protocol timing arithmetic, courses, presets and validation messages.

Timing sources: Huang et al. 2005, Neuron 45:201 (iTBS: 3 pulses at 50 Hz every 200 ms,
2 s on / 8 s off; cTBS continuous; imTBS 5 s every 15 s); O'Reardon et al. 2007 (10 Hz,
4 s trains, 26 s pauses, 3000 pulses).
"""

import numpy as np
import pytest

from mechtms import protocols as P


def test_itbs_600_is_20_trains_of_10_bursts_of_3_pulses():
    p = P.itbs(pulses=600)
    assert (p.n_trains, p.bursts_per_train, p.pulses_per_burst) == (20, 10, 3)
    assert p.n_pulses == 600
    assert p.duration_s == 191.84  # exact: correctly rounded float64
    t = p.pulse_times_s()
    assert t[0] == 0.0 and t.dtype == np.float64 and t.shape == (600,)
    np.testing.assert_allclose(t[:6], [0, 0.02, 0.04, 0.2, 0.22, 0.24], rtol=0, atol=1e-12)
    assert t[30] == 10.0  # second train starts 10 s after the first


def test_ctbs_and_imtbs_durations():
    assert P.ctbs(pulses=600).duration_s == 39.84
    assert P.ctbs(pulses=300).duration_s == 19.84
    imtbs = P.imtbs(pulses=600)
    assert imtbs.n_trains == 8 and imtbs.duration_s == 109.84  # ~110 s in Huang et al. 2005


def test_1hz_1200_lasts_1199_s():
    p = P.rtms(frequency_hz=1, pulses=1200, intensity=90)
    assert p.duration_s == 1199.0 and p.n_trains == 1


def test_10hz_depression_protocol_is_75_trains_over_37_min():
    p = P.rtms(frequency_hz=10, pulses=3000, intensity=120, train_s=4, iti_s=26)
    t = p.pulse_times_s()
    assert p.n_trains == 75 and p.bursts_per_train == 40
    assert t[39] == 3.9 and t[40] == 30.0
    assert p.duration_s == pytest.approx(74 * 30 + 3.9, abs=1e-9)


def test_partial_last_train():
    p = P.rtms(frequency_hz=10, pulses=50, intensity=100, train_s=2, iti_s=8)
    t = p.pulse_times_s()
    assert p.n_trains == 3 and len(t) == 50 and t[-1] == pytest.approx(20.9)


def test_pulse_times_strictly_increasing_for_every_preset():
    for name in P.presets():
        t = P.preset(name).pulse_times_s()
        assert np.all(np.diff(t) > 0), name
        assert len(t) == P.preset(name).n_pulses


def test_sham_keeps_schedule_delivers_nothing():
    p = P.itbs(600)
    s = p.as_sham()
    assert s.sham and s.n_pulses == 600 and s.n_delivered == 0
    np.testing.assert_array_equal(s.pulse_times_s(), p.pulse_times_s())
    assert s.delivered_pulse_times_s().size == 0
    assert P.sham("itbs_600").sham
    assert P.preset("sham").n_delivered == 0


def test_protocol_is_immutable_and_hashable():
    p = P.itbs(600)
    with pytest.raises(AttributeError):
        p.pulses = 3  # type: ignore[misc]
    assert p == P.itbs(600) and hash(p) == hash(P.itbs(600))


def test_intensity_conversion():
    p = P.rtms(1, 900, 90)
    assert p.intensity_rmt == 90
    assert P.itbs(600, 80).intensity_in("RMT", amt_over_rmt=0.8) == pytest.approx(64.0)
    assert P.rtms(1, 10, 50, intensity_ref="MSO").intensity_in("RMT", rmt_mso=50) == pytest.approx(100)
    with pytest.raises(ValueError, match=r"needs the subject's RMT in % MSO: pass rmt_mso="):
        _ = P.rtms(1, 10, 50, intensity_ref="MSO").intensity_rmt


# ---- courses ---------------------------------------------------------------------------
def test_daily_course_from_day_1():
    c = P.course(P.preset("sci_15hz_mouse"), days=28)
    assert c.n_sessions == 28
    np.testing.assert_array_equal(c.session_days, np.arange(1, 29))
    assert c.session_start_times_h()[0] == 33.0 and c.session_start_times_h()[-1] == 28 * 24 + 9


def test_weekday_course_skips_weekends():
    c = P.course(P.rtms(1, 1200, 90), weeks=2, days_per_week=5, start_day=1)
    np.testing.assert_array_equal(c.session_days, [1, 2, 3, 4, 5, 8, 9, 10, 11, 12])
    assert c.total_pulses == 12000


def test_several_sessions_a_day():
    c = P.course(P.itbs(600), sessions_per_day=3, days=2, clock_h=8, session_gap_h=1.0)
    np.testing.assert_allclose(c.session_start_times_h(), [32, 33, 34, 56, 57, 58])
    c2 = P.course(P.itbs(600), sessions_per_day=2, days=1, start_day=0, clock_h=[9, 15])
    np.testing.assert_allclose(c2.session_start_times_h(), [9, 15])


def test_preset_courses_match_their_sources():
    assert P.preset_course("sci_15hz_mouse").n_sessions == 28          # daily, 28 days
    assert P.preset_course("lf_rtms_1hz_stroke").n_sessions == 10      # 5/wk x 2 wk
    assert P.preset_course("cerebellar_itbs_stroke").n_sessions == 10
    assert P.preset_course("hf_rtms_10hz_depression").n_sessions == 30  # 5/wk x 6 wk
    assert P.preset("lf_rtms_1hz_stroke").intensity == 90
    assert P.preset("cerebellar_itbs_stroke").intensity_ref == "AMT"


def test_every_preset_has_citation_and_marks_assumptions():
    for name in P.presets():
        info = P.preset_info(name)
        assert info.citation and info.short, name
    sci = P.preset_info("sci_15hz_mouse")
    assert any("ASSUMED" in a for a in sci.assumptions)
    assert "Zhang" in sci.citation and "19:387" in sci.citation


# ---- validation messages ---------------------------------------------------------------
@pytest.mark.parametrize("kwargs, message", [
    (dict(frequency_hz=0, pulses=10, intensity=90), r"frequency_hz must be > 0, got 0"),
    (dict(frequency_hz=-1, pulses=10, intensity=90), r"frequency_hz must be > 0, got -1"),
    (dict(frequency_hz=float("nan"), pulses=10, intensity=90), r"frequency_hz must be finite, got nan"),
    (dict(frequency_hz=float("inf"), pulses=10, intensity=90), r"frequency_hz must be finite"),
    (dict(frequency_hz=1, pulses=10, intensity=0), r"intensity \(% RMT\) must be > 0, got 0"),
    (dict(frequency_hz=1, pulses=10, intensity=400), r"intensity \(% RMT\) must be <= 250, got 400"),
    (dict(frequency_hz=1, pulses=10, intensity=120, intensity_ref="MSO"), r"intensity \(% MSO\) must be <= 100"),
    (dict(frequency_hz=1, pulses=10.5, intensity=90), r"pulses must be a whole number, got 10.5"),
    (dict(frequency_hz=1, pulses=-3, intensity=90), r"pulses must be >= 1, got -3"),
    (dict(frequency_hz=1, pulses="ten", intensity=90), r"pulses must be a whole number, got 'ten'"),
    (dict(frequency_hz=1, pulses=10, intensity=90, intensity_ref="rmt"), r"unknown intensity_ref 'rmt'. Did you mean 'RMT'"),
    (dict(frequency_hz=10, pulses=100, intensity=90, train_s=0.05, iti_s=5), r"train_s=0.05 s is shorter than one burst period"),
    (dict(frequency_hz=10, pulses=100, intensity=90, train_s=2), r"give train_s and iti_s together"),
    (dict(frequency_hz=10, pulses=100, intensity=90, train_s=2, iti_s=-1), r"iti_s must be >= 0, got -1"),
    (dict(frequency_hz=10, pulses=100, intensity=90, train_s=2, iti_s=0), r"iti_s=0 with train_s=2: trains would run into each other"),
])
def test_rtms_validation_messages(kwargs, message):
    with pytest.raises(ValueError, match=message):
        P.rtms(**kwargs)


def test_overlapping_bursts_rejected():
    with pytest.raises(ValueError, match=r"bursts overlap: 5 pulses at 10 Hz take 500 ms but bursts repeat every 200 ms"):
        P.theta_burst(600, pulses_per_burst=5, burst_frequency_hz=10)


def test_tbs_pulses_must_fill_bursts():
    with pytest.raises(ValueError, match=r"pulses=601 is not a whole number of 3-pulse bursts"):
        P.itbs(601)


def test_unknown_preset_suggests_close_matches():
    with pytest.raises(ValueError, match=r"unknown preset 'itbs600'. Did you mean 'itbs_600'"):
        P.preset("itbs600")
    with pytest.raises(ValueError, match=r"unknown preset 'ctbs'"):
        P.preset_course("ctbs")


def test_replace_unknown_field():
    with pytest.raises(ValueError, match=r"unknown Protocol field 'frequency'. Did you mean 'frequency_hz'"):
        P.itbs(600).replace(frequency=5)


@pytest.mark.parametrize("kwargs, message", [
    (dict(days=0), r"days must be >= 1, got 0"),
    (dict(days=7, weeks=1), r"give days or weeks, not both"),
    (dict(days=7, days_per_week=8), r"days_per_week must be <= 7, got 8"),
    (dict(days=7, start_day=-1), r"start_day must be >= 0, got -1"),
    (dict(days=7, clock_h=25), r"clock_h must be < 24, got 25"),
    (dict(days=7, sessions_per_day=2, clock_h=[9]), r"clock_h has 1 times but sessions_per_day=2"),
    (dict(days=7, sessions_per_day=2, clock_h=9, session_gap_h=0.01), r"sessions overlap"),
])
def test_course_validation_messages(kwargs, message):
    with pytest.raises(ValueError, match=message):
        P.course(P.itbs(600), **kwargs)


# ---- PAS and physical intensity ------------------------------------------------------
def test_pas_pairs_each_pulse_with_a_nerve_stimulus_isi_before():
    # Stefan et al. 2000 (Brain 123:572): 90 pairs at 0.05 Hz, nerve stimulus 25 ms before TMS
    p = P.pas(isi_ms=25, pairs=90, frequency_hz=0.05)
    tms, nerve = p.pulse_times_s(), p.afferent_times_s()
    assert p.n_pulses == 90 and nerve.shape == tms.shape
    np.testing.assert_allclose(tms - nerve, 0.025, rtol=0, atol=1e-12)
    assert p.duration_s == pytest.approx(89 * 20.0)
    assert p.as_sham().delivered_afferent_times_s().size == 0
    assert P.rtms(1, 10, 90).afferent_times_s().size == 0


def test_pas_presets_cite_their_sources():
    assert "Stefan" in P.preset_info("pas25").citation
    assert P.preset("pas10").pas_isi_ms == 10


def test_pas_fields_are_checked():
    with pytest.raises(ValueError, match="pas_isi_ms is for kind='pas' only"):
        P.rtms(1, 10, 90).replace(pas_isi_ms=25)
    with pytest.raises(ValueError, match="needs pas_isi_ms"):
        P.Protocol(kind="pas", frequency_hz=0.05, pulses=90, intensity=130)


def test_field_intensity_is_not_converted_without_the_network():
    p = P.rtms(1, 10, 120, intensity_ref="V/m", waveform="monophasic")
    assert p.label().endswith("120 V/m, monophasic")
    with pytest.raises(ValueError, match="motor threshold"):
        _ = p.intensity_rmt
    with pytest.raises(ValueError, match="waveform.*biphasic"):
        P.rtms(1, 10, 120, waveform="sine")
    with pytest.raises(ValueError, match=r"intensity \(V/m\)"):
        P.rtms(1, 10, 900, intensity_ref="V/m")
