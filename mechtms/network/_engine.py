"""Run an Izhikevich network in chunks: the one place that turns options into kernel arrays.

Random streams (one ``numpy.random.SeedSequence(seed)`` spawned in a fixed order):
0 network instance (neuron parameters, connectivity, weights), 1 thalamic noise,
2 TMS recruitment, 3 the sample of tracked E→E synapses, 4 the afferent volleys (PAS:
which cells receive them, arrival times). Changing the protocol therefore changes
neither the network nor the noise of a seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import afferent as aff
from . import networks as nets
from ._kernels import IzhParams, fill_normals, izh_run

#: Simulated ms per chunk: long sessions run chunk by chunk, keeping only reducers.
CHUNK_MS = 1000.0


@dataclass
class RunResult:
    """Raw outputs of :func:`run` (time in steps, bins of 1 ms)."""

    built: nets.Built
    dt_ms: float
    n_steps: int
    counts: np.ndarray      # (n_bins, 3) E, I and output-population spikes per bin
    i_syn: np.ndarray       # (n_bins, 2) mean excitatory and inhibitory current onto E cells
    spk_step: np.ndarray    # (n_spikes,) int64
    spk_idx: np.ndarray     # (n_spikes,) int32
    fired: np.ndarray       # (W, M) uint8
    epsp: np.ndarray        # (W, M) float64, mV
    direct: np.ndarray      # (W, M) uint8
    track: np.ndarray       # (M,) int32 tracked neurons
    syn_pre: np.ndarray     # (S,) rows of ``track`` for the sampled synapses' pre cells
    syn_post: np.ndarray    # (S,) rows of ``track`` for their post cells
    n_direct: np.ndarray    # (P, K) directly activated cells of each kind (built.kind_names) per pulse
    afferent_cells: np.ndarray  # (K,) int32 cells receiving the afferent volleys (empty without)
    rec_ptr: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))  # CSR per pulse: soma fires
    rec_idx: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    ax_ptr: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))   # CSR per pulse: axon only
    ax_idx: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    n_output: int = 0       # cells counted as the output population


def ziggurat_tables():
    """Tables of the 128-layer normal ziggurat (Marsaglia & Tsang 2000, J Stat Softw 5(8))."""
    m1 = 2147483648.0
    dn = tn = 3.442619855899
    vn = 9.91256303526217e-3
    kn, wn, fn = np.zeros(128, np.int64), np.zeros(128), np.zeros(128)
    q = vn / np.exp(-0.5 * dn * dn)
    kn[0], kn[1] = int((dn / q) * m1), 0
    wn[0], wn[127] = q / m1, dn / m1
    fn[0], fn[127] = 1.0, np.exp(-0.5 * dn * dn)
    for i in range(126, 0, -1):
        dn = np.sqrt(-2.0 * np.log(vn / dn + np.exp(-0.5 * dn * dn)))
        kn[i + 1] = int((dn / tn) * m1)
        tn = dn
        fn[i] = np.exp(-0.5 * dn * dn)
        wn[i] = dn / m1
    return kn, wn, fn


ZIGGURAT = ziggurat_tables()


class NormalStream:
    """Seeded N(0, 1) numbers from an explicit xoshiro256+ state (about 10x numpy's speed here)."""

    def __init__(self, g: np.random.Generator):
        self.state = g.integers(1, 2**63, size=4, dtype=np.uint64)

    def fill(self, out: np.ndarray, scale: np.ndarray) -> np.ndarray:
        fill_normals(self.state, *ZIGGURAT, np.asarray(scale, dtype=np.float64), out)  # type: ignore[call-arg]
        return out


def streams(seed: int, run_seed: int | None = None) -> list[np.random.Generator]:
    """The five independent generators of a seed (network, noise, TMS, sample, afferent).

    With ``run_seed`` the network instance stays that of ``seed`` while noise, TMS
    draws and sample come from ``SeedSequence([seed, run_seed])`` (repeated trials on
    one network).
    """
    # spawn(5)[:4] equals spawn(4): adding the afferent stream left the others unchanged
    gens = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)]
    if run_seed is not None:
        gens[1:] = [np.random.default_rng(s) for s in np.random.SeedSequence([seed, run_seed]).spawn(5)[1:]]
    return gens


def run(spec: nets.IzhNetwork, *, n_neurons: int, dt_ms: float, n_steps: int, seed: int,
        weight_scale_ee: float = 1.0, pulse_steps=(), p_direct=None, win_steps=(),
        win_len=1, n_sample_syn: int = 0, record_raster: bool = False,
        raster_tracked_only: bool = False, record_lfp: bool = True, axonal: bool = False, built: nets.Built | None = None,
        run_seed: int | None = None, afferent_onsets_ms=(), volley: aff.AfferentVolley | None = None,
        p_axon=None, stim_mask=None, output_mask=None) -> RunResult:
    """Simulate ``n_steps`` steps.

    Parameters
    ----------
    pulse_steps : (P,) int
        Steps of delivered pulses (sorted).
    p_direct : (P, K) float
        Probability that a pulse directly activates a cell of each kind
        (``built.kind_names``: E and I, or the cell types of a layered network).
    p_axon : (P, K) float, optional
        Probability that a pulse activates a cell's axon arbor (>= ``p_direct``; the same
        uniform draw per cell decides both, so every cell whose soma is recruited also has
        its axon activated). Cells with an activated axon but no somatic recruitment
        release at all their outgoing synapses without firing.
    win_steps : (W,) int
        Starts of the drive windows (sorted, non-overlapping).
    win_len : int or (W,) int
        Length of every window or of each, steps (>= 1).
    n_sample_syn : int
        E→E synapses sampled for the drive reducers.
    record_raster, raster_tracked_only : bool
        Keep the spike raster; of the tracked cells (the sample's pre and post cells) only.
    record_lfp : bool
        Accumulate the mean synaptic currents onto E cells (``i_syn``; zeros otherwise).
    stim_mask : (N,) bool, optional
        Only these neurons can be activated by a pulse (directly or axonally), e.g. the
        stimulated region of a multi-region network or a focal coil; default all. The
        random draws are the same with or without a mask.
    output_mask : (N,) bool, optional
        The neurons counted as the output population (``counts[:, 2]``); default
        ``built.output_range``.
    afferent_onsets_ms : (A,) float
        Onsets of afferent volleys at the cortex, ms from the start (PAS); each is
        delivered as described by ``volley`` (:class:`mechtms.network.afferent.AfferentVolley`).
    """
    g_net, g_noise, g_tms, g_sample, g_aff = streams(seed, run_seed)
    if built is None:
        built = nets.build(spec, n_neurons, dt_ms, g_net, weight_scale_ee)
    n, ne = built.n, built.n_exc
    steps_per_ms = int(round(1.0 / dt_ms))
    noise_every = max(1, int(round(spec.noise_hold_ms / dt_ms)))
    chunk = max(1, int(round(CHUNK_MS / dt_ms)) // (noise_every * steps_per_ms)) * noise_every * steps_per_ms

    # --- TMS recruitment (CSR of directly activated cells per pulse) -------------------
    pulse_steps = np.asarray(pulse_steps, dtype=np.int64)
    n_p = pulse_steps.shape[0]
    kind = built.kind if built.kind is not None else np.zeros(n, np.int8)
    n_kinds = len(built.kind_names)
    p_direct = np.zeros((n_p, n_kinds)) if p_direct is None else np.asarray(p_direct, dtype=float)
    if p_direct.shape != (n_p, n_kinds):
        raise ValueError(f"p_direct must have shape ({n_p}, {n_kinds}) (pulses, {built.kind_names}), "
                         f"got {p_direct.shape}")
    p_axon = None if p_axon is None else np.maximum(np.asarray(p_axon, dtype=float), p_direct)
    if stim_mask is not None:
        stim_mask = np.asarray(stim_mask, dtype=bool)
        if stim_mask.shape != (n,):
            raise ValueError(f"stim_mask must have shape ({n},), got {stim_mask.shape}")
    if output_mask is not None:
        output_mask = np.asarray(output_mask, dtype=bool)
        if output_mask.shape != (n,):
            raise ValueError(f"output_mask must have shape ({n},), got {output_mask.shape}")
        out_flag = output_mask.astype(np.uint8)
    else:
        out_flag = np.zeros(n, np.uint8)
        out_flag[built.output_range[0]:built.output_range[1]] = 1
    rec_ptr = np.zeros(n_p + 1, dtype=np.int64)
    ax_ptr = np.zeros(n_p + 1, dtype=np.int64)
    rec_list, ax_list = [], []
    n_direct = np.zeros((n_p, n_kinds), dtype=np.int64)
    for k in range(n_p):
        draw = g_tms.random(n)
        p_soma = p_direct[k][kind]
        p_ax = p_axon[k][kind] if p_axon is not None else None
        if stim_mask is not None:
            p_soma = np.where(stim_mask, p_soma, 0.0)
            p_ax = np.where(stim_mask, p_ax, 0.0) if p_ax is not None else None
        hit = np.flatnonzero(draw < p_soma)
        rec_list.append(hit.astype(np.int32))
        n_direct[k] = np.bincount(kind[hit], minlength=n_kinds)
        rec_ptr[k + 1] = rec_ptr[k] + hit.shape[0]
        axon_only = (np.flatnonzero((draw >= p_soma) & (draw < p_ax)).astype(np.int32)
                     if p_ax is not None else np.zeros(0, dtype=np.int32))
        ax_list.append(axon_only)
        ax_ptr[k + 1] = ax_ptr[k] + axon_only.shape[0]
    rec_idx = np.concatenate(rec_list) if rec_list else np.zeros(0, dtype=np.int32)
    ax_idx = np.concatenate(ax_list) if ax_list else np.zeros(0, dtype=np.int32)

    # --- tracked sample of E->E synapses ---------------------------------------------
    if n_sample_syn > 0:
        pre_of = np.repeat(np.arange(n), np.diff(built.indptr))
        ee = np.flatnonzero((pre_of < ne) & (built.indices < ne))
        pick = np.sort(g_sample.choice(ee, min(n_sample_syn, ee.shape[0]), replace=False))
        pre_c, post_c = pre_of[pick], built.indices[pick].astype(np.int64)
        track = np.unique(np.concatenate([pre_c, post_c])).astype(np.int32)
        syn_pre = np.searchsorted(track, pre_c)
        syn_post = np.searchsorted(track, post_c)
    else:
        track = np.zeros(0, dtype=np.int32)
        syn_pre = syn_post = np.zeros(0, dtype=np.int64)
    track_pos = np.full(n, -1, dtype=np.int32)
    track_pos[track] = np.arange(track.shape[0], dtype=np.int32)
    win_steps = np.asarray(win_steps, dtype=np.int64)
    win_end = win_steps + np.broadcast_to(np.asarray(win_len, dtype=np.int64), win_steps.shape)
    n_w, n_t = win_steps.shape[0], track.shape[0]
    fired = np.zeros((n_w, n_t), dtype=np.uint8)
    epsp = np.zeros((n_w, n_t))
    direct = np.zeros((n_w, n_t), dtype=np.uint8)
    base = np.zeros(n_t)

    # --- state -----------------------------------------------------------------------
    n_slots = int(built.delays.max(initial=0)) + 1
    d0 = int(built.delays[0]) if built.delays.size else 0
    uniform_delay = d0 if np.all(built.delays == d0) else -1
    v = np.full(n, -65.0)
    u = built.b * v
    state = (v, u, np.zeros(n), np.zeros(n), np.zeros((n_slots, n)), np.zeros((n_slots, n)),
             np.zeros(n), np.zeros(n))
    params = IzhParams(dt_ms=float(dt_ms), n_sub=int(spec.n_sub), decay_e=built.decay_e,
                       decay_i=built.decay_i, decay_m=float(np.exp(-dt_ms / spec.tau_m_ms)),
                       v_peak=30.0, n_exc=int(ne), noise_every=int(noise_every),
                       rec_every=int(steps_per_ms), axonal=int(axonal),
                       uniform_delay=uniform_delay, cap_v=int(spec.cap_v),
                       raster_tracked=int(raster_tracked_only), rec_lfp=int(record_lfp),
                       **built.slow_params(dt_ms))
    slow = built.slow_state(n_slots)
    neuron = (built.a, built.b, built.c, built.d)
    conn = (built.indptr, built.indices, built.weights, built.delays)

    # --- afferent volleys (PAS) ------------------------------------------------------
    onsets = np.asarray(afferent_onsets_ms, dtype=float)
    if onsets.size:
        volley = volley or aff.DEFAULT_VOLLEY
        cells = aff.target_cells(volley, built, g_aff)
        aff_arrays = aff.events(volley, onsets, cells, built, g_aff)
    else:
        cells = np.zeros(0, dtype=np.int32)
        aff_arrays = aff.no_events()
    stim = (pulse_steps, rec_ptr, rec_idx, *aff_arrays, ax_ptr, ax_idx)
    drive = (win_steps, win_end, track, track_pos, base, fired, epsp, direct)

    normals = NormalStream(g_noise)
    n_bins = -(-n_steps // steps_per_ms)
    counts = np.zeros((n_bins, 3), dtype=np.int32)
    i_syn = np.zeros((n_bins, 2))
    spikes_step, spikes_idx = [], []
    step0 = 0
    while step0 < n_steps:
        m = min(chunk, n_steps - step0)
        draws = -(-m // noise_every)
        noise = normals.fill(np.empty((draws, n)), built.noise_sd)
        b0 = step0 // steps_per_ms
        nb = -(-m // steps_per_ms)
        n_rec = track.shape[0] if raster_tracked_only else n
        cap = int(n_rec * m * dt_ms * 0.3) + 1000 if record_raster else 0  # up to 300 Hz mean
        spk_s = np.zeros(cap, dtype=np.int64)
        spk_i = np.zeros(cap, dtype=np.int32)
        c_chunk = np.zeros((nb, 3), dtype=np.int32)
        l_chunk = np.zeros((nb, 2))
        got = izh_run(params, state, neuron, conn, noise, stim, drive,
                      (spk_s, spk_i, c_chunk, l_chunk, out_flag), step0, m, slow)
        if got < 0:
            raise RuntimeError("spike raster buffer overflow (mean rate above 300 Hz): the "
                               "network is unstable at these settings")
        counts[b0:b0 + nb] = c_chunk
        i_syn[b0:b0 + nb] = l_chunk
        if record_raster:
            spikes_step.append(spk_s[:got].copy())
            spikes_idx.append(spk_i[:got].copy())
        step0 += m
    cat = lambda xs, dt: np.concatenate(xs) if xs else np.zeros(0, dtype=dt)  # noqa: E731
    return RunResult(built=built, dt_ms=dt_ms, n_steps=n_steps, counts=counts, i_syn=i_syn,
                     spk_step=cat(spikes_step, np.int64), spk_idx=cat(spikes_idx, np.int32),
                     fired=fired, epsp=epsp, direct=direct, track=track, syn_pre=syn_pre,
                     syn_post=syn_post, n_direct=n_direct, afferent_cells=cells, rec_ptr=rec_ptr,
                     rec_idx=rec_idx, ax_ptr=ax_ptr, ax_idx=ax_idx, n_output=int(out_flag.sum()))
