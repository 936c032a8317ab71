"""The synapse model file as the single source of parameter values, and its regular schedule.

``models/calcium_plasticity.ant`` describes one synapse (equations, values, sources).
:func:`parameters` reads the values from its SBML, applies ``changes`` and returns the
:class:`~mechtms.plasticity._kernel.SynParams` the numba integrator uses, so a value is
written once. :func:`schedule_changes` turns a :class:`~mechtms.protocols.Protocol` into
the model's regular-schedule inputs (one representative synapse, for export and
cross-checks); :func:`sbml_with_events` writes the SBML of one synapse fed with an
explicit event train (to check the integrator against libroadrunner).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping

import numpy as np

from .. import _checks
from ..protocols import Protocol
from ._kernel import KIND_BAP, KIND_DEPOL, KIND_PRE, SynParams

MODEL = "calcium_plasticity"

#: Kernel field -> model parameter (fields not listed are derived, see :func:`parameters`).
FIELD_TO_MODEL = {
    "rho": "rho", "U": "U", "tau_rec": "tau_rec", "I_f": "I_f", "tau_f": "tau_f", "tau_s": "tau_s",
    "tau_nr": "tau_nr", "V_rest": "V_rest", "tau_dr": "tau_dr", "tau_dd": "tau_dd",
    "bap_max": "bap_max_mV", "bap_rest": "bap_rest_mV", "bap_vhalf": "bap_vhalf_mV", "bap_k": "bap_k_mV",
    "bap_ff": "bap_ff", "tau_bf": "tau_bf", "tau_bs": "tau_bs", "G": "G_NMDA", "V_r": "V_r", "k_mg": "k_mg",
    "tau_ca": "tau_Ca", "tau_K": "tau_K", "tau_M": "tau_M", "M_max": "M_max",
    "theta_d": "theta_d", "theta_p0": "theta_p0", "beta": "beta", "A_p": "A_p", "A_d": "A_d",
    "P1": "P1", "P2": "P2", "P3": "P3", "P4": "P4", "W_base": "W_base", "W_max": "W_max",
}
#: Parameters computed from others (initial assignments in the model file).
DERIVED = ("depol_norm", "t_peak_d", "tau_decay")
#: Inputs of the regular schedule and the representative synapse, with their allowed range.
DRIVE_RANGES: dict[str, tuple[float, float]] = {
    "pre_release": (0.0, 1.0), "post_spike": (0.0, 1.0), "depol_mV": (0.0, 40.0),
    "pre_offset_s": (0.0, 0.005), "post_offset_s": (0.0, 0.005), "epsp_unitary_mV": (0.0, 2.0)}
#: DEPRECATED: the mean-field drive of mechtms 0.1 (ignored since the network drives the
#: synapses). Kept so that old callers import; removed in a later release.
LEGACY_DRIVE: dict[str, float] = {"pre_prob": 1.0, "epsp_mV": 10.0, "bap_prob": 0.2, "bap_mV": 60.0}
LEGACY_DRIVE_RANGES: dict[str, tuple[float, float]] = {
    "pre_prob": (0.0, 1.0), "epsp_mV": (0.0, 40.0), "bap_prob": (0.0, 1.0), "bap_mV": (0.0, 100.0)}
#: Parameters of the model that are neither state nor schedule (what ``changes`` may set).
SCHEDULE = ("isi_s", "ppb", "ibi_s", "bpt", "train_period_s", "n_total")


@functools.cache
def _model_values(sbml_text: str) -> dict[str, float]:
    import libsbml

    model = libsbml.readSBMLFromString(sbml_text).getModel()
    return {p.getId(): p.getValue() for p in model.getListOfParameters() if p.isSetValue()}


def model_values() -> dict[str, float]:
    """Every parameter value set in the model file (derived ones excluded), by model name."""
    from ..models import sbml

    return dict(_model_values(sbml(MODEL)))


def parameters(changes: Mapping[str, float] | None = None) -> SynParams:
    """Kernel parameters from the model file, with ``changes`` (model names) applied.

    Derived values follow the model file's initial assignments: ``depol_norm`` is the
    peak of ``exp(-t/tau_dd) - exp(-t/tau_dr)``, ``tau_decay = P1/P2 + P4`` (Shouval's
    tau(Ca = 0)), ``mg_ratio = Mg_mM/K_mg_mM``.
    """
    values = model_values()
    for name, value in dict(changes or {}).items():
        if name in DERIVED:
            raise ValueError(f"{name} is derived from other parameters of {MODEL} and cannot be changed")
        if name not in values:
            raise _checks.unknown_name(f"{MODEL} parameter", name, values)
        values[name] = _checks.finite_number(f"changes[{name!r}]", value)
    kw = {field: float(values[name]) for field, name in FIELD_TO_MODEL.items()}
    tau_r, tau_d = kw["tau_dr"], kw["tau_dd"]
    if not 0 < tau_r < tau_d:
        raise ValueError(f"tau_dr ({tau_r:g} s) must be positive and shorter than tau_dd ({tau_d:g} s)")
    if not kw["W_max"] > kw["W_base"]:
        raise ValueError(f"W_max ({kw['W_max']:g}) must be above W_base ({kw['W_base']:g})")
    t_peak = math.log(tau_d / tau_r) / (1.0 / tau_r - 1.0 / tau_d)
    kw["depol_norm"] = math.exp(-t_peak / tau_d) - math.exp(-t_peak / tau_r)
    kw["mg_ratio"] = float(values["Mg_mM"]) / float(values["K_mg_mM"])
    kw["tau_decay"] = float(values["P1"]) / float(values["P2"]) + float(values["P4"])
    return SynParams(**{f: kw[f] for f in SynParams._fields})


def bap_delay_s(changes: Mapping[str, float] | None = None) -> float:
    """Delay from a somatic spike to the bAP at the spine, s (model parameter ``bap_delay_s``)."""
    return float(dict(changes or {}).get("bap_delay_s", model_values()["bap_delay_s"]))


# ---- regular schedule (the representative synapse of the model file) -------------------
def schedule_changes(protocol: Protocol) -> dict[str, float]:
    """Model inputs that make the schedule events reproduce ``protocol.pulse_times_s()``.

    Pulse ``k`` of burst ``b`` of train ``j`` is at ``j*train_period_s + b*ibi_s +
    k*isi_s``; ``n_total`` is ``protocol.n_delivered`` (0 for a sham).
    """
    if not isinstance(protocol, Protocol):
        raise ValueError(f"protocol must be a mechtms.protocols.Protocol, got {type(protocol).__name__}; "
                         f"build one with mechtms.protocols.rtms(...) or preset(name)")
    continuous = protocol.train_s is None or protocol.n_trains == 1
    return {
        "isi_s": 1.0 / protocol.burst_frequency_hz,
        "ppb": float(protocol.pulses_per_burst),
        "ibi_s": 1.0 / protocol.frequency_hz,
        "bpt": float(protocol.n_bursts if continuous else protocol.bursts_per_train),
        "train_period_s": 0.0 if continuous else float(protocol.train_period_s),
        "n_total": float(protocol.n_delivered),
    }


# ---- an explicit event train in SBML (for the libroadrunner cross-check) ----------------
_EVENT_OF_KIND = {KIND_DEPOL: "depol_event", KIND_PRE: "pre_event", KIND_BAP: "bap_event"}
_COUNTERS = ("n_pre", "n_bap", "n_depol", "t_last_pulse", "pre_pending", "bap_pending", "k_in_burst",
             "b_in_train", "j_train")


def _time_at_least(t: float):
    """The MathML ``time >= t`` with the csymbol time."""
    import libsbml

    node = libsbml.ASTNode(libsbml.AST_RELATIONAL_GEQ)
    now = libsbml.ASTNode(libsbml.AST_NAME_TIME)
    now.setName("time")
    value = libsbml.ASTNode(libsbml.AST_REAL)
    value.setValue(t)
    node.addChild(now)
    node.addChild(value)
    return node


def sbml_with_events(times_s, kinds, amps, *, changes: Mapping[str, float] | None = None) -> str:
    """SBML of the model fed with one explicit event train instead of its schedule.

    Each event becomes an SBML event at its time that makes the same jumps as the model's
    ``depol_event``/``pre_event``/``bap_event`` (their assignments are copied from the
    model, counters left out); a depolarisation's ``depol_mV`` and a release's
    ``epsp_unitary_mV`` are replaced by the event's amplitude. The schedule is switched
    off (``n_total = 0``). Times must be > 0 (a trigger true at t = 0 does not fire).

    Parameters
    ----------
    times_s : (E,) float
    kinds : (E,) int
        0 depolarisation, 1 presynaptic spike, 2 bAP arrival at the spine.
    amps : (E,) float
        mV (depolarisation peak; unitary EPSP of a release; unused for a bAP).
    changes : mapping, optional
        Parameter values written into the SBML.
    """
    import libsbml

    from ..models import sbml

    times = np.asarray(times_s, dtype=float)
    kinds = np.asarray(kinds, dtype=np.int64)
    amps = np.asarray(amps, dtype=float)
    if times.size and times.min() <= 0:
        raise ValueError("event times must be > 0 s (a trigger already true at t = 0 never fires)")
    doc = libsbml.readSBMLFromString(sbml(MODEL))
    model = doc.getModel()
    for name, value in {**dict(changes or {}), "n_total": 0.0}.items():
        p = model.getParameter(name)
        if p is None:
            raise _checks.unknown_name(f"{MODEL} parameter", name, [q.getId() for q in model.getListOfParameters()])
        p.setValue(float(value))
    templates = {k: model.getEvent(eid) for k, eid in _EVENT_OF_KIND.items()}
    for i, (t, kind, amp) in enumerate(zip(times, kinds, amps, strict=True)):
        template = templates[int(kind)]
        ev = model.createEvent()
        ev.setId(f"train_{i}")
        ev.setUseValuesFromTriggerTime(False)
        trig = ev.createTrigger()
        trig.setInitialValue(False)
        trig.setPersistent(True)
        trig.setMath(_time_at_least(float(t)))
        prio = ev.createPriority()
        prio.setMath(template.getPriority().getMath().deepCopy())
        for ea in template.getListOfEventAssignments():
            if ea.getVariable() in _COUNTERS:
                continue
            math_ = ea.getMath().deepCopy()
            if int(kind) == KIND_DEPOL:
                math_.replaceArgument("depol_mV", libsbml.parseL3Formula(repr(float(amp))))
            elif int(kind) == KIND_PRE:
                math_.replaceArgument("epsp_unitary_mV", libsbml.parseL3Formula(repr(float(amp))))
            new = ev.createEventAssignment()
            new.setVariable(ea.getVariable())
            new.setMath(math_)
    return libsbml.writeSBMLToString(doc)
