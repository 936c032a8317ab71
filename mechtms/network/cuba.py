"""The CUBA benchmark network of Brette et al. 2007 (J Comput Neurosci 23:349), for speed checks.

4,000 leaky integrate-and-fire neurons (3,200 E, 800 I), connection probability 0.02,
current-based exponential synapses (tau_e 5 ms, tau_i 10 ms), tau_m 20 ms, threshold
−50 mV, reset −60 mV, rest −49 mV, refractory 5 ms, jumps 60·0.27/10 mV (E) and
−20·4.5/10 mV (I), v initialised uniformly in [−60, −50] mV; as in the Brian2 example
``CUBA.py``. Integrated with exact propagators at 0.1 ms. Not used by the TMS model.
"""

from __future__ import annotations

import time

import numpy as np

from .. import _checks
from ._kernels import LifParams, lif_run

TAU_M, TAU_E, TAU_I = 20.0, 5.0, 10.0
V_TH, V_RESET, E_L, T_REF = -50.0, -60.0, -49.0, 5.0
W_E, W_I = 60 * 0.27 / 10, -20 * 4.5 / 10


def _coef(tau_s: float, dt: float) -> float:
    """Exact propagator from a decaying synaptic term (tau_s) to v (tau_m) over one step."""
    return tau_s / (tau_s - TAU_M) * (np.exp(-dt / tau_s) - np.exp(-dt / TAU_M))


def build(n_neurons: int = 4000, p_connect: float = 0.02, seed: int = 0):
    """Random connectivity (each pair with probability ``p_connect``), CSR by source."""
    rng = np.random.default_rng(seed)
    n = n_neurons
    indptr = np.zeros(n + 1, dtype=np.int64)
    rows = []
    for j in range(n):
        t = np.flatnonzero(rng.random(n) < p_connect).astype(np.int32)
        rows.append(t)
        indptr[j + 1] = indptr[j] + t.size
    v0 = V_RESET + rng.random(n) * (V_TH - V_RESET)
    return indptr, np.concatenate(rows), v0


def simulate(duration_s: float = 1.0, n_neurons: int = 4000, dt_ms: float = 0.1, seed: int = 0) -> dict:
    """Run CUBA; returns rates (Hz), synaptic events, and build and run wall times (s)."""
    duration_s = _checks.finite_number("duration_s", duration_s, low=0, low_open=True)
    n = _checks.whole_number("n_neurons", n_neurons, low=10)
    t0 = time.perf_counter()
    indptr, indices, v = build(n, seed=seed)
    t_build = time.perf_counter() - t0
    n_exc = int(round(0.8 * n))
    p = LifParams(decay_m=float(np.exp(-dt_ms / TAU_M)), decay_e=float(np.exp(-dt_ms / TAU_E)),
                  decay_i=float(np.exp(-dt_ms / TAU_I)), coef_e=float(_coef(TAU_E, dt_ms)),
                  coef_i=float(_coef(TAU_I, dt_ms)), el=E_L, v_th=V_TH, v_reset=V_RESET,
                  ref_steps=int(round(T_REF / dt_ms)), w_e=W_E, w_i=W_I, n_exc=n_exc)
    n_steps = int(round(duration_s * 1000 / dt_ms))
    counts = np.zeros((n_steps, 2), dtype=np.int32)
    ge, gi, ref = np.zeros(n), np.zeros(n), np.zeros(n, dtype=np.int64)
    t0 = time.perf_counter()
    events = lif_run(p, v, ge, gi, ref, indptr, indices, counts, 0, n_steps)
    t_run = time.perf_counter() - t0
    return {"rate_hz": counts.sum() / n / duration_s, "rate_E_hz": counts[:, 0].sum() / n_exc / duration_s,
            "events": int(events), "build_s": t_build, "run_s": t_run, "n_synapses": int(indices.size)}
