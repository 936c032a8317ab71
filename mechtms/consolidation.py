"""Consolidation: the early weight change of a session persists only when it is captured.

Two SBML models run side by side, session by session:

* ``bdnf_trkb_erk`` receives the session's activity-dependent drive (``act``, its dose
  computed here from a named activity quantity by :func:`bdnf_dose`) and yields p-ERK;
* ``synaptic_consolidation`` receives the session's early weight change (``dW_in``: the
  tags) and, as its PRP synthesis signal, the BDNF model's relative p-ERK excess
  ``pERK/pERK_0 - 1`` (or, as an option, its ``trophic`` mTORC1 output); it returns the
  early and the consolidated (late) weight components.

The chain (``mechtms.coupling``) calls :func:`step` once per session, after the
plasticity layer: ``state, trace = step(state, early_dW, activity, hours_until_next)``;
the next session starts from ``1 + state.w_total`` times the baseline E->E weight.
:func:`consolidate_course` runs a whole course of given early changes and activities.

Coupling of the two models (one way, BDNF -> synapse). The BDNF model is run over the
whole interval first; its p-ERK signal is then handed to the consolidation model as a
piecewise-constant input, the interval cut into chunks within which the signal varies by
less than ``signal_tol`` (each chunk gets the exact time average of the signal). The
splitting error is tested against halving ``signal_tol`` (``tests/test_consolidation.py``).

Sources and assumptions of the models are in their headers and in ``docs/consolidation.md``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from . import __version__, _checks

MODEL = "synaptic_consolidation"
BDNF_MODEL = "bdnf_trkb_erk"

#: Named activity quantities that can drive the BDNF model's session input ``act``.
#: Dose = quantity / quantity of the reference session (dose 1 = the reference session, the
#: activity at which the BDNF model's course behaviour is calibrated: Chen et al. 2015).
ACTIVITY_QUANTITIES = {
    "post_spikes_per_cell": (
        "spikes", "evoked postsynaptic spikes per excitatory neuron during the session (spikes above "
        "spontaneous firing). Activity-dependent BDNF transcription follows action-potential-driven "
        "Ca2+ entry (Tao X et al. 1998 Neuron 20:709: Ca2+ -> CREB -> BDNF exon IV) and BDNF release "
        "needs postsynaptic spiking (Hartmann M et al. 2001 EMBO J 20:5887; Kuczewski N et al. 2008 "
        "J Neurosci 28:7013)"),
    "ca_integral_uM_s": (
        "uM s", "session calcium integral above rest of the sampled synapse population, population "
        "mean (the plasticity layer's Ca_int): the same Ca2+ signal, as the synapses see it"),
}
DEFAULT_QUANTITY = "post_spikes_per_cell"

#: PRP synthesis signals that the BDNF model can provide (name -> description).
PRP_SOURCES = {
    "pERK": "relative excess of p-ERK over rest, pERK/pERK_0 - 1 (ERK -> translation: Kelleher et al. 2004)",
    "trophic": "relative excess of mTORC1 activity over rest (TrkB -> PI3K/Akt -> mTORC1 -> translation; "
               "rapamycin blocks late LTP: Tang SJ et al. 2002 PNAS 99:467). The model's K_prp is "
               "calibrated for pERK: rescale it (synapse_changes={'K_prp': ...}) when using this source",
}

#: Consolidation-model states and what they are (units: fraction of the baseline weight or 0..1).
SYNAPSE_VARS = {
    "w_early": "early (protein-synthesis independent) weight change, fraction of baseline weight",
    "w_late": "consolidated (late) weight change, fraction of baseline weight",
    "w_total": "w_early + w_late, fraction of baseline weight",
    "tag_p": "fraction of stimulated synapses with an LTP tag",
    "tag_d": "fraction of stimulated synapses with an LTD tag",
    "prp": "available plasticity-related proteins, fraction of maximum",
}
BDNF_VARS = ("BDNF", "pTrkB", "pERK", "trophic")

#: Grid of the BDNF run and of the chunk boundaries (h): 3 min.
BASE_STEP_H = 0.05


@dataclass(frozen=True)
class Training:
    """Training after a session that makes plasticity-related proteins without tagging the
    stimulated synapses (behavioural tagging).

    A weak induction sets tags but makes no PRPs, so its early LTP fades within hours; an
    independent event that makes PRPs close in time converts it into late LTP. In freely
    moving rats, a weak tetanus's dentate LTP is reinforced by appetitive or aversive stimuli
    given after it, up to about 1 h (Seidenbecher, Reymann & Balschun 1997, PNAS 94:1494), by
    exploring a novel environment 15-30 min before it, not 60 min (Straube et al. 2003,
    J Physiol 552:953), and by spatial learning 15 min after it (Uzakov, Frey & Korz 2005,
    Learn Mem 12:165); anisomycin blocks the reinforcement. The behavioural counterpart is
    behavioural tagging (Moncada & Viola 2007, J Neurosci 27:7476). Motor learning needs
    protein synthesis in the trained motor cortex (Luft et al. 2004, J Neurosci 24:6515).
    Rehabilitation given right after rTMS, as in most stroke trials, is such an event for the
    synapses the session tagged: it is how a session too weak to make PRPs itself (a
    subthreshold theta burst) can still leave a lasting change.

    The training's PRP synthesis signal is added to the BDNF model's (both in units of the
    relative p-ERK excess, :func:`prp_signal`) from ``start_h`` to ``start_h + hours`` after
    the session's start, sampled on the :data:`BASE_STEP_H` grid. The training sets no tags
    of its own at the stimulated synapses: with a sham session it changes nothing there.

    Attributes
    ----------
    prp_signal : float
        PRP synthesis signal while training (relative p-ERK excess). ASSUMED 0.25, the peak
        of the reference session (``docs/consolidation.md``): a training session is taken
        to trigger synthesis as a strong induction does (88 % of maximal with ``K_prp``):
        the reinforcement experiments report conversion to late LTP, not a graded amount.
        Results hardly depend on it above the threshold (``docs/consolidation.md``).
    start_h : float
        Start after the session's start, h. ASSUMED 0.5 (therapy right after the session).
    hours : float
        Duration, h. ASSUMED 1 (the trials' conventional therapy: 30-60 min a day).
    """

    prp_signal: float = 0.25
    start_h: float = 0.5
    hours: float = 1.0

    def __post_init__(self) -> None:
        _checks.finite_number("prp_signal", self.prp_signal, low=0.0, high=5.0)
        _checks.finite_number("start_h", self.start_h, low=0.0, high=24.0)
        _checks.finite_number("hours", self.hours, low=0.0, low_open=True, high=24.0)

    #: The value of a ``training`` option that means "the condition's own".
    DEFAULT = "default"

    @staticmethod
    def is_default(value) -> bool:
        """Whether ``value`` is :attr:`DEFAULT` (the condition's own training)."""
        return isinstance(value, str) and value == Training.DEFAULT

    @staticmethod
    def check(value, name: str = "training") -> Training | None:
        """``value`` as a :class:`Training` or None; a mapping of its fields (a scan spec's plain
        data) is converted; anything else is a ValueError naming ``name``."""
        if isinstance(value, Mapping):
            return _checks.replace_fields(Training(), f"field of {name}", dict(value))
        if value is not None and not isinstance(value, Training):
            raise ValueError(f"{name} must be a mechtms.consolidation.Training, a mapping of its fields or None, "
                             f"got {type(value).__name__}")
        return value

    def signal(self, hours_since_session) -> np.ndarray:
        """The training's PRP signal at ``hours_since_session`` (array, h)."""
        t = np.asarray(hours_since_session, dtype=float)
        on = (t >= self.start_h - 1e-9) & (t < self.start_h + self.hours - 1e-9)
        return np.where(on, self.prp_signal, 0.0)


def bdnf_dose(activity, reference: Mapping[str, float] | None = None,
              quantity: str = DEFAULT_QUANTITY) -> float:
    """Session activity -> dose of the BDNF model's session input ``act``.

    Parameters
    ----------
    activity : float or mapping
        A number is taken as the dose itself (1 = the reference session). A mapping holds
        named activity quantities of the session (:data:`ACTIVITY_QUANTITIES`), e.g. the
        plasticity layer's session statistics; ``quantity`` picks one.
    reference : mapping, optional
        The same quantities for the reference session (dose 1); required with a mapping.
    quantity : str
        Which quantity drives BDNF (default ``"post_spikes_per_cell"``).

    Returns
    -------
    float
        ``activity[quantity] / reference[quantity]`` (>= 0). Linear scaling is ASSUMED:
        the BDNF model's calibration fixes dose 1 only.
    """
    if isinstance(activity, Mapping):
        quantity = _checks.choice("quantity", quantity, ACTIVITY_QUANTITIES)
        if quantity not in activity:
            raise _checks.unknown_name("activity quantity", quantity, activity)
        if reference is None:
            raise ValueError(f"bdnf_dose needs reference (the reference session's {quantity!r}) "
                             f"when activity is a mapping")
        if quantity not in reference:
            raise _checks.unknown_name("reference quantity", quantity, reference)
        value = _checks.finite_number(f"activity[{quantity!r}]", activity[quantity], low=0)
        ref = _checks.finite_number(f"reference[{quantity!r}]", reference[quantity], low=0, low_open=True)
        return value / ref
    return _checks.finite_number("activity", activity, low=0)


@dataclass(frozen=True)
class ConsolidationState:
    """State of both models at time ``t_h`` (hours since the start of the course).

    ``bdnf`` and ``synapse`` map state names to values (``bdnf_trkb_erk`` and
    ``synaptic_consolidation``). ``w_early``, ``w_late`` and ``w_total`` are changes of the
    stimulated E->E weight, as fractions of its baseline.
    """

    t_h: float
    bdnf: Mapping[str, float] = field(repr=False)
    synapse: Mapping[str, float]

    @classmethod
    def rest(cls, t_h: float = 0.0) -> ConsolidationState:
        """Both models at their resting (sham) steady state."""
        return cls(float(t_h), _resting(BDNF_MODEL), _resting(MODEL))

    @property
    def w_early(self) -> float:
        return float(self.synapse["w_early"] + self.synapse["dW_in"])

    @property
    def w_late(self) -> float:
        return float(self.synapse["w_late"])

    @property
    def w_total(self) -> float:
        """Early + late change (an early change not yet expressed counts as early)."""
        return self.w_early + self.w_late


_REST: dict[str, dict[str, float]] = {}


def _resting(model: str) -> dict[str, float]:
    if model not in _REST:
        from .ode import simulate_model

        ds = simulate_model(model, t_end=1e-6, points=2)
        _REST[model] = json.loads(ds.attrs["final_state"])
    return dict(_REST[model])


def _per_session(name: str, value, n: int) -> list[dict]:
    """A mapping for every session, or one mapping per session."""
    if value is None or isinstance(value, Mapping):
        return [dict(value or {})] * n
    items = list(value)
    if len(items) != n:
        raise ValueError(f"{name} has {len(items)} entries but there are {n} sessions")
    return [dict(v or {}) for v in items]


def _chunks(t: np.ndarray, sig: np.ndarray, tol: float, max_h: float) -> list[tuple[int, int, float]]:
    """Cut the grid ``t`` into chunks [i, j] within which ``sig`` spans <= ``tol``.

    Returns (i, j, mean) with the trapezoid time average of ``sig`` over the chunk.
    """
    out, i, n = [], 0, t.size - 1
    while i < n:
        j, lo, hi = i + 1, min(sig[i], sig[i + 1]), max(sig[i], sig[i + 1])
        while j < n and t[j + 1] - t[i] <= max_h:
            lo2, hi2 = min(lo, sig[j + 1]), max(hi, sig[j + 1])
            if hi2 - lo2 > tol:
                break
            lo, hi, j = lo2, hi2, j + 1
        seg_t, seg = t[i:j + 1], sig[i:j + 1]
        out.append((i, j, float(np.trapezoid(seg, seg_t) / (seg_t[-1] - seg_t[0]))))
        i = j
    return out


def prp_signal(bdnf_run, source: str = "pERK") -> np.ndarray:
    """PRP synthesis signal from a ``bdnf_trkb_erk`` run (selections incl. ``pERK``, ``pERK_0``, ``trophic``)."""
    source = _checks.choice("prp_source", source, PRP_SOURCES)
    if source == "pERK":
        return bdnf_run["pERK"].values / bdnf_run["pERK_0"].values - 1.0
    return bdnf_run["trophic"].values.copy()


def step(state: ConsolidationState | None, early_dW: float, activity, hours_until_next: float, *,
         reference: Mapping[str, float] | None = None, quantity: str = DEFAULT_QUANTITY,
         prp_source: str = "pERK", bdnf_changes: Mapping[str, float] | None = None,
         synapse_changes: Mapping[str, float] | None = None, training: Training | None = None,
         signal_tol: float = 0.02, max_chunk_h: float = 6.0, trace_step_h: float = 0.25):
    """One session and the interval until the next: early change in, consolidated weight out.

    Parameters
    ----------
    state : ConsolidationState or None
        State at the start of the session (``None``: rest at t = 0).
    early_dW : float
        The session's early weight change handed over by the plasticity layer, as a
        fraction of the baseline weight (+0.3 = +30 %; the population mean 30 min after
        the session). Sets the tags (its sign and size).
    activity : float or mapping
        The session's activity: a BDNF dose, or named quantities (:func:`bdnf_dose`).
    hours_until_next : float
        Hours from this session's start to the next session (or to the end of the run).
    reference, quantity :
        Passed to :func:`bdnf_dose`.
    prp_source : {"pERK", "trophic"}
        Which BDNF-model output is the PRP synthesis signal (:data:`PRP_SOURCES`).
    bdnf_changes, synapse_changes : mapping, optional
        Parameter changes of the two models (drugs: ``{"trk_inhib": 1}`` K252a/ANA-12,
        ``{"mek_inhib": 1}`` U0126, ``{"prot_inhib": 1}`` anisomycin).
    training : Training, optional
        Training after the session that makes PRPs (behavioural tagging): its signal is added
        to the BDNF model's PRP signal (:class:`Training`). None: no training.
    signal_tol : float
        Largest span of the PRP signal within one piecewise-constant chunk.
    max_chunk_h : float
        Longest chunk (h).
    trace_step_h : float
        Spacing of the returned trace (h), a multiple of 0.05 h.

    Returns
    -------
    state : ConsolidationState
        At ``state.t_h + hours_until_next``: pass it to the next call.
    trace : xarray.Dataset
        Dim ``time`` (hours since the course start): the synapse variables of
        :data:`SYNAPSE_VARS`, ``prp_signal`` (as handed over, piecewise constant) and
        ``BDNF``, ``pTrkB``, ``pERK``, ``trophic``; units in ``attrs["units"]``.
    """
    import xarray as xr

    from .ode import simulate_model

    state = ConsolidationState.rest() if state is None else state
    if not isinstance(state, ConsolidationState):
        raise ValueError(f"state must be a ConsolidationState or None, got {type(state).__name__}")
    early_dW = _checks.finite_number("early_dW", early_dW, low=-1, high=10)
    dose = bdnf_dose(activity, reference, quantity)
    hours = _checks.finite_number("hours_until_next", hours_until_next, low=0, low_open=True)
    signal_tol = _checks.finite_number("signal_tol", signal_tol, low=0, low_open=True)
    max_chunk_h = _checks.finite_number("max_chunk_h", max_chunk_h, low=BASE_STEP_H)
    trace_step_h = _checks.finite_number("trace_step_h", trace_step_h, low=BASE_STEP_H)
    prp_source = _checks.choice("prp_source", prp_source, PRP_SOURCES)
    training = Training.check(training)

    n = max(1, int(np.ceil(hours / BASE_STEP_H - 1e-9)))
    grid = np.linspace(0.0, hours, n + 1)
    bdnf_start = dict(state.bdnf)
    bdnf_start["act"] = bdnf_start.get("act", 0.0) + dose
    bd = simulate_model(BDNF_MODEL, changes=bdnf_changes, initial_state=bdnf_start, t_end=hours, points=n + 1,
                        selections=[*BDNF_VARS, "pERK_0"])
    signal = prp_signal(bd, prp_source)
    if training is not None:
        signal = signal + training.signal(grid)

    syn = dict(state.synapse)
    syn["dW_in"] = syn.get("dW_in", 0.0) + early_dW
    pieces: dict[str, list[np.ndarray]] = {name: [] for name in SYNAPSE_VARS}
    used = np.empty(n + 1)
    base = dict(synapse_changes or {})
    for i, j, value in _chunks(grid, signal, signal_tol, max_chunk_h):
        seg = simulate_model(MODEL, changes={**base, "prp_signal": value}, initial_state=syn,
                             t_start=float(grid[i]), t_end=float(grid[j]), points=j - i + 1,
                             selections=list(SYNAPSE_VARS))
        syn = json.loads(seg.attrs["final_state"])
        for name in SYNAPSE_VARS:
            pieces[name].append(seg[name].values[:-1])
        used[i:j + 1] = value
    for name in SYNAPSE_VARS:
        pieces[name].append(np.array([syn[name] if name in syn else _algebra(name, syn)]))

    every = max(1, int(round(trace_step_h / BASE_STEP_H)))
    keep = np.unique(np.r_[np.arange(0, n + 1, every), n])
    units = {name: "1 (fraction of baseline weight)" if name.startswith("w_") else "1 (fraction)"
             for name in SYNAPSE_VARS}
    data = {name: ("time", np.concatenate(pieces[name])[keep], {"units": units[name], "long_name": SYNAPSE_VARS[name]})
            for name in SYNAPSE_VARS}
    data["prp_signal"] = ("time", used[keep], {"units": "1", "long_name": PRP_SOURCES[prp_source]})
    for name in BDNF_VARS:
        data[name] = ("time", bd[name].values[keep], dict(bd[name].attrs))
    time = state.t_h + grid[keep]
    trace = xr.Dataset(data, coords={"time": ("time", time, {"units": "hour", "long_name": "hours since course start"})},
                       attrs={"mechtms_version": __version__, "models": json.dumps([BDNF_MODEL, MODEL]),
                              "early_dW": early_dW, "bdnf_dose": dose, "prp_source": prp_source,
                              "bdnf_changes": json.dumps(dict(bdnf_changes or {}), sort_keys=True),
                              "synapse_changes": json.dumps(base, sort_keys=True), "signal_tol": signal_tol,
                              "training": json.dumps(None if training is None else asdict(training))})
    new = ConsolidationState(state.t_h + hours, json.loads(bd.attrs["final_state"]), syn)
    return new, trace


def _algebra(name: str, syn: Mapping[str, float]) -> float:
    if name == "w_total":
        return float(syn["w_early"] + syn["w_late"])
    raise KeyError(name)


def consolidate_course(early_changes_by_session: Sequence[float], activity_by_session: Sequence,
                       session_times_h: Sequence[float], *, t_end_h: float | None = None,
                       reference: Mapping[str, float] | None = None, quantity: str = DEFAULT_QUANTITY,
                       prp_source: str = "pERK", bdnf_changes=None, synapse_changes=None,
                       signal_tol: float = 0.02, trace_step_h: float = 0.25):
    """Run a course of sessions with given early changes and activities.

    Parameters
    ----------
    early_changes_by_session : sequence of float, shape (S,)
        Early weight change of each session (fraction of baseline; see :func:`step`).
    activity_by_session : sequence, shape (S,)
        Each session's activity: a BDNF dose or a mapping of named quantities.
    session_times_h : sequence of float, shape (S,)
        Session start times, hours from t = 0, strictly increasing, >= 0.
    t_end_h : float, optional
        End of the run (default: 24 h after the last session).
    bdnf_changes, synapse_changes : mapping or sequence of S mappings, optional
        Parameter changes of the two models, for the whole course or per session (a drug
        given around one session).
    reference, quantity, prp_source, signal_tol, trace_step_h :
        As in :func:`step`.

    Returns
    -------
    xarray.Dataset
        Dim ``time`` (hours): the trace of :func:`step`, joined; dim ``session``:
        ``early_dW``, ``bdnf_dose``, ``w_late_before_next`` and ``w_total_before_next``
        (the weight the next session starts from).
    """
    import xarray as xr

    early = np.asarray(early_changes_by_session, dtype=float).ravel()
    times = np.asarray(session_times_h, dtype=float).ravel()
    activities = list(activity_by_session)
    s = early.size
    if times.size != s or len(activities) != s:
        raise ValueError(f"early_changes_by_session ({s}), activity_by_session ({len(activities)}) and "
                         f"session_times_h ({times.size}) must have one entry per session")
    if s == 0:
        raise ValueError("consolidate_course needs at least one session")
    if not np.all(np.isfinite(times)) or times[0] < 0 or np.any(np.diff(times) <= 0):
        raise ValueError(f"session_times_h must be finite, >= 0 and strictly increasing, got {times.tolist()}")
    t_end = times[-1] + 24.0 if t_end_h is None else _checks.finite_number("t_end_h", t_end_h, low=times[-1],
                                                                          low_open=True)
    bdnf_per = _per_session("bdnf_changes", bdnf_changes, s)
    syn_per = _per_session("synapse_changes", synapse_changes, s)
    state = ConsolidationState.rest()
    traces = []
    kw: dict[str, Any] = dict(reference=reference, quantity=quantity, prp_source=prp_source, signal_tol=signal_tol,
              trace_step_h=trace_step_h)
    if times[0] > 0:
        state, tr = step(state, 0.0, 0.0, float(times[0]), bdnf_changes=bdnf_per[0], synapse_changes=syn_per[0], **kw)
        traces.append(tr.isel(time=slice(None, -1)))
    doses, late_next, total_next = [], [], []
    for k in range(s):
        until = (times[k + 1] if k + 1 < s else t_end) - times[k]
        state, tr = step(state, float(early[k]), activities[k], float(until), bdnf_changes=bdnf_per[k],
                         synapse_changes=syn_per[k], **kw)
        doses.append(tr.attrs["bdnf_dose"])
        late_next.append(state.w_late)
        total_next.append(state.w_total)
        traces.append(tr if k == s - 1 else tr.isel(time=slice(None, -1)))
    out = xr.concat(traces, dim="time", data_vars="all", coords="different", compat="equals",
                    combine_attrs="drop_conflicts")
    for name in out.data_vars:
        out[name].attrs = dict(traces[-1][name].attrs)
    session_units = {"early_dW": "1 (fraction of baseline weight)", "bdnf_dose": "1 (1 = reference session)",
                     "w_late_before_next": "1 (fraction of baseline weight)",
                     "w_total_before_next": "1 (fraction of baseline weight)"}
    for name, values in (("early_dW", early), ("bdnf_dose", doses), ("w_late_before_next", late_next),
                         ("w_total_before_next", total_next)):
        out[name] = ("session", np.asarray(values, dtype=float), {"units": session_units[name]})
    out = out.assign_coords(session=("session", np.arange(s)),
                            session_time_h=("session", times, {"units": "hour"}))
    out.attrs.update({"mechtms_version": __version__, "t_end_h": float(t_end), "quantity": quantity,
                      "bdnf_changes": json.dumps(bdnf_per, sort_keys=True),
                      "synapse_changes": json.dumps(syn_per, sort_keys=True)})
    for key in ("early_dW", "bdnf_dose"):
        out.attrs.pop(key, None)
    return out
