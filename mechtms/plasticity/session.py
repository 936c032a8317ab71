"""One session of the synapse population: the function the chain calls.

:func:`run_session` takes a protocol, the synapses' state at the start (weights and the
metaplastic trace carried from earlier sessions), the network options and a seed, runs
the network over the session (cached), integrates every sampled synapse through it and
follows them at rest to the after-effect time and, for the chain, to the next session.
It returns a :class:`SessionResult`: per-synapse weight changes, their mean and spread,
the state to hand on, and activity statistics of the session (calcium, evoked spikes)
that later layers may use as the session's activity signal.

Start of a session. Each synapse starts at its background state: the network's
spontaneous activity before the first pulse (``NetworkDrive.baseline_s``) is integrated
once from rest; its vesicle resources at the first pulse and its mean calcium over the
second half of the baseline become the start of ``x``, ``K`` and ``M``. A metaplastic
excess carried from an earlier session (``SynapseState.M_excess``) is added to ``M``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import __version__, _checks
from ..protocols import Protocol
from . import _kernel as K
from . import drive as drv
from . import model as mdl
from . import population as pop

#: After-effect time after the last pulse, s (30 min: the MEP anchors span 15-60 min).
AFTER_EFFECT_S = 1800.0
#: After the last event the population is integrated this long, then followed in closed
#: form at rest (an explicit integrator would be held to steps of ~tau_Ca by stability).
SETTLE_S = 3.0
#: Window after a pulse in which spikes count as evoked, s.
EVOKED_WINDOW_S = 0.010


@dataclass(frozen=True)
class SynapseState:
    """What one session hands on to the next, per sampled synapse.

    Attributes
    ----------
    W : (S,) float
        Weight (1 = baseline).
    M_excess : (S,) float
        Metaplastic trace ``M`` (calcium above the synapse's background, averaged over
        ``tau_M``), µM; relaxes with ``tau_M``.
    """

    W: np.ndarray
    M_excess: np.ndarray

    @classmethod
    def baseline(cls, n_synapses: int) -> SynapseState:
        """Every synapse at its baseline weight, no metaplastic excess."""
        return cls(np.ones(n_synapses), np.zeros(n_synapses))

    @property
    def n_synapses(self) -> int:
        return int(self.W.shape[0])

    def relaxed(self, dt_s: float, changes: Mapping[str, float] | None = None) -> SynapseState:
        """The state after ``dt_s`` seconds at rest (no calcium): W returns to baseline with
        ``tau_decay``, the metaplastic excess with ``tau_M`` (closed forms of the model at Ca = 0)."""
        dt_s = _checks.finite_number("dt_s", dt_s, low=0)
        p = mdl.parameters(changes)
        w = p.W_base + (self.W - p.W_base) * math.exp(-dt_s / p.tau_decay)
        return SynapseState(w, self.M_excess * math.exp(-dt_s / p.tau_M))

    def mean_W(self) -> float:
        return float(np.mean(self.W))


@dataclass
class SessionResult:
    """What a session did to the sampled synapses (see :func:`run_session`).

    Per-synapse arrays have shape (S,). Weights are dimensionless (1 = baseline),
    calcium in µM above rest, times in s from the first pulse.
    """

    protocol: Protocol
    seed: int
    W_start: np.ndarray
    W_session_end: np.ndarray
    W_after: np.ndarray
    after_s: float
    state_next: SynapseState
    follow_s: float
    ca_integral_uM_s: np.ndarray
    ca_evoked_uM_s: np.ndarray
    ca_background_uM: np.ndarray
    ca_peak_uM: np.ndarray
    ca_supra_uM_s: np.ndarray
    t_ltd_s: np.ndarray
    t_ltp_s: np.ndarray
    pre_evoked: np.ndarray
    post_evoked: np.ndarray
    meta: dict = field(default_factory=dict)
    trace: Any = None

    @property
    def n_synapses(self) -> int:
        return int(self.W_start.shape[0])

    @property
    def dW_percent_per_synapse(self) -> np.ndarray:
        """Change of each synapse's weight at ``after_s`` after the last pulse, % of its start."""
        return 100.0 * (self.W_after - self.W_start) / self.W_start

    @property
    def dW_percent(self) -> float:
        """Change of the population's mean weight at ``after_s``, % of its start (the after-effect)."""
        return float(100.0 * (self.W_after.mean() - self.W_start.mean()) / self.W_start.mean())

    @property
    def dW_sd_percent(self) -> float:
        """Spread (SD over synapses) of the per-synapse change, percentage points."""
        return float(np.std(self.dW_percent_per_synapse, ddof=1)) if self.n_synapses > 1 else 0.0

    @property
    def dW_sem_percent(self) -> float:
        return self.dW_sd_percent / math.sqrt(self.n_synapses)

    def summary(self) -> dict:
        """Plain numbers for tables and the chain (population means; see the attributes)."""
        return {
            "dW_percent": self.dW_percent,
            "dW_sd_percent": self.dW_sd_percent,
            "dW_sem_percent": self.dW_sem_percent,
            "W_start": float(self.W_start.mean()),
            "W_end": float(self.W_session_end.mean()),
            "W_after": float(self.W_after.mean()),
            "W_next": float(self.state_next.W.mean()),
            "ca_integral_uM_s": float(self.ca_integral_uM_s.mean()),
            "ca_evoked_uM_s": float(self.ca_evoked_uM_s.mean()),
            "ca_background_uM": float(self.ca_background_uM.mean()),
            "ca_peak_uM": float(np.median(self.ca_peak_uM)),
            "ca_supra_uM_s": float(self.ca_supra_uM_s.mean()),
            "t_ltd_s": float(self.t_ltd_s.mean()),
            "t_ltp_s": float(self.t_ltp_s.mean()),
            "pre_evoked_per_pulse": float(self.pre_evoked.mean()),
            "post_evoked_per_pulse": float(self.post_evoked.mean()),
            "pulses_delivered": int(self.meta.get("pulses_delivered", 0)),
            "duration_s": float(self.meta.get("duration_s", 0.0)),
            "n_synapses": self.n_synapses,
        }

    def to_dataset(self):
        """Per-synapse results as an ``xarray.Dataset`` (dim ``synapse``), units and provenance in attrs."""
        import xarray as xr

        units = {"W_start": "dimensionless", "W_session_end": "dimensionless", "W_after": "dimensionless",
                 "dW_percent": "%", "ca_integral_uM_s": "uM s", "ca_evoked_uM_s": "uM s",
                 "ca_background_uM": "uM", "ca_peak_uM": "uM", "ca_supra_uM_s": "uM s", "t_ltd_s": "s", "t_ltp_s": "s",
                 "pre_evoked": "spikes per pulse", "post_evoked": "spikes per pulse"}
        values = {"W_start": self.W_start, "W_session_end": self.W_session_end, "W_after": self.W_after,
                  "dW_percent": self.dW_percent_per_synapse, "ca_integral_uM_s": self.ca_integral_uM_s,
                  "ca_evoked_uM_s": self.ca_evoked_uM_s, "ca_background_uM": self.ca_background_uM,
                  "ca_peak_uM": self.ca_peak_uM, "ca_supra_uM_s": self.ca_supra_uM_s, "t_ltd_s": self.t_ltd_s, "t_ltp_s": self.t_ltp_s,
                  "pre_evoked": self.pre_evoked, "post_evoked": self.post_evoked}
        ds = xr.Dataset({k: ("synapse", np.asarray(v, dtype=float), {"units": units[k]}) for k, v in values.items()},
                        coords={"synapse": np.arange(self.n_synapses)})
        ds.attrs.update({"protocol": json.dumps(self.protocol.summary(), sort_keys=True), "seed": self.seed,
                         "after_s": self.after_s, "mechtms_version": __version__,
                         "dW_percent_mean": self.dW_percent, "dW_percent_sd": self.dW_sd_percent,
                         **{k: v for k, v in self.meta.items() if isinstance(v, (int, float, str))}})
        return ds


def _at_rest(params: K.SynParams, y: np.ndarray, t0: float, t1: float, ca_bg: np.ndarray) -> np.ndarray:
    """States ``t1 - t0`` seconds later at rest (closed forms of the model with Ca = 0).

    Valid once the fast states have died out (``SETTLE_S`` after the last event): the
    calcium left is below 1e-10 uM, so the depression switch is shut (sig_d < 1e-12) and
    W returns to baseline with ``tau_decay``; K and M relax to -Ca_bg with ``tau_K``, ``tau_M``.
    """
    dt = max(t1 - t0, 0.0)
    out = pop.initial_state(y.shape[0], W=params.W_base + (y[:, K.I_W] - params.W_base) * np.exp(-dt / params.tau_decay))
    out[:, 0] = 1.0 - (1.0 - y[:, 0]) * np.exp(-dt / params.tau_rec)
    out[:, K.I_K] = -ca_bg + (y[:, K.I_K] + ca_bg) * np.exp(-dt / params.tau_K)
    out[:, K.I_M] = -ca_bg + (y[:, K.I_M] + ca_bg) * np.exp(-dt / params.tau_M)
    out[:, K.I_CAINT] = y[:, K.I_CAINT]
    return out


def _empty_events(n: int) -> pop.Events:
    return pop.Events(np.zeros(n + 1, dtype=np.int64), np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0))


def background_start(params: K.SynParams, events: pop.Events, t_start: float, state: SynapseState,
                     ca_h: float) -> tuple:
    """Initial states at ``t_start``, the homeostatic factors and the background calcium (module docstring).

    The baseline is integrated once with ``g_homeo = 1``; each synapse's mean calcium
    ``c`` over its second half gives ``g_homeo = Ca_h/(Ca_h + c)``, and, calcium being
    linear in the NMDA conductance, a background calcium of ``g_homeo*c``.
    """
    n = events.n_synapses
    y0 = pop.initial_state(n, W=state.W)
    t_mid = 0.5 * t_start
    first = pop.integrate(params, events, y0, t_start, t_mid)
    second = pop.integrate(params, events, first.y_end, t_mid, 0.0)
    span = -t_mid
    ca_raw = (second.y_end[:, K.I_CAINT] - first.y_end[:, K.I_CAINT]) / span if span > 0 else np.zeros(n)
    g_homeo = ca_h / (ca_h + ca_raw) if ca_h > 0 else np.ones(n)
    ca_bg = g_homeo * ca_raw
    y = pop.initial_state(n, W=state.W, M=state.M_excess)
    y[:, 0] = second.y_end[:, 0]
    return y, g_homeo, ca_bg


def _evoked(activity, which: str) -> np.ndarray:
    """Spikes per pulse in the evoked window above the chance expected from the baseline rate."""
    pulses = activity.pulse_times_s
    n = activity.n_synapses
    if not pulses.size:
        return np.zeros(n)
    out = np.empty(n)
    base_span = -activity.t_start_s
    for s in range(n):
        t = activity.pre(s) if which == "pre" else activity.post(s)
        in_win = np.searchsorted(t, pulses + EVOKED_WINDOW_S) - np.searchsorted(t, pulses)
        rate = np.count_nonzero(t < 0) / base_span if base_span > 0 else 0.0
        out[s] = in_win.mean() - rate * EVOKED_WINDOW_S
    return out


def run_session(protocol: Protocol, state: SynapseState | None = None, *, seed: int = 0,
                drive: drv.NetworkDrive | None = None, weight_scale_ee: float = 1.0,
                after_s: float = AFTER_EFFECT_S, follow_s: float | None = None,
                changes: Mapping[str, float] | None = None, activity=None, record_dt_s: float | None = None,
                cache: bool = True, rtol: float = pop.RTOL, atol: float = pop.ATOL) -> SessionResult:
    """Run one session of the network-driven synapse population.

    Parameters
    ----------
    protocol : Protocol
        The session (first pulse at t = 0 s). A sham gives the background alone.
    state : SynapseState, optional
        Synapses at the start (default: baseline weights, no metaplastic excess). Its
        size must equal ``drive.n_synapses``.
    seed : int
        Network instance, noise, recruitment and synapse sample (same seed, same synapses).
    drive : NetworkDrive, optional
        Network options (network, size, number of synapses, baseline; axonal stand-in).
    weight_scale_ee : float
        E->E weight factor of the network in this session (the chain's feedback).
    after_s : float
        After-effect time after the last pulse, s (default 1800 s).
    follow_s : float, optional
        Time after the first pulse at which the state handed on is taken (the chain: the
        next session's start); default: the end of the record.
    changes : mapping, optional
        Synapse-model parameters (names of ``models/calcium_plasticity.ant``).
    activity : SynapseActivity, optional
        Drive the population with these event trains instead of running the network
        (hand-built trains, :func:`mechtms.plasticity.drive.slice_activity`).
    record_dt_s : float, optional
        Record the population's W, Ca, K, M, theta_p every this many seconds over the
        record (``SessionResult.trace``, an ``xarray.Dataset``).
    cache : bool
        Reuse the network activity of an identical earlier run.
    rtol, atol : float
        Integrator tolerances (:data:`mechtms.plasticity.population.RTOL`, ``ATOL``).

    Returns
    -------
    SessionResult
    """
    if not isinstance(protocol, Protocol):
        raise ValueError(f"protocol must be a mechtms.protocols.Protocol, got {type(protocol).__name__}; "
                         f"build one with mechtms.protocols.rtms(...) or preset(name)")
    after_s = _checks.finite_number("after_s", after_s, low=0)
    drive = drive or drv.NetworkDrive()
    if activity is None:
        activity = drv.network_activity(protocol, seed=seed, drive=drive, weight_scale_ee=weight_scale_ee,
                                        cache=cache)
    n = activity.n_synapses
    if state is None:
        state = SynapseState.baseline(n)
    if state.n_synapses != n:
        raise ValueError(f"state holds {state.n_synapses} synapses but the session samples {n}; "
                         f"use the same n_synapses (and seed) for every session")
    params = mdl.parameters(changes)
    events = pop.events_from_activity(activity, mdl.bap_delay_s(changes))
    t_start, t_end = float(activity.t_start_s), float(activity.t_end_s)
    ca_h = mdl.model_values()["Ca_h"] if changes is None or "Ca_h" not in changes else float(changes["Ca_h"])
    y0, g_homeo, ca_bg = background_start(params, events, t_start, state, ca_h)

    rec_t = None
    if record_dt_s is not None:
        step = _checks.finite_number("record_dt_s", record_dt_s, low=0, low_open=True)
        rec_t = np.arange(t_start, t_end, step)
    pre = pop.integrate(params, events, y0, t_start, 0.0, g_homeo=g_homeo, ca_bg=ca_bg, rec_t=None if rec_t is None else rec_t[rec_t < 0.0],
                        rtol=rtol, atol=atol)
    sess = pop.integrate(params, events, pre.y_end, 0.0, t_end, g_homeo=g_homeo, ca_bg=ca_bg,
                         rec_t=None if rec_t is None else rec_t[rec_t >= 0.0], rtol=rtol, atol=atol)
    y_end = sess.y_end
    t_last = float(activity.pulse_times_s[-1]) if activity.pulse_times_s.size else (
        float(protocol.duration_s) if protocol.n_delivered else 0.0)
    t_after = max(t_last + after_s, t_end)
    rest = _empty_events(n)
    t_settle = t_end + SETTLE_S
    settled = pop.integrate(params, rest, y_end, t_end, t_settle, g_homeo=g_homeo, ca_bg=ca_bg, rtol=rtol, atol=atol)
    after = _at_rest(params, settled.y_end, t_settle, t_after, ca_bg)
    follow = t_end if follow_s is None else _checks.finite_number("follow_s", follow_s, low=0)
    if follow > t_end:
        at_follow = _at_rest(params, settled.y_end, t_settle, follow, ca_bg) if follow >= t_settle else pop.integrate(
            params, rest, y_end, t_end, follow, g_homeo=g_homeo, ca_bg=ca_bg, rtol=rtol, atol=atol).y_end
    else:
        follow = t_end
        at_follow = y_end
    state_next = SynapseState(at_follow[:, K.I_W].copy(), np.maximum(at_follow[:, K.I_M], 0.0))
    ca_int = y_end[:, K.I_CAINT] - pre.y_end[:, K.I_CAINT]
    stats = np.maximum(pre.stats, 0.0)
    meta = {"pulses_delivered": int(activity.pulse_times_s.size), "duration_s": t_last,
            "t_record_s": t_end - t_start, "p_direct_E": float(activity.meta.get("p_direct_E", float("nan"))),
            "p_axonal_standin": float(activity.meta.get("p_axonal_standin", 0.0)),
            "pre_axon_frac": float(activity.meta.get("pre_axon_frac_mean", activity.meta.get("p_axonal_standin", 0.0))),
            "axonal_arrivals_added": int(activity.meta.get("axonal_standin", 0)),
            "network": str(activity.meta.get("network", "")),
            "weight_scale_ee": float(activity.meta.get("weight_scale_ee", weight_scale_ee)),
            "rate_E_hz": float(activity.meta.get("rate_E_hz", float("nan"))), "rtol": rtol, "atol": atol,
            "model_sha256": _model_digest()}
    trace = _trace(pre, sess, params) if rec_t is not None else None
    return SessionResult(
        protocol=protocol, seed=int(seed), W_start=state.W.copy(), W_session_end=y_end[:, K.I_W].copy(),
        W_after=after[:, K.I_W].copy(), after_s=after_s, state_next=state_next, follow_s=follow,
        ca_integral_uM_s=ca_int, ca_evoked_uM_s=ca_int - ca_bg * t_end, ca_background_uM=ca_bg,
        ca_peak_uM=np.maximum(stats[:, 0], sess.stats[:, 0]), ca_supra_uM_s=sess.stats[:, 5].copy(), t_ltd_s=sess.stats[:, 3].copy(),
        t_ltp_s=sess.stats[:, 4].copy(), pre_evoked=_evoked(activity, "pre"), post_evoked=_evoked(activity, "post"),
        meta={**meta, "g_homeo_mean": float(g_homeo.mean())}, trace=trace)


def _model_digest() -> str:
    from ..models import sbml, sbml_sha256

    return sbml_sha256(sbml(mdl.MODEL))


def _trace(pre: pop.Run, sess: pop.Run, params: K.SynParams):
    """Population mean and SD of the recorded variables over time (``xarray.Dataset``)."""
    import xarray as xr

    t = np.concatenate([pre.rec_t, sess.rec_t])
    rec = np.concatenate([pre.rec, sess.rec], axis=1)  # (S, R, V)
    units = {"W": "dimensionless", "Ca": "uM", "K": "dimensionless", "M": "dimensionless",
             "theta_p": "dimensionless"}
    data = {}
    for i, name in enumerate(K.RECORDED):
        data[name] = (("time",), rec[:, :, i].mean(axis=0), {"units": units[name], "long_name": f"population mean of {name}"})
        data[f"{name}_sd"] = (("time",), rec[:, :, i].std(axis=0), {"units": units[name]})
    data["dW_percent"] = (("time",), 100.0 * (rec[:, :, 0].mean(axis=0) - params.W_base) / params.W_base, {"units": "%"})
    return xr.Dataset(data, coords={"time": ("time", t, {"units": "second"})})
