"""What sampled E→E synapses of the network see during a session: the network → plasticity hand-off.

:class:`SynapseActivity` is the contract between the spiking network and the synapse
model (:mod:`mechtms.plasticity`): per sampled synapse, ragged event lists stored in CSR
form (the events of synapse ``s`` are ``times[ptr[s]:ptr[s + 1]]``, sorted):

``pre``
    presynaptic action potentials arriving at the synapse (the presynaptic cell's spike
    time plus the axonal delay). A cell that the pulse activates directly fires, so
    recruitment — rising with intensity — reaches the synapse here.
``post``
    somatic spikes of the postsynaptic cell; each sends a back-propagating action
    potential into the spine.
``depol``
    compound synaptic depolarisation of the postsynaptic cell after each stimulus event
    (a TMS pulse; for PAS also the afferent volley): onset time and peak (mV above the
    level at onset, the network's passive membrane tracer, tau_m). Asynchronous
    background input is not listed: its mean is the resting potential.

Times are seconds on the session clock: the first TMS pulse is at 0, the record starts
``baseline_s`` before it (negative times) and ends ``post_s`` after the last pulse.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from .. import _checks


def _csr(groups: np.ndarray, values: np.ndarray, n: int, *extra: np.ndarray):
    """CSR pointer and values sorted by (group, value); ``extra`` arrays follow the same order."""
    order = np.lexsort((values, groups))
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(groups, minlength=n), out=ptr[1:])
    return (ptr, values[order], *(e[order] for e in extra))


@dataclass(frozen=True)
class SynapseActivity:
    """Event trains of ``n_synapses`` sampled E→E synapses over one session (times in s).

    Attributes
    ----------
    pre_ptr, pre_times_s : (S+1,) int64, (K,) float64
        Presynaptic spike arrivals per synapse.
    post_ptr, post_times_s : (S+1,) int64, (L,) float64
        Postsynaptic somatic spikes per synapse (bAP sources).
    depol_ptr, depol_times_s, depol_mV : (S+1,) int64, (D,) float64, (D,) float64
        Compound depolarisation events of the postsynaptic cell: onset (s) and peak (mV).
    weight_mV : (S,) float64
        Unitary EPSP of each sampled synapse at its current network weight, mV.
    pulse_times_s : (P,) float64
        Delivered TMS pulses (empty for a sham).
    afferent_times_s : (A,) float64
        Afferent volley arrivals at the cortex (PAS; empty otherwise).
    t_start_s, t_end_s : float
        Span of the record.
    meta : dict
        Provenance: network, seed, intensity, weight scale, recruitment fractions, ...
    """

    pre_ptr: np.ndarray
    pre_times_s: np.ndarray
    post_ptr: np.ndarray
    post_times_s: np.ndarray
    depol_ptr: np.ndarray
    depol_times_s: np.ndarray
    depol_mV: np.ndarray
    weight_mV: np.ndarray
    pulse_times_s: np.ndarray
    afferent_times_s: np.ndarray
    t_start_s: float
    t_end_s: float
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        s = self.n_synapses
        for name in ("post_ptr", "depol_ptr"):
            if getattr(self, name).shape != (s + 1,):
                raise ValueError(f"{name} must have shape ({s + 1},), got {getattr(self, name).shape}")
        if self.weight_mV.shape != (s,):
            raise ValueError(f"weight_mV must have shape ({s},), got {self.weight_mV.shape}")
        for ptr, values, name in ((self.pre_ptr, self.pre_times_s, "pre"), (self.post_ptr, self.post_times_s, "post"),
                                  (self.depol_ptr, self.depol_times_s, "depol")):
            if ptr[0] != 0 or ptr[-1] != values.shape[0] or np.any(np.diff(ptr) < 0):
                raise ValueError(f"{name}_ptr is not a CSR pointer into {values.shape[0]} {name} events")
        if self.depol_mV.shape != self.depol_times_s.shape:
            raise ValueError("depol_mV and depol_times_s differ in length")
        if not self.t_end_s > self.t_start_s:
            raise ValueError(f"t_end_s ({self.t_end_s}) must be after t_start_s ({self.t_start_s})")

    @property
    def n_synapses(self) -> int:
        return int(self.pre_ptr.shape[0] - 1)

    def pre(self, s: int) -> np.ndarray:
        """Presynaptic arrivals of synapse ``s``, s."""
        return self.pre_times_s[self.pre_ptr[s]:self.pre_ptr[s + 1]]

    def post(self, s: int) -> np.ndarray:
        """Postsynaptic spikes of synapse ``s``, s."""
        return self.post_times_s[self.post_ptr[s]:self.post_ptr[s + 1]]

    def depol(self, s: int) -> tuple[np.ndarray, np.ndarray]:
        """Compound depolarisation events of synapse ``s``: (onsets s, peaks mV)."""
        sl = slice(self.depol_ptr[s], self.depol_ptr[s + 1])
        return self.depol_times_s[sl], self.depol_mV[sl]

    def rates_hz(self) -> dict[str, float]:
        """Mean presynaptic and postsynaptic rates per synapse over the record, Hz."""
        span = self.t_end_s - self.t_start_s
        n = max(self.n_synapses, 1)
        return {"pre": self.pre_times_s.size / n / span, "post": self.post_times_s.size / n / span}

    @classmethod
    def from_trains(cls, pre: list, post: list, depol: list | None = None, *, weight_mV=None,
                    pulse_times_s=(), afferent_times_s=(), t_start_s: float = 0.0,
                    t_end_s: float | None = None, meta: dict | None = None) -> SynapseActivity:
        """Build from per-synapse lists (for tests and hand-made drives).

        ``pre[s]``, ``post[s]``: spike times (s); ``depol[s]``: ``(onsets, peaks_mV)`` or None.
        """
        n = len(pre)
        if len(post) != n or (depol is not None and len(depol) != n):
            raise ValueError(f"pre, post and depol must list the same synapses (got {len(pre)}, {len(post)}, "
                             f"{None if depol is None else len(depol)})")

        def pack(lists):
            ptr = np.zeros(n + 1, dtype=np.int64)
            arrays = [np.sort(np.asarray(x, dtype=float).ravel()) for x in lists]
            np.cumsum([a.size for a in arrays], out=ptr[1:])
            return ptr, (np.concatenate(arrays) if arrays else np.zeros(0))

        pre_ptr, pre_t = pack(pre)
        post_ptr, post_t = pack(post)
        d_ptr = np.zeros(n + 1, dtype=np.int64)
        d_t, d_v = np.zeros(0), np.zeros(0)
        if depol is not None:
            ts, vs = [], []
            for item in depol:
                t, v = (np.zeros(0), np.zeros(0)) if item is None else (np.asarray(item[0], float), np.asarray(item[1], float))
                order = np.argsort(t, kind="stable")
                ts.append(t[order])
                vs.append(v[order])
            np.cumsum([t.size for t in ts], out=d_ptr[1:])
            d_t, d_v = np.concatenate(ts), np.concatenate(vs)
        everything = np.concatenate([pre_t, post_t, d_t, [t_start_s]])
        end = float(everything.max()) + 1.0 if t_end_s is None else float(t_end_s)
        w = np.full(n, 0.25) if weight_mV is None else np.asarray(weight_mV, dtype=float)
        return cls(pre_ptr, pre_t, post_ptr, post_t, d_ptr, d_t, d_v, w, np.asarray(pulse_times_s, float),
                   np.asarray(afferent_times_s, float), float(t_start_s), end, dict(meta or {}))


def synapse_activity(protocol, network: str = "cortex", *, seed: int = 0, n_synapses: int = 100,
                     weight_scale_ee: float = 1.0, baseline_s: float = 1.0, post_s: float = 0.5,
                     n_neurons: int | None = None, dt_ms: float | None = None, x_rmt: float | None = None,
                     window_ms: float = 15.0) -> SynapseActivity:
    """Run the network over a whole session and return what ``n_synapses`` sampled E→E synapses saw.

    Parameters
    ----------
    protocol : mechtms.protocols.Protocol
        The session (a sham gives the network's spontaneous activity on the same clock).
    network : str
        An Izhikevich network of :mod:`mechtms.network.networks` (default ``"cortex"``).
    seed : int
        Network instance, noise, recruitment and the synapse sample.
    n_synapses : int
        Sampled E→E synapses (1-2000).
    weight_scale_ee : float
        E→E weight factor (the plasticity state carried between sessions).
    baseline_s, post_s : float
        Spontaneous activity recorded before the first and after the last pulse, s.
    window_ms : float
        Window after each pulse in which the compound depolarisation peak is taken
        (shortened to the shortest inter-pulse interval).

    Returns
    -------
    SynapseActivity
    """
    from .simulate import _check_common, _schedule
    from . import _engine, stimulation

    if protocol is None:
        raise ValueError("synapse_activity needs a protocol (use protocols.sham(p) for spontaneous activity)")
    if protocol.kind == "pas" and not protocol.sham:
        raise ValueError("the network does not deliver PAS afferent volleys yet")
    spec, n, dt, seed, w = _check_common(network, n_neurons, dt_ms, seed, weight_scale_ee)
    n_synapses = _checks.whole_number("n_synapses", n_synapses, low=1, high=2000)
    baseline_s = _checks.finite_number("baseline_s", baseline_s, low=0.0)
    post_s = _checks.finite_number("post_s", post_s, low=0.0)
    sched, deliv, total, intensity = _schedule(protocol, baseline_s, post_s, None)
    steps_per_ms = int(round(1.0 / dt))
    n_steps = int(round(total * 1000.0 * steps_per_ms))
    p_direct = np.zeros((deliv.size, 2))
    if deliv.size:
        if x_rmt is None:
            x_rmt = stimulation.calibrate_rmt(spec, n_neurons=n, dt_ms=dt)
        p_direct[:] = stimulation.direct_probability(x_rmt * intensity / 100.0, spec)
    pulse_steps = np.round(deliv * 1000.0 * steps_per_ms).astype(np.int64)
    isi_ms = np.diff(sched) * 1000.0
    win_ms = min(window_ms, float(isi_ms.min()) if isi_ms.size else window_ms)
    win_len = max(1, int(round(win_ms * steps_per_ms)))
    win_steps = np.round(deliv * 1000.0 * steps_per_ms).astype(np.int64)

    res = _engine.run(spec, n_neurons=n, dt_ms=dt, n_steps=n_steps, seed=seed, weight_scale_ee=w,
                      pulse_steps=pulse_steps, p_direct=p_direct, win_steps=win_steps, win_len=win_len,
                      n_sample_syn=n_synapses, record_raster=True)
    built = res.built
    delay_s = float(built.delays[0]) * dt * 1e-3 if built.delays.size else 0.0
    spike_t = res.spk_step * dt * 1e-3 - baseline_s
    pre_cells = res.track[res.syn_pre]
    post_cells = res.track[res.syn_post]
    s_count = pre_cells.shape[0]

    def trains(cells, shift):
        # events of every sampled synapse whose cell is `cells[s]`
        order = np.argsort(res.spk_idx, kind="stable")
        idx_sorted, t_sorted = res.spk_idx[order], spike_t[order]
        lo = np.searchsorted(idx_sorted, cells, side="left")
        hi = np.searchsorted(idx_sorted, cells, side="right")
        ptr = np.zeros(s_count + 1, dtype=np.int64)
        np.cumsum(hi - lo, out=ptr[1:])
        times = np.concatenate([t_sorted[a:b] for a, b in zip(lo, hi, strict=True)]) + shift if s_count else np.zeros(0)
        return ptr, times

    pre_ptr, pre_t = trains(pre_cells, delay_s)
    post_ptr, post_t = trains(post_cells, 0.0)
    onsets = deliv - baseline_s
    n_w = onsets.size
    d_groups = np.repeat(np.arange(s_count), n_w)
    d_times = np.tile(onsets, s_count)
    d_peaks = res.epsp[:, res.syn_post].T.ravel() if n_w else np.zeros(0)
    d_ptr, d_times, d_peaks = _csr(d_groups, d_times, s_count, d_peaks)

    # unitary EPSP: the reference weight (charge of one spike, mV) before the current-jump scaling
    scale_e = (1.0 - built.decay_e) / dt if built.decay_e else 1.0 / dt
    weight_mV = np.empty(s_count)
    for k, (a, b) in enumerate(zip(pre_cells, post_cells, strict=True)):
        lo, hi = built.indptr[a], built.indptr[a + 1]
        weight_mV[k] = built.weights[lo + int(np.flatnonzero(built.indices[lo:hi] == b)[0])] / scale_e
    meta = {
        "network": spec.name, "seed": seed, "n_neurons": n, "dt_ms": dt, "weight_scale_ee": w,
        "protocol": protocol.label(), "protocol_json": json.dumps(protocol.summary(), sort_keys=True),
        "intensity_rmt": intensity, "x_rmt": float(x_rmt) if x_rmt is not None else float("nan"),
        "p_direct_E": float(p_direct[0, 0]) if deliv.size else 0.0,
        "p_direct_I": float(p_direct[0, 1]) if deliv.size else 0.0,
        "axonal_delay_ms": delay_s * 1e3, "depol_window_ms": win_len * dt,
        "rate_E_hz": float(res.counts[:, 0].sum() / built.n_exc / total),
    }
    return SynapseActivity(pre_ptr, pre_t, post_ptr, post_t, d_ptr, d_times, d_peaks, weight_mV,
                           deliv - baseline_s, protocol.delivered_afferent_times_s().astype(float),
                           -baseline_s, total - baseline_s, meta)
