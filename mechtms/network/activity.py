"""What sampled E→E synapses of the network see during a session: the network → plasticity hand-off.

:class:`SynapseActivity` is the contract between the spiking network and the synapse
model (:mod:`mechtms.plasticity`): per sampled synapse, ragged event lists stored in CSR
form (the events of synapse ``s`` are ``times[ptr[s]:ptr[s + 1]]``, sorted):

``pre``
    presynaptic release events arriving at the synapse: the presynaptic cell's spikes
    plus the axonal delay, and (flagged in ``pre_axonal``) the pulses that activated only
    its axon arbor, below the somatic threshold (release without a somatic spike; see
    ``IzhNetwork.axon_x50_ratio``). Both rise with intensity.
``post``
    somatic spikes of the postsynaptic cell; each sends a back-propagating action
    potential into the spine.
``depol``
    compound synaptic depolarisation of the postsynaptic cell after each stimulus event
    (a delivered TMS pulse; for PAS also the arrival of each afferent volley at the
    cortex): onset time and peak (mV above the level at onset, the network's passive
    membrane tracer, tau_m), taken until the next stimulus event or ``window_ms``.
    Asynchronous background input is not listed: its mean is the resting potential.

Times are seconds on the session clock: the first TMS pulse is at 0, the record starts
``baseline_s`` before it (negative times) and ends ``post_s`` after the last pulse.

The network runs the whole session; only the tracked cells' spikes are kept (inside the
kernel), so memory grows with the sample and the session, not with the network: a 1 Hz
x 900 session (900 s) with 100 synapses keeps about 1.5 M spikes.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import cast

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
        Onsets of the afferent volleys at the cortex (PAS: nerve stimulus +
        ``meta["afferent_latency_ms"]``; the nerve stimuli are ``meta["nerve_times_s"]``);
        empty otherwise.
    t_start_s, t_end_s : float
        Span of the record.
    meta : dict
        Provenance: network, seed, intensity, weight scale, recruitment fractions, and
        ``pre_fire_frac`` ((P,) fraction of the sampled presynaptic cells firing within
        ``pre_fire_window_ms`` of each pulse; its mean ``pre_fire_frac_mean``),
        ``pre_axon_frac`` ((P,) fraction of the sampled presynaptic cells whose axon the
        pulse activated, with or without a somatic spike; mean ``pre_axon_frac_mean``) and
        ``pre_axon_only_frac`` (without a somatic spike); ``pre_type``/``post_type`` ((S,)
        cell type of each synapse's cells) and ``pathways`` (counts per pre->post type).
    pre_afferent, post_afferent : (S,) bool
        Whether the synapse's presynaptic / postsynaptic cell receives the afferent
        volleys (all False without PAS).
    pre_axonal : (K,) bool
        Aligned with ``pre_times_s``: True for a release caused by the pulse activating the
        presynaptic axon alone (no somatic spike), False for a spike of the cell.
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
    pre_afferent: np.ndarray | None = None
    post_afferent: np.ndarray | None = None
    pre_axonal: np.ndarray | None = None

    def __post_init__(self) -> None:
        s = self.n_synapses
        flags = (np.zeros(self.pre_times_s.shape, dtype=bool) if self.pre_axonal is None
                 else np.asarray(self.pre_axonal, dtype=bool))
        if flags.shape != self.pre_times_s.shape:
            raise ValueError(f"pre_axonal must have the shape of pre_times_s {self.pre_times_s.shape}, got {flags.shape}")
        object.__setattr__(self, "pre_axonal", flags)
        for name in ("pre_afferent", "post_afferent"):
            value = getattr(self, name)
            value = np.zeros(s, dtype=bool) if value is None else np.asarray(value, dtype=bool)
            if value.shape != (s,):
                raise ValueError(f"{name} must have shape ({s},), got {value.shape}")
            object.__setattr__(self, name, value)
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
        """Presynaptic arrivals of synapse ``s``, s (spikes and axon-only releases)."""
        return self.pre_times_s[self.pre_ptr[s]:self.pre_ptr[s + 1]]

    def pre_is_axonal(self, s: int) -> np.ndarray:
        """For each arrival of :meth:`pre`: True if the pulse activated only the axon."""
        flags = cast(np.ndarray, self.pre_axonal)  # an array after __post_init__
        return flags[self.pre_ptr[s]:self.pre_ptr[s + 1]]

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


#: Window after a pulse in which a presynaptic spike counts as pulse-evoked (direct
#: activation fires at the pulse, synaptic recruitment within a few ms), ms.
PRE_FIRE_WINDOW_MS = 5.0


def _event_windows(event_steps: np.ndarray, max_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Unique sorted window starts and their lengths: up to the next start, at most ``max_len``."""
    starts = np.unique(np.asarray(event_steps, dtype=np.int64))
    nxt = np.r_[starts[1:], np.iinfo(np.int64).max]
    return starts, np.maximum(1, np.minimum(max_len, nxt - starts))


def _trains(spk_idx: np.ndarray, spike_t: np.ndarray, cells: np.ndarray, shift: float, flags=None):
    """CSR of the event times of ``cells[s]`` (+ ``shift``) for every entry s, sorted by time
    within each entry; ``flags`` (per event) follow the same order."""
    flags = np.zeros(spk_idx.shape, dtype=bool) if flags is None else flags
    order = np.lexsort((spike_t, spk_idx))
    idx_sorted, t_sorted, f_sorted = spk_idx[order], spike_t[order], flags[order]
    lo = np.searchsorted(idx_sorted, cells, side="left")
    hi = np.searchsorted(idx_sorted, cells, side="right")
    ptr = np.zeros(cells.shape[0] + 1, dtype=np.int64)
    np.cumsum(hi - lo, out=ptr[1:])
    parts = [t_sorted[a:b] for a, b in zip(lo, hi, strict=True)]
    times = (np.concatenate(parts) + shift) if parts else np.zeros(0)
    fl = np.concatenate([f_sorted[a:b] for a, b in zip(lo, hi, strict=True)]) if parts else np.zeros(0, bool)
    return ptr, times, fl


def pre_fire_fraction(pre_cells: np.ndarray, spk_idx: np.ndarray, spike_t: np.ndarray,
                      pulses_s: np.ndarray, window_ms: float = PRE_FIRE_WINDOW_MS) -> np.ndarray:
    """Fraction of the distinct cells ``pre_cells`` that spike in ``[pulse, pulse + window)``, per pulse."""
    cells = np.unique(pre_cells)
    if cells.size == 0 or pulses_s.size == 0:
        return np.zeros(pulses_s.size)
    mine = np.isin(spk_idx, cells)
    t, who = spike_t[mine], spk_idx[mine]
    order = np.argsort(t, kind="stable")
    t, who = t[order], who[order]
    lo = np.searchsorted(t, pulses_s - 1e-12, side="left")
    hi = np.searchsorted(t, pulses_s + window_ms * 1e-3 - 1e-12, side="left")
    return np.array([np.unique(who[a:b]).size / cells.size for a, b in zip(lo, hi, strict=True)])


def synapse_activity(protocol, network: str = "cortex", *, seed: int = 0, n_synapses: int = 100,
                     weight_scale_ee: float = 1.0, baseline_s: float = 1.0, post_s: float = 0.5,
                     n_neurons: int | None = None, dt_ms: float | None = None, x_rmt: float | None = None,
                     window_ms: float = 15.0, afferent=None, max_pulses: int | None = None, built=None,
                     stim_mask=None) -> SynapseActivity:
    """Run the network over a whole session and return what ``n_synapses`` sampled E→E synapses saw.

    Parameters
    ----------
    protocol : mechtms.protocols.Protocol
        The session (a sham gives the network's spontaneous activity on the same clock).
        PAS: each nerve stimulus sends an afferent volley to the cortex
        (:mod:`mechtms.network.afferent`).
    network : str
        An Izhikevich network of :mod:`mechtms.network.networks` (default ``"cortex"``).
    seed : int
        Network instance, noise, recruitment, afferent targets and the synapse sample.
    n_synapses : int
        Sampled E→E synapses (1-2000).
    weight_scale_ee : float
        E→E weight factor (the plasticity state carried between sessions).
    baseline_s, post_s : float
        Spontaneous activity recorded before the first and after the last pulse, s
        (``baseline_s`` must cover the PAS interval when the nerve stimulus comes first).
    window_ms : float
        Longest window after a stimulus event in which the compound depolarisation peak
        is taken (each window also ends at the next stimulus event).
    afferent : mechtms.network.afferent.AfferentVolley, optional
        How PAS nerve stimuli reach the cortex (default ``afferent.DEFAULT_VOLLEY``:
        20 ms latency, 30 % of E cells, ~6 mV).
    max_pulses : int, optional
        Simulate only the first ``max_pulses`` pulses (and their afferent volleys); the
        record ends ``post_s`` after the last of them.
    built, stim_mask
        A prebuilt network instance and the cells a pulse can activate, as in
        :func:`mechtms.network.simulate`.

    Returns
    -------
    SynapseActivity

    Examples
    --------
    >>> from mechtms import protocols
    >>> a = synapse_activity(protocols.pas(isi_ms=25, pairs=3), n_synapses=20)   # doctest: +SKIP
    >>> a.afferent_times_s - a.pulse_times_s                                     # doctest: +SKIP
    array([-0.005, -0.005, -0.005])
    """
    from . import _engine, stimulation
    from . import afferent as aff_mod
    from .simulate import _check_common, _check_volley, _direct_attrs, _schedule

    if protocol is None:
        raise ValueError("synapse_activity needs a protocol (use protocols.sham(p) for spontaneous activity)")
    spec, n, dt, seed, w = _check_common(network, n_neurons, dt_ms, seed, weight_scale_ee, built)
    n_synapses = _checks.whole_number("n_synapses", n_synapses, low=1, high=2000)
    baseline_s = _checks.finite_number("baseline_s", baseline_s, low=0.0)
    post_s = _checks.finite_number("post_s", post_s, low=0.0)
    window_ms = _checks.finite_number("window_ms", window_ms, low=0.0, low_open=True)
    volley = _check_volley(afferent)
    sched, deliv, total, intensity = _schedule(protocol, baseline_s, post_s, None)
    nerve = baseline_s + protocol.delivered_afferent_times_s()
    if max_pulses is not None:
        max_pulses = _checks.whole_number("max_pulses", max_pulses, low=1)
        if max_pulses < sched.size:
            last = sched[max_pulses - 1]
            keep = deliv <= last + 1e-12
            deliv = deliv[keep]
            nerve = nerve[:max_pulses] if nerve.size else nerve
            total = last + post_s
            sched = sched[:max_pulses]
    if nerve.size and nerve[0] < 0:
        raise ValueError(f"baseline_s={baseline_s:g} s is shorter than the PAS interval: the first nerve "
                         f"stimulus would fall before the record starts (use baseline_s >= "
                         f"{-protocol.afferent_times_s()[0]:g})")
    onsets_s = aff_mod.arrival_onsets_s(nerve, volley)
    total = max(total, float(onsets_s.max()) + volley.spread_ms * 1e-3 + post_s) if onsets_s.size else total
    steps_per_ms = int(round(1.0 / dt))
    n_steps = int(round(total * 1000.0 * steps_per_ms))
    p_direct = np.zeros((deliv.size, len(stimulation.kind_names(spec))))
    dose = stimulation.pulse_field(protocol, spec, n_neurons=n, dt_ms=dt, x_rmt=x_rmt, need=deliv.size > 0)
    intensity, x_rmt = dose["intensity_rmt"], dose["x_rmt"]
    p_axon = np.zeros_like(p_direct)
    if deliv.size:
        p_direct[:] = stimulation.direct_probability(dose["x"], spec)
        p_axon[:] = stimulation.axonal_probability(dose["x"], spec)
    pulse_steps = np.round(deliv * 1000.0 * steps_per_ms).astype(np.int64)
    onset_steps = np.round(onsets_s * 1000.0 * steps_per_ms).astype(np.int64)
    win_steps, win_len = _event_windows(np.r_[pulse_steps, onset_steps],
                                        max(1, int(round(window_ms * steps_per_ms))))
    event_s = np.r_[deliv, onsets_s]  # the event time of each window (first event of its step)
    event_steps = np.r_[pulse_steps, onset_steps]
    first = np.unique(event_steps, return_index=True)[1]

    res = _engine.run(spec, n_neurons=n, dt_ms=dt, n_steps=n_steps, seed=seed, weight_scale_ee=w,
                      pulse_steps=pulse_steps, p_direct=p_direct, p_axon=p_axon, win_steps=win_steps, win_len=win_len,
                      n_sample_syn=n_synapses, record_raster=True, raster_tracked_only=True, record_lfp=False,
                      built=built, stim_mask=stim_mask,
                      afferent_onsets_ms=onsets_s * 1000.0, volley=volley)
    built = res.built
    delay_s = float(built.delays[0]) * dt * 1e-3 if built.delays.size else 0.0
    spike_t = res.spk_step * dt * 1e-3 - baseline_s
    pre_cells = res.track[res.syn_pre]
    post_cells = res.track[res.syn_post]
    s_count = pre_cells.shape[0]

    # presynaptic events: spikes and axon-only releases at the pulses (flagged)
    pulse_t = pulse_steps * dt * 1e-3 - baseline_s
    n_ax = np.diff(res.ax_ptr)
    ev_idx = np.concatenate([res.spk_idx, res.ax_idx.astype(res.spk_idx.dtype)])
    ev_t = np.concatenate([spike_t, np.repeat(pulse_t, n_ax)])
    ev_flag = np.r_[np.zeros(res.spk_idx.size, bool), np.ones(res.ax_idx.size, bool)]
    pre_ptr, pre_t, pre_ax = _trains(ev_idx, ev_t, pre_cells, delay_s, ev_flag)
    post_ptr, post_t, _ = _trains(res.spk_idx, spike_t, post_cells, 0.0)
    onsets = event_s[first] - baseline_s
    n_w = onsets.size
    d_groups = np.repeat(np.arange(s_count), n_w)
    d_times = np.tile(onsets, s_count)
    d_peaks = res.epsp[:, res.syn_post].T.ravel() if n_w else np.zeros(0)
    d_ptr, d_times, d_peaks = _csr(d_groups, d_times, s_count, d_peaks)

    # unitary EPSP: the reference weight (charge of one spike, mV) before the current-jump scaling
    weight_mV = np.empty(s_count)
    for k, (a, b) in enumerate(zip(pre_cells, post_cells, strict=True)):
        lo, hi = built.indptr[a], built.indptr[a + 1]
        weight_mV[k] = built.weights[lo + int(np.flatnonzero(built.indices[lo:hi] == b)[0])] / built.scale_e
    pulses = deliv - baseline_s
    fire = pre_fire_fraction(pre_cells, res.spk_idx, spike_t, pulses)
    uniq_pre = np.unique(pre_cells)
    soma_frac = np.array([np.isin(uniq_pre, res.rec_idx[res.rec_ptr[k]:res.rec_ptr[k + 1]]).mean()
                          for k in range(pulses.size)]) if uniq_pre.size else np.zeros(pulses.size)
    axon_only = np.array([np.isin(uniq_pre, res.ax_idx[res.ax_ptr[k]:res.ax_ptr[k + 1]]).mean()
                          for k in range(pulses.size)]) if uniq_pre.size else np.zeros(pulses.size)
    meta = {
        "network": spec.name, "seed": seed, "n_neurons": n, "dt_ms": dt, "weight_scale_ee": w,
        "protocol": protocol.label(), "protocol_json": json.dumps(protocol.summary(), sort_keys=True),
        "intensity_rmt": intensity, "x_rmt": float(x_rmt) if x_rmt is not None else float("nan"),
        "field_vm": float(dose["field_vm"]), "waveform": dose["waveform"],
        "intensity_ref": protocol.intensity_ref,
        **_direct_attrs(p_direct, spec, deliv.size),
        "axonal_delay_ms": delay_s * 1e3, "depol_window_ms": float(window_ms),
        "rate_E_hz": float(res.counts[:, 0].sum() / built.n_exc / total),
        "rate_I_hz": float(res.counts[:, 1].sum() / max(built.n - built.n_exc, 1) / total),
        "pre_fire_window_ms": PRE_FIRE_WINDOW_MS, "pre_fire_frac": fire,
        "pre_fire_frac_mean": float(fire.mean()) if fire.size else 0.0,
        "pre_axon_frac": soma_frac + axon_only, "pre_axon_only_frac": axon_only,
        "pre_axon_frac_mean": float((soma_frac + axon_only).mean()) if pulses.size else 0.0,
        "nerve_times_s": nerve - baseline_s, "afferent_latency_ms": float(volley.latency_ms),
        "afferent_volley": json.dumps(dataclasses.asdict(volley), sort_keys=True),
        "n_afferent_cells": int(res.afferent_cells.size),
        "n_pulses_simulated": int(deliv.size), "n_pulses_session": int(protocol.n_delivered),
        # cell type of each sampled synapse's pre and post cell ("E" in networks without layers)
        "pre_type": np.asarray(built.kind_names)[np.asarray(built.kind)[pre_cells]],
        "post_type": np.asarray(built.kind_names)[np.asarray(built.kind)[post_cells]],
    }
    pathways, counts = np.unique(np.char.add(np.char.add(meta["pre_type"].astype(str), "->"),
                                             meta["post_type"].astype(str)), return_counts=True)
    meta["pathways"] = dict(zip(pathways.tolist(), counts.astype(int).tolist(), strict=True))
    return SynapseActivity(pre_ptr, pre_t, post_ptr, post_t, d_ptr, d_times, d_peaks, weight_mV,
                           pulses, onsets_s - baseline_s, -baseline_s, total - baseline_s, meta,
                           pre_afferent=np.isin(pre_cells, res.afferent_cells),
                           post_afferent=np.isin(post_cells, res.afferent_cells), pre_axonal=pre_ax)
