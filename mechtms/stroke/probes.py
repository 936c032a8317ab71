"""TMS measurements on the two-hemisphere network: evoked volleys, IHI, tonic rates, spectra.

A probe gives ``n_trials`` single (or paired) pulses as far apart as the package's MEP probe
for the network (:func:`mechtms.mep.probe_interval_s`: 3 s in ``m1_column``, whose adaptation
and depression outlast shorter intervals), and cuts each side's output-population
spikes around every test pulse into trials of 1 ms bins, from ``BASELINE_MS[0]`` before
to ``POST_MS`` after it (the layout :func:`mechtms.mep.pool_response` takes, so the
volleys can be turned into MEPs in mV). The **evoked volley** is the output spikes per
output cell in ``VOLLEY_WINDOW_MS`` after the pulse minus the tonic spikes expected in that
window (measured ``BASELINE_MS`` before it); cells lost to a lesion count in the
denominator, so cell loss shrinks the volley.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _checks
from .. import mep as _mep
from . import hemispheres as H

#: Evoked window after the pulse (ms, end exclusive): direct and recurrent (I-wave-like) spikes.
VOLLEY_WINDOW_MS = (0, 12)
#: Tonic firing is measured in this window before each test pulse (ms).
BASELINE_MS = (-100, -5)
#: Trials are cut up to this many ms after the test pulse.
POST_MS = 45
#: Lead-in before the first pulse (s): the network settles from its initial state.
SETTLE_S = 0.5


def _check_side(name: str, side) -> str:
    return _checks.choice(name, side, H.SIDES)


def volleys(net: H.Stitched, x_rmt: float, *, target: str, intensity: float, n_trials: int = 20,
            seed: int = 0, run_seed: int | None = None, conditioning: tuple | None = None) -> dict:
    """Output spikes of both hemispheres around each test pulse.

    Parameters
    ----------
    net : Stitched
    x_rmt : float
        Field at 100 % RMT.
    target : {"left", "right"}
        Hemisphere of the test pulse.
    intensity : float
        Test intensity, % RMT.
    n_trials : int
    seed, run_seed : int
        Noise and recruitment of the run (see :func:`mechtms.stroke.hemispheres.run`).
    conditioning : (side, intensity % RMT, interval ms), optional
        A conditioning pulse this many ms (>= 1) before each test pulse (paired-pulse IHI).

    Returns
    -------
    dict with ``counts`` {side: (n_trials, n_bins) int} output-cell spikes per 1 ms bin (the test
    pulse in bin ``-BASELINE_MS[0]``), ``n_output`` {side: int} and ``n_direct``.
    """
    target = _check_side("target", target)
    n_trials = _checks.whole_number("n_trials", n_trials, low=1, high=10_000)
    test_s = SETTLE_S + np.arange(n_trials) * _mep.probe_interval_s(net.built.spec.name)
    times, sides, intens = [test_s], [[target] * n_trials], [np.full(n_trials, float(intensity))]
    if conditioning is not None:
        c_side, c_int, isi = conditioning
        c_side = _check_side("conditioning side", c_side)
        isi = _checks.finite_number("conditioning interval (ms)", isi, low=1.0, high=200.0)
        times.insert(0, test_s - isi * 1e-3)
        sides.insert(0, [c_side] * n_trials)
        intens.insert(0, np.full(n_trials, float(c_int)))
    t = np.concatenate(times)
    order = np.argsort(t, kind="stable")
    duration = test_s[-1] + (POST_MS + 5) * 1e-3
    r = H.run(net, duration, seed=seed, run_seed=run_seed, pulse_times_s=t[order],
              pulse_side=np.concatenate(sides)[order], intensity_rmt=np.concatenate(intens)[order], x_rmt=x_rmt)
    pre = -BASELINE_MS[0]
    bins = np.round(test_s * 1000.0).astype(np.int64)
    counts = {s: np.stack([r.counts[i, b - pre:b + POST_MS, 2] for b in bins]) for i, s in enumerate(H.SIDES)}
    return {"counts": counts, "n_output": {s: int(net.output_cells(s).size) for s in H.SIDES},
            "n_direct": r.n_direct}


def evoked_volley(counts: np.ndarray, n_output: int) -> np.ndarray:
    """Evoked output spikes per output cell of each trial, (n_trials,), tonic firing subtracted."""
    pre = -BASELINE_MS[0]
    lo, hi = VOLLEY_WINDOW_MS
    b0, b1 = BASELINE_MS
    ev = counts[:, pre + lo:pre + hi].sum(axis=1)
    tonic = counts[:, pre + b0:pre + b1].sum(axis=1) * (hi - lo) / (b1 - b0)
    return (ev - tonic) / float(n_output)


def tonic_rate(counts: np.ndarray, n_output: int) -> float:
    """Mean output-cell rate (Hz) in the baseline windows of the trials."""
    pre = -BASELINE_MS[0]
    b0, b1 = BASELINE_MS
    return float(counts[:, pre + b0:pre + b1].sum(axis=1).mean() / n_output / ((b1 - b0) * 1e-3))


def excitability(net: H.Stitched, x_rmt: float, *, side: str, intensity: float = 120.0, n_trials: int = 20,
                 seed: int = 0) -> float:
    """Mean evoked volley (spikes per output cell) of ``side`` to single pulses at ``intensity`` % RMT."""
    v = volleys(net, x_rmt, target=side, intensity=intensity, n_trials=n_trials, seed=seed)
    return float(evoked_volley(v["counts"][side], v["n_output"][side]).mean())


def ihi(net: H.Stitched, x_rmt: float, *, conditioned_side: str, isi_ms=10.0, cs_intensity=130.0,
        ts_intensity: float = 120.0, n_trials: int = 40, seed: int = 0) -> dict:
    """Interhemispheric inhibition: a conditioning pulse over one side, a test pulse over the other.

    Ferbert et al. 1992 (J Physiol 453:525): conditioning 6-30 ms before the test pulse
    suppresses the test MEP (conditioned / unconditioned ~0.3-0.6 at 10 ms with
    suprathreshold conditioning pulses); Ni et al. 2009 (Cereb Cortex 19:1654): a second
    phase near 50 ms. Trials with and without the conditioning pulse run on the same
    network instance with the same noise seed (paired design).

    Parameters
    ----------
    conditioned_side : {"left", "right"}
        The side whose test response is conditioned (the conditioning pulse goes to the other).
    isi_ms, cs_intensity : float or sequence of float
        Conditioning-test intervals (ms) and conditioning intensities (% RMT), broadcast
        against each other; the unconditioned trials are run once for all of them.

    Returns
    -------
    dict: ``ratio`` (conditioned / unconditioned mean evoked volley of the test side),
    ``conditioned`` (spikes per output cell), ``isi_ms``, ``cs_intensity`` (floats, or
    arrays when sequences were given) and ``unconditioned``.
    """
    test = _check_side("conditioned_side", conditioned_side)
    src = H.SIDES[1 - H.SIDES.index(test)]
    isis, css = np.broadcast_arrays(np.atleast_1d(np.asarray(isi_ms, dtype=float)),
                                    np.atleast_1d(np.asarray(cs_intensity, dtype=float)))
    kw: dict[str, Any] = dict(target=test, intensity=ts_intensity, n_trials=n_trials, seed=seed)
    base = volleys(net, x_rmt, **kw)
    u = float(evoked_volley(base["counts"][test], base["n_output"][test]).mean())
    cond = []
    for isi, cs in zip(isis, css, strict=True):
        v = volleys(net, x_rmt, conditioning=(src, float(cs), float(isi)), **kw)
        cond.append(float(evoked_volley(v["counts"][test], v["n_output"][test]).mean()))
    c = np.asarray(cond)
    ratio = c / u if u > 0 else np.full(c.shape, np.nan)  # (n,) array either way
    scalar = np.ndim(isi_ms) == 0 and np.ndim(cs_intensity) == 0
    pick = (lambda a: float(a[0])) if scalar else (lambda a: a)  # noqa: E731
    return {"ratio": pick(ratio), "conditioned": pick(c), "unconditioned": u,
            "isi_ms": pick(isis), "cs_intensity": pick(css)}


def resting_activity(net: H.Stitched, duration_s: float = 20.0, *, seed: int = 0) -> dict:
    """Spontaneous activity of each hemisphere.

    The first ``SETTLE_S`` are dropped. Returns ``{"left": (T,), "right": (T,), "fs_hz": 1000,
    "output_hz": {side: float}}``: the E population rate per E cell of the intact side (Hz,
    1 ms bins) and the mean rate of the output cells per intact output cell.
    """
    duration_s = _checks.finite_number("duration_s", duration_s, low=2.0, high=3600.0)
    r = H.run(net, duration_s + SETTLE_S, seed=seed, x_rmt=1.0)
    skip = int(round(SETTLE_S * 1000.0))
    out: dict[str, Any] = {s: r.counts[i, skip:, 0] / float(net.cells(s, 0).size) / 1e-3
                           for i, s in enumerate(H.SIDES)}
    out["fs_hz"] = 1000.0
    out["output_hz"] = {s: float(r.counts[i, skip:, 2].sum() / net.output_cells(s).size / duration_s)
                        for i, s in enumerate(H.SIDES)}
    return out


def asymmetry_index(net: H.Stitched, duration_s: float = 20.0, *, seed: int = 0) -> float:
    """The model's pdBSI: :func:`mechtms.stroke.proxies.pdbsi` of the two hemispheres' resting rates."""
    from .proxies import pdbsi

    act = resting_activity(net, duration_s, seed=seed)
    return pdbsi(act["left"], act["right"], act["fs_hz"])
