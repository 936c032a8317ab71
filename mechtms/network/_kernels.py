"""Numba kernels of the spiking-network layer: arrays and small parameter tuples in, arrays out.

Nothing here validates, allocates hidden state or draws random numbers: the public API
(:mod:`mechtms.network.simulate`) checks its input, draws every random number with a
seeded ``numpy.random.Generator`` and hands the kernels plain arrays. The same inputs
give the same outputs, bit for bit.

Units: time in ms (``dt_ms``), membrane potential in mV, currents in the Izhikevich
(2003) convention ``dv/dt = 0.04 v² + 5 v + 140 − u + I`` (I in mV/ms), so a current
of 1 held for 1 ms moves v by about 1 mV.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit


class IzhParams(NamedTuple):
    """Fixed settings of one Izhikevich-network run (scalars only).

    dt_ms : time step, ms.
    n_sub : Euler sub-steps of v per step (2 reproduces Izhikevich 2003's half-steps).
    decay_e, decay_i : per-step propagators exp(-dt/tau) of the excitatory and
        inhibitory synaptic currents (0 = current lasts one step, as in Izhikevich 2003).
    decay_m : per-step propagator exp(-dt/tau_m) of the passive depolarisation tracer.
    v_peak : spike cut-off, mV (30 in Izhikevich 2003).
    n_exc : neurons 0..n_exc-1 are excitatory, the rest inhibitory.
    noise_every : steps between thalamic-noise redraws (noise is held in between).
    rec_every : steps per recorded bin.
    axonal : 0 = a recruited neuron fires (soma); 1 = only its synapses are activated.
    uniform_delay : the delay of every synapse in steps, or −1 if delays differ.
    cap_v : 1 = v is capped at v_peak before u is updated (a common port of the 2003
        listing; the listing itself does not cap), 0 = not capped.
    raster_tracked : 1 = the raster records the spikes of tracked neurons only (what a
        sample of synapses needs over a long session), 0 = every neuron's spikes.
    rec_lfp : 1 = accumulate the mean synaptic currents onto E cells per bin (the LFP
        proxy's input), 0 = skip them (``lfp`` stays 0; saves two sequential sums per step).
    ext : 1 = the slow processes of the ``slow`` state are on (GABA_B synapses from
        neurons ``n_slow_start..N-1``, a spike-triggered slow adaptation current and
        short-term depression of synapses); 0 = off (the ``slow`` arrays are not read).
    n_slow_start : neurons from this index on are slow inhibitory (GABA_B) neurons.
    decay_br, decay_bd : per-step propagators of the GABA_B rise and decay.
    decay_w : per-step propagator of the slow adaptation current.
    decay_rec : per-step propagator of the recovery of synaptic resources (depression).
    """

    dt_ms: float
    n_sub: int
    decay_e: float
    decay_i: float
    decay_m: float
    v_peak: float
    n_exc: int
    noise_every: int
    rec_every: int
    axonal: int
    uniform_delay: int
    cap_v: int = 0
    raster_tracked: int = 0
    rec_lfp: int = 1
    ext: int = 0
    n_slow_start: int = 1 << 30
    decay_br: float = 0.0
    decay_bd: float = 0.0
    decay_w: float = 0.0
    decay_rec: float = 0.0


@njit(cache=True)
def _deliver_scaled(j, scale, slot_base, n_slots, uniform_delay, indptr, indices, weights, delays, buf):
    """As :func:`_deliver` into one buffer, every weight multiplied by ``scale``."""
    lo = indptr[j]
    hi = indptr[j + 1]
    if uniform_delay >= 0:
        row = slot_base + uniform_delay
        if row >= n_slots:
            row -= n_slots
        target = buf[row]
        for k in range(lo, hi):
            target[indices[k]] += weights[k] * scale
    else:
        for k in range(lo, hi):
            row = slot_base + delays[k]
            if row >= n_slots:
                row -= n_slots
            buf[row, indices[k]] += weights[k] * scale


@njit(cache=True)
def _deliver(j, slot_base, n_slots, uniform_delay, indptr, indices, weights, delays, buf_e, buf_i, n_exc):
    """Add neuron j's outgoing weights into the delay ring buffers.

    ``uniform_delay`` ≥ 0: every synapse has this delay (steps) and the per-synapse
    ``delays`` are not read; −1: per-synapse delays.
    """
    buf = buf_e if j < n_exc else buf_i
    lo = indptr[j]
    hi = indptr[j + 1]
    if uniform_delay >= 0:
        row = slot_base + uniform_delay
        if row >= n_slots:
            row -= n_slots
        target = buf[row]
        for k in range(lo, hi):
            target[indices[k]] += weights[k]
    else:
        # delays < n_slots, so one conditional subtraction replaces the modulo
        for k in range(lo, hi):
            row = slot_base + delays[k]
            if row >= n_slots:
                row -= n_slots
            buf[row, indices[k]] += weights[k]


@njit(cache=True, inline="always")
def _step_neuron(j, n_sub, cap, v_peak, dt, decay_e, decay_i, h, v, u, i_e, i_i, row_e, row_i, i_noise, a, b, flag):
    ie_j = i_e[j] * decay_e + row_e[j]
    ii_j = i_i[j] * decay_i + row_i[j]
    i_e[j] = ie_j
    i_i[j] = ii_j
    row_e[j] = 0.0
    row_i[j] = 0.0
    cur = ie_j + ii_j + i_noise[j]
    uj = u[j]
    vj = v[j]
    for _ in range(n_sub):
        vj += h * (0.04 * vj * vj + 5.0 * vj + 140.0 - uj + cur)
    if cap:
        vj = min(vj, v_peak)
    v[j] = vj
    u[j] = uj + dt * a[j] * (b[j] * vj - uj)
    flag[j] = vj >= v_peak


@njit(cache=True)
def _update_slow(n, p, v, u, i_e, i_i, row_e, row_i, i_noise, a, b, flag, i_b, x_b, row_b, w_ad, res, syn):
    """:func:`_update` with the slow processes: GABA_B current (rise ``x_b`` → current
    ``i_b``), slow adaptation ``w_ad`` subtracted from the input, and the recovery of the
    synaptic resources ``res`` towards 1. Two loops over few arrays each (so that the
    compiler vectorises them); ``syn`` (N,) is scratch for the summed synaptic current."""
    dbd = p.decay_bd
    for j in range(n):
        ie_j = i_e[j] * p.decay_e + row_e[j]
        ii_j = i_i[j] * p.decay_i + row_i[j]
        xb_j = x_b[j] * p.decay_br + row_b[j]
        ib_j = i_b[j] * dbd + (1.0 - dbd) * xb_j
        i_e[j] = ie_j
        i_i[j] = ii_j
        x_b[j] = xb_j
        i_b[j] = ib_j
        row_e[j] = 0.0
        row_i[j] = 0.0
        row_b[j] = 0.0
        syn[j] = ie_j + ii_j + ib_j
    for j in range(n):
        w_ad[j] = w_ad[j] * p.decay_w
        res[j] = 1.0 - (1.0 - res[j]) * p.decay_rec
    if p.n_sub == 1:
        for j in range(n):
            _step_v_slow(j, 1, p, v, u, syn, i_noise, w_ad, a, b, flag)
    else:
        for j in range(n):
            _step_v_slow(j, p.n_sub, p, v, u, syn, i_noise, w_ad, a, b, flag)


@njit(cache=True, inline="always")
def _step_v_slow(j, n_sub, p, v, u, syn, i_noise, w_ad, a, b, flag):
    h = p.dt_ms / n_sub
    cur = syn[j] + i_noise[j] - w_ad[j]
    uj = u[j]
    vj = v[j]
    for _ in range(n_sub):
        vj += h * (0.04 * vj * vj + 5.0 * vj + 140.0 - uj + cur)
    v[j] = vj
    u[j] = uj + p.dt_ms * a[j] * (b[j] * vj - uj)
    flag[j] = vj >= p.v_peak


@njit(cache=True)
def _update(n, n_sub, cap, v_peak, dt, decay_e, decay_i, v, u, i_e, i_i, row_e, row_i, i_noise, a, b, flag):
    """Synaptic currents (exact exponential propagator), ``n_sub`` Euler sub-steps of v,
    one step of u, and the spike flag ``v >= v_peak`` of every neuron.

    Branch-free loops with the sub-step count and the cap fixed per loop, so that the
    compiler vectorises them (element-wise: the results are those of a scalar loop).
    """
    h = dt / n_sub
    if n_sub == 1 and not cap:
        for j in range(n):
            _step_neuron(j, 1, False, v_peak, dt, decay_e, decay_i, h, v, u, i_e, i_i, row_e, row_i, i_noise, a, b, flag)
    elif n_sub == 2 and not cap:
        for j in range(n):
            _step_neuron(j, 2, False, v_peak, dt, decay_e, decay_i, h, v, u, i_e, i_i, row_e, row_i, i_noise, a, b, flag)
    elif n_sub == 2 and cap:
        for j in range(n):
            _step_neuron(j, 2, True, v_peak, dt, decay_e, decay_i, h, v, u, i_e, i_i, row_e, row_i, i_noise, a, b, flag)
    else:
        for j in range(n):
            _step_neuron(j, n_sub, cap, v_peak, dt, decay_e, decay_i, h, v, u, i_e, i_i, row_e, row_i, i_noise, a, b, flag)


@njit(cache=True, inline="always")
def _sums(x, y, lo, hi):
    """Sequential sums of x[lo:hi] and y[lo:hi] in index order (fixed order, fixed bits);
    the two dependency chains run side by side."""
    sx = 0.0
    sy = 0.0
    for j in range(lo, hi):
        sx += x[j]
        sy += y[j]
    return sx, sy


@njit(cache=True)
def izh_run(p, state, neuron, conn, noise, stim, drive, out, step0, n_steps, slow):
    """Advance an Izhikevich network by ``n_steps`` steps from absolute step ``step0``.

    Parameters
    ----------
    p : IzhParams
    state : tuple of arrays, modified in place
        ``(v (N,), u (N,), i_e (N,), i_i (N,), buf_e (D, N), buf_i (D, N),
        i_noise (N,), trace (N,))`` — membrane potential mV, recovery variable,
        synaptic currents, delay ring buffers (D = max delay in steps + 1), held
        thalamic current, passive depolarisation tracer (mV).
    neuron : tuple of arrays ``(a, b, c, d)``, each (N,).
    conn : tuple ``(indptr (N+1,) int64, indices (S,) int32, weights (S,) float64,
        delays (S,) int32)``; CSR by presynaptic neuron; weights are the current jump
        (mV/ms) added to the target, delays in steps.
    noise : (n_draws, N) float64
        Thalamic current for each redraw in this chunk (draw r applies from step
        ``step0 + r*noise_every`` on; ``step0`` must be a multiple of ``noise_every``).
    stim : tuple ``(pulse_step (P,) int64, rec_ptr (P+1,) int64, rec_idx (R,) int32,
        aff_step (A,) int64, aff_ptr (A+1,) int64, aff_idx (Q,) int32, aff_w (Q,) float64,
        ax_ptr (P+1,) int64, ax_idx (X,) int32)``
        Absolute step of every delivered pulse of the run (sorted) and, in CSR form,
        the neurons each directly activates (``rec``: the soma fires) and the neurons
        whose axon arbor alone it activates (``ax``: release at all outgoing synapses,
        no somatic spike); then the afferent input (PAS volleys):
        at step ``aff_step[k]`` (sorted, unique) neuron ``aff_idx[q]`` receives the
        excitatory current jump ``aff_w[q]`` for ``q`` in ``aff_ptr[k]:aff_ptr[k+1]``.
    drive : tuple ``(win_step (W,) int64, win_end (W,) int64, track (M,) int32,
        track_pos (N,) int32, base (M,) float64, fired (W, M) uint8, epsp (W, M) float64,
        direct (W, M) uint8)``
        Drive windows of the whole run span steps ``win_step[k]`` to ``win_end[k] - 1``
        (sorted, non-overlapping, at least one step each). ``track_pos[j]`` is neuron
        j's row in ``track`` or −1.
        For each window and tracked neuron the kernel writes whether it spiked, the
        peak rise of ``trace`` above its value at the window start (``base``, kept
        across chunks) and whether the pulse activated it directly.
    out : tuple ``(spk_step (C,) int64, spk_idx (C,) int32, counts (n_bins, 3) int32,
        lfp (n_bins, 2) float64, out_flag (N,) uint8)``
        Spike raster buffers of capacity C (``C = 0`` records none; with
        ``p.raster_tracked`` only tracked neurons are recorded); per bin of
        ``p.rec_every`` steps the E, I and output-population (``out_flag``) spike counts and the mean over E cells of the
        excitatory and inhibitory synaptic currents (for the LFP proxy).

    slow : tuple ``(i_b (N,), x_b (N,), buf_b (D, N), w_ad (N,), d_ad (N,), res (N,),
        use (N,))``, read only with ``p.ext == 1``
        GABA_B current and its rise variable, its delay ring buffer; slow adaptation
        current (mV/ms) and its jump per spike; synaptic resources (1 = recovered) and
        the fraction of them a spike uses (0 = no depression); modified in place.

    Returns
    -------
    n_spikes : int
        Spikes written to the raster buffers; −1 if the capacity was exceeded.
    """
    v, u, i_e, i_i, buf_e, buf_i, i_noise, trace = state
    i_b, x_b, buf_b, w_ad, d_ad, res, use = slow
    ext = p.ext == 1
    a, b, c, d = neuron
    indptr, indices, weights, delays = conn
    pulse_step, rec_ptr, rec_idx, aff_step, aff_ptr, aff_idx, aff_w, ax_ptr, ax_idx = stim
    win_step, win_end, track, track_pos, base, fired, epsp, direct = drive
    spk_step, spk_idx, counts, lfp, out_flag = out
    n = v.shape[0]
    n_slots = buf_e.shape[0]
    n_exc = p.n_exc
    cap = spk_step.shape[0]
    n_spk = 0
    overflow = False
    n_track = track.shape[0]
    n_win = win_step.shape[0]
    inv_ne = 1.0 / max(n_exc, 1)
    kp = 0
    while kp < pulse_step.shape[0] and pulse_step[kp] < step0:
        kp += 1
    ka = 0
    while ka < aff_step.shape[0] and aff_step[ka] < step0:
        ka += 1
    kw = 0
    while kw < n_win and win_end[kw] <= step0:
        kw += 1
    tracked_only = p.raster_tracked == 1
    syn = np.zeros(n if ext else 0)
    # spike flags, read 8 at a time: neurons with v >= v_peak (set by the update loop)
    n_words = (n + 7) // 8
    flag = np.zeros(n_words * 8, dtype=np.uint8)
    words = flag.view(np.uint64)
    for j in range(n):
        flag[j] = v[j] >= p.v_peak
    for s in range(n_steps):
        t = step0 + s
        slot = t % n_slots
        if (t % p.noise_every) == 0:
            r = (t - step0) // p.noise_every
            for j in range(n):
                i_noise[j] = noise[r, j]
        # --- drive window bookkeeping -------------------------------------------------
        if kw < n_win and t >= win_end[kw]:
            kw += 1
        in_win = kw < n_win and t >= win_step[kw]
        if in_win and t == win_step[kw]:
            for m in range(n_track):
                base[m] = trace[track[m]]
        # --- TMS pulse: direct activation --------------------------------------------
        if kp < pulse_step.shape[0] and pulse_step[kp] == t:
            for q in range(rec_ptr[kp], rec_ptr[kp + 1]):
                j = rec_idx[q]
                if in_win and track_pos[j] >= 0:
                    direct[kw, track_pos[j]] = 1
                if p.axonal == 1:
                    _deliver(j, slot, n_slots, p.uniform_delay, indptr, indices, weights, delays, buf_e, buf_i, n_exc)
                else:
                    v[j] = p.v_peak
                    flag[j] = 1
            # axon arbors activated below the somatic threshold: release, no somatic spike
            for q in range(ax_ptr[kp], ax_ptr[kp + 1]):
                j = ax_idx[q]
                if in_win and track_pos[j] >= 0:
                    direct[kw, track_pos[j]] = 1
                if ext:
                    scale = res[j]
                    res[j] -= use[j] * res[j]
                    buf = buf_e if j < n_exc else (buf_i if j < p.n_slow_start else buf_b)
                    _deliver_scaled(j, scale, slot, n_slots, p.uniform_delay, indptr, indices, weights, delays, buf)
                else:
                    _deliver(j, slot, n_slots, p.uniform_delay, indptr, indices, weights, delays, buf_e, buf_i, n_exc)
            kp += 1
        # --- spikes: detect (in index order), record, reset, deliver -----------------
        bin_ = s // p.rec_every
        for w in range(n_words):
            if words[w] == 0:
                continue
            for j in range(8 * w, min(8 * w + 8, n)):
                if flag[j] == 0:
                    continue
                flag[j] = 0
                if j < n_exc:
                    counts[bin_, 0] += 1
                else:
                    counts[bin_, 1] += 1
                if out_flag[j]:
                    counts[bin_, 2] += 1
                if cap > 0 and (not tracked_only or track_pos[j] >= 0):
                    if n_spk < cap:
                        spk_step[n_spk] = t
                        spk_idx[n_spk] = j
                        n_spk += 1
                    else:
                        overflow = True
                if in_win and track_pos[j] >= 0:
                    fired[kw, track_pos[j]] = 1
                v[j] = c[j]
                u[j] += d[j]
                if ext:
                    w_ad[j] += d_ad[j]
                    scale = res[j]
                    res[j] -= use[j] * res[j]
                    buf = buf_e if j < n_exc else (buf_i if j < p.n_slow_start else buf_b)
                    _deliver_scaled(j, scale, slot, n_slots, p.uniform_delay, indptr, indices, weights, delays, buf)
                else:
                    _deliver(j, slot, n_slots, p.uniform_delay, indptr, indices, weights, delays, buf_e, buf_i, n_exc)
        # --- afferent volley (PAS): excitatory input arriving in this step ----------
        if ka < aff_step.shape[0] and aff_step[ka] == t:
            for q in range(aff_ptr[ka], aff_ptr[ka + 1]):
                buf_e[slot, aff_idx[q]] += aff_w[q]
            ka += 1
        # --- synaptic currents (exact exponential propagator), then the membrane:
        # Euler sub-steps of v, then u (one pass over the neurons)
        row_e = buf_e[slot]
        row_i = buf_i[slot]
        if ext:
            _update_slow(n, p, v, u, i_e, i_i, row_e, row_i, i_noise, a, b, flag, i_b, x_b, buf_b[slot], w_ad, res, syn)
        else:
            _update(n, p.n_sub, p.cap_v == 1, p.v_peak, p.dt_ms, p.decay_e, p.decay_i, v, u, i_e, i_i,
                    row_e, row_i, i_noise, a, b, flag)
        if p.rec_lfp == 1:
            se, si = _sums(i_e, i_i, 0, n_exc)
            if ext:  # the GABA_B current is an inhibitory synaptic current too
                _, sb = _sums(i_e, i_b, 0, n_exc)
                si += sb
            lfp[bin_, 0] += se * inv_ne / p.rec_every
            lfp[bin_, 1] += si * inv_ne / p.rec_every
        # --- passive depolarisation tracer of tracked neurons -------------------------
        for m in range(n_track):
            j = track[m]
            trace[j] = trace[j] * p.decay_m + p.dt_ms * (i_e[j] + i_i[j] + (i_b[j] if ext else 0.0))
            if in_win:
                rise = trace[j] - base[m]
                if rise > epsp[kw, m]:
                    epsp[kw, m] = rise
    return -1 if overflow else n_spk


class LifParams(NamedTuple):
    """Current-based LIF network (Brette et al. 2007 CUBA benchmark), exact propagators.

    decay_m, decay_e, decay_i : exp(-dt/tau) of v, ge, gi; coef_e, coef_i : propagator
    from ge, gi to v over one step; el, v_th, v_reset : mV; ref_steps : refractory steps;
    w_e, w_i : jumps of ge, gi per spike (mV); n_exc : neurons 0..n_exc-1 excitatory.
    """

    decay_m: float
    decay_e: float
    decay_i: float
    coef_e: float
    coef_i: float
    el: float
    v_th: float
    v_reset: float
    ref_steps: int
    w_e: float
    w_i: float
    n_exc: int


@njit(cache=True)
def lif_run(p, v, ge, gi, refractory_until, indptr, indices, counts, step0, n_steps):
    """Advance a CUBA LIF network ``n_steps`` steps (Brian2 order: update, threshold, propagate, reset).

    v, ge, gi : (N,) mV, modified in place; refractory_until : (N,) int64 step until which v
    is clamped; indptr (N+1,), indices (S,) CSR by presynaptic neuron; counts (n_steps, 2)
    int32 E and I spikes per step. Returns the number of synaptic events delivered.
    """
    n = v.shape[0]
    events = 0
    for s in range(n_steps):
        t = step0 + s
        for j in range(n):  # branch-free state update (vectorisable)
            ge_j = ge[j]
            gi_j = gi[j]
            v_new = p.el + (v[j] - p.el) * p.decay_m + ge_j * p.coef_e + gi_j * p.coef_i
            v[j] = v_new if t >= refractory_until[j] else v[j]
            ge[j] = ge_j * p.decay_e
            gi[j] = gi_j * p.decay_i
        for j in range(n):  # threshold, reset, propagate (Brian2's order)
            if v[j] > p.v_th:
                v[j] = p.v_reset
                refractory_until[j] = t + 1 + p.ref_steps
                lo = indptr[j]
                hi = indptr[j + 1]
                events += hi - lo
                if j < p.n_exc:
                    counts[s, 0] += 1
                    for k in range(lo, hi):
                        ge[indices[k]] += p.w_e
                else:
                    counts[s, 1] += 1
                    for k in range(lo, hi):
                        gi[indices[k]] += p.w_i
    return events


@njit(cache=True)
def bey_run(v, active, ref_until, indptr, indices, signs, decay, threshold, rest, jump, ref_steps,
            ext, pulse_step, rec_ptr, rec_idx, n_exc, counts, elfp, step0):
    """Binary (McCulloch–Pitts) network in discrete time (Bey, Leue & Wienbruch 2012).

    v : (N,) mV, modified in place; active : (N,) uint8 spikes of the previous step, in place;
    ref_until : (N,) int64, v is held at rest before this step (refractoriness), in place;
    indptr/indices : CSR by presynaptic neuron; signs : (N,) +1 (E) / −g (I); each active
    input moves the target by ``signs[pre]·jump`` mV; ``decay`` = exp(−dt/tau) towards
    ``rest``; ext : (T, N) external input per step, mV; a neuron is active in the next step
    when v ≥ threshold, then v returns to rest and stays there ``ref_steps`` steps. pulse_step/rec_ptr/rec_idx: neurons a pulse
    depolarises to threshold. counts (T, 2) E and I active cells; elfp (T,) mean v − rest of
    E cells. Returns nothing.
    """
    n = v.shape[0]
    n_steps = ext.shape[0]
    inp = np.zeros(n)
    kp = 0
    while kp < pulse_step.shape[0] and pulse_step[kp] < step0:
        kp += 1
    for s in range(n_steps):
        t = step0 + s
        for j in range(n):
            inp[j] = 0.0
        for j in range(n):
            if active[j]:
                w = signs[j] * jump
                for k in range(indptr[j], indptr[j + 1]):
                    inp[indices[k]] += w
        if kp < pulse_step.shape[0] and pulse_step[kp] == t:
            for q in range(rec_ptr[kp], rec_ptr[kp + 1]):
                inp[rec_idx[q]] += 1e6  # simultaneous depolarisation to threshold
            kp += 1
        acc = 0.0
        for j in range(n):
            if t < ref_until[j]:
                active[j] = 0
                v[j] = rest
                continue
            vj = rest + (v[j] - rest) * decay + inp[j] + ext[s, j]
            if vj >= threshold:
                active[j] = 1
                v[j] = rest
                ref_until[j] = t + 1 + ref_steps
                if j < n_exc:
                    counts[s, 0] += 1
                else:
                    counts[s, 1] += 1
            else:
                active[j] = 0
                v[j] = vj
            if j < n_exc:
                acc += v[j] - rest
        elfp[s] = acc / n_exc


# ---- normal random numbers: xoshiro256+ and the Marsaglia–Tsang (2000) ziggurat -------------
# Explicit state (uint64[4]) in, numbers out: no hidden RNG state. Tables: see
# mechtms.network._engine.ziggurat_tables.
@njit(cache=True, inline="always")
def _next_u64(s):
    """xoshiro256+ (Blackman & Vigna 2018): advance state ``s`` (uint64[4]), return 64 bits."""
    result = s[0] + s[3]
    t = s[1] << np.uint64(17)
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = (s[3] << np.uint64(45)) | (s[3] >> np.uint64(19))
    return result


@njit(cache=True, inline="always")
def _uniform(s):
    """Uniform in (0, 1) from the top 53 bits."""
    return ((_next_u64(s) >> np.uint64(11)) + 0.5) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def _normal_slow(s, hz, iz, kn, wn, fn):
    r = 3.442619855899
    while True:
        x = hz * wn[iz]
        if iz == 0:  # the tail beyond r
            while True:
                x = -np.log(_uniform(s)) / r
                y = -np.log(_uniform(s))
                if y + y >= x * x:
                    break
            return r + x if hz > 0 else -(r + x)
        if fn[iz] + _uniform(s) * (fn[iz - 1] - fn[iz]) < np.exp(-0.5 * x * x):
            return x
        hz = np.int64(_next_u64(s) >> np.uint64(32)) - 2147483648
        iz = hz & 127
        if abs(hz) < kn[iz]:
            return hz * wn[iz]


@njit(cache=True)
def fill_normals(s, kn, wn, fn, scale, out):
    """out[r, j] = scale[j] · N(0, 1) for a 2-D ``out``; ``s`` (uint64[4]) advances in place."""
    rows, cols = out.shape
    for r in range(rows):
        for j in range(cols):
            hz = np.int64(_next_u64(s) >> np.uint64(32)) - 2147483648
            iz = hz & 127
            if abs(hz) < kn[iz]:
                x = hz * wn[iz]
            else:
                x = _normal_slow(s, hz, iz, kn, wn, fn)
            out[r, j] = scale[j] * x
