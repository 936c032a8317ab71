"""Numba integrator of the synapse model: a population of synapses, each driven by its own events.

The equations are those of ``models/calcium_plasticity.ant`` (the single description of
the synapse; :mod:`mechtms.plasticity.model` reads every parameter value from it, and
``tests/test_plasticity_kernel.py`` checks this integrator against libroadrunner on the
SBML model for the same event trains, error in units of the tolerance).

Between two events the linear states have closed forms (exponential relaxations from
their values at the last event), so only the nonlinear part — calcium ``Ca``, the
metaplastic trace ``M``, the weight ``W`` and the running integral ``Ca_int`` — is
integrated, by the embedded Runge-Kutta pair of Dormand & Prince (1980, J Comput Appl
Math 6:19; step control as in Hairer, Nørsett & Wanner, Solving ODEs I, II.4). Events
are applied exactly at their times: the integrator stops there, the jump is applied and
integration restarts.

Nothing here validates or draws random numbers; the public API builds the arrays.

State vector (one row per synapse), units as in the model file:
``x`` vesicle resources (1), ``b_f``, ``b_s`` NMDA receptors bound, fast and slow
(fraction), ``h_nr`` NMDA opening lag (fraction), ``e_r``, ``e_d`` rise and decay
states of the postsynaptic depolarisation (mV), ``a_f``, ``a_s`` back-propagating AP,
fast and slow (mV), ``Ca`` (µM above rest), ``M`` metaplastic calcium trace (µM),
``W`` weight (1), ``Ca_int`` (µM s).
Event kinds: 0 compound depolarisation (``amp`` = peak, mV), 1 presynaptic spike arrival
(``amp`` = unitary EPSP at W = 1, mV), 2 bAP arrival at the spine (``amp`` unused).
Simultaneous events are applied in that order (depolarisation, release, bAP).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

STATE = ("x", "b_f", "b_s", "h_nr", "e_r", "e_d", "a_f", "a_s", "Ca", "K", "M", "W", "Ca_int")
N_STATE = len(STATE)
N_LIN = 8
I_CA, I_K, I_M, I_W, I_CAINT = 8, 9, 10, 11, 12
N_INT = N_STATE - N_LIN  # integrated variables: Ca, K, M, W, Ca_int
#: Columns of the per-synapse statistics array.
STATS = ("ca_peak_uM", "n_steps", "n_rejected", "t_ltd_s", "t_ltp_s", "ca_supra_uM_s")
#: Recorded variables (columns of ``rec``).
RECORDED = ("W", "Ca", "K", "M", "theta_p")
KIND_DEPOL, KIND_PRE, KIND_BAP = 0, 1, 2
#: Decayed linear states below this (fraction or mV) are set to 0 at events.
TINY = 1e-12


class SynParams(NamedTuple):
    """Parameters of the synapse (values from the model file; times in s, V in mV, Ca in µM)."""

    rho: float          # fraction of free NMDA receptors bound by a full release
    U: float            # fraction of resources used per release (Tsodyks & Markram)
    tau_rec: float
    I_f: float          # fast share of bound receptors
    tau_f: float
    tau_s: float
    tau_nr: float       # NMDA opening lag (rise)
    V_rest: float
    tau_dr: float
    tau_dd: float
    depol_norm: float   # peak of exp(-t/tau_dd) - exp(-t/tau_dr)
    bap_max: float
    bap_rest: float
    bap_vhalf: float
    bap_k: float
    bap_ff: float
    tau_bf: float
    tau_bs: float
    G: float
    V_r: float
    k_mg: float
    mg_ratio: float     # Mg_mM / K_mg_mM
    tau_ca: float
    tau_K: float
    tau_M: float
    M_max: float
    theta_d: float
    theta_p0: float
    beta: float
    A_p: float
    A_d: float
    P1: float
    P2: float
    P3: float
    P4: float
    tau_decay: float
    W_base: float
    W_max: float


@njit(cache=True, inline="always")
def _theta_p(p, m):
    """theta_p0 + M, the slide bounded at M_max (smoothly: M / (1 + (M/M_max)^4)^(1/4))."""
    q = m / p.M_max
    return p.theta_p0 + m / (1.0 + q * q * q * q) ** 0.25


@njit(cache=True, inline="always")
def _decay(a, s, tau):
    return a * np.exp(-s / tau) if a != 0.0 else 0.0


@njit(cache=True, inline="always")
def _rhs(p, g, cb, lin, s, y, out):
    """Derivatives of (Ca, K, M, W, Ca_int) at time s after the anchor of the linear states."""
    ca = y[0]
    bf = _decay(lin[1], s, p.tau_f)
    bs = _decay(lin[2], s, p.tau_s)
    hn = _decay(lin[3], s, p.tau_nr)
    vd = _decay(lin[5], s, p.tau_dd) - _decay(lin[4], s, p.tau_dr)
    vb = _decay(lin[6], s, p.tau_bf) + _decay(lin[7], s, p.tau_bs)
    v = p.V_rest + vd + vb
    o = bf + bs - hn
    i_nmda = 0.0
    if o != 0.0:
        block = 1.0 / (1.0 + np.exp(-p.k_mg * v) * p.mg_ratio)
        i_nmda = g * o * block * (p.V_r - v)
    out[0] = i_nmda - ca / p.tau_ca
    out[1] = (ca - cb - y[1]) / p.tau_K
    out[2] = (ca - cb - y[2]) / p.tau_M
    out[4] = ca
    relax = (p.W_base - y[3]) / p.tau_decay
    if p.beta * (ca - p.theta_d) < -40.0:  # sig_d < 4e-18: below the depression threshold nothing moves
        out[3] = relax
        return
    c = ca if ca > 0.0 else 0.0
    sig_d = 1.0 / (1.0 + np.exp(-p.beta * (c - p.theta_d)))
    sig_p = 1.0 / (1.0 + np.exp(-p.beta * (y[1] - _theta_p(p, y[2]))))
    omega = p.W_base + p.A_p * sig_p * (p.W_max - y[3]) / (p.W_max - p.W_base) - p.A_d * sig_d
    eta = 1.0 / (p.P1 / (p.P2 + c ** p.P3) + p.P4)
    out[3] = eta * sig_d * (omega - y[3]) + relax


@njit(cache=True, inline="always")
def _advance_linear(p, lin, s):
    """Linear states ``s`` seconds after their anchor (in place).

    A decaying state that has fallen below ``TINY`` (receptor fraction or mV) is set to
    exactly 0, so the right-hand side skips it (its effect on Ca is far below atol).
    """
    lin[0] = 1.0 - (1.0 - lin[0]) * np.exp(-s / p.tau_rec)
    lin[1] = _decay(lin[1], s, p.tau_f)
    lin[2] = _decay(lin[2], s, p.tau_s)
    lin[3] = _decay(lin[3], s, p.tau_nr)
    lin[4] = _decay(lin[4], s, p.tau_dr)
    lin[5] = _decay(lin[5], s, p.tau_dd)
    lin[6] = _decay(lin[6], s, p.tau_bf)
    lin[7] = _decay(lin[7], s, p.tau_bs)
    for i in range(1, N_LIN):
        if abs(lin[i]) < TINY:
            lin[i] = 0.0


@njit(cache=True, inline="always")
def _apply_event(p, lin, kind, amp, w):
    """Jump of the linear states at an event (``lin`` already advanced to the event time)."""
    if kind == 0:  # compound depolarisation of peak amp (mV)
        lin[4] += amp / p.depol_norm
        lin[5] += amp / p.depol_norm
    elif kind == 1:  # presynaptic spike: release, saturating binding, own EPSP
        delta = p.rho * lin[0] * (1.0 - lin[1] - lin[2])
        lin[1] += p.I_f * delta
        lin[2] += (1.0 - p.I_f) * delta
        lin[3] += delta
        lin[0] -= p.U * lin[0]
        lin[4] += amp * w / p.depol_norm
        lin[5] += amp * w / p.depol_norm
    else:  # bAP: amplitude boosted by the local depolarisation at arrival
        vd = lin[5] - lin[4]
        a = p.bap_rest + (p.bap_max - p.bap_rest) / (1.0 + np.exp(-(vd - p.bap_vhalf) / p.bap_k))
        lin[6] += p.bap_ff * a
        lin[7] += (1.0 - p.bap_ff) * a


# Dormand-Prince 5(4) tableau
_C2, _C3, _C4, _C5 = 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0
_A21 = 1.0 / 5.0
_A31, _A32 = 3.0 / 40.0, 9.0 / 40.0
_A41, _A42, _A43 = 44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0
_A51, _A52, _A53, _A54 = 19372.0 / 6561.0, -25360.0 / 2187.0, 64448.0 / 6561.0, -212.0 / 729.0
_A61, _A62, _A63, _A64, _A65 = 9017.0 / 3168.0, -355.0 / 33.0, 46732.0 / 5247.0, 49.0 / 176.0, -5103.0 / 18656.0
_B1, _B3, _B4, _B5, _B6 = 35.0 / 384.0, 500.0 / 1113.0, 125.0 / 192.0, -2187.0 / 6784.0, 11.0 / 84.0
_E1, _E3, _E4, _E5, _E6, _E7 = (71.0 / 57600.0, -71.0 / 16695.0, 71.0 / 1920.0, -17253.0 / 339200.0,
                                22.0 / 525.0, -1.0 / 40.0)


@njit(cache=True)
def _integrate_to(p, g, cb, lin, t_anchor, t, t_stop, y, h, rtol, atol, h_max, k1, kk, ytmp, ynew, stats):
    """Integrate (Ca, K, M, W, Ca_int) from t to t_stop; returns (t_stop, next step size)."""
    if t_stop <= t:
        return t, h
    n = N_INT
    _rhs(p, g, cb, lin, t - t_anchor, y, k1)
    k2 = kk[0]
    k3 = kk[1]
    k4 = kk[2]
    k5 = kk[3]
    k6 = kk[4]
    k7 = kk[5]
    while t < t_stop:
        last = False
        h_uncut = h
        if h >= t_stop - t:
            h = t_stop - t
            last = True
        s0 = t - t_anchor
        for i in range(n):
            ytmp[i] = y[i] + h * _A21 * k1[i]
        _rhs(p, g, cb, lin, s0 + _C2 * h, ytmp, k2)
        for i in range(n):
            ytmp[i] = y[i] + h * (_A31 * k1[i] + _A32 * k2[i])
        _rhs(p, g, cb, lin, s0 + _C3 * h, ytmp, k3)
        for i in range(n):
            ytmp[i] = y[i] + h * (_A41 * k1[i] + _A42 * k2[i] + _A43 * k3[i])
        _rhs(p, g, cb, lin, s0 + _C4 * h, ytmp, k4)
        for i in range(n):
            ytmp[i] = y[i] + h * (_A51 * k1[i] + _A52 * k2[i] + _A53 * k3[i] + _A54 * k4[i])
        _rhs(p, g, cb, lin, s0 + _C5 * h, ytmp, k5)
        for i in range(n):
            ytmp[i] = y[i] + h * (_A61 * k1[i] + _A62 * k2[i] + _A63 * k3[i] + _A64 * k4[i] + _A65 * k5[i])
        _rhs(p, g, cb, lin, s0 + h, ytmp, k6)
        for i in range(n):
            ynew[i] = y[i] + h * (_B1 * k1[i] + _B3 * k3[i] + _B4 * k4[i] + _B5 * k5[i] + _B6 * k6[i])
        _rhs(p, g, cb, lin, s0 + h, ynew, k7)
        err = 0.0
        for i in range(n - 1):  # Ca_int is a read-out: it does not steer the step
            e = h * (_E1 * k1[i] + _E3 * k3[i] + _E4 * k4[i] + _E5 * k5[i] + _E6 * k6[i] + _E7 * k7[i])
            yi = abs(y[i])
            yn = abs(ynew[i])
            sc = atol + rtol * (yi if yi > yn else yn)
            err += (e / sc) ** 2
        err = np.sqrt(err / (n - 1))
        if err <= 1.0:
            if ynew[0] > stats[0]:
                stats[0] = ynew[0]
            if ynew[0] > p.theta_d or y[0] > p.theta_d:
                # time above theta_d and the supra-threshold integral: trapezoid over the step
                a0 = y[0] - p.theta_d if y[0] > p.theta_d else 0.0
                a1 = ynew[0] - p.theta_d if ynew[0] > p.theta_d else 0.0
                stats[5] += 0.5 * h * (a0 + a1)
                if ynew[0] > p.theta_d:
                    stats[3] += h
                    if ynew[1] > _theta_p(p, ynew[2]):
                        stats[4] += h
            stats[1] += 1.0
            t = t_stop if last else t + h
            for i in range(n):
                y[i] = ynew[i]
                k1[i] = k7[i]
            fac = 5.0 if err == 0.0 else min(5.0, 0.9 * err ** -0.2)
            # a step cut short to land on t_stop says little about the next: keep the
            # uncut size unless the controller asks for a smaller one
            h = h_uncut if (last and fac >= 1.0) else h * fac
        else:
            stats[2] += 1.0
            h = h * max(0.2, 0.9 * err ** -0.2)
        if h > h_max:
            h = h_max
    return t, h


@njit(cache=True)
def run_population(p, g_homeo, ca_bg, ev_ptr, ev_t, ev_kind, ev_amp, y0, t0, t1, rec_t, rtol, atol, h_max, h_event,
                   y_out, rec, stats):
    """Integrate every synapse from ``t0`` to ``t1`` (s).

    Parameters
    ----------
    p : SynParams
    g_homeo : (S,) float64
        Homeostatic factor of each synapse's NMDA calcium current (model ``g_homeo``).
    ca_bg : (S,) float64
        Background calcium of each synapse (model ``Ca_bg``, µM): K and M integrate Ca - Ca_bg.
    ev_ptr : (S+1,) int64
        CSR pointer: events of synapse s are ``ev_*[ev_ptr[s]:ev_ptr[s+1]]``, sorted by
        time, then kind (events before ``t0`` or after ``t1`` are ignored).
    ev_t, ev_kind, ev_amp : (E,) float64, int64, float64
        Event time (s), kind (0 depolarisation, 1 presynaptic spike, 2 bAP arrival) and
        amplitude (mV; see the module docstring).
    y0 : (S, N_STATE) float64
        Initial states at ``t0``.
    rec_t : (R,) float64
        Sorted times in [t0, t1] at which ``RECORDED`` variables are written to ``rec``.
    rtol, atol : float
        Tolerances of the embedded pair on (Ca, M, W).
    h_max : float
        Largest step, s. ``h_event``: first step after an event, s.
    y_out : (S, N_STATE) float64, written
        States at ``t1``.
    rec : (S, R, len(RECORDED)) float64, written
    stats : (S, len(STATS)) float64, written
        Highest accepted Ca (µM), accepted and rejected steps, time with Ca above θ_d and
        above θ_p (s).
    """
    n_syn = ev_ptr.shape[0] - 1
    n_rec = rec_t.shape[0]
    lin = np.empty(N_LIN)
    y = np.empty(N_INT)
    k1 = np.empty(N_INT)
    kk = np.empty((6, N_INT))
    ytmp = np.empty(N_INT)
    ynew = np.empty(N_INT)
    for s in range(n_syn):
        for i in range(N_LIN):
            lin[i] = y0[s, i]
        for i in range(N_INT):
            y[i] = y0[s, N_LIN + i]
        st = stats[s]
        for i in range(st.shape[0]):
            st[i] = 0.0
        st[0] = y[0]
        t = t0
        t_anchor = t0
        h = h_event
        k = ev_ptr[s]
        end = ev_ptr[s + 1]
        while k < end and ev_t[k] < t0:
            k += 1
        r = 0
        while r < n_rec and rec_t[r] < t0:
            r += 1
        while True:
            t_ev = ev_t[k] if k < end else np.inf
            t_rec = rec_t[r] if r < n_rec else np.inf
            t_stop = min(t_ev, t_rec, t1)
            t, h = _integrate_to(p, p.G * g_homeo[s], ca_bg[s], lin, t_anchor, t, t_stop, y, h, rtol, atol, h_max, k1, kk, ytmp, ynew, st)
            while r < n_rec and rec_t[r] <= t:
                rec[s, r, 0] = y[3]
                rec[s, r, 1] = y[0]
                rec[s, r, 2] = y[1]
                rec[s, r, 3] = y[2]
                rec[s, r, 4] = _theta_p(p, y[2])
                r += 1
            if k < end and ev_t[k] <= t and t_ev <= t1:
                _advance_linear(p, lin, t - t_anchor)
                t_anchor = t
                while k < end and ev_t[k] <= t:
                    _apply_event(p, lin, ev_kind[k], ev_amp[k], y[3])
                    k += 1
                if h > h_event:
                    h = h_event
            elif t >= t1:
                break
        _advance_linear(p, lin, t1 - t_anchor)
        for i in range(N_LIN):
            y_out[s, i] = lin[i]
        for i in range(N_INT):
            y_out[s, N_LIN + i] = y[i]
