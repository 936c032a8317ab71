"""Virtual cohorts: subjects from documented distributions, both arms on the scan engines,
responder rates with Wilson intervals, identical serial and parallel, resumable.

The sessions run the network-driven synapse population on a small network (200 neurons,
12 sampled synapses, the first train period repeated): what is tested here is the cohort
machinery; the calibration against Hamada 2013 / Corp 2020 runs on the full network
(docs/fitting.md, ``mechtms validate``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import mechtms as mt
from mechtms import cohorts, protocols
from mechtms.plasticity import NetworkDrive

DRIVE = NetworkDrive(n_neurons=200, n_synapses=12, max_periods=1)
SMALL = {"session_drive": DRIVE, "network_instances": 2}


@pytest.fixture(scope="module", autouse=True)
def small_network_cache(tmp_path_factory):
    """Network runs cached on disk for the module (the local engine's workers read them) and the
    small network as the FAST default (the CLI test)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("MECHTMS_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    mp.setattr(cohorts._run, "FAST_DRIVE", DRIVE)
    mp.setenv("MECHTMS_FAST", "1")
    yield
    mp.undo()


@pytest.fixture(scope="module")
def itbs_cohort(small_network_cache):
    return mt.cohort(protocols.preset("itbs_600"), condition="healthy", n=8, seed=3, **SMALL)


def test_wilson_interval_against_a_hand_computed_value():
    """9 of 21 (Jannati et al. 2017 cTBS suppressors): Wilson 95 % interval 0.245-0.635 (computed by hand
    from the score formula); and the interval of 0/n is [0, 3.84/(n+3.84)]."""
    lo, hi = cohorts.wilson(9, 21)
    assert lo == pytest.approx(0.2448, abs=5e-4) and hi == pytest.approx(0.6346, abs=5e-4)
    lo, hi = cohorts.wilson(0, 10)
    assert lo == 0.0 and hi == pytest.approx(cohorts.Z95 ** 2 / (10 + cohorts.Z95 ** 2), rel=1e-12)


def test_subject_is_the_same_person_in_every_cohort():
    """Subject i depends on (seed, i) only: the same in a cohort of 5 or 500, and the draws follow their
    distributions (median and log-SD of the theta_p0 factor within 10 % over 4000 subjects); the network
    instance is one of network_instances."""
    a = cohorts.draw_subject(0, 7, cohorts.DEFAULT, 4)
    assert a == cohorts.draw_subject(0, 7, cohorts.DEFAULT, 4)
    assert a != cohorts.draw_subject(1, 7, cohorts.DEFAULT, 4)
    subjects = [cohorts.draw_subject(0, i, cohorts.DEFAULT, 4) for i in range(4000)]
    k = np.array([s["theta_p0"] for s in subjects])
    d = cohorts.DEFAULT["theta_p0"]
    assert np.median(k) == pytest.approx(d.center, rel=0.1) and np.std(np.log(k)) == pytest.approx(d.spread, rel=0.1)
    assert {s["network_seed"] for s in subjects} == {0, 1, 2, 3}


def test_subject_parameters_reach_the_synapse_model():
    """A relative entry multiplies the model file's value (theta_p0 = 0.0589 uM in calcium_plasticity.ant)."""
    from mechtms.plasticity.model import model_values

    subj = {"theta_p0": 1.5, "baseline_mep_mV": 2.0, "network_seed": 0}
    assert cohorts.plasticity_changes(subj, cohorts.DEFAULT) == {"theta_p0": 1.5 * model_values()["theta_p0"]}
    with pytest.raises(ValueError, match=r"unknown calcium_plasticity parameter \(variability entry\) 'theta_p'"):
        cohorts.plasticity_changes({"theta_p": 1.0}, {"theta_p": cohorts.Dist("fixed", 1.0, 0.0, "plasticity")})


def test_cohort_dataset(itbs_cohort):
    ds = itbs_cohort
    assert ds.outcome.dims == ("subject", "arm") and list(ds.arm.values) == ["active", "sham"]
    assert (ds.status == 1).all()
    assert set(ds.network_seed.values) <= {0, 1}
    # the sham delivers no pulse: only the background's own drift of the 12 sampled synapses (a few %)
    # and measurement noise
    assert np.abs(ds.outcome.sel(arm="sham")).max() < 5.0
    assert np.abs(ds.measured.sel(arm="sham")).max() > 0.5
    assert ds.attrs["ci_method"] == "Wilson score interval, 95 %"
    assert "none documented" in ds.attrs["placebo"]
    k = int(ds.n_responders.sel(arm="active"))
    assert float(ds.responder_rate.sel(arm="active")) == k / 8
    lo, hi = cohorts.wilson(k, 8)
    assert float(ds.responder_ci_low.sel(arm="active")) == lo and float(ds.responder_ci_high.sel(arm="active")) == hi


def test_subjects_differ_and_variability_none_makes_them_identical(itbs_cohort):
    """With the default variability subjects' model outcomes spread; with 'none' and one network instance
    every subject's model outcome equals the typical subject's run_session (only the measurement differs)."""
    assert float(itbs_cohort.outcome.sel(arm="active").std()) > 2.0
    same = mt.cohort(protocols.preset("itbs_600"), n=3, seed=3, variability="none", arms={"active": "itbs_600"},
                     session_drive=DRIVE, network_instances=1)
    out = same.outcome.sel(arm="active").values
    ref = mt.plasticity.run_session(protocols.preset("itbs_600"), seed=0, drive=DRIVE).dW_percent
    assert np.ptp(out) == 0.0 and out[0] == pytest.approx(ref, rel=1e-12)


def test_serial_equals_local_bit_for_bit(itbs_cohort):
    par = mt.cohort(protocols.preset("itbs_600"), condition="healthy", n=8, seed=3, engine="local", workers=2,
                    **SMALL)
    for var in ("outcome", "measured", "responder", "theta_p0", "network_seed"):
        np.testing.assert_array_equal(par[var].values, itbs_cohort[var].values)


def test_cohort_resumes_from_its_store(tmp_path):
    store = tmp_path / "c.zarr"
    first = mt.cohort(protocols.preset("ctbs_600"), n=3, seed=1, store=store, **SMALL)
    again = mt.cohort(protocols.preset("ctbs_600"), n=3, seed=1, store=store, **SMALL)
    np.testing.assert_array_equal(first.measured.values, again.measured.values)


def test_expected_direction_comes_from_the_protocol():
    """Hamada et al. 2013 count responders in the protocol's expected direction (Huang et al. 2005: iTBS up,
    cTBS down), not in the direction the model's typical subject takes."""
    assert cohorts.expected_sign("itbs_600") == 1 and cohorts.expected_sign("ctbs_300") == -1
    assert cohorts.expected_sign("rtms_1hz_900") is None


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
    with pytest.raises(ValueError, match=r"unknown variability entry 'theta_p'.*Did you mean 'theta_p0'"):
        cohorts.variability(theta_p=0.5)
    with pytest.raises(ValueError, match=r"kind 'gamma'"):
        cohorts.Dist("gamma", 1.0, 0.1, "plasticity")
    with pytest.raises(ValueError, match=r"acts_on='drive' .* no longer exists"):
        cohorts.Dist("lognormal", 1.0, 0.2, "drive")
    with pytest.raises(ValueError, match=r"network_instances must be >= 1"):
        mt.cohort(protocols.preset("itbs_600"), n=2, network_instances=0)


def test_measurement_noise_shrinks_with_trials_and_baseline():
    """SD of the log ratio of two block means = sqrt(2) CV / sqrt(trials); smaller MEPs are noisier."""
    assert cohorts.measurement_sd(1.0, 20) == pytest.approx(math.sqrt(2) * 0.5 / math.sqrt(20), rel=1e-12)
    assert cohorts.measurement_sd(0.25) > cohorts.measurement_sd(1.0) > cohorts.measurement_sd(4.0)


def test_cli_cohort(capsys):
    from mechtms.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["cohort", "ctbs_600", "--n", "2", "--seed", "1", "--instances", "1"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "CI: Wilson score interval, 95 %" in out and "active" in out and "sham" in out


def test_calibration_table_columns():
    t = cohorts.calibration_table("theta_p0", (0.5,), presets=("ctbs_600",), n=2, seed=0, **SMALL)
    assert list(t.columns) == ["theta_p0", "preset", "responder_rate", "ci_low", "ci_high", "sd_measured",
                               "mean_measured"]
    assert len(t) == 1 and 0.0 <= t.responder_rate.iloc[0] <= 1.0


def test_outcome_hook_gives_responder_and_remitter_rates():
    """A condition's proxy plugs in through outcome= (here the toy score of mechtms.cohorts.examples):
    the chain runs per subject, proxy quantities are drawn per subject, responders and remitters come
    from the proxy, with Wilson intervals."""
    from mechtms.cohorts.examples import TOY_VARIABILITY, toy_score
    from mechtms.coupling import NetworkOptions

    course = protocols.course(protocols.preset("itbs_600").replace(pulses=30), days=1, start_day=0)
    kw = dict(condition="healthy", n=1, seed=4, outcome=toy_score, network=NetworkOptions(n_neurons=100, max_pulses=5),
              variability={**cohorts.DEFAULT, **TOY_VARIABILITY})
    ds = mt.cohort(course, **kw)
    assert {"remitter_rate", "remitter_ci_low", "remitter_ci_high", "toy_gain"} <= set(ds.data_vars)
    assert ds.attrs["outcome_function"] == "mechtms.cohorts.examples:toy_score"
    assert (ds.status == 1).all() and set(np.unique(ds.responder.values)) <= {0, 1}
    assert np.isfinite(ds.outcome.values).all()
