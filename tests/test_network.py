"""Spiking-network layer: replication, recruitment, patterns, drive and errors.

Each test names its source and metric. Literature targets:
* Izhikevich 2003 (IEEE Trans Neural Netw 14:1569, Fig. 3): 1,000-neuron network with
  an alpha (~8-10 Hz) and a gamma (~30-40 Hz) rhythm in the population activity.
* Bey, Leue & Wienbruch 2012 (PLoS ONE 7:e49097): eLFP band power depends on intensity
  rather than on frequency (docs/network.md).
Under MECHTMS_FAST=1 the long runs are shortened where the assertion still holds.
"""

import os

import numpy as np
import pytest
import xarray as xr

import mechtms as mt
from mechtms import protocols as P
from mechtms.network import networks as nets
from mechtms.network import stimulation as stim

FAST = bool(os.environ.get("MECHTMS_FAST"))
net = mt.network


@pytest.fixture(scope="module")
def x_rmt():
    """Fresh calibration of the 1,000-neuron cortex network (no cache)."""
    return net.calibrate_rmt("cortex", cache=False)


def rate_peaks(ds, window="all"):
    """Two largest spectral peaks (Hz) of the summed E+I population activity."""
    both = ds["rate_E"] * ds.attrs["n_exc"] + ds["rate_I"] * (ds.attrs["n_neurons"] - ds.attrs["n_exc"])
    tmp = ds.assign(rate_all=both)
    return net.peak_frequencies(net.spectrum(tmp, window, "rate_all"), fmin=2, fmax=100, n=2)


# ---- Izhikevich 2003 replication ----------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("network, low", [("izhikevich2003_capped", 7.5), ("izhikevich2003", 6.8)])
def test_izhikevich2003_rate_and_rhythms(network, low, seed):
    """Izhikevich 2003 (1 ms steps, two half-steps), 20 s, Welch 1 s segments.

    Spectral peaks of the population activity: largest in 7-10 Hz, second in 25-45 Hz.
    Rate target of the issue, 7.5-9.5 Hz: met by the common port that caps v at 30 mV
    before the u update (7.69-7.80 Hz; an independent re-simulation gave 7.7-8.2 Hz,
    docs/network.md). The listing as published does not cap; it fires at 7.08-7.11 Hz here, as
    does an independent vectorised NumPy transcription (7.14 Hz, seed 5) and Brian2
    (7.3 Hz, benchmarks/network_vs_brian2.py): asserted 6.8-9.5 Hz.
    """
    ds = net.simulate(None, network, duration_s=20, seed=seed, record=("rates",))
    rate = float((ds["rate_E"] * 800 + ds["rate_I"] * 200).sel(time=slice(1, None)).mean() / 1000)
    assert low <= rate <= 9.5
    first, second = rate_peaks(ds)
    assert 7 <= first <= 10
    assert 25 <= second <= 45


def test_production_network_matches_reference():
    """cortex (0.1 ms, 1 ms exponential synapses, 1 ms delay) vs izhikevich2003, seed 0, 20 s.

    Tolerance: rate within 15 % of the reference; same peak bands (7-10, 25-45 Hz).
    """
    ref = net.simulate(None, "izhikevich2003", duration_s=20, seed=0, record=("rates",))
    ds = net.simulate(None, "cortex", duration_s=20, seed=0, record=("rates",))
    assert ds.attrs["rate_E_hz"] == pytest.approx(ref.attrs["rate_E_hz"], rel=0.15)
    first, second = rate_peaks(ds)
    assert 7 <= first <= 10 and 25 <= second <= 45


@pytest.mark.skipif(FAST, reason="4,000-neuron network: full runs only")
def test_production_network_4000_keeps_rate_and_rhythms():
    """Scaling with ~1,000 inputs per neuron keeps rate (±15 %) and rhythms (reference.md)."""
    small = net.simulate(None, "cortex", duration_s=10, seed=0, record=("rates",))
    big = net.simulate(None, "cortex", duration_s=10, seed=0, n_neurons=4000, record=("rates",))
    assert big.attrs["rate_E_hz"] == pytest.approx(small.attrs["rate_E_hz"], rel=0.15)
    first, second = rate_peaks(big)
    assert 7 <= first <= 10 and 25 <= second <= 45


def test_dt_convergence_0p1_vs_0p05_ms():
    """Halving dt (Yu et al. 2024 warn of step artefacts) changes the E rate by < 5 % and
    each LFP band power by < 35 % (10 s, seed 0; measured 0.7 % and ≤ 30 % in delta)."""
    a = net.simulate(None, "cortex", duration_s=10, dt_ms=0.1, seed=0, record=("rates", "lfp"))
    b = net.simulate(None, "cortex", duration_s=10, dt_ms=0.05, seed=0, record=("rates", "lfp"))
    assert b.attrs["rate_E_hz"] == pytest.approx(a.attrs["rate_E_hz"], rel=0.05)
    pa, pb = net.band_powers(a, "all"), net.band_powers(b, "all")
    for band in net.BANDS:
        assert float(pb[band]) == pytest.approx(float(pa[band]), rel=0.35), band


# ---- recruitment and RMT -------------------------------------------------------------------
def test_no_pulses_gives_baseline(x_rmt):
    """A sham (nothing delivered) is bit-identical to a run without a protocol."""
    p = P.rtms(10, 20, 120)
    sham = net.simulate(p.as_sham(), "cortex", seed=4, record=("raster", "lfp"), x_rmt=x_rmt)
    none = net.simulate(None, "cortex", seed=4, duration_s=sham.attrs["duration_s"], record=("raster", "lfp"))
    np.testing.assert_array_equal(sham["spike_neuron"], none["spike_neuron"])
    np.testing.assert_array_equal(sham["lfp"], none["lfp"])


def test_recruitment_rises_with_intensity(x_rmt):
    """Direct activation probability and the evoked population response rise with intensity."""
    levels = [60, 80, 100, 120, 140]
    pe = [stim.recruitment(i, "cortex", x_rmt=x_rmt)["E"] for i in levels]
    assert np.all(np.diff(pe) > 0)
    evoked = []
    for i in levels:
        _, y = stim.response_probability(nets.CORTEX, x_rmt * i / 100, n_neurons=1000, dt_ms=0.1,
                                         n_pulses=60 if FAST else 150, seed=0, run_seed=20)
        evoked.append(y.mean())
    assert np.all(np.diff(evoked) >= 0) and evoked[-1] - evoked[0] > 0.8


def test_calibrated_rmt_gives_half_responses(x_rmt):
    """Clinical RMT definition: 50 % of single pulses evoke a response; 0.50 ± 0.07 on 600
    fresh trials of the calibrated network (the test's SE is 0.02 and the calibration, from
    600 trials of its own, adds a similar error: ± 0.07 is 2.5 combined SE)."""
    _, y = stim.response_probability(nets.CORTEX, x_rmt, n_neurons=1000, dt_ms=0.1, n_pulses=600,
                                     seed=0, run_seed=11)
    assert abs(y.mean() - 0.5) <= 0.07


def test_session_drive_monotonic_in_intensity_and_sham_is_baseline(x_rmt):
    """Per-pulse drive (pre/post spike probability, EPSP) rises with intensity; sham: no
    direct activation and the drive of the spontaneous activity only."""
    p = P.rtms(5, 20, 100)
    out = [net.session_drive(p.replace(intensity=i), x_rmt=x_rmt) for i in (60, 90, 120, 150)]
    for key in ("pre_spike_prob", "post_spike_prob", "epsp_mV", "direct_frac"):
        vals = [d.attrs[key] for d in out]
        assert np.all(np.diff(vals) > 0), (key, vals)
    sham = net.session_drive(p.as_sham(), x_rmt=x_rmt)
    assert sham.attrs["direct_frac"] == 0.0
    # baseline ~8 Hz over a 15 ms window: ~0.12 of cells fire; far below 150 % RMT
    assert 0.03 < sham.attrs["pre_spike_prob"] < 0.3 < out[-1].attrs["pre_spike_prob"]
    assert set(sham.data_vars) >= {"pre_spike_prob", "post_spike_prob", "epsp_mV"}
    assert sham["epsp_mV"].attrs["units"] == "mV" and sham.sizes["pulse"] == 20


def test_session_drive_max_pulses_shortcut(x_rmt):
    """The mean drive over the first 2 trains (60 pulses) of iTBS is within 15 % of the
    whole session (no plasticity within a session: stationary over trains)."""
    p = P.itbs(300 if FAST else 600, 100, intensity_ref="RMT")
    full = net.session_drive(p, x_rmt=x_rmt)
    part = net.session_drive(p, x_rmt=x_rmt, max_pulses=60)
    assert part.sizes["pulse"] == 60 and full.sizes["pulse"] == p.n_pulses
    for key in ("pre_spike_prob", "post_spike_prob", "epsp_mV"):
        assert part.attrs[key] == pytest.approx(full.attrs[key], rel=0.15), key


def test_weight_scale_ee_raises_excitatory_rate():
    """E→E weight scale (plasticity feedback): E rate rises monotonically over 0.8-1.05."""
    rates = [net.simulate(None, "cortex", duration_s=3, seed=0, weight_scale_ee=w,
                          record=("rates",)).attrs["rate_E_hz"] for w in (0.8, 0.9, 1.0, 1.05)]
    assert np.all(np.diff(rates) > 0) and rates[-1] < 12


def test_weight_scale_ee_runaway_is_flagged():
    """Documented limitation: from weight_scale_ee = 1.1 the cortex network (no homeostasis)
    switches to a > 50 Hz state; the run warns and sets attrs["runaway"]."""
    with pytest.warns(RuntimeWarning, match=r"ran away: mean E rate \d+ Hz \(weight_scale_ee=1.2\)"):
        ds = net.simulate(None, "cortex", duration_s=2, seed=0, weight_scale_ee=1.2, record=("rates",))
    assert ds.attrs["runaway"] == 1 and ds.attrs["rate_E_hz"] > 50


# ---- patterns ----------------------------------------------------------------------------
@pytest.mark.parametrize("freq", [10, 20])
def test_trains_show_the_stimulation_frequency(freq, x_rmt):
    """During 10 and 20 Hz trains (120 % RMT) the LFP spectrum has a line at f_stim at least
    5× its ±3 Hz neighbours (measured 9.9× and more), and its largest peak is at a multiple of f_stim. (The
    largest line is a harmonic, e.g. 30 Hz for 10 Hz: each evoked response is ~10 ms.)"""
    ds = net.simulate(P.rtms(freq, 6 * freq, 120), "cortex", record=("lfp",), x_rmt=x_rmt)
    sp = net.spectrum(ds, "during")
    f, pxx = sp["freq"].values, sp.values
    line = pxx[f == freq][0]
    assert line > 5 * max(pxx[f == freq - 3][0], pxx[f == freq + 3][0])
    top = net.peak_frequencies(sp, fmin=2, fmax=80, n=1)[0]
    assert top % freq == 0


def test_tbs_shows_5_and_50_hz(x_rmt):
    """cTBS (3 pulses at 50 Hz every 200 ms, Huang et al. 2005): lines at 5 and 50 Hz at least
    3× the 4/6 Hz (leakage bins) and 10× the 3/7 Hz and 47/53 Hz neighbours."""
    ds = net.simulate(P.ctbs(150, 100, intensity_ref="RMT"), "cortex", record=("lfp",), x_rmt=x_rmt)
    sp = net.spectrum(ds, "during")
    pw = dict(zip(sp["freq"].values.tolist(), sp.values.tolist(), strict=True))
    assert pw[5.0] > 10 * max(pw[3.0], pw[7.0]) and pw[5.0] > 3 * max(pw[4.0], pw[6.0])
    assert pw[50.0] > 10 * max(pw[47.0], pw[53.0])


# ---- Bey et al. 2012 headline ---------------------------------------------------------------
@pytest.fixture(scope="module")
def bey_scan(x_rmt):
    """4 intensities × (1, 10, 20 Hz, iTBS, cTBS) at 60 pulses (iTBS: two trains), cortex."""
    return net.pattern_intensity_scan((70, 90, 110, 130), pulses=60, x_rmt=x_rmt,
                                      baseline_s=2.0, post_s=3.0)


def test_bey_intensity_explains_more_band_power_variance_than_pattern(bey_scan):
    """Bey et al. 2012: band power depends on intensity rather than frequency. Log10 band
    power during stimulation: the intensity main effect's share of the variance exceeds
    the pattern's in every band."""
    shares = net.variance_shares(bey_scan, "during")
    for band in net.BANDS:
        assert float(shares["intensity_share"].sel(band=band)) > float(shares["pattern_share"].sel(band=band)), band


# The finer claims (gamma up, alpha and beta down) are tested on the m1_column network in
# tests/test_network_claims.py, in the window they refer to (docs/network.md).


# ---- determinism, output format, errors --------------------------------------------------
def test_same_seed_same_raster_different_seed_different(x_rmt):
    p = P.rtms(10, 10, 110)
    a = net.simulate(p, "cortex", seed=1, x_rmt=x_rmt, n_neurons=300)
    b = net.simulate(p, "cortex", seed=1, x_rmt=x_rmt, n_neurons=300)
    c = net.simulate(p, "cortex", seed=2, x_rmt=x_rmt, n_neurons=300)
    np.testing.assert_array_equal(a["spike_time_s"], b["spike_time_s"])
    np.testing.assert_array_equal(a["spike_neuron"], b["spike_neuron"])
    assert a.sizes["spike"] > 100
    assert a.sizes["spike"] != c.sizes["spike"] or not np.array_equal(a["spike_neuron"], c["spike_neuron"])


def test_dataset_units_provenance_and_netcdf_round_trip(tmp_path, x_rmt):
    ds = net.simulate(P.rtms(10, 10, 110), "cortex", seed=0, x_rmt=x_rmt, n_neurons=200,
                      record=("raster", "rates", "lfp", "drive"))
    for name, var in ds.variables.items():
        assert "units" in var.attrs, name
    for key in ("mechtms_version", "network", "seed", "dt_ms"):
        assert key in ds.attrs
    path = tmp_path / "net.nc"
    ds.to_netcdf(path)
    back = xr.load_dataset(path)
    xr.testing.assert_identical(back, ds)
    bp = net.band_powers(ds, "baseline")
    assert set(bp.data_vars) == set(net.BANDS) and bp["gamma"].attrs["units"]


@pytest.mark.parametrize("kwargs, match", [
    (dict(network="izhikevitch2003"), r"unknown network 'izhikevitch2003'.*Did you mean 'izhikevich2003'"),
    (dict(duration_s=0), r"duration_s must be > 0, got 0"),
    (dict(duration_s=-1), r"duration_s must be > 0, got -1"),
    (dict(n_neurons=0), r"n_neurons must be >= 10, got 0"),
    (dict(network="cortex", dt_ms=0.5), r"dt_ms must be <= 0.25, got 0.5"),
    (dict(dt_ms=2.0), r"dt_ms must be <= 1, got 2"),
    (dict(network="cortex", dt_ms=0.3), r"dt_ms must be <= 0.25"),
    (dict(network="cortex", dt_ms=0.15), r"dt_ms must divide 1 ms exactly"),
    (dict(record=("raster", "spectra")), r"unknown record 'spectra'"),
    (dict(weight_scale_ee=-1), r"weight_scale_ee must be >= 0, got -1"),
])
def test_bad_input_raises_clear_value_error(kwargs, match):
    kwargs.setdefault("duration_s", 1.0)
    with pytest.raises(ValueError, match=match):
        net.simulate(None, **kwargs)


def test_bad_intensity_raises():
    with pytest.raises(ValueError, match=r"intensity_rmt \(% RMT\) must be <= 250, got 300"):
        net.recruitment(300, "cortex", x_rmt=0.5)
    with pytest.raises(ValueError, match=r"intensity_rmt \(% RMT\) must be >= 0, got -5"):
        net.recruitment(-5, "cortex", x_rmt=0.5)
    with pytest.raises(ValueError, match=r"needs the subject's RMT in % MSO"):
        net.simulate(P.rtms(1, 5, 50, intensity_ref="MSO"), "cortex", x_rmt=0.5)
    with pytest.raises(ValueError, match=r"unknown window 'postt'.*Did you mean 'post'"):
        net.band_powers(net.simulate(None, duration_s=1, record=("lfp",)), window="postt")


def test_axonal_activation_mode_evokes_synaptic_response(x_rmt):
    """activation="axon" (the recruited cells' synapses are activated, no somatic spike at
    the pulse): a 150 % RMT 10 Hz train raises the E rate above 1.5x baseline in both modes,
    while in the pulse's own 1 ms bin only somatic activation adds spikes (axonal input
    arrives after the 1 ms delay)."""
    p = P.rtms(10, 20, 150)
    for_mode = {}
    for mode in ("soma", "axon"):
        ds = net.simulate(p, "cortex", seed=0, x_rmt=x_rmt, record=("rates",), activation=mode)
        base = float(ds["rate_E"].sel(time=slice(0.5, 1.95)).mean())
        during = float(ds["rate_E"].sel(time=slice(2.0, 4.0)).mean())
        at_pulse = float(ds["rate_E"].sel(time=ds["pulse_time_s"].values, method="nearest").mean())
        for_mode[mode] = (during / base, at_pulse)
    assert for_mode["soma"][0] > 1.5 and for_mode["axon"][0] > 1.5
    assert for_mode["axon"][1] < 0.5 * for_mode["soma"][1]
