"""``mt.simulate``: a course through the chain, one labelled Dataset out."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping

import numpy as np

from .. import __version__, _checks, conditions
from ..consolidation import Training
from ..protocols import Course, Protocol, preset, preset_course
from ..protocols import course as make_course
from . import _cortex, _daily
from ._options import NetworkOptions


def as_course(target, condition: conditions.Condition, days: int | None = None) -> Course:
    """A Course from a Course, a Protocol or a preset name, on the condition's calendar.

    A preset name or a Protocol is repeated daily from the condition's ``start_day`` for
    ``days`` (default the condition's); a Course is used as it is (``days`` replaces its
    length when given). A preset whose published course names a target (stroke and DLPFC
    presets: which hemisphere, the cerebellum) brings that course, calendar and target included.
    """
    if isinstance(target, str):
        published = preset_course(target)
        if published.target:
            return as_course(published, condition, days)
        target = preset(target)
    if isinstance(target, Protocol):
        n_days = condition.days if days is None else _checks.whole_number("days", days, low=1)
        return make_course(target, days=n_days, start_day=condition.start_day, name=target.name)
    if isinstance(target, Course):
        return target if days is None else target.replace(days=_checks.whole_number("days", days, low=1))
    raise ValueError(f"simulate() takes a Protocol, a Course or a preset name, got {type(target).__name__}")


def _options(cond, network) -> NetworkOptions:
    if network is not None:
        if not isinstance(network, NetworkOptions):
            raise ValueError(f"network must be a mechtms.coupling.NetworkOptions, got {type(network).__name__}")
        return network
    if isinstance(cond.network, NetworkOptions):
        return cond.network
    return NetworkOptions() if cond.network is None else NetworkOptions(network=cond.network)


def simulate(target, condition: str | conditions.Condition = "sci", seed: int = 0, *, days: int | None = None,
             coupling: bool = True, network: NetworkOptions | None = None, readout_clock_h: float | None = None,
             changes: Mapping[str, Mapping[str, float]] | None = None,
             training: Training | Mapping | None | str = "default", progress: bool = False, **engine_options):
    """Run the whole chain for a treatment course.

    Parameters
    ----------
    target : Protocol, Course or str
        A session protocol (repeated daily on the condition's calendar), a course, or a
        preset name.
    condition : str or Condition
        A name of :func:`mechtms.conditions.names` (``"sci"``, ``"healthy"``, ...).
    seed : int
        Seeds the network (instance, noise, recruitment, synapse sample) and the probe.
        Same seed, same numbers.
    days : int, optional
        Course length in days (default the condition's).
    coupling : bool
        ``True``: each session's network runs with the weights carried from the previous
        sessions (early + consolidated change) and its synapses start from their carried
        state. ``False``: every session sees the baseline network and baseline synapses (no
        session-to-session feedback); everything else is the same.
    network : NetworkOptions, optional
        Default: the condition's (the M1 column, 1,000 neurons).
    readout_clock_h : float, optional
        Clock time of the daily read-outs (default the condition's).
    changes : mapping of model -> {parameter: value}, optional
        Parameter changes of the chain's models (:data:`mechtms.conditions.CHAIN_MODELS`),
        applied over the condition's: a drug (``{"bdnf_trkb_erk": {"trk_inhib": 1}}``), a
        subject's plasticity thresholds (``{"calcium_plasticity": {...}}``), a hypothesis switch.
    training : mechtms.consolidation.Training, mapping of its fields, None or "default"
        Training after every session that makes plasticity-related proteins (behavioural
        tagging: rehabilitation or task practice within ~1 h of the session). ``"default"``:
        the condition's own — none for the cortex chain (rTMS alone), the stroke condition's
        ``StrokeSettings.rehabilitation`` (on by default). ``None``: none.
    progress : bool
        A progress bar over sessions.
    **engine_options
        Passed to a condition's own course runner (``Condition.engine``).

    Returns
    -------
    xarray.Dataset
        Dims ``day`` (daily read-outs, from day 0) and ``session``; units in
        ``attrs["units"]``; provenance in ``attrs``.
    """
    cond = conditions.get(condition)
    if changes:
        cond = _with_changes(cond, changes)
    seed = _checks.whole_number("seed", seed, low=0)
    course = as_course(target, cond, days)
    engine = cond.run_engine()
    explicit = not Training.is_default(training)
    if isinstance(training, str) and explicit:
        raise ValueError(f"training must be a mechtms.consolidation.Training, a mapping of its fields, None or "
                         f"{Training.DEFAULT!r}, got {training!r}")
    training = Training.check(training) if explicit else None
    if engine is not None and explicit:
        engine_options["training"] = training
    if engine is not None:
        return engine(course, cond, seed, coupling=coupling, network=network, readout_clock_h=readout_clock_h,
                      progress=progress, **engine_options)
    if engine_options:
        raise ValueError(f"unexpected options {sorted(engine_options)}: condition {cond.name!r} uses the cortex chain")
    opts = _options(cond, network)
    clock = cond.readout_clock_h if readout_clock_h is None else readout_clock_h
    clock = _checks.finite_number("readout_clock_h", clock, low=0, high=24, high_open=True)

    cortex = _cortex.run(course, seed, opts, feedback=coupling,
                         plasticity_changes=cond.model_changes("calcium_plasticity"),
                         bdnf_changes=cond.model_changes("bdnf_trkb_erk"),
                         consolidation_changes=cond.model_changes("synaptic_consolidation"), training=training,
                         progress=progress)
    days_axis = np.arange(0, course.end_day + 1)
    data = _daily.cortex_readouts(cortex, days_axis, clock)
    volleys = np.full(len(cortex.sessions), np.nan)
    if cond.lesion is not None:
        lesion_data, volleys = _daily.lesion_readouts(cond, course, cortex, days_axis, clock, seed, opts)
        data.update(lesion_data)
    if cond.mep is not None:
        cst = data["CST"][0] if "CST" in data else np.ones(days_axis.size)
        data.update(_daily.mep_readouts(cond, data["weight_scale"][0], cst, days_axis, seed, opts))
    ds = _assemble(cond, course, cortex, days_axis, data, volleys, seed, opts, coupling, clock)
    ds.attrs["training"] = json.dumps(None if training is None else dataclasses.asdict(training))
    proxies = _daily.proxy_readouts(cond, ds, course)
    for name, (values, attrs) in proxies.items():
        ds[name] = ("day", values, attrs)
    return ds


def _with_changes(cond: conditions.Condition, changes: Mapping[str, Mapping[str, float]]) -> conditions.Condition:
    if not isinstance(changes, Mapping):
        raise ValueError(f"changes must map model names to parameter changes, got {type(changes).__name__}")
    merged = {m: dict(v) for m, v in cond.changes.items()}
    for model, values in changes.items():
        if not isinstance(values, Mapping):
            raise ValueError(f"changes[{model!r}] must map parameter names to values, got {values!r}")
        merged.setdefault(model, {}).update(values)
    return dataclasses.replace(cond, changes=merged)


SESSION_VARS = {
    "dW_percent": ("%", "early weight change of the synapse population 30 min after the session (mean)"),
    "dW_sd_percent": ("%", "spread (SD) of the per-synapse change"),
    "early_dW": ("1 (fraction of baseline weight)", "early change handed to consolidation"),
    "weight_scale": ("dimensionless", "network E->E factor the session ran with"),
    "weight_clipped": ("1", "1 if the carried weight was clipped to the network's valid range"),
    "pulses_delivered": ("pulses", ""),
    "ca_supra_uM_s": ("uM s", "calcium above the plasticity threshold, integrated over the session (population mean)"),
    "post_spikes_per_cell": ("spikes", "evoked postsynaptic spikes per E cell over the session"),
    "bdnf_dose": ("dimensionless (1 = reference session)", "session input of the cortical BDNF model"),
    "w_late_after": ("1 (fraction of baseline weight)", "consolidated change at the next session"),
}


def _assemble(cond, course, cortex, days_axis, data, volleys, seed, opts, coupling, clock):
    import xarray as xr

    from ..models import load_model

    variables = {name: ("day", np.asarray(values, dtype=float), attrs) for name, (values, attrs) in data.items()}
    n = len(cortex.sessions)
    for name, (unit, long_name) in SESSION_VARS.items():
        values = np.array([float(s[name]) for s in cortex.sessions], dtype=float).reshape(n)
        variables[name] = ("session", values, {"units": unit, "long_name": long_name})
    variables["volley"] = ("session", np.asarray(volleys, dtype=float).reshape(n), {
        "units": "relative to one pulse at 100 % RMT", "long_name": "corticospinal volley per pulse (lesion input)"})
    coords = {
        "day": ("day", days_axis, {"units": "day", "long_name": "day after injury / course start"}),
        "session": ("session", np.arange(n)),
        "session_day": ("session", course.session_days),
        "session_time_h": ("session", course.session_start_times_h(), {"units": "hour"}),
    }
    models = ["calcium_plasticity", "bdnf_trkb_erk", "synaptic_consolidation"]
    if cond.lesion is not None:
        models.append("spinal_lesion")
    protocol = course.protocol
    attrs = {
        "mechtms_version": __version__,
        "condition": cond.name,
        "condition_source": cond.source,
        "protocol_name": protocol.name,
        "protocol": json.dumps(protocol.summary(), sort_keys=True),
        "course": json.dumps(course.summary(), sort_keys=True),
        "seed": seed,
        "coupling": int(coupling),
        "network": json.dumps(opts.summary(), sort_keys=True),
        "readout_clock_h": clock,
        "changes": json.dumps({m: dict(v) for m, v in cond.changes.items()}, sort_keys=True),
        "reference_activity": json.dumps(cortex.reference, sort_keys=True),
        "models_sbml_sha256": json.dumps({m: getattr(load_model(m), "mechtms_sbml_sha256", "") for m in models}),
    }
    return xr.Dataset(variables, coords=coords, attrs=attrs)


def compare(targets: Mapping[str, object], condition: str = "sci", seed: int = 0, **kw):
    """Run :func:`simulate` for several protocols and stack the results along ``protocol``."""
    import xarray as xr

    if not targets:
        raise ValueError("compare() needs at least one protocol")
    results = [simulate(t, condition=condition, seed=seed, **kw) for t in targets.values()]
    names = list(targets)
    out = xr.concat(results, dim=xr.DataArray(names, dims="protocol", name="protocol"), join="outer",
                    combine_attrs="drop_conflicts", coords="different", compat="equals")
    out.attrs["protocols"] = json.dumps({n: r.attrs["protocol"] for n, r in zip(names, results, strict=True)})
    return out


def chain_variables(condition: str | conditions.Condition = "sci") -> tuple[str, ...]:
    """Names of the variables ``simulate(..., condition=condition)`` returns (daily and per session)."""
    cond = conditions.get(condition)
    if cond.engine is not None:  # a condition's own course runner lists its variables next to it
        import importlib

        return tuple(importlib.import_module(cond.engine.split(":")[0]).VARIABLES)
    names = ["W", "w_early", "w_late", "weight_scale", *_daily.CORTEX_VARS.values()]
    if cond.lesion is not None:
        from ..lesion import BDNF_VARS, LESION_VARS

        names += [*LESION_VARS, *BDNF_VARS, "drive_tonic", "output_rate"]
    if cond.mep is not None:
        names += ["MEP", "MEP_sd", "MEP_response_rate", "MEP_change_percent"]
    names += [p.name for p in cond.proxies]
    names += [*SESSION_VARS, "volley"]
    return tuple(dict.fromkeys(names))
