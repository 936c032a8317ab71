"""Virtual cohorts: subjects from documented distributions, both arms on the scan engines,
responder rates with Wilson intervals, identical serial and parallel, resumable."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mechtms as mt
from mechtms import cohorts, protocols


@pytest.fixture(scope="module")
def itbs_cohort():
    return mt.cohort(protocols.preset("itbs_600"), condition="healthy", n=8, seed=3)


def test_wilson_interval_against_a_hand_computed_value():
    """9 of 21 (Jannati et al. 2017 cTBS suppressors): Wilson 95 % interval 0.245-0.635 (computed by hand
    from the score formula); and the interval of 0/n is [0, 3.84/(n+3.84)]."""
    lo, hi = cohorts.wilson(9, 21)
    assert lo == pytest.approx(0.2448, abs=5e-4) and hi == pytest.approx(0.6346, abs=5e-4)
    lo, hi = cohorts.wilson(0, 10)
    assert lo == 0.0 and hi == pytest.approx(cohorts.Z95 ** 2 / (10 + cohorts.Z95 ** 2), rel=1e-12)


def test_subject_is_the_same_person_in_every_cohort():
    """Subject i depends on (seed, i) only: the same in a cohort of 5 or 500, and the draws follow their
    distributions (median and log-SD of K_fast within 10 % over 4000 subjects)."""
    a = cohorts.draw_subject(0, 7, cohorts.DEFAULT)
    assert a == cohorts.draw_subject(0, 7, cohorts.DEFAULT)
    assert a != cohorts.draw_subject(1, 7, cohorts.DEFAULT)
    k = np.array([cohorts.draw_subject(0, i, cohorts.DEFAULT)["K_fast"] for i in range(4000)])
    d = cohorts.DEFAULT["K_fast"]
    assert np.median(k) == pytest.approx(d.center, rel=0.1) and np.std(np.log(k)) == pytest.approx(d.spread, rel=0.1)


def test_cohort_dataset(itbs_cohort):
    ds = itbs_cohort
    assert ds.outcome.dims == ("subject", "arm") and list(ds.arm.values) == ["active", "sham"]
    assert (ds.status == 1).all()
    # the sham delivers nothing: the model's outcome is 0, only measurement noise is left
    assert np.abs(ds.outcome.sel(arm="sham")).max() < 1e-6
    assert np.abs(ds.measured.sel(arm="sham")).max() > 0.5
    assert ds.attrs["ci_method"] == "Wilson score interval, 95 %"
    assert ds.attrs["expected_sign"] == 1  # the typical subject's iTBS potentiates
    assert "none documented" in ds.attrs["placebo"]
    k = int(ds.n_responders.sel(arm="active"))
    assert float(ds.responder_rate.sel(arm="active")) == k / 8
    lo, hi = cohorts.wilson(k, 8)
    assert float(ds.responder_ci_low.sel(arm="active")) == lo and float(ds.responder_ci_high.sel(arm="active")) == hi


def test_subjects_differ_and_variability_none_makes_them_identical(itbs_cohort):
    """With the default variability subjects' model outcomes spread; with 'none' every subject's model
    outcome equals the typical subject's (only the measurement differs)."""
    assert float(itbs_cohort.outcome.sel(arm="active").std()) > 2.0
    same = mt.cohort(protocols.preset("itbs_600"), n=3, seed=3, variability="none", arms={"active": "itbs_600"})
    out = same.outcome.sel(arm="active").values
    assert np.ptp(out) == 0.0 and out[0] == pytest.approx(mt.plasticity.after_effect(protocols.preset("itbs_600")),
                                                          rel=1e-9)


def test_serial_equals_local_bit_for_bit(itbs_cohort):
    par = mt.cohort(protocols.preset("itbs_600"), condition="healthy", n=8, seed=3, engine="local", workers=2)
    for var in ("outcome", "measured", "responder", "K_fast", "network_seed"):
        np.testing.assert_array_equal(par[var].values, itbs_cohort[var].values)


def test_cohort_resumes_from_its_store(tmp_path):
    store = tmp_path / "c.zarr"
    first = mt.cohort(protocols.preset("ctbs_600"), n=3, seed=1, store=store)
    again = mt.cohort(protocols.preset("ctbs_600"), n=3, seed=1, store=store)
    np.testing.assert_array_equal(first.measured.values, again.measured.values)
    assert first.attrs["expected_sign"] == -1  # cTBS depresses in the typical subject


@pytest.mark.parametrize("kw, match", [
    ({"n": 0}, r"n must be >= 1"),
    ({"condition": "helthy"}, r"unknown condition 'helthy'.*Did you mean 'healthy'"),
    ({"variability": "lots"}, r"variability must be 'default', 'none' or a mapping"),
    ({"arms": {"active": 3}}, r"arms\['active'\] must be a Protocol, a Course or a preset name"),
    ({"expected_sign": 2}, r"expected_sign must be \+1 or -1"),
    ({"threshold": -5}, r"threshold must be >= 0"),
])
def test_bad_cohort_input_is_refused(kw, match):
    with pytest.raises(ValueError, match=match):
        mt.cohort(protocols.preset("itbs_600"), **{"n": 2, **kw})


def test_bad_variability_entry_is_refused():
    with pytest.raises(ValueError, match=r"unknown variability entry 'K_fats'.*Did you mean 'K_fast'"):
        cohorts.variability(K_fats=0.5)
    with pytest.raises(ValueError, match=r"kind 'gamma'"):
        cohorts.Dist("gamma", 1.0, 0.1, "drive")


def test_measurement_noise_shrinks_with_trials_and_baseline():
    """SD of the log ratio of two block means = sqrt(2) CV / sqrt(trials); smaller MEPs are noisier."""
    assert cohorts.measurement_sd(1.0, 20) == pytest.approx(math.sqrt(2) * 0.5 / math.sqrt(20), rel=1e-12)
    assert cohorts.measurement_sd(0.25) > cohorts.measurement_sd(1.0) > cohorts.measurement_sd(4.0)


def test_cli_cohort(capsys):
    from mechtms.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["cohort", "ctbs_600", "--n", "2", "--seed", "1"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "CI: Wilson score interval, 95 %" in out and "active" in out and "sham" in out


def test_calibration_table_columns():
    t = cohorts.calibration_table("K_fast", (0.5,), presets=("ctbs_600",), n=2, seed=0)
    assert list(t.columns) == ["K_fast", "preset", "responder_rate", "ci_low", "ci_high", "sd_measured",
                               "mean_measured"]
    assert len(t) == 1 and 0.0 <= t.responder_rate.iloc[0] <= 1.0


def test_outcome_hook_gives_responder_and_remitter_rates():
    """A condition's proxy plugs in through outcome= (here the toy score of mechtms.cohorts.examples):
    the chain runs per subject, proxy quantities are drawn per subject, responders and remitters come
    from the proxy, with Wilson intervals."""
    from mechtms.cohorts.examples import TOY_VARIABILITY, toy_score
    from mechtms.coupling import NetworkOptions

    course = protocols.course(protocols.preset("itbs_600"), days=1, start_day=0)
    kw = dict(condition="healthy", n=2, seed=4, outcome=toy_score, network=NetworkOptions(n_neurons=100, max_pulses=5),
              variability={**cohorts.DEFAULT, **TOY_VARIABILITY})
    ds = mt.cohort(course, **kw)
    assert {"remitter_rate", "remitter_ci_low", "remitter_ci_high", "toy_gain"} <= set(ds.data_vars)
    assert ds.attrs["outcome_function"] == "mechtms.cohorts.examples:toy_score"
    assert (ds.status == 1).all() and set(np.unique(ds.responder.values)) <= {0, 1}
    assert np.abs(ds.outcome.sel(arm="sham")).max() < 1e-9  # no pulses, no weight change, no improvement
