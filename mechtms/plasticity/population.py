"""A population of synapses driven by what the network's sampled E->E synapses saw.

:func:`events_from_activity` turns a :class:`~mechtms.network.activity.SynapseActivity`
into the integrator's per-synapse event lists: presynaptic arrivals become releases
(with the synapse's unitary EPSP), postsynaptic spikes become bAP arrivals
``bap_delay_s`` later, compound depolarisations keep their onset and peak.
:func:`integrate` runs the numba integrator (:mod:`mechtms.plasticity._kernel`) over
the population; :func:`initial_state` and :func:`resting_state` build its start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _kernel as K

#: Integrator tolerances (Ca, K, M in uM; W dimensionless): after-effects within 0.01
#: percentage points of rtol 1e-8 (benchmarks/plasticity_speed.py prints the comparison).
RTOL, ATOL = 1e-5, 1e-6
#: Largest step (s) and first step after an event (s).
H_MAX, H_EVENT = 1e4, 1e-3


@dataclass(frozen=True)
class Events:
    """Per-synapse event lists in CSR form (sorted by time, then kind)."""

    ptr: np.ndarray    # (S+1,) int64
    t: np.ndarray      # (E,) float64, s
    kind: np.ndarray   # (E,) int64: 0 depolarisation, 1 release, 2 bAP arrival
    amp: np.ndarray    # (E,) float64, mV

    @property
    def n_synapses(self) -> int:
        return int(self.ptr.shape[0] - 1)


def merge_events(per_kind, n_synapses: int) -> Events:
    """Merge ``[(ptr, times, amps), ...]`` in kind order 0, 1, 2 into one sorted CSR."""
    syn, t, kind, amp = [], [], [], []
    for k, (ptr, times, amps) in enumerate(per_kind):
        counts = np.diff(ptr)
        syn.append(np.repeat(np.arange(n_synapses), counts))
        t.append(np.asarray(times, dtype=float))
        kind.append(np.full(times.shape[0], k, dtype=np.int64))
        amp.append(np.asarray(amps, dtype=float))
    s_all, t_all, k_all, a_all = (np.concatenate(v) for v in (syn, t, kind, amp))
    order = np.lexsort((k_all, t_all, s_all))
    ptr = np.zeros(n_synapses + 1, dtype=np.int64)
    np.cumsum(np.bincount(s_all, minlength=n_synapses), out=ptr[1:])
    return Events(ptr, t_all[order].copy(), k_all[order].copy(), a_all[order].copy())


def events_from_activity(activity, bap_delay_s: float) -> Events:
    """Event lists of every sampled synapse of ``activity`` (a SynapseActivity)."""
    a = activity
    n = a.n_synapses
    pre_syn = np.repeat(np.arange(n), np.diff(a.pre_ptr))
    return merge_events([
        (a.depol_ptr, a.depol_times_s, a.depol_mV),
        (a.pre_ptr, a.pre_times_s, a.weight_mV[pre_syn]),
        (a.post_ptr, a.post_times_s + bap_delay_s, np.zeros(a.post_times_s.shape[0])),
    ], n)


def initial_state(n_synapses: int, W=1.0, M=0.0, x=1.0) -> np.ndarray:
    """(S, N_STATE) state at rest: receptors unbound, no depolarisation, Ca = 0."""
    y = np.zeros((n_synapses, K.N_STATE))
    y[:, 0] = x
    y[:, K.I_W] = W
    y[:, K.I_M] = M
    return y


def resting_state(y: np.ndarray) -> np.ndarray:
    """The state with every fast variable back at rest and ``Ca_int`` reset (W and M kept)."""
    out = initial_state(y.shape[0], W=y[:, K.I_W], M=np.maximum(y[:, K.I_M], 0.0))
    return out


@dataclass
class Run:
    """Output of :func:`integrate`."""

    y_end: np.ndarray   # (S, N_STATE)
    rec: np.ndarray     # (S, R, len(RECORDED))
    stats: np.ndarray   # (S, len(STATS))
    rec_t: np.ndarray   # (R,)


def integrate(params: K.SynParams, events: Events, y0: np.ndarray, t0: float, t1: float, *,
              g_homeo=None, ca_bg=None, rec_t=None, rtol: float = RTOL, atol: float = ATOL) -> Run:
    """Integrate the population from ``t0`` to ``t1`` (s), recording at ``rec_t``.

    ``g_homeo``: (S,) homeostatic factor of each synapse's NMDA calcium (default 1);
    ``ca_bg``: (S,) background calcium, µM, that K and M integrate against (default 0).
    """
    n = events.n_synapses
    g = np.ones(n) if g_homeo is None else np.ascontiguousarray(g_homeo, dtype=float)
    if g.shape != (n,):
        raise ValueError(f"g_homeo must have shape ({n},), got {g.shape}")
    cb = np.zeros(n) if ca_bg is None else np.ascontiguousarray(ca_bg, dtype=float)
    if y0.shape != (n, K.N_STATE):
        raise ValueError(f"y0 must have shape ({n}, {K.N_STATE}), got {y0.shape}")
    rec_times = np.zeros(0) if rec_t is None else np.ascontiguousarray(rec_t, dtype=float)
    y_end = np.empty((n, K.N_STATE))
    rec = np.zeros((n, rec_times.shape[0], len(K.RECORDED)))
    stats = np.zeros((n, len(K.STATS)))
    K.run_population(params, g, cb, events.ptr, events.t, events.kind, events.amp, np.ascontiguousarray(y0, dtype=float),
                     float(t0), float(t1), rec_times, float(rtol), float(atol), H_MAX, H_EVENT, y_end, rec, stats)
    return Run(y_end, rec, stats, rec_times)
