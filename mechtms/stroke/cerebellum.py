"""Cerebellum -> thalamus -> cortex: how cerebellar rTMS reaches the affected motor cortex.

Three pieces, each a named quantity handed to the next:

1. **Purkinje after-effect of a session** (:func:`session_change`). A reduced rule, not a
   model of the cerebellar cortex: the session's pulse pattern drives the package's
   calcium LTP/LTD model (:func:`mechtms.plasticity.after_effect`) as it does for cortical
   synapses, and the sign is inverted because parallel-fibre -> Purkinje synapses follow
   an inverse calcium rule: the high calcium that potentiates cortical synapses depresses
   them, the low calcium that depresses cortical synapses potentiates them (Coesmans et
   al. 2004, Neuron 44:691; Jörntell & Hansel 2006, Neuron 52:227). So a cerebellar iTBS
   session lowers Purkinje output and 1 Hz raises it (``rule="inverse"``). The opposite
   reading, "iTBS is LTP-like wherever it is applied", is ``rule="cortical"``; with it
   cerebellar iTBS raises Purkinje output and withdraws thalamic drive from M1 (see
   ``docs/stroke.md`` for the evidence on both sides).
2. **Lasting Purkinje gain** (:func:`purkinje_gain_course`): each session's early change
   is consolidated between sessions by the package's consolidation layer
   (:func:`mechtms.consolidation.step`, the same synaptic tagging and capture model as
   for cortex; ASSUMED to apply to cerebellar synapses, which express BDNF-TrkB-dependent
   late plasticity too). ``pc_gain = 1 + PURKINJE_FRACTION * w_total``.
3. **Thalamic drive** (:func:`thalamic_drive`): the population rate model
   ``models/cerebellar_thalamic_drive.ant`` (Purkinje cells --| dentate --> VL thalamus)
   turns ``pc_gain`` and the mossy-fibre input (reduced by crossed cerebellar
   diaschisis) into the relative drive of the motor thalamus, ``drive_rel``; a share
   :data:`VL_SHARE` of the M1 network's thalamic input follows it:
   ``thalamic_gain = 1 + VL_SHARE * (drive_rel - 1)`` (:func:`thalamic_gain`).

Cerebellar brain inhibition (:func:`cbi_dip`): a conditioning pulse over the cerebellum
jumps the Purkinje rate; the dip of the thalamic drive 3-8 ms later is the model's CBI
at the level of the thalamus (Ugawa et al. 1995, Ann Neurol 37:703: MEP suppressed at
ISIs of 5-7 ms).
"""

from __future__ import annotations

import numpy as np

from .. import _checks

MODEL = "cerebellar_thalamic_drive"
RULES = ("inverse", "cortical")
#: Fraction of the dentate-projecting Purkinje output that shares the stimulated synapses'
#: change. ASSUMED 0.2, the share the cortex chain gives the stimulated E->E synapses
#: (mechtms.coupling.PLASTIC_FRACTION): a coil reaches the superficial folia of one
#: hemisphere, not the whole cerebellar cortex projecting to the dentate.
PURKINJE_FRACTION = 0.2
#: Share of the M1 network's thalamic input that comes from the cerebellar-receiving motor
#: thalamus. ASSUMED 0.5: VL is the main thalamic input of M1, next to corticocortical and
#: other thalamic inputs (Sommer 2003, Curr Opin Neurobiol 13:663).
VL_SHARE = 0.5

# closed-form constants of the rate model (kept equal to its file; tested)
_P0, _D_EXC, _W_PD, _T_OTHER, _W_DT = 60.0, 100.0, 1.0, 6.0, 0.35


def steady_state(pc_gain: float = 1.0, mf_input: float = 1.0) -> dict[str, float]:
    """Closed-form steady state of the rate model: ``P``, ``D``, ``T`` (Hz) and ``drive_rel``.

    P = pc_gain P0 mf; D = max(0, D_exc mf - w_PD P); T = T_other + w_DT D;
    drive_rel = T / T(pc_gain = mf = 1).
    """
    pc_gain = _checks.finite_number("pc_gain", pc_gain, low=0.0, high=5.0)
    mf_input = _checks.finite_number("mf_input", mf_input, low=0.0, high=2.0)
    p = pc_gain * _P0 * mf_input
    d = max(0.0, _D_EXC * mf_input - _W_PD * p)
    t = _T_OTHER + _W_DT * d
    t_h = _T_OTHER + _W_DT * (_D_EXC - _W_PD * _P0)
    return {"P": p, "D": d, "T": t, "drive_rel": t / t_h}


def dentate_output(pc_gain: float = 1.0, mf_input: float = 1.0) -> float:
    """Dentate (cerebellar nuclear) rate relative to healthy (1 = healthy, untreated)."""
    return steady_state(pc_gain, mf_input)["D"] / (_D_EXC - _W_PD * _P0)


def thalamic_drive(pc_gain: float = 1.0, mf_input: float = 1.0) -> float:
    """Relative drive of the motor thalamus to M1 (1 = healthy, untreated)."""
    return steady_state(pc_gain, mf_input)["drive_rel"]


def thalamic_gain(drive_rel: float, vl_share: float = VL_SHARE) -> float:
    """Factor on the M1 network's thalamic input: ``1 + vl_share (drive_rel - 1)``."""
    drive_rel = _checks.finite_number("drive_rel", drive_rel, low=0.0, high=5.0)
    vl_share = _checks.finite_number("vl_share", vl_share, low=0.0, high=1.0)
    return 1.0 + vl_share * (drive_rel - 1.0)


def cbi_dip(cs_amp: float = 60.0, *, pc_gain: float = 1.0, mf_input: float = 1.0,
            window_ms: tuple[float, float] = (3.0, 8.0)) -> float:
    """Smallest thalamic drive 3-8 ms after a cerebellar conditioning pulse, relative to before.

    Runs the SBML model (:func:`mechtms.simulate_model`) with a Purkinje jump of
    ``cs_amp`` Hz at 10 ms. 1 = no inhibition; smaller = stronger CBI at the thalamus.
    """
    from ..ode import simulate_model

    cs_amp = _checks.finite_number("cs_amp", cs_amp, low=0.0, high=500.0)
    t_cs = 10.0
    ds = simulate_model(MODEL, changes={"pc_gain": pc_gain, "mf_input": mf_input, "cs_amp": cs_amp,
                                        "t_cs": t_cs}, t_end=t_cs + 20.0, points=601)
    t = ds["time"].values
    drive = ds["drive_rel"].values
    before = float(np.interp(t_cs - 1.0, t, drive))
    win = (t >= t_cs + window_ms[0]) & (t <= t_cs + window_ms[1])
    return float(drive[win].min() / before)


# ---- Purkinje plasticity over a course ------------------------------------------------------
_SESSIONS: dict[tuple, dict] = {}


def _session_options(network):
    from ..coupling import NetworkOptions

    if network is None:
        return NetworkOptions()
    if not isinstance(network, NetworkOptions):
        raise ValueError(f"network must be a mechtms.coupling.NetworkOptions, got {type(network).__name__}")
    return network


def purkinje_session(protocol, rule: str = "inverse", *, seed: int = 0, network=None) -> dict:
    """What one cerebellar session hands to consolidation: the early change and the BDNF dose.

    The pulse pattern drives the chain's plasticity population on the chain's network
    (:func:`mechtms.coupling.network_drive`, the same run as the first session of the same
    protocol over an M1: a stand-in for the stimulated cerebellar cortex's synaptic calcium,
    ASSUMED). ``rule="inverse"``: the stimulated Purkinje synapses change by minus the
    population's early change (parallel fibre -> Purkinje synapses, Coesmans et al. 2004);
    ``"cortical"``: by the same change. The BDNF dose is the session's evoked activity relative
    to the chain's reference session (:func:`mechtms.coupling.reference_activity`), as for a
    cortical session. A sham session changes nothing (dose 0).

    Returns
    -------
    dict with ``early_dW`` (fraction of baseline, Purkinje sign), ``cortical_dW`` (the
    population's own change), ``activity`` (the BDNF model's named inputs), ``reference``.
    """
    rule = _checks.choice("rule", rule, RULES)
    opts = _session_options(network)
    if protocol.sham or protocol.n_delivered == 0:
        return {"early_dW": 0.0, "cortical_dW": 0.0, "activity": 0.0, "reference": None}
    key = (protocol, int(seed), opts)
    if key not in _SESSIONS:
        from .. import coupling, plasticity

        res = plasticity.run_session(protocol, None, seed=int(seed), drive=coupling.network_drive(opts),
                                     weight_scale_ee=1.0)
        _SESSIONS[key] = {"cortical_dW": coupling.early_change(res), "activity": coupling.session_activity(res),
                          "reference": coupling.reference_activity(int(seed), opts)}
    out = dict(_SESSIONS[key])
    out["early_dW"] = -out["cortical_dW"] if rule == "inverse" else out["cortical_dW"]
    return out


def session_change(protocol, rule: str = "inverse", *, seed: int = 0, network=None) -> float:
    """Early change of the stimulated Purkinje synapses after one session (fraction of baseline;
    :func:`purkinje_session`)."""
    return float(purkinje_session(protocol, rule, seed=seed, network=network)["early_dW"])


def purkinje_gain_course(protocol, session_times_h, days, *,
                         rule: str = "inverse", fraction: float = PURKINJE_FRACTION,
                         readout_clock_h: float = 20.0, seed: int = 0, network=None,
                         training=None) -> dict[str, np.ndarray]:
    """Purkinje output factor at each day's read-out over a course of cerebellar sessions.

    Parameters
    ----------
    protocol : Protocol
        The session delivered over the cerebellum (a sham changes nothing).
    session_times_h : (K,) float
        Session start times, hours since day 0 00:00 (``Course.session_start_times_h()``).
    days : (n_days,) int
        Days at whose ``readout_clock_h`` the gain is reported.
    rule : {"inverse", "cortical"}
    fraction : float
        Share of the Purkinje output that carries the change (:data:`PURKINJE_FRACTION`).
    seed, network :
        The session's network instance and :class:`mechtms.coupling.NetworkOptions`
        (:func:`purkinje_session`; default the chain's).
    training : mechtms.consolidation.Training, optional
        Training after each session that makes plasticity-related proteins (balance
        rehabilitation engages the cerebellum; ASSUMED to reach the stimulated folia).

    Returns
    -------
    dict with ``pc_gain`` (n_days,), ``w_total`` (n_days,: consolidated + early change of
    the stimulated synapses, fraction), ``early_dW`` (K,), ``bdnf_dose`` (K,).
    """
    from .. import consolidation

    fraction = _checks.finite_number("fraction", fraction, low=0.0, high=1.0)
    times = np.asarray(session_times_h, dtype=float)
    read_h = np.asarray(days, dtype=int) * 24.0 + readout_clock_h
    ses = purkinje_session(protocol, rule, seed=seed, network=network)
    early = ses["early_dW"]
    w_at = np.zeros(read_h.size)
    dose = np.zeros(times.size)
    if early != 0.0 and times.size:
        state = None
        ends = np.r_[times[1:], max(times[-1], read_h.max()) + 1.0]
        for k, (t0, t1) in enumerate(zip(times, ends, strict=True)):
            state, trace = consolidation.step(state, early, ses["activity"], float(t1 - t0),
                                              reference=ses["reference"], training=training)
            dose[k] = float(trace.attrs.get("bdnf_dose", np.nan))
            th = trace["time"].values + times[0]  # trace time counts from the first session
            sel = (read_h >= t0) & (read_h < t1)
            if sel.any():
                w_at[sel] = np.interp(read_h[sel], th, trace["w_total"].values)
    return {"pc_gain": 1.0 + fraction * w_at, "w_total": w_at,
            "early_dW": np.full(times.size, early), "bdnf_dose": dose}
