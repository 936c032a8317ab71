"""MEP measured, not assigned: single pulses through the network, the tract and a motoneuron pool.

A probe gives ``n_trials`` single TMS pulses at a test intensity (% of the network's RMT,
:func:`mechtms.network.calibrate_rmt`) to the spiking network with its current E->E weights
(``weight_scale_ee``), and follows each pulse's corticospinal volley:

1. **volley**: spikes of the network's output population per 1 ms bin
   (``record=("volley",)``): the directly activated spikes at the pulse (D-wave-like) and
   the recurrent ones after it (I-wave-like), on top of tonic firing;
2. **spared tract**: each spike reaches the spinal cord with probability ``cst`` (the spared
   + sprouted corticospinal fraction, e.g. ``CST`` of :mod:`mechtms.lesion`; binomial
   thinning per bin) after a conduction delay;
3. **motoneuron pool** (:class:`MotoneuronPool`): every motoneuron sums the descending
   EPSPs with its membrane time constant (temporal summation); unit ``i`` fires when the
   summed EPSP plus a shared trial-to-trial excitability fluctuation plus its own noise
   first crosses its threshold; thresholds and motor-unit action potential (MUAP)
   amplitudes grow exponentially with rank (size principle: Henneman 1957; Fuglevand,
   Winter & Patla 1993, J Neurophysiol 70:2470);
4. **MEP**: the surface EMG is the sum of the fired units' biphasic MUAPs, each at its own
   peripheral latency (faster axons for larger units); the amplitude is peak-to-peak (mV).
   Desynchronised units partly cancel, so the MEP stays below the CMAP (Mmax).

Variability comes from the network (its noise changes each volley) and from the pool
(shared and unit noise before the threshold, the dominant source per Goetz et al. 2014,
Brain Stimul 7:541). Everything stochastic is seeded.

The clinical read-outs follow the clinical definitions: :func:`clinical_rmt` is the lowest
intensity giving >= 50 uV in at least 5 of 10 trials (Rossini et al. 2015, Clin
Neurophysiol 126:1071); :func:`recruitment_curve` fits a Boltzmann sigmoid (Devanne, Lavoie &
Capaday 1997, Exp Brain Res 114:329). docs/mep.md gives the calibration and its sources.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np

from . import __version__, _checks

#: Interval between probe pulses in the network run (s), per network. ``cortex`` has no
#: process slower than ~100 ms, so 0.3 s (its RMT calibration interval) separates trials as
#: the clinical 5 s does. ``m1_column`` has slow adaptation (500 ms) and short-term
#: depression (recovery 800 ms): 3 s lets both recover (> 3 time constants), so a trial
#: does not depress the next (clinical MEPs are 4-5 s apart, Rossini et al. 2015).
PROBE_INTERVALS_S = {"cortex": 0.3, "m1_column": 3.0}
PROBE_INTERVAL_S = 0.3  # the default for other networks


def probe_interval_s(network) -> float:
    """Interval between probe pulses for ``network`` (:data:`PROBE_INTERVALS_S`)."""
    name = network if isinstance(network, str) else getattr(network, "name", "")
    return PROBE_INTERVALS_S.get(name, 3.0 if hasattr(network, "types") else PROBE_INTERVAL_S)
#: Window of the volley that counts as evoked (ms after the pulse, end exclusive): the
#: directly activated spikes and the recurrent response (the network's RMT criterion
#: counts 1-11 ms).
VOLLEY_WINDOW_MS = (0, 12)
#: Tonic rate is measured this long before each pulse (ms).
BASELINE_MS = (-100, -5)
#: Clinical criterion (Rossini et al. 2015): an MEP is >= 50 uV.
MEP_CRITERION_MV = 0.05
RMT_TRIALS = 10
RMT_HITS = 5


@dataclass(frozen=True)
class MotoneuronPool:
    """A pool of threshold motoneurons and their motor units (first dorsal interosseous).

    Attributes
    ----------
    n_units : int
        Motor units (Fuglevand et al. 1993 modelled FDI with 120).
    threshold_range : float
        Largest / smallest recruitment threshold (exponential spacing, size principle).
        ASSUMED 12: TMS at rest recruits the pool over about a doubling to tripling of
        the volley (MEP from threshold to plateau over ~100-170 % RMT).
    gain : float
        Peak depolarisation per (output spike per output cell per ms), in units of the
        smallest threshold. CALIBRATED: MEP ~1 mV at 120 % of the clinical RMT (the usual
        1 mV MEP intensity in FDI).
    tau_epsp_ms : float
        Decay of the summed descending EPSP (motoneuron membrane; human motoneurons
        ~5-10 ms, ASSUMED 4 ms for the effective CM EPSP).
    sigma_shared, sigma_unit : float
        Trial-to-trial excitability fluctuation of the whole pool and of each unit
        (standard deviations, units of the smallest threshold). ASSUMED; the pool's share
        of the MEP variability (Goetz et al. 2014).
    muap_min_mV, muap_range : float
        Peak-to-peak surface MUAP of the smallest unit and largest/smallest ratio.
        muap_min_mV CALIBRATED: the CMAP (Mmax) of the pool is ~12 mV (FDI, typical 10-15 mV).
    muap_sigma_ms : float
        Width of the biphasic MUAP (derivative of a Gaussian; phases 2 sigma apart).
    latency_ms : float
        Onset latency of the smallest unit after the pulse (FDI MEP onset ~20-22 ms).
    latency_spread_ms : float
        How much earlier the largest unit arrives (faster axons; motor conduction velocities
        ~50-65 m/s over ~0.7 m give ~3 ms).
    latency_jitter_ms : float
        Fixed per-unit latency scatter (SD).
    tract_dispersion_ms : float
        Scatter (SD) of central conduction times across corticospinal axons: the volley
        that leaves the cortex in one 1 ms bin reaches the motoneurons spread over a few ms.
    central_jitter_ms : float
        Fixed per-unit scatter (SD) of when the descending input reaches each motoneuron
        (each receives its own subset of corticospinal axons, with their own conduction
        times): desynchronises the MEP but not the CMAP (Magistris et al. 1998, Brain
        121:437: desynchronisation makes MEPs smaller than the CMAP).
    window_ms : float
        Recording window after the pulse.
    pool_seed : int
        Seed of the fixed per-unit scatter (part of the pool's definition).
    """

    n_units: int = 120
    threshold_range: float = 8.0
    gain: float = 7.0
    tau_epsp_ms: float = 4.0
    sigma_shared: float = 0.15
    sigma_unit: float = 0.08
    muap_min_mV: float = 0.03
    muap_range: float = 20.0
    muap_sigma_ms: float = 1.2
    latency_ms: float = 20.0
    latency_spread_ms: float = 2.0
    latency_jitter_ms: float = 1.0
    tract_dispersion_ms: float = 1.5
    central_jitter_ms: float = 2.5
    window_ms: float = 45.0
    pool_seed: int = 0

    def units(self) -> dict[str, np.ndarray]:
        """Per-unit arrays, smallest first: ``threshold``, ``amplitude_mV``, ``latency_ms``, ``sigma_ms``."""
        rank = np.linspace(0.0, 1.0, self.n_units)
        rng = np.random.default_rng(np.random.SeedSequence([self.pool_seed, 3]))
        return {
            "threshold": self.threshold_range ** rank,
            "amplitude_mV": self.muap_min_mV * self.muap_range ** rank,
            "latency_ms": self.latency_ms - self.latency_spread_ms * rank
            + self.latency_jitter_ms * rng.standard_normal(self.n_units),
            "sigma_ms": self.muap_sigma_ms * np.exp(0.15 * rng.standard_normal(self.n_units)),
            "central_ms": self.central_jitter_ms * np.abs(rng.standard_normal(self.n_units)),
        }

    def emg(self, fire_ms: np.ndarray, fired: np.ndarray, dt_ms: float = 0.1) -> np.ndarray:
        """Surface EMG (mV) of one trial: shape (window_ms / dt_ms,); ``fire_ms`` (n_units,)."""
        u = self.units()
        t = np.arange(0.0, self.window_ms, dt_ms)
        idx = np.flatnonzero(fired)
        if idx.size == 0:
            return np.zeros_like(t)
        centre = fire_ms[idx] + u["latency_ms"][idx] + 2.0 * u["sigma_ms"][idx]
        z = (t[None, :] - centre[:, None]) / u["sigma_ms"][idx, None]
        # derivative of a Gaussian scaled to peak-to-peak 1: 2 exp(-1/2) = 1.2131
        shape = -z * np.exp(-0.5 * z * z) / (2.0 * np.exp(-0.5))
        return (u["amplitude_mV"][idx, None] * shape).sum(axis=0)

    def mmax_mV(self) -> float:
        """CMAP of the pool: every unit fired at once (supramaximal nerve stimulus)."""
        n = self.n_units
        return float(np.ptp(self.emg(np.zeros(n), np.ones(n, dtype=bool))))


DEFAULT_POOL = MotoneuronPool()
#: The pool of each network: ``gain`` is CALIBRATED per network (its volley has its own size:
#: ~0.6 evoked output spikes per output cell at 120 % RMT in ``cortex``, ~1.0 in the layered
#: ``m1_column``, whose L5 cells burst) so that the mean MEP at 120 % RMT is ~0.85 mV.
POOLS = {"cortex": DEFAULT_POOL, "m1_column": MotoneuronPool(gain=4.3, sigma_shared=0.35)}


def default_pool(network: str = "m1_column") -> MotoneuronPool:
    """The calibrated pool of ``network`` (:data:`POOLS`; the ``cortex`` pool for other networks)."""
    return POOLS.get(network if isinstance(network, str) else getattr(network, "name", ""), DEFAULT_POOL)


# ---- network volleys -----------------------------------------------------------------------
_VOLLEYS: dict[tuple, tuple[np.ndarray, int]] = {}


def network_volleys(intensity: float, weight_scale_ee: float = 1.0, n_trials: int = 10, seed: int = 0, *,
                    network: str = "m1_column", n_neurons: int | None = None, cache: bool = True):
    """Output-population spikes around each probe pulse.

    Returns
    -------
    counts : int array (n_trials, n_bins)
        Spikes per 1 ms bin from ``BASELINE_MS[0]`` before to ``window`` after each pulse
        (bin ``-BASELINE_MS[0]`` holds the pulse).
    n_output_cells : int
    """
    from . import network as net
    from .protocols import single_pulses

    key = (float(intensity), round(float(weight_scale_ee), 9), int(n_trials), int(seed), network, n_neurons)
    if cache and key in _VOLLEYS:
        return _VOLLEYS[key]
    path = _disk_path("volleys", key, network) if cache else None
    if path is not None and path.exists():
        try:
            with np.load(path) as f:
                _VOLLEYS[key] = (f["counts"].astype(np.int64), int(f["n_output_cells"]))
            return _VOLLEYS[key]
        except (OSError, ValueError, KeyError):
            pass
    pre = -BASELINE_MS[0]
    post = int(DEFAULT_POOL.window_ms)
    p = single_pulses(n_trials, intensity, interval_s=probe_interval_s(network), name="mep_probe")
    ds = net.simulate(protocol=p, network=network, seed=seed, n_neurons=n_neurons, weight_scale_ee=weight_scale_ee,
                      record=("volley",), baseline_s=0.5, post_s=0.1)
    counts = ds["volley"].values
    bins = np.round(ds["pulse_time_s"].values * 1000.0).astype(np.int64)
    out = np.stack([counts[b - pre:b + post] for b in bins]).astype(np.int64)
    result = (out, int(ds.attrs["n_output_cells"]))
    if cache:
        _VOLLEYS[key] = result
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                np.savez_compressed(path, counts=out.astype(np.int32), n_output_cells=result[1])
            except OSError:
                pass
    return result


def _disk_path(kind: str, key: tuple, network: str):
    """Cache file for network results: ``$MECHTMS_CACHE_DIR/mep/<kind>_<hash>.npz`` (default
    ``~/.cache/mechtms``), keyed by the arguments, the network definition, the engine revision
    and the package version."""
    import hashlib
    import os
    from pathlib import Path

    from .network import networks as nets
    from .network import stimulation

    root = os.environ.get("MECHTMS_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "mechtms")
    try:
        spec = repr(nets.get(network))
    except ValueError:
        return None
    text = repr((kind, key, spec, stimulation.ENGINE_REVISION, __version__, BASELINE_MS, DEFAULT_POOL.window_ms,
                 probe_interval_s(network)))
    return Path(root) / "mep" / f"{kind}_{hashlib.sha256(text.encode()).hexdigest()[:24]}.npz"


def evoked_volley(counts: np.ndarray, n_output_cells: int, pulse_bin: int | None = None) -> np.ndarray:
    """Evoked volley per pulse: output spikes per output cell in :data:`VOLLEY_WINDOW_MS`
    after the pulse, minus the tonic spikes expected in that window.

    ``counts``: (n_pulses, n_bins) as from :func:`network_volleys` (pulse at bin
    ``pulse_bin``, default ``-BASELINE_MS[0]``). Returns shape (n_pulses,).
    """
    c = np.asarray(counts, dtype=float)
    p = -BASELINE_MS[0] if pulse_bin is None else int(pulse_bin)
    base = c[:, p + BASELINE_MS[0]:p + BASELINE_MS[1]].mean(axis=1)
    lo, hi = VOLLEY_WINDOW_MS
    return (c[:, p + lo:p + hi].sum(axis=1) - base * (hi - lo)) / n_output_cells


def session_volleys(ds, *, relative: bool = True, seed: int | None = None, n_neurons: int | None = None) -> np.ndarray:
    """Evoked corticospinal volley of every delivered pulse of a session run.

    ``ds``: a :func:`mechtms.network.simulate` result with ``record`` including ``"volley"``
    and at least 0.6 s before the first pulse (``baseline_s``). The tonic rate is measured in
    the baseline before the first pulse (after a 0.5 s settle); each pulse's volley is the
    output spikes per output cell in :data:`VOLLEY_WINDOW_MS` minus the tonic expectation
    (valid while pulses are >= 12 ms apart: rTMS up to 80 Hz, theta bursts at 50 Hz).

    ``relative=True`` divides by :func:`reference_volley` (``seed`` and ``n_neurons``
    default to the run's): the ``volley`` of :class:`mechtms.lesion.DriveSession`.
    Returns shape (n_delivered,).
    """
    if "volley" not in ds:
        raise KeyError("session_volleys needs a network run with record=(..., 'volley')")
    counts = ds["volley"].values.astype(float)
    n_out = int(ds.attrs["n_output_cells"])
    pulses = ds["pulse_time_s"].values[ds["delivered"].values.astype(bool)]
    if pulses.size == 0:
        return np.zeros(0)
    first_ms = int(round(pulses[0] * 1000.0))
    if first_ms < 600:
        raise ValueError(f"session_volleys needs >= 0.6 s before the first pulse to measure the tonic rate, "
                         f"got {first_ms} ms (simulate with baseline_s >= 0.6)")
    tonic = counts[500:first_ms - 5].mean()
    lo, hi = VOLLEY_WINDOW_MS
    bins = np.round(pulses * 1000.0).astype(np.int64)
    ev = np.array([counts[b + lo:b + hi].sum() for b in bins]) - tonic * (hi - lo)
    out = ev / n_out
    if relative:
        ref_seed = int(ds.attrs.get("seed", 0)) if seed is None else int(seed)
        nn = int(ds.attrs["n_neurons"]) if n_neurons is None else n_neurons
        out = out / reference_volley(ref_seed, network=ds.attrs.get("network", "cortex"), n_neurons=nn)
    return out


_REFERENCE: dict[tuple, float] = {}


def reference_volley(seed: int = 0, *, network: str = "m1_column", n_neurons: int | None = None,
                     n_trials: int = 40) -> float:
    """Mean evoked volley of a single pulse at 100 % RMT in the baseline network (weights 1).

    The unit of ``volley`` in :class:`mechtms.lesion.DriveSession`.
    """
    key = (seed, network, n_neurons, n_trials)
    if key not in _REFERENCE:
        counts, n_out = network_volleys(100.0, 1.0, n_trials, seed, network=network, n_neurons=n_neurons)
        _REFERENCE[key] = float(evoked_volley(counts, n_out).mean())
    return _REFERENCE[key]


# ---- the spinal part (numpy, per trial) ------------------------------------------------------
def pool_response(counts: np.ndarray, n_output_cells: int, cst: float = 1.0, *, pool: MotoneuronPool | None = None,
                  seed: int = 0, waveforms: bool = False) -> dict[str, np.ndarray]:
    """Volleys -> motor units fired -> MEP amplitude, for each trial.

    Parameters
    ----------
    counts : int array (n_trials, n_bins)
        Output spikes per 1 ms bin, pulse at bin ``-BASELINE_MS[0]`` (:func:`network_volleys`).
    cst : float
        Fraction of the corticospinal tract that conducts (0..1).
    seed : int
        Seeds the thinning and the pool noise.

    Returns
    -------
    dict with ``mep_mV`` (n_trials,), ``n_fired`` (n_trials,), ``onset_ms`` (n_trials,; NaN
    when no unit fired), and with ``waveforms=True`` ``emg_mV`` (n_trials, n_samples).
    """
    pool = pool if pool is not None else DEFAULT_POOL
    counts = np.asarray(counts)
    n_trials = counts.shape[0]
    rng = np.random.default_rng(np.random.SeedSequence([seed, 17]))
    spared = rng.binomial(counts, cst) if cst < 1.0 else counts
    u = _disperse(spared / float(n_output_cells), pool.tract_dispersion_ms)
    # summed EPSP: exponential filter of the spike rate (1 ms bins), scaled to threshold units
    decay = np.exp(-1.0 / pool.tau_epsp_ms)
    v = np.empty_like(u, dtype=float)
    acc = np.zeros(n_trials)
    for k in range(u.shape[1]):
        acc = acc * decay + u[:, k]
        v[:, k] = acc
    pulse = -BASELINE_MS[0]
    drive = pool.gain * v[:, pulse:pulse + int(pool.window_ms)]
    running_max = np.maximum.accumulate(drive, axis=1)
    units = pool.units()
    shared = pool.sigma_shared * np.asarray(rng.standard_normal(n_trials))
    own = pool.sigma_unit * rng.standard_normal((n_trials, pool.n_units))
    level = units["threshold"][None, :] - shared[:, None] - own
    first = np.stack([np.searchsorted(running_max[i], level[i]) for i in range(n_trials)])
    fired = first < running_max.shape[1]
    fire_ms = first + rng.random((n_trials, pool.n_units)) + units["central_ms"][None, :]  # within the bin
    mep = np.zeros(n_trials)
    onset = np.full(n_trials, np.nan)
    emg = []
    for i in range(n_trials):
        trace = pool.emg(fire_ms[i], fired[i])
        mep[i] = np.ptp(trace)
        if fired[i].any():
            onset[i] = float(np.min(fire_ms[i][fired[i]] + units["latency_ms"][fired[i]]))
        if waveforms:
            emg.append(trace)
    out = {"mep_mV": mep, "n_fired": fired.sum(axis=1), "onset_ms": onset}
    if waveforms:
        out["emg_mV"] = np.stack(emg)
    return out


def _disperse(u: np.ndarray, sd_ms: float) -> np.ndarray:
    """Spread each bin over the axons' conduction times: a causal Gaussian of SD ``sd_ms``
    centred ``2 sd_ms`` later (the constant part of the delay is in the latencies)."""
    if sd_ms <= 0:
        return u
    lags = np.arange(0, int(np.ceil(4 * sd_ms)) + 1)
    w = np.exp(-0.5 * ((lags - 2 * sd_ms) / sd_ms) ** 2)
    w /= w.sum()
    out = np.zeros_like(u, dtype=float)
    for lag, weight in zip(lags, w, strict=True):
        out[:, lag:] += weight * u[:, : u.shape[1] - lag]
    return out


# ---- public probes ----------------------------------------------------------------------------
def probe(intensity: float = 120.0, weight_scale_ee: float = 1.0, cst: float = 1.0, *, n_trials: int = 10,
          seed: int = 0, network: str = "m1_column", n_neurons: int | None = None,
          pool: MotoneuronPool | None = None, waveforms: bool = False, cache: bool = True):
    """MEP amplitudes of ``n_trials`` single pulses.

    Parameters
    ----------
    intensity : float
        Test intensity, % of the network's RMT (:func:`mechtms.network.calibrate_rmt`),
        0-250.
    weight_scale_ee : float
        The network's current E->E weight factor (cortical excitability).
    cst : float
        Conducting corticospinal fraction, 0..1 (1 intact; ``CST`` of :mod:`mechtms.lesion`).
    n_trials : int
    seed : int
        Network instance and noise, thinning and pool noise. Same seed, same numbers.
    network, n_neurons : network options (:func:`mechtms.network.simulate`).
    pool : MotoneuronPool
    waveforms : bool
        Also return the EMG traces (``emg_mV`` over ``trial`` x ``t_ms``).
    cache : bool
        Reuse network runs with identical arguments (exact).

    Returns
    -------
    xarray.Dataset, dim ``trial``: ``mep_mV`` (peak-to-peak, mV), ``n_fired`` (motor units),
    ``onset_ms``, ``volley`` (evoked output spikes per output cell); attrs: the arguments,
    ``mep_mean_mV``, ``mmax_mV``, provenance.
    """
    pool = pool if pool is not None else default_pool(network)
    import xarray as xr

    intensity = _checks.finite_number("intensity (% RMT)", intensity, low=0, high=250)
    weight_scale_ee = _checks.finite_number("weight_scale_ee", weight_scale_ee, low=0, high=10)
    cst = _checks.finite_number("cst", cst, low=0, high=1)
    n_trials = _checks.whole_number("n_trials", n_trials, low=1, high=10_000)
    seed = _checks.whole_number("seed", seed, low=0)
    if not isinstance(pool, MotoneuronPool):
        raise ValueError(f"pool must be a MotoneuronPool, got {type(pool).__name__}")
    counts, n_out = network_volleys(intensity, weight_scale_ee, n_trials, seed, network=network,
                                    n_neurons=n_neurons, cache=cache)
    res = pool_response(counts, n_out, cst, pool=pool, seed=seed, waveforms=waveforms)
    data: dict[str, tuple] = {
        "mep_mV": ("trial", res["mep_mV"], {"units": "mV", "long_name": "MEP peak-to-peak amplitude"}),
        "n_fired": ("trial", res["n_fired"], {"units": "motor units"}),
        "onset_ms": ("trial", res["onset_ms"], {"units": "ms", "long_name": "MEP onset latency"}),
        "volley": ("trial", evoked_volley(counts, n_out), {"units": "spikes per output cell",
                                                          "long_name": "evoked corticospinal volley (network)"}),
    }
    coords: dict[str, object] = {"trial": np.arange(n_trials)}
    if waveforms:
        t = np.arange(0.0, pool.window_ms, 0.1)
        data["emg_mV"] = (("trial", "t_ms"), res["emg_mV"], {"units": "mV"})
        coords["t_ms"] = ("t_ms", t[: res["emg_mV"].shape[1]], {"units": "ms"})
    attrs = {
        "mechtms_version": __version__, "intensity_rmt": intensity, "weight_scale_ee": weight_scale_ee,
        "cst": cst, "seed": seed, "network": network, "n_neurons": -1 if n_neurons is None else int(n_neurons),
        "mep_mean_mV": float(res["mep_mV"].mean()), "mmax_mV": pool.mmax_mV(),
        "pool": json.dumps(asdict(pool), sort_keys=True),
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def fit_boltzmann(intensity, mep_mV) -> dict[str, float]:
    """Least-squares Boltzmann sigmoid ``MEP = mep_max / (1 + exp((i50 - I)/k))`` (Devanne 1997).

    Returns ``{"mep_max", "i50", "k", "r2", "peak_slope"}`` (``peak_slope = mep_max/(4k)``,
    mV per % RMT).
    """
    from scipy.optimize import curve_fit

    x = np.asarray(intensity, dtype=float)
    y = np.asarray(mep_mV, dtype=float)
    if x.shape != y.shape or x.size < 4:
        raise ValueError(f"fit_boltzmann needs >= 4 (intensity, MEP) pairs of equal length, got {x.size} and {y.size}")

    def f(i, top, i50, k):
        return top / (1.0 + np.exp((i50 - i) / k))

    p0 = [max(y.max(), 1e-3), float(x[np.argmin(np.abs(y - y.max() / 2))]), 10.0]
    (top, i50, k), _ = curve_fit(f, x, y, p0=p0, bounds=([0, 0, 0.5], [np.inf, 500, 200]), maxfev=20000)
    resid = y - f(x, top, i50, k)
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(np.sum(resid**2)) / ss_tot if ss_tot > 0 else float("nan")
    return {"mep_max": float(top), "i50": float(i50), "k": float(k), "r2": r2, "peak_slope": float(top / (4 * k))}


def recruitment_curve(intensities=(90, 100, 110, 120, 130, 140, 150, 160, 180, 200), *, weight_scale_ee: float = 1.0,
                      cst: float = 1.0, n_trials: int = 10, seed: int = 0, network: str = "m1_column",
                      n_neurons: int | None = None, pool: MotoneuronPool | None = None):
    """MEP against intensity (% RMT) with a Boltzmann fit to the trial means.

    Returns
    -------
    xarray.Dataset, dims ``intensity`` x ``trial``: ``mep_mV``; ``mep_mean_mV`` over
    ``intensity``; the fit in attrs (``mep_max``, ``i50``, ``k``, ``r2``, ``peak_slope``).
    """
    pool = pool if pool is not None else default_pool(network)
    import xarray as xr

    grid = [float(i) for i in intensities]
    if len(grid) < 4 or any(b <= a for a, b in zip(grid, grid[1:], strict=False)):
        raise ValueError(f"intensities must be >= 4 increasing values (% RMT), got {list(intensities)}")
    rows = [probe(i, weight_scale_ee, cst, n_trials=n_trials, seed=seed, network=network, n_neurons=n_neurons,
                  pool=pool) for i in grid]
    mep = np.stack([r["mep_mV"].values for r in rows])
    out = xr.Dataset({"mep_mV": (("intensity", "trial"), mep, {"units": "mV"}),
                      "mep_mean_mV": ("intensity", mep.mean(axis=1), {"units": "mV"})},
                     coords={"intensity": ("intensity", grid, {"units": "% RMT (network)"}),
                             "trial": np.arange(n_trials)})
    out.attrs = {**fit_boltzmann(grid, mep.mean(axis=1)), "weight_scale_ee": weight_scale_ee, "cst": cst,
                 "seed": seed, "mmax_mV": pool.mmax_mV(), "source": "Boltzmann form: Devanne et al. 1997"}
    return out


def clinical_rmt(weight_scale_ee: float = 1.0, cst: float = 1.0, *, seed: int = 0, start: float = 130.0,
                 step: float = 2.0, network: str = "m1_column", n_neurons: int | None = None,
                 pool: MotoneuronPool | None = None, max_intensity: float = 250.0) -> float:
    """RMT the clinical way (Rossini et al. 2015), in % of the network's RMT.

    From ``start``, the intensity rises in steps of 10 until at least 5 of 10 pulses give an
    MEP >= 50 uV, then falls in steps of ``step`` until fewer than 5 of 10 do; the RMT is the
    lowest intensity that still met the criterion. Every level is a block of 10 pulses on
    the same network instance with the same ``seed`` (the same subject, common random
    numbers across levels). Returns NaN if even ``max_intensity`` fails (no MEP,
    e.g. after a complete transection).
    """
    pool = pool if pool is not None else default_pool(network)
    step = _checks.finite_number("step", step, low=0.1, high=20)
    start = _checks.finite_number("start", start, low=1, high=max_intensity)

    def meets(i: float) -> bool:
        r = probe(i, weight_scale_ee, cst, n_trials=RMT_TRIALS, seed=seed, network=network,
                  n_neurons=n_neurons, pool=pool)
        return int((r["mep_mV"].values >= MEP_CRITERION_MV).sum()) >= RMT_HITS

    i = start
    while not meets(i):
        i += 10.0
        if i > max_intensity:
            return float("nan")
    while i - step > 0 and meets(i - step):
        i -= step
    return float(i)



# ---- shortcuts for courses: a grid in weight_scale_ee, interpolated ---------------------------
#: Step of the weight_scale_ee grid on which network runs are made and cached (memory and disk).
WEIGHT_GRID_STEP = 0.01
#: Spontaneous run used for the tonic output rate (s, after the network's 0.5 s settle).
RATE_RUN_S = 5.0


def _grid(weight_scale_ee: float, step: float) -> tuple[float, float, float]:
    """Neighbouring grid weights and the interpolation fraction; exact grid points give (w, w, 0)."""
    w = _checks.finite_number("weight_scale_ee", weight_scale_ee, low=0, high=10)
    step = _checks.finite_number("grid_step", step, low=1e-4, high=1.0)
    k = w / step
    k_lo = np.floor(k + 1e-9)
    frac = float(k - k_lo)
    lo = round(float(k_lo) * step, 9)
    if frac < 1e-9:
        return lo, lo, 0.0
    return lo, round(float(k_lo + 1) * step, 9), frac


def _stats(mep_mV: np.ndarray) -> dict[str, float]:
    return {"mean_mV": float(mep_mV.mean()), "sd_mV": float(mep_mV.std(ddof=1)) if mep_mV.size > 1 else 0.0,
            "response_rate": float(np.mean(mep_mV >= MEP_CRITERION_MV))}


def mep_stats(weight_scale_ee: float = 1.0, cst: float = 1.0, *, intensity: float = 120.0, n_trials: int = 20,
              seed: int = 0, network: str = "m1_column", n_neurons: int | None = None,
              pool: MotoneuronPool | None = None, grid_step: float = WEIGHT_GRID_STEP) -> dict[str, float]:
    """MEP statistics at any ``weight_scale_ee``, interpolated from a cached grid (the shortcut
    for courses).

    The network is run (and cached in memory and on disk, :func:`network_volleys`) only at the
    grid weights that bracket ``weight_scale_ee`` (multiples of ``grid_step``); the tract and
    the pool (a few ms) are applied to both with the given ``cst``, and each statistic is
    interpolated linearly in the weight. On a grid point this is :func:`probe` exactly.
    tests/test_mep.py checks it against direct probes at off-grid weights.

    Returns
    -------
    dict: ``mean_mV``, ``sd_mV`` (trial SD), ``response_rate`` (fraction of trials with an
    MEP >= 50 uV), and the bracketing ``weight_lo``, ``weight_hi``.
    """
    pool = pool if pool is not None else default_pool(network)
    intensity = _checks.finite_number("intensity (% RMT)", intensity, low=0, high=250)
    cst = _checks.finite_number("cst", cst, low=0, high=1)
    n_trials = _checks.whole_number("n_trials", n_trials, low=2, high=10_000)
    lo, hi, frac = _grid(weight_scale_ee, grid_step)
    out: dict[str, float] = {}
    for w, weight in ((lo, 1.0 - frac), (hi, frac)):
        if weight == 0.0 and w == hi and hi != lo:
            continue
        counts, n_out = network_volleys(intensity, w, n_trials, seed, network=network, n_neurons=n_neurons)
        st = _stats(pool_response(counts, n_out, cst, pool=pool, seed=seed)["mep_mV"])
        for k, v in st.items():
            out[k] = out.get(k, 0.0) + weight * v
        if hi == lo:
            break
    out.update({"weight_lo": lo, "weight_hi": hi})
    return out


_RATES: dict[tuple, float] = {}


def output_rate(weight_scale_ee: float = 1.0, *, seed: int = 0, network: str = "m1_column", n_neurons: int | None = None,
                grid_step: float = WEIGHT_GRID_STEP, duration_s: float = RATE_RUN_S) -> float:
    """Tonic firing rate (Hz) of the network's output cells without stimulation.

    A spontaneous run of ``duration_s`` (after a 0.5 s settle) at the grid weights bracketing
    ``weight_scale_ee``, interpolated linearly; runs are cached in memory and on disk.
    ``output_rate(w) / output_rate(1.0)`` is the ``tonic`` descending drive of
    :class:`mechtms.lesion.DescendingDrive` (see :func:`tonic_drive`).
    """
    lo, hi, frac = _grid(weight_scale_ee, grid_step)
    duration_s = _checks.finite_number("duration_s", duration_s, low=0.5, high=600)
    rate = 0.0
    for w, weight in ((lo, 1.0 - frac), (hi, frac)):
        if hi == lo and w == hi and weight == 0.0:
            continue
        rate += weight * _spontaneous_rate(w, seed, network, n_neurons, duration_s)
        if hi == lo:
            break
    return rate


def _spontaneous_rate(w: float, seed: int, network: str, n_neurons: int | None, duration_s: float) -> float:
    from . import network as net

    key = (round(w, 9), int(seed), network, n_neurons, float(duration_s))
    if key in _RATES:
        return _RATES[key]
    path = _disk_path("rate", key, network)
    if path is not None and path.exists():
        try:
            with np.load(path) as f:
                _RATES[key] = float(f["rate_hz"])
            return _RATES[key]
        except (OSError, ValueError, KeyError):
            pass
    settle = 0.5
    ds = net.simulate(None, network=network, duration_s=settle + duration_s, seed=seed, n_neurons=n_neurons,
                      weight_scale_ee=w, record=("volley",))
    counts = ds["volley"].values[int(settle * 1000):]
    rate = float(counts.sum() / ds.attrs["n_output_cells"] / (counts.size * 1e-3))
    _RATES[key] = rate
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(path, rate_hz=rate)
        except OSError:
            pass
    return rate


def tonic_drive(weight_scale_ee, *, seed: int = 0, network: str = "m1_column", n_neurons: int | None = None,
                grid_step: float = WEIGHT_GRID_STEP) -> np.ndarray:
    """Tonic corticospinal output relative to the baseline network: ``output_rate(w) / output_rate(1)``.

    ``weight_scale_ee``: scalar or array (e.g. one weight per day); returns the same shape.
    This is what :class:`mechtms.lesion.DescendingDrive` takes as ``tonic``.
    """
    w = np.asarray(weight_scale_ee, dtype=float)
    ref = output_rate(1.0, seed=seed, network=network, n_neurons=n_neurons, grid_step=grid_step)
    out = np.array([output_rate(float(x), seed=seed, network=network, n_neurons=n_neurons, grid_step=grid_step)
                    for x in w.ravel()]) / ref
    return out.reshape(w.shape)


def daily(cst, weight_scale_ee=1.0, *, intensity: float = 150.0, n_trials: int = 20, seed: int = 0,
          network: str = "m1_column", n_neurons: int | None = None, pool: MotoneuronPool | None = None,
          grid_step: float = WEIGHT_GRID_STEP):
    """MEP statistics on each day of a course (:func:`mep_stats` per day).

    Parameters
    ----------
    cst : xarray.DataArray over ``day`` (e.g. ``lesion.simulate(...).CST``) or array (n_days,)
    weight_scale_ee : float, or array/DataArray aligned with ``cst``
        The network's E->E weight factor on each day (interpolated on the cached grid).
    intensity : float
        Test intensity, % of the uninjured network's RMT. Default 150 %: a suprathreshold
        intensity, as rodent SCI studies use (at 120 % the MEP vanishes below cst ~0.3).

    Returns
    -------
    xarray.Dataset over ``day``: ``MEP`` (mean, mV), ``MEP_sd`` (trial SD, mV),
    ``MEP_response_rate`` (fraction of trials >= 50 uV); attrs carry the settings.
    """
    pool = pool if pool is not None else default_pool(network)
    import xarray as xr

    cst_values = np.asarray(cst.values if isinstance(cst, xr.DataArray) else cst, dtype=float)
    days = cst.day.values if isinstance(cst, xr.DataArray) and "day" in cst.coords else np.arange(cst_values.size)
    w = np.broadcast_to(np.asarray(getattr(weight_scale_ee, "values", weight_scale_ee), dtype=float),
                        cst_values.shape)
    rows = [mep_stats(float(wk), float(np.clip(c, 0.0, 1.0)), intensity=intensity, n_trials=n_trials, seed=seed,
                      network=network, n_neurons=n_neurons, pool=pool, grid_step=grid_step)
            for c, wk in zip(cst_values, w, strict=True)]
    attrs = {"intensity_rmt": float(intensity), "n_trials": int(n_trials), "seed": int(seed),
             "grid_step": float(grid_step), "source": "mechtms.mep.mep_stats (probe grid, interpolated)"}
    return xr.Dataset(
        {"MEP": ("day", [r["mean_mV"] for r in rows], {"units": "mV", "long_name": "mean MEP of the probe"}),
         "MEP_sd": ("day", [r["sd_mV"] for r in rows], {"units": "mV"}),
         "MEP_response_rate": ("day", [r["response_rate"] for r in rows], {"units": "1"})},
        coords={"day": days}, attrs=attrs)
