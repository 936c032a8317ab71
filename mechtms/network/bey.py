"""Bey-style binary network: a third, documented comparison mode (not the production model).

Public facts (Bey, Leue & Wienbruch 2012, PLoS ONE 7:e49097, Methods; ``docs/network.md``):
McCulloch–Pitts neurons in discrete time; threshold −60 mV, rest −70 mV; potentials
return to rest within a few ms; each incoming spike moves the potential by ±0.5 mV,
summed linearly; mean degree 120 (p = 0.12 in 1,000 neurons); 80:20 E:I; a TMS pulse
depolarises a set of neurons simultaneously; output an equivalent LFP (eLFP).

Unknowns, exposed as parameters with the values assumed here:
``dt_ms`` = 1 (time step), ``tau_ms`` = 2 (return to rest), ``ext_mean_mV`` and
``ext_sd_mV`` = 0 and 3 (Gaussian external drive per step: ~5 Hz spontaneous activity),
the eLFP (mean depolarisation v − rest of E cells), the recruitment
``pmax·Φ(ln(I/i50)/sigma)`` of the fraction depolarised by a pulse of I % RMT
(``i50`` = 100, ``sigma`` = 0.3, ``pmax`` = 0.5: 25 % of neurons at 100 % RMT),
``refractory_ms`` = 5 and ``inhibitory_gain`` = 1 (I inputs weigh −0.5·gain mV).

Measured here: with the published facts alone (no refractoriness, ±0.5 mV, 80:20) a
pulse that depolarises more than ~10 % of the neurons locks the network into a state in
which every neuron fires at every step (net recurrent excitation 0.5·k·(0.8 − 0.2) = 36 mV
per step against a 10 mV threshold). A 5 ms refractory period (assumed) makes each pulse
evoke one population burst, after which activity returns to baseline; the evoked burst
then saturates above ~100 % RMT. ``inhibitory_gain`` = 4 (E/I balance) grades it instead.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.stats import norm

from .. import __version__, _checks
from ._kernels import bey_run
from .stimulation import check_intensity

DEFAULTS = dict(n_neurons=1000, k=120, frac_exc=0.8, dt_ms=1.0, tau_ms=2.0, threshold_mV=-60.0,
                rest_mV=-70.0, jump_mV=0.5, ext_mean_mV=0.0, ext_sd_mV=3.0, i50=100.0, sigma=0.3,
                pmax=0.5, refractory_ms=5.0, inhibitory_gain=1.0)


def pulse_fraction(intensity_rmt: float, i50: float = 100.0, sigma: float = 0.3, pmax: float = 0.5) -> float:
    """Fraction of neurons a pulse depolarises to threshold (assumed log-normal in intensity)."""
    intensity_rmt = check_intensity(intensity_rmt)
    if intensity_rmt == 0:
        return 0.0
    return float(pmax * norm.cdf(np.log(intensity_rmt / i50) / sigma))


def simulate(protocol=None, duration_s: float | None = None, *, seed: int = 0,
             baseline_s: float = 2.0, post_s: float = 2.0, **params) -> xr.Dataset:
    """Simulate the binary network; output laid out as :func:`mechtms.network.simulate`.

    Parameters
    ----------
    protocol : Protocol, optional
    duration_s : float, optional
        Default ``baseline_s`` + protocol duration + ``post_s``.
    **params
        Any key of :data:`DEFAULTS` (unknowns of the published description).

    Returns
    -------
    xarray.Dataset with ``rate_E``, ``rate_I`` (Hz) and ``lfp`` (eLFP: mean v − rest of E
    cells, mV) on ``time`` (s, bins of ``dt_ms``), ``pulse_time_s`` on ``pulse``.
    """
    for key in params:
        if key not in DEFAULTS:
            raise _checks.unknown_name("Bey parameter", key, DEFAULTS, exc=ValueError)
    p = {**DEFAULTS, **params}
    n = _checks.whole_number("n_neurons", p["n_neurons"], low=10, high=200_000)
    k = _checks.whole_number("k", p["k"], low=1, high=n)
    dt = _checks.finite_number("dt_ms", p["dt_ms"], low=0.1, high=5.0)
    tau = _checks.finite_number("tau_ms", p["tau_ms"], low=0, low_open=True)
    seed = _checks.whole_number("seed", seed, low=0)
    sched = np.zeros(0) if protocol is None else baseline_s + protocol.delivered_pulse_times_s()
    all_pulses = np.zeros(0) if protocol is None else baseline_s + protocol.pulse_times_s()
    if duration_s is None:
        duration_s = baseline_s + post_s + (protocol.duration_s if protocol is not None else 0.0)
    duration_s = _checks.finite_number("duration_s", duration_s, low=0, low_open=True, high=1e5)
    frac = 0.0 if protocol is None else pulse_fraction(protocol.intensity_rmt, p["i50"], p["sigma"], p["pmax"])

    g_net, g_ext, g_tms = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)]
    ne = int(round(p["frac_exc"] * n))
    # each ordered pair connected with probability k/n (mean degree k)
    indptr = np.zeros(n + 1, dtype=np.int64)
    rows = []
    for j in range(n):
        t = np.flatnonzero(g_net.random(n) < k / n).astype(np.int32)
        rows.append(t)
        indptr[j + 1] = indptr[j] + t.size
    indices = np.concatenate(rows)
    signs = np.r_[np.ones(ne), -float(p["inhibitory_gain"]) * np.ones(n - ne)]
    ref_steps = int(round(float(p["refractory_ms"]) / dt))
    ref_until = np.zeros(n, np.int64)
    n_steps = int(round(duration_s * 1000 / dt))
    sched = sched[sched * 1000 / dt < n_steps]
    pulse_step = np.round(sched * 1000 / dt).astype(np.int64)
    rec = [np.flatnonzero(g_tms.random(n) < frac).astype(np.int32) for _ in pulse_step]
    rec_ptr = np.r_[0, np.cumsum([r.size for r in rec])].astype(np.int64)
    rec_idx = np.concatenate(rec) if rec else np.zeros(0, np.int32)

    v = np.full(n, p["rest_mV"])
    active = np.zeros(n, np.uint8)
    counts = np.zeros((n_steps, 2), np.int32)
    elfp = np.zeros(n_steps)
    chunk = max(1, int(1000 / dt))
    for s0 in range(0, n_steps, chunk):
        m = min(chunk, n_steps - s0)
        ext = p["ext_mean_mV"] + p["ext_sd_mV"] * g_ext.standard_normal((m, n))
        bey_run(v, active, ref_until, indptr, indices, signs, float(np.exp(-dt / tau)),
                float(p["threshold_mV"]), float(p["rest_mV"]), float(p["jump_mV"]), ref_steps, ext,
                pulse_step, rec_ptr, rec_idx, ne, counts[s0:s0 + m], elfp[s0:s0 + m], s0)
    bin_s = dt * 1e-3
    time = np.arange(n_steps) * bin_s
    ds = xr.Dataset(
        {"rate_E": ("time", counts[:, 0] / ne / bin_s, {"units": "Hz"}),
         "rate_I": ("time", counts[:, 1] / (n - ne) / bin_s, {"units": "Hz"}),
         "lfp": ("time", elfp, {"units": "mV", "long_name": "eLFP: mean depolarisation of E cells (assumption)"}),
         "pulse_time_s": ("pulse", all_pulses[all_pulses < duration_s], {"units": "s"})},
        coords={"time": ("time", time, {"units": "s"})},
        attrs={"mechtms_version": __version__, "network": "bey", "seed": seed, "dt_ms": dt,
               "n_neurons": n, "n_exc": ne, "settle_s": 0.5, "duration_s": duration_s,
               "source": "Bey, Leue & Wienbruch 2012, PLoS ONE 7:e49097 (public facts; unknowns assumed)",
               "protocol": "none" if protocol is None else protocol.label(),
               "pulse_fraction": frac, "rate_E_hz": float(counts[:, 0].sum() / ne / duration_s),
               "rate_I_hz": float(counts[:, 1].sum() / (n - ne) / duration_s),
               **{f"param_{k_}": float(v_) for k_, v_ in p.items()}})
    return ds
