"""The stimulated cortex over a course: network -> synapse population -> consolidation, session by session.

For each session ``k`` (start ``t_k``, next start ``t_{k+1}``):

1. the network runs the session with its E->E weights scaled by the weight carried so far
   (:func:`~mechtms.coupling._convert.weight_to_network_scale` of the consolidation state's
   early + late change); its sampled synapses drive the plasticity population
   (:func:`mechtms.plasticity.run_session`), which starts from the synapses' state handed on
   by the previous session (their relaxed weights and metaplastic trace);
2. the population's early change 30 min after the session (the tag) and the session's
   evoked activity (the BDNF model's input) go to :func:`mechtms.consolidation.step`, which
   runs the cortical BDNF-TrkB-ERK instance and the tagging-and-capture model until
   ``t_{k+1}``: the late (consolidated) weight, and the cortical BDNF read-outs.

``feedback=False`` cuts step 1's feedback (every session sees the baseline network and
baseline synapses): the difference is what session-to-session feedback does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import consolidation, plasticity
from ..protocols import Course, preset
from . import _convert
from ._options import DEFAULT_NETWORK, NetworkOptions

#: The session whose evoked activity defines BDNF dose 1 (the BDNF model's course calibration):
#: the 15 Hz SCI protocol at baseline weights (mechtms.consolidation, docs/consolidation.md).
REFERENCE_PRESET = "sci_15hz_mouse"


#: Sessions shorter than this (s) run whole in the network: the repeated-block shortcut pays
#: off for long sessions only (docs/plasticity.md).
SHORTCUT_MIN_S = 300.0


def network_drive(opts: NetworkOptions) -> plasticity.NetworkDrive:
    """The plasticity layer's network options from the chain's (the axonal stand-in as in the
    layer's calibration, so a chain session equals :func:`mechtms.plasticity.after_effect`)."""
    return plasticity.NetworkDrive(network=opts.network, n_neurons=opts.n_neurons, n_synapses=opts.n_synapses,
                                   baseline_s=opts.baseline_s, max_periods=opts.max_periods,
                                   shortcut_min_s=SHORTCUT_MIN_S, x_rmt=opts.x_rmt)


_REFERENCE: dict[tuple, dict[str, float]] = {}


def reference_options(opts: NetworkOptions) -> NetworkOptions:
    """Where the reference session runs: the production M1 column at its own motor threshold and
    default size, with the chain's sampling (``n_synapses``, ``max_periods``) and seed family.

    The reference is a fixed physical calibration point of the BDNF dose (the activity of the
    15 Hz SCI session in M1), not a property of the stimulated network: a weaker recruitment
    (``x_rmt``), another size or another cortex (a DLPFC column) give a different dose.
    """
    return dataclasses.replace(opts, network=DEFAULT_NETWORK, n_neurons=NetworkOptions().n_neurons, x_rmt=None)


def reference_activity(seed: int, opts: NetworkOptions, changes: Mapping[str, float] | None = None) -> dict[str, float]:
    """Evoked activity of :data:`REFERENCE_PRESET` at baseline weights on
    :func:`reference_options` (BDNF dose 1). ``changes`` (synapse-model parameters) do not
    change the network's spikes and are ignored (kept for the signature)."""
    ref = reference_options(opts)
    key = (int(seed), ref)
    if key not in _REFERENCE:
        res = plasticity.run_session(preset(REFERENCE_PRESET), None, seed=seed, drive=network_drive(ref),
                                     weight_scale_ee=1.0)
        _REFERENCE[key] = _convert.session_activity(res)
    return _REFERENCE[key]


@dataclasses.dataclass
class CortexRun:
    """What the cortex did over a course (inputs of the daily read-outs)."""

    sessions: list[dict]
    trace: Any               # xarray.Dataset over time (h): w_early, w_late, w_total, BDNF, pTrkB, pERK, trophic
    reference: dict


@dataclasses.dataclass
class CortexState:
    """What one stimulated cortex carries from session to session.

    ``consolidation``: early and late weight change and the cortical BDNF-TrkB-ERK state
    (:class:`mechtms.consolidation.ConsolidationState`); ``synapses``: the plasticity
    population's per-synapse weights and metaplastic trace
    (:class:`mechtms.plasticity.SynapseState`, None = baseline synapses).
    """

    consolidation: consolidation.ConsolidationState
    synapses: plasticity.SynapseState | None = None

    @classmethod
    def rest(cls) -> CortexState:
        return cls(consolidation.ConsolidationState.rest(), None)


def session_step(protocol, state: CortexState, hours_until_next: float, *, seed: int, opts: NetworkOptions,
                 reference: Mapping[str, float], feedback: bool = True,
                 plasticity_changes: Mapping[str, float] | None = None,
                 bdnf_changes: Mapping[str, float] | None = None,
                 consolidation_changes: Mapping[str, float] | None = None,
                 training: consolidation.Training | None = None) -> tuple[CortexState, Any, dict]:
    """One session of one stimulated cortex and the hours until the next (the chain's unit step).

    The network runs ``protocol`` with its E->E weights at ``1 + w_total`` of the carried
    state; its sampled synapses drive the plasticity population from their carried state;
    the population's early change and the session's evoked activity go to
    :func:`mechtms.consolidation.step` for ``hours_until_next`` hours. Other course runners
    (two hemispheres after stroke) call this for each stimulated cortex.

    Parameters
    ----------
    protocol : Protocol
        The session (a sham delivers no pulse: background activity only).
    state : CortexState
        Carried from the previous session (:meth:`CortexState.rest` before the first).
    hours_until_next : float
        From this session's start to the next session's start (or the end of the course), h.
    seed : int
        Network instance, noise and synapse sample.
    opts : NetworkOptions
    reference : mapping
        Activity of the reference session (:func:`reference_activity`): BDNF dose 1.
    feedback : bool
        False: the session sees the baseline network and baseline synapses (no carried weight).
    training : mechtms.consolidation.Training, optional
        Training after the session that makes plasticity-related proteins (behavioural
        tagging: rehabilitation after rTMS). None: none.

    Returns
    -------
    (CortexState, xarray.Dataset, dict)
        The state at the next session, the consolidation trace over the interval (time: hours
        since the course start, the state's clock), and the session's record (the per-session variables of :func:`mechtms.simulate`).
    """
    cons = state.consolidation
    scale, clipped = _convert.weight_to_network_scale(cons.w_total) if feedback else (1.0, False)
    if not protocol.n_delivered:
        return _sham_step(state, hours_until_next, scale, clipped, reference, feedback, plasticity_changes,
                          bdnf_changes, consolidation_changes, training)
    res = plasticity.run_session(protocol, state.synapses if feedback else None, seed=seed,
                                 drive=network_drive(opts), weight_scale_ee=scale,
                                 follow_s=float(hours_until_next) * 3600.0, changes=plasticity_changes)
    early = _convert.early_change(res)
    activity = _convert.session_activity(res)
    cons, trace = consolidation.step(cons, early, activity, float(hours_until_next), reference=reference,
                                     bdnf_changes=bdnf_changes, synapse_changes=consolidation_changes,
                                     training=training)
    summary = res.summary()
    record = {
        "weight_scale": scale, "weight_clipped": clipped, "early_dW": early,
        "dW_percent": summary["dW_percent"], "dW_sd_percent": summary["dW_sd_percent"],
        "pulses_delivered": summary["pulses_delivered"], "ca_supra_uM_s": summary["ca_supra_uM_s"],
        "post_spikes_per_cell": activity["post_spikes_per_cell"],
        "bdnf_dose": float(trace.attrs.get("bdnf_dose", np.nan)),
        "w_late_after": cons.w_late,
    }
    return CortexState(cons, res.state_next if feedback else None), trace, record


def _sham_step(state, hours, scale, clipped, reference, feedback, plasticity_changes, bdnf_changes,
               consolidation_changes, training):
    """A session without pulses (sham): nothing is evoked, so it is what the chain does between
    sessions — the synapses relax at rest (closed form), the early change is 0 and the BDNF
    dose 0. Background activity is not integrated here, as it is not between sessions (its
    drift is < 1 % over a session: docs/plasticity.md), so a sham course equals no stimulation."""
    cons, trace = consolidation.step(state.consolidation, 0.0, 0.0, float(hours), reference=reference,
                                     bdnf_changes=bdnf_changes, synapse_changes=consolidation_changes,
                                     training=training)
    synapses = None
    if feedback and state.synapses is not None:
        synapses = state.synapses.relaxed(float(hours) * 3600.0, plasticity_changes)
    record = {"weight_scale": scale, "weight_clipped": clipped, "early_dW": 0.0, "dW_percent": 0.0,
              "dW_sd_percent": 0.0, "pulses_delivered": 0, "ca_supra_uM_s": 0.0, "post_spikes_per_cell": 0.0,
              "bdnf_dose": float(trace.attrs.get("bdnf_dose", 0.0)), "w_late_after": cons.w_late}
    return CortexState(cons, synapses), trace, record


def run(course: Course, seed: int, opts: NetworkOptions, *, feedback: bool = True,
        plasticity_changes: Mapping[str, float] | None = None,
        bdnf_changes: Mapping[str, float] | None = None,
        consolidation_changes: Mapping[str, float] | None = None,
        training: consolidation.Training | None = None, progress: bool = False) -> CortexRun:
    """Run every session of ``course`` and the consolidation between them (module docstring);
    ``training`` follows every session (:func:`session_step`)."""
    import xarray as xr

    starts_h = course.session_start_times_h()
    end_h = (course.end_day + 1) * 24.0
    reference = reference_activity(seed, opts, plasticity_changes)
    changes: dict[str, Any] = {"plasticity_changes": plasticity_changes, "bdnf_changes": bdnf_changes,
                               "consolidation_changes": consolidation_changes, "training": training}
    state = CortexState.rest()
    traces = []
    first = float(starts_h[0]) if starts_h.size else end_h
    if first > 0:
        # the days before the first session: a condition's model changes (a stress input) act from day 0
        cons, tr = consolidation.step(state.consolidation, 0.0, 0.0, first, reference=reference,
                                      bdnf_changes=bdnf_changes, synapse_changes=consolidation_changes)
        state = CortexState(cons, None)
        traces.append(tr)
    sessions = []
    iterator = range(starts_h.size)
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, desc=f"{course.name} sessions", unit="session")
    for k in iterator:
        t_k = float(starts_h[k])
        t_next = float(starts_h[k + 1]) if k + 1 < starts_h.size else end_h
        state, tr, record = session_step(course.protocol, state, t_next - t_k, seed=seed, opts=opts,
                                         reference=reference, feedback=feedback, **changes)
        traces.append(tr)
        sessions.append({"t_h": t_k, **record})
    if len(traces) > 1:
        traces = [t.isel(time=slice(None, -1)) if i + 1 < len(traces) and t.time.values[-1] == traces[i + 1].time.values[0]
                  else t for i, t in enumerate(traces)]
    trace = xr.concat(traces, dim="time", data_vars="all", coords="different", compat="equals",
                      combine_attrs="drop_conflicts")
    return CortexRun(sessions=sessions, trace=trace, reference=reference)
