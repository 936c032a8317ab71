"""TMS recruitment and the in-model calibration of 100 % RMT.

At each pulse every neuron of population X (E or I) is directly activated with
probability ``pmax_X · Φ(ln(x / x50_X) / sigma_X)`` (a log-normal spread of thresholds),
where ``x`` is the field in model units. Intensity in % RMT maps to ``x = x_rmt ·
intensity / 100``, and ``x_rmt`` is calibrated in the model (:func:`calibrate_rmt`) as
the field at which half of single pulses evoke a *population response*: at least
``RESPONSE_SPIKES_PER_CELL`` spikes per excitatory cell in the window 1–11 ms after the
pulse (the directly activated spikes at the pulse itself are not counted), the model's
analogue of the clinical MEP definition of RMT (50 % of pulses evoke an MEP).

Sources of the form: Haggie et al. 2024 (per-cell activation probability per pulse),
Aberra et al. 2020 and Weise et al. 2025 (only a small fraction of cells is directly
activated at threshold). With the default thresholds (equal for E and I) 8–12 % of E
cells are directly activated at 100 % RMT in the 1,000-neuron ``cortex`` network.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
from scipy import optimize
from scipy.stats import norm

from .. import __version__, _checks
from . import _engine
from . import networks as nets

#: Population response: spikes per E cell in 1–11 ms after the pulse (baseline ≤ ~0.2).
RESPONSE_SPIKES_PER_CELL = 0.25
RESPONSE_WINDOW_MS = (1, 11)
#: Interval between calibration pulses, ms (long enough for the network to settle).
CALIBRATION_ISI_MS = 300.0
MAX_INTENSITY_RMT = 250.0

_MEMORY: dict[str, float] = {}
#: Bump when the engine's numbers change for the same inputs (invalidates cached RMTs).
ENGINE_REVISION = 3


def check_intensity(intensity_rmt) -> float:
    """Validate an intensity in % RMT (0 to 250, the protocol layer's ceiling)."""
    return _checks.finite_number("intensity_rmt (% RMT)", intensity_rmt, low=0.0,
                                 high=MAX_INTENSITY_RMT)


def kind_names(spec: nets.IzhNetwork) -> tuple:
    """The recruitment kinds of a network: ("E", "I"), or its cell types if it has layers."""
    types = getattr(spec, "cell_types", None)
    return tuple(t.name for t in types) if types else ("E", "I")


def direct_probability(x, spec: nets.IzhNetwork) -> np.ndarray:
    """Direct activation probability of each recruitment kind at field(s) ``x`` (model
    units); shape (..., K) with K = ``len(kind_names(spec))`` (E and I, or cell types)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore"):
        lx = np.log(np.maximum(x, 0.0))
    types = getattr(spec, "cell_types", None)
    if types:
        return np.stack([norm.cdf((lx - np.log(t.x50)) / t.sigma) for t in types], axis=-1)
    pe = spec.pmax_e * norm.cdf((lx - np.log(spec.x50_e)) / spec.sigma_e)
    pi = spec.pmax_i * norm.cdf((lx - np.log(spec.x50_i)) / spec.sigma_i)
    return np.stack([pe, pi], axis=-1)


def axonal_probability(x, spec: nets.IzhNetwork) -> np.ndarray:
    """Probability that a pulse at field(s) ``x`` activates the axon arbor of a cell of each
    kind; shape (..., K) like :func:`direct_probability` (inhibitory kinds: their somatic
    probability, i.e. no axon-only activation). Threshold ``axon_x50_ratio`` × the somatic
    one, same spread (:class:`mechtms.network.networks.IzhNetwork`)."""
    ratio = float(spec.axon_x50_ratio)
    x = np.asarray(x, dtype=float)
    soma = direct_probability(x, spec)
    ax = direct_probability(x / ratio, spec)
    types = getattr(spec, "cell_types", None)
    excit = np.array([t.role == "E" for t in types]) if types else np.array([True, False])
    return np.where(excit, np.maximum(ax, soma), soma)


def pulse_field(protocol, spec: nets.IzhNetwork, *, n_neurons: int, dt_ms: float,
                x_rmt: float | None = None, need: bool = True) -> dict:
    """The field of a protocol's pulses in model units, % RMT and V/m.

    % RMT and % AMT protocols map through the network's calibrated motor threshold
    (``x = x_rmt · intensity / 100``); V/m protocols through the threshold model of
    :mod:`mechtms.network.efield` (``x = field / field_unit_vm(waveform)``), and their %
    RMT is then ``100 · x / x_rmt``. ``need=False`` (no pulse delivered) skips the
    calibration.

    Returns
    -------
    dict with ``x`` (model units), ``intensity_rmt`` (%), ``field_vm`` (V/m), ``x_rmt``
    (model units or None) and ``waveform``.
    """
    from . import efield

    waveform = efield.check_waveform(getattr(protocol, "waveform", "biphasic"))
    if x_rmt is not None:
        x_rmt = _checks.finite_number("x_rmt", x_rmt, low=0.0, low_open=True)
    if protocol.intensity_ref == "V/m":
        field = _checks.finite_number("intensity (V/m)", protocol.intensity, low=0.0, high=500.0)
        x = float(efield.vm_to_model(field, waveform, spec))
        if need and x_rmt is None:
            x_rmt = calibrate_rmt(spec, n_neurons=n_neurons, dt_ms=dt_ms)
        pct = 100.0 * x / x_rmt if x_rmt else float("nan")
        return {"x": x, "intensity_rmt": pct, "field_vm": field, "x_rmt": x_rmt, "waveform": waveform}
    pct = check_intensity(protocol.intensity_rmt)
    if need and x_rmt is None:
        x_rmt = calibrate_rmt(spec, n_neurons=n_neurons, dt_ms=dt_ms)
    x = x_rmt * pct / 100.0 if x_rmt is not None else float("nan")
    return {"x": x, "intensity_rmt": pct, "field_vm": float(efield.model_to_vm(x, waveform, spec)),
            "x_rmt": x_rmt, "waveform": waveform}


def recruitment(intensity_rmt, network="cortex", *, n_neurons: int | None = None,
                dt_ms: float | None = None, x_rmt: float | None = None) -> dict:
    """Fraction of E and I cells directly activated by one pulse at ``intensity_rmt`` % RMT.

    Parameters
    ----------
    intensity_rmt : float
        0–250 % RMT.
    network : str or IzhNetwork
    x_rmt : float, optional
        Field at 100 % RMT; calibrated (and cached) with :func:`calibrate_rmt` if omitted.

    Returns
    -------
    dict ``{"E": p_E, "I": p_I, "x": field}`` (layered networks: one entry per cell type
    and "E"/"I" as the means over excitatory/inhibitory cells); p rises with intensity.
    """
    intensity_rmt = check_intensity(intensity_rmt)
    spec = nets.get(network)
    if x_rmt is None:
        x_rmt = calibrate_rmt(spec, n_neurons=n_neurons, dt_ms=dt_ms)
    x = x_rmt * intensity_rmt / 100.0
    p = direct_probability(x, spec)
    types = getattr(spec, "cell_types", None)
    if not types:
        return {"E": float(p[0]), "I": float(p[1]), "x": float(x)}
    out = {t.name: float(q) for t, q in zip(types, p, strict=True)}
    for role, key in (("E", "E"), ("I", "I")):
        sel = [(t.fraction, q) for t, q in zip(types, p, strict=True) if (t.role == "E") == (role == "E")]
        out[key] = float(sum(f * q for f, q in sel) / sum(f for f, _ in sel))
    out["x"] = float(x)
    return out


def evoked_spikes_per_cell(counts: np.ndarray, pulse_bins: np.ndarray, n_exc: int) -> np.ndarray:
    """E spikes per E cell in the response window after each pulse; (P,) from (T, 2) counts."""
    lo, hi = RESPONSE_WINDOW_MS
    csum = np.concatenate([[0], np.cumsum(counts[:, 0])])
    a = np.clip(pulse_bins + lo, 0, len(counts))
    b = np.clip(pulse_bins + hi, 0, len(counts))
    return (csum[b] - csum[a]) / n_exc


def response_probability(spec, x, *, n_neurons: int, dt_ms: float, n_pulses: int, seed: int,
                         run_seed: int = 0, isi_ms: float = CALIBRATION_ISI_MS
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Simulate ``n_pulses`` single pulses at fields ``x`` (scalar or (n_pulses,)).

    The network instance is that of ``seed``; ``run_seed`` selects the trial noise.

    Returns
    -------
    x : (P,) float, responded : (P,) bool
    """
    x = np.broadcast_to(np.asarray(x, dtype=float), (n_pulses,)).copy()
    steps_per_ms = int(round(1.0 / dt_ms))
    first_ms = 1000.0
    pulse_ms = first_ms + np.arange(n_pulses) * isi_ms
    steps = np.round(pulse_ms * steps_per_ms).astype(np.int64)
    n_steps = int(steps[-1] + isi_ms * steps_per_ms)
    r = _engine.run(spec, n_neurons=n_neurons, dt_ms=dt_ms, n_steps=n_steps, seed=seed,
                    run_seed=run_seed, pulse_steps=steps, p_direct=direct_probability(x, spec),
                    p_axon=axonal_probability(x, spec), record_lfp=False)
    ev = evoked_spikes_per_cell(r.counts, np.round(pulse_ms).astype(np.int64), r.built.n_exc)
    return x, ev >= RESPONSE_SPIKES_PER_CELL


def _fit_probit(x, y):
    """Maximum-likelihood probit in log x: returns (mu, s) with P = Φ((ln x − mu)/s)."""
    lx = np.log(x)

    def nll(theta):
        mu, log_s = theta
        p = np.clip(norm.cdf((lx - mu) / np.exp(log_s)), 1e-9, 1 - 1e-9)
        return -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))

    mu0 = float(np.median(lx))
    res = optimize.minimize(nll, [mu0, np.log(0.3)], method="Nelder-Mead",
                            options={"xatol": 1e-5, "fatol": 1e-8, "maxiter": 2000})
    return float(res.x[0]), float(np.exp(res.x[1]))


def _cache_path() -> Path:
    root = os.environ.get("MECHTMS_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "mechtms")
    return Path(root) / "network_rmt.json"


def _key(spec, n, dt_ms, seed, n_pulses) -> str:
    text = repr((__version__, ENGINE_REVISION, spec, n, round(dt_ms, 9), seed, n_pulses,
                 RESPONSE_SPIKES_PER_CELL, RESPONSE_WINDOW_MS, CALIBRATION_ISI_MS))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def calibrate_rmt(network="cortex", *, n_neurons: int | None = None, dt_ms: float | None = None,
                  seed: int = 0, n_pulses: int = 600, cache: bool = True) -> float:
    """Field (model units) at which half of single pulses evoke a population response.

    Two stages of single pulses every 300 ms on the network instance of ``seed``:
    ``n_pulses // 3`` at log-uniform fields in [0.1, 3] locate the threshold, the rest at
    ±2 probit widths around it refine it; a maximum-likelihood probit fit in ln x gives
    the 50 % point. About 2.5 s of compute per 100 pulses for 1,000 neurons at 0.1 ms.
    Other seeds' network instances use the same ``x_rmt`` (1,000 inputs per neuron make
    instances alike). Results are cached in memory and on disk
    (``$MECHTMS_CACHE_DIR/network_rmt.json``, default ``~/.cache/mechtms``) keyed by the
    network definition, size, dt, seed, pulse count and package version.

    Returns
    -------
    x_rmt : float
    """
    spec = nets.get(network)
    n = _checks.whole_number("n_neurons", n_neurons if n_neurons is not None else spec.n_neurons, low=10)
    dt_ms = _checks.finite_number("dt_ms", dt_ms if dt_ms is not None else spec.dt_ms, low=0, low_open=True)
    n_pulses = _checks.whole_number("n_pulses", n_pulses, low=30)
    key = _key(spec, n, dt_ms, seed, n_pulses)

    def responses(x, run_seed):
        return response_probability(spec, x, n_neurons=n, dt_ms=dt_ms, n_pulses=x.size, seed=seed,
                                    run_seed=run_seed)

    return cached_threshold(_cache_path(), key, _MEMORY, cache,
                            lambda: two_stage_threshold(responses, seed, n_pulses, x_high=3.0))


def two_stage_threshold(responses, seed: int, n_pulses: int, *, x_high: float, clip_high: bool = False) -> float:
    """The 50 % point of a response curve by the two-stage probit procedure of :func:`calibrate_rmt`.

    ``responses(x, run_seed) -> (x, responded)`` runs single pulses at fields ``x`` (run 1: a
    third of ``n_pulses`` at log-uniform fields in [0.1, ``x_high``]; run 2: the rest at ±2
    probit widths around the first estimate, capped at ``x_high`` when ``clip_high``) and
    returns the fields used and whether each pulse evoked a response. The draws come from
    ``seed``; the result is exp of the maximum-likelihood probit mean in ln x.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
    n1 = n_pulses // 3
    x1 = np.exp(rng.uniform(np.log(0.1), np.log(x_high), n1))
    xa, ya = responses(x1, 1)
    mu, s = _fit_probit(xa, ya)
    s = min(max(s, 0.02), 0.5)
    x2 = np.exp(rng.uniform(mu - 2 * s, mu + 2 * s, n_pulses - n1))
    if clip_high:
        x2 = np.minimum(x2, x_high)
    xb, yb = responses(x2, 2)
    mu, s = _fit_probit(np.r_[xa, xb], np.r_[ya, yb])
    return float(np.exp(mu))


def cached_threshold(path: Path, key: str, memory: dict, cache: bool, compute) -> float:
    """``compute()``, kept in ``memory`` and in the JSON file ``path`` under ``key`` when ``cache``."""
    if cache and key in memory:
        return memory[key]
    if cache and path.exists():
        try:
            stored = json.loads(path.read_text())
            if key in stored:
                memory[key] = float(stored[key])
                return memory[key]
        except (OSError, ValueError):
            pass
    value = compute()
    if cache:
        memory[key] = value
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            stored = json.loads(path.read_text()) if path.exists() else {}
            stored[key] = value
            path.write_text(json.dumps(stored, indent=1))
        except (OSError, ValueError):
            pass
    return value
