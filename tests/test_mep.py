"""mechtms.mep: MEP measured by single pulses through the network, the tract and a motoneuron pool.

Sources (docs/mep.md):
- Rossini PM et al. (2015) Clin Neurophysiol 126:1071: RMT is the lowest intensity giving
  MEPs >= 50 uV in at least 5 of 10 trials.
- Devanne H, Lavoie BA, Capaday C (1997) Exp Brain Res 114:329: the MEP input-output curve
  is sigmoidal with a plateau (Boltzmann fit).
- Kiers L et al. (1993) Electroencephalogr Clin Neurophysiol 89:415: MEP amplitudes vary
  widely from trial to trial at a fixed intensity (coefficients of variation ~0.3-0.6 at
  moderate intensities, larger near threshold).
- Magistris MR et al. (1998) Brain 121:437: desynchronised motoneuron discharges keep the
  MEP well below the CMAP (Mmax) even when most motoneurons fire.
- Kim et al. (2009): ~10-fold MEP loss after a moderate rat contusion; Shiau JS et al. (1992)
  Neurosurgery 30:76: pyramidal MEPs abolished by impacts >= 50 g-cm, an 80 % amplitude
  loss with only mild ataxia. The MEP falls steeply with SCI severity.
- Network RMT: mechtms.network.calibrate_rmt (half of single pulses evoke a population
  response); the probe's clinical RMT is compared with it, not fitted to it.

CALIBRATED (docs/mep.md): the pool's ``gain`` (MEP ~1 mV at ~120 % RMT) and
``muap_min_mV`` (Mmax ~12 mV). Everything else asserted here is validation.
"""

import numpy as np
import pytest

from mechtms import lesion, mep

GRID = (90, 100, 110, 120, 130, 140, 150, 160, 180, 200)


@pytest.fixture(scope="module")
def curve():
    return mep.recruitment_curve(GRID, n_trials=10, seed=0)


def test_recruitment_curve_is_sigmoidal(curve):
    """Devanne 1997: a Boltzmann sigmoid fits the mean MEP (R^2 >= 0.95) with a plateau.
    Broad human FDI bands (rest): slope parameter k 5-25 % RMT, I50 120-180 % RMT, plateau
    2-10 mV. (The plateau's share of Mmax is tested separately below.)"""
    a = curve.attrs
    assert a["r2"] >= 0.95
    assert 5.0 <= a["k"] <= 25.0
    assert 120.0 <= a["i50"] <= 180.0
    assert 2.0 <= a["mep_max"] <= 10.0
    means = curve.mep_mean_mV.values
    assert means[0] < 0.1 and np.all(np.diff(means) > -0.05 * means.max())


@pytest.mark.xfail(strict=True, reason="NOT REPRODUCED: the plateau is ~0.21 of Mmax (2.6 of 12.3 mV, seed 0): "
                   "with the wider threshold spread of the patch (mechtms.network.efield) the volley keeps "
                   "growing slowly and the fitted plateau stays low; docs/mep.md")
def test_plateau_is_a_quarter_to_three_quarters_of_mmax(curve):
    """Magistris et al. 1998: desynchronised motoneuron discharges keep the largest MEP at
    25-75 % of the CMAP (Mmax) in resting FDI."""
    a = curve.attrs
    assert 0.25 <= a["mep_max"] / a["mmax_mV"] <= 0.75


def test_mep_near_1mV_at_120_percent(curve):
    """CALIBRATION (pool gain): the mean MEP at 120 % RMT is 0.5-1.5 mV (the usual 1 mV intensity)."""
    assert 0.5 <= float(curve.mep_mean_mV.sel(intensity=120)) <= 1.5


def test_trial_to_trial_variability(curve):
    """Kiers 1993: MEPs vary from trial to trial; CV 0.2-0.9 at 120-140 % RMT, shrinking on
    the plateau (CV at 200 % < CV at 120 %)."""
    m = curve.mep_mV
    cv = (m.std("trial") / m.mean("trial"))
    for i in (120, 130, 140):
        assert 0.2 <= float(cv.sel(intensity=i)) <= 0.9, i
    assert float(cv.sel(intensity=200)) < float(cv.sel(intensity=120))


def test_clinical_rmt_is_where_the_network_threshold_is():
    """Rossini 2015 procedure on the model vs the network's own RMT (100 % by definition):
    they agree within 10 % RMT. (Measured: see docs/mep.md.)"""
    rmt = mep.clinical_rmt(seed=0)
    assert 90.0 <= rmt <= 110.0
    below = mep.probe(rmt - 10, n_trials=10, seed=0).mep_mV.values
    assert (below >= mep.MEP_CRITERION_MV).sum() < mep.RMT_HITS


def test_mep_rises_with_cortical_excitability():
    """More cortical E->E weight (weight_scale_ee 0.95 -> 1.0 -> 1.05) gives larger volleys and
    larger MEPs at a fixed 120 % RMT (each step >= +10 %): excitability is measured, not assigned."""
    means = [mep.probe(120, w, n_trials=10, seed=0).mep_mV.values.mean() for w in (0.95, 1.0, 1.05)]
    assert means[1] >= 1.1 * means[0] and means[2] >= 1.1 * means[1]


def test_mep_falls_steeply_with_sci_severity():
    """Kim 2009 (~10-fold loss at a moderate rat contusion), Shiau 1992: at a suprathreshold
    150 % RMT, the MEP falls monotonically as the conducting tract shrinks, to <= 1/5 with
    20 % of the tract (a moderate contusion spares ~10-30 % of white matter) and to ~0 with
    none; the loss is steeper than proportional (a threshold pool). The MEP falls strictly
    while it is above zero (the smallest tracts may both leave the pool silent)."""
    csts = (1.0, 0.7, 0.5, 0.3, 0.2, 0.0)
    means = np.array([mep.probe(150, cst=c, n_trials=10, seed=0).mep_mV.values.mean() for c in csts])
    steps = np.diff(means)
    assert np.all(steps <= 0) and np.all(steps[means[:-1] > 0] < 0)
    assert means[4] <= means[0] / 5
    assert means[-1] == 0.0
    assert means[3] / means[0] < 0.3  # 30 % of the tract, < 30 % of the MEP


def test_mep_and_bms_are_not_affine_copies():
    """Issue 12: BMS and MEP are different read-outs. After a partial injury (60 % cut) BMS
    climbs >= 1.5 points from day 1 to day 28 while the corticospinal transmission, and the
    MEP it allows, changes by < 30 %; a 5 % cortical weight change moves the MEP >= 20 %
    but not BMS (which has no cortical input)."""
    ds = lesion.simulate(days=28, injury=0.6)
    bms = ds.BMS.sel(day=[1, 28]).values
    meps = [mep.probe(150, cst=float(ds.CST.sel(day=d)), n_trials=10, seed=0).mep_mV.values.mean() for d in (1, 28)]
    assert bms[1] - bms[0] >= 1.5
    assert abs(meps[1] / meps[0] - 1.0) < 0.3
    cst = float(ds.CST.sel(day=28))
    up = mep.probe(150, 1.05, cst=cst, n_trials=10, seed=0).mep_mV.values.mean()
    assert up >= 1.2 * meps[1]


def test_same_seed_same_numbers_and_seeds_differ():
    a = mep.probe(120, n_trials=5, seed=3, cache=False)
    b = mep.probe(120, n_trials=5, seed=3, cache=False)
    c = mep.probe(120, n_trials=5, seed=4)
    np.testing.assert_array_equal(a.mep_mV.values, b.mep_mV.values)
    assert not np.array_equal(a.mep_mV.values, c.mep_mV.values)


def test_pool_closed_forms():
    """Without descending spikes no unit fires (MEP 0); the CMAP of the pool is the
    CALIBRATED ~12 mV (FDI, typical 10-15 mV); thresholds and MUAPs grow with rank (size principle)."""
    pool = mep.DEFAULT_POOL
    silent = mep.pool_response(np.zeros((3, 150), dtype=np.int64), 800, 1.0)
    assert np.all(silent["mep_mV"] == 0.0) and np.all(silent["n_fired"] == 0)
    assert 10.0 <= pool.mmax_mV() <= 15.0
    u = pool.units()
    assert np.all(np.diff(u["threshold"]) > 0) and np.all(np.diff(u["amplitude_mV"]) > 0)
    assert u["threshold"][-1] / u["threshold"][0] == pytest.approx(pool.threshold_range)


def test_evoked_volley_and_reference():
    """The volley grows with intensity; the reference volley (100 % RMT, weights 1) is the
    unit of lesion.DriveSession.volley."""
    ref = mep.reference_volley(0)
    assert ref > 0
    counts, n_out = mep.network_volleys(130.0, 1.0, 10, 0)
    assert mep.evoked_volley(counts, n_out).mean() > ref


def test_probe_dataset_and_waveforms():
    r = mep.probe(130, n_trials=3, seed=0, waveforms=True)
    assert r.mep_mV.dims == ("trial",) and r.mep_mV.attrs["units"] == "mV"
    assert r.emg_mV.dims == ("trial", "t_ms")
    np.testing.assert_allclose(np.ptp(r.emg_mV.values, axis=1), r.mep_mV.values, rtol=1e-12)
    assert np.nanmin(r.onset_ms.values) > 15.0  # FDI onset ~20 ms


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="cst must be <= 1"):
        mep.probe(120, cst=1.5)
    with pytest.raises(ValueError, match=r"intensity \(% RMT\) must be <= 250"):
        mep.probe(300)
    with pytest.raises(ValueError, match="n_trials must be >= 1"):
        mep.probe(120, n_trials=0)
    with pytest.raises(ValueError, match="unknown network 'cortx'. Did you mean 'cortex'"):
        mep.probe(120, network="cortx")
    with pytest.raises(ValueError, match="fit_boltzmann needs >= 4"):
        mep.fit_boltzmann([1, 2], [1, 2])
    with pytest.raises(ValueError, match="intensities must be >= 4 increasing values"):
        mep.recruitment_curve((100, 90, 120, 130))


def test_daily_mep_follows_cst_and_weights():
    """mep.daily: statistics per day on the cached weight grid; equal (cst, weight) days give
    equal values."""
    import xarray as xr

    cst = xr.DataArray([1.0, 0.5, 0.5, 0.0], dims="day", coords={"day": [0, 1, 2, 3]})
    out = mep.daily(cst, [1.0, 1.0, 1.0, 1.0], n_trials=10)
    assert out.MEP.dims == ("day",) and out.MEP.attrs["units"] == "mV"
    m = out.MEP.values
    assert m[0] > m[1] > m[3] == 0.0 and m[1] == m[2]
    assert out.MEP_response_rate.values[3] == 0.0


@pytest.mark.parametrize("w", [0.985, 1.025])
def test_grid_interpolation_matches_direct_probes(w):
    """The course shortcut (mep_stats: network runs on a 0.01 grid of weight_scale_ee,
    interpolated) agrees with a direct probe at an off-grid weight within 2 standard errors
    of the mean (20 trials), and equals it on a grid point."""
    direct = mep.probe(120, w, n_trials=20, seed=0).mep_mV.values
    est = mep.mep_stats(w, intensity=120, n_trials=20, seed=0)
    assert est["weight_lo"] < w < est["weight_hi"]
    se = direct.std(ddof=1) / np.sqrt(direct.size)
    assert abs(est["mean_mV"] - direct.mean()) <= 2 * se
    on_grid = mep.mep_stats(1.0, intensity=120, n_trials=20, seed=0)
    assert on_grid["mean_mV"] == mep.probe(120, 1.0, n_trials=20, seed=0).attrs["mep_mean_mV"]


def test_tonic_output_rate_rises_with_weights():
    """output_rate: spontaneous rate of the output cells (m1_column: layer-5 pyramidal cells, a few Hz
    at rest, as in awake rodent and primate motor cortex: 1-10 Hz) rises with E->E weights;
    tonic_drive is its ratio to weights 1 (the lesion's tonic input)."""
    r = [mep.output_rate(w) for w in (0.95, 1.0, 1.05)]
    assert 1.0 <= r[1] <= 10.0 and r[0] < r[1] < r[2]
    np.testing.assert_allclose(mep.tonic_drive([1.0, 1.05]), [1.0, r[2] / r[1]], rtol=1e-12)
    mid = mep.output_rate(1.005)
    assert mid == pytest.approx(0.5 * (mep.output_rate(1.0) + mep.output_rate(1.01)), rel=1e-12)


def test_session_volleys_for_the_lesion():
    """session_volleys: per-pulse evoked volley of a session run, relative to one pulse at
    100 % RMT; a 15 Hz train at 100 % RMT stays near 1, subthreshold theta bursts (80 % AMT)
    evoke much smaller volleys."""
    from mechtms import network, protocols

    run = lambda p: network.simulate(protocol=p, network="cortex", seed=0, record=("volley",),  # noqa: E731
                                     baseline_s=1.0, post_s=0.1, max_pulses=30)
    hf = mep.session_volleys(run(protocols.preset("sci_15hz_mouse")))
    tbs = mep.session_volleys(run(protocols.itbs(30, 80)))
    assert hf.shape == (30,) and 0.5 <= hf.mean() <= 1.5
    assert tbs.mean() < 0.5 * hf.mean()
    with pytest.raises(KeyError, match="session_volleys needs a network run with record"):
        mep.session_volleys(network.simulate(protocol=protocols.itbs(3, 80), network="cortex", record=("rates",),
                                             baseline_s=1.0, post_s=0.1))
