"""Write a PEtab (v1) parameter-estimation problem from a model and literature anchors.

A PEtab problem is a folder of plain tables next to the SBML model (Schmiester et al.
2021, PLoS Comput Biol 17:e1008646): conditions (what the experimenter set), observables
(what the assay sees, with its noise model), measurements, parameters (what is estimated,
on which scale, within which bounds, with which prior) and a YAML file naming them. Any
PEtab tool (pyPESTO, COPASI's PEtab import, AMICI, Data2Dynamics) can load it.

Read-outs of the anchor tables map onto observables:

``X_fold``
    Fold over the untreated state, as western blots are reported (Ji et al. 2010):
    ``X / X_0`` where ``X_0`` is the model's resting value of ``X`` (a parameter).
``X_fraction_of_peak`` / ``X_relative``
    Data in arbitrary units: ``scale_X * (X - X_0)`` (``scale_X * X`` when the model has no
    resting value ``X_0``) with the scaling factor ``scale_X`` estimated (log10 scale), the
    usual treatment of relative western-blot data.
``X``
    The model variable itself.

Noise: a reported s.e.m. or s.d. is the measurement's sigma (a 95 % CI half-width / 1.96);
rows without a spread share an estimated ``sigma_<observable>`` (log10 scale).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path

from .. import _checks

SCALES = ("lin", "log", "log10")
#: Bounds of the scaling factors and noise parameters added by the export (parameter units).
SCALE_BOUNDS = (1e-2, 1e3)
SIGMA_BOUNDS = (1e-3, 1e1)
_SUFFIXES = (("_fraction_of_peak", "relative"), ("_relative", "relative"), ("_fold", "fold"))
#: Read-outs that are a formula of a model variable (the plasticity model's W starts at 1).
#: Protocol fields an anchor may set on a session preset (``"rtms_1hz_900; pulses=810"``).
PROTOCOL_FIELDS = ("intensity", "pulses", "frequency_hz", "pas_isi_ms")
READOUT_FORMULAS = {"dW_percent": ("W", "100 * (W - 1)"), "MEP_change_percent": ("W", "100 * (W - 1)")}


def _model_for(model_or_condition: str) -> str:
    from .. import conditions
    from ..models import list_models

    if model_or_condition in list_models():
        return model_or_condition
    if model_or_condition in conditions.names():
        cond = conditions.get(model_or_condition)
        if len(cond.pathway_models) == 1:
            return cond.pathway_models[0]
        raise ValueError(f"condition {model_or_condition!r} runs {list(cond.pathway_models) or 'no'} pathway "
                         f"models: name the model to fit (one of {list_models()})")
    raise _checks.unknown_name("model or condition", model_or_condition, [*list_models(), *conditions.names()],
                               exc=ValueError)


def _sid(text: str) -> str:
    """A valid PEtab/SBML identifier made of ``text``."""
    s = re.sub(r"\W", "_", str(text)).strip("_")
    s = re.sub(r"_+", "_", s).replace(".", "p")
    return s if s and not s[0].isdigit() else f"c_{s}"


def normalise_parameters(parameters, known: Mapping[str, float], model: str) -> dict[str, dict]:
    """``{name: (low, high)}`` or ``{name: {"lower", "upper", "scale", "nominal", "prior_sd", "estimate"}}``
    -> checked dicts.

    ``nominal`` defaults to the model's value; ``scale`` to ``log10``; ``prior_sd`` (in
    units of the parameter scale) adds a normal prior centred on the nominal value;
    ``estimate=False`` holds the parameter at ``nominal`` (a fixed setting of the problem).
    """
    if not isinstance(parameters, Mapping) or not parameters:
        raise ValueError(f"parameters must be a non-empty mapping name -> (lower, upper) or dict, got {parameters!r}")
    out = {}
    for name, spec in parameters.items():
        if name not in known:
            raise _checks.unknown_name(f"parameter of {model}", name, known, exc=ValueError)
        if isinstance(spec, Mapping):
            keys = ("lower", "upper", "scale", "nominal", "prior_sd", "estimate")
            extra = set(spec) - set(keys)
            if extra:
                raise _checks.unknown_name(f"key of parameters[{name!r}]", sorted(extra)[0], keys, exc=ValueError)
            d = dict(spec)
        else:
            if len(tuple(spec)) != 2:
                raise ValueError(f"parameters[{name!r}] must be (lower, upper) or a dict, got {spec!r}")
            d = {"lower": spec[0], "upper": spec[1]}
        scale = _checks.choice(f"parameters[{name!r}]['scale']", d.get("scale", "log10"), SCALES)
        lo = _checks.finite_number(f"lower bound of {name}", d.get("lower"), low=0 if scale != "lin" else None,
                                   low_open=scale != "lin")
        hi = _checks.finite_number(f"upper bound of {name}", d.get("upper"), low=lo, low_open=True)
        nominal = _checks.finite_number(f"nominal value of {name}", d.get("nominal", known[name]))
        if not lo <= nominal <= hi:
            raise ValueError(f"nominal value of {name} ({nominal:g}) lies outside its bounds [{lo:g}, {hi:g}]")
        prior_sd = d.get("prior_sd")
        if prior_sd is not None:
            prior_sd = _checks.finite_number(f"prior_sd of {name}", prior_sd, low=0, low_open=True)
        estimate = d.get("estimate", True)
        if not isinstance(estimate, bool):
            raise ValueError(f"parameters[{name!r}]['estimate'] must be True or False, got {estimate!r}")
        out[name] = {"lower": lo, "upper": hi, "scale": scale, "nominal": nominal, "prior_sd": prior_sd,
                     "estimate": estimate}
    return out


def _to_scale(x: float, scale: str) -> float:
    return math.log10(x) if scale == "log10" else math.log(x) if scale == "log" else x


def measurements_from_anchors(anchors, model: str, variables, parameters_of_model):
    """PEtab conditions, observables and measurements (DataFrames) from anchor rows.

    Rows whose read-out is not a time point of a model variable (peak times, cohort
    fractions, clinical scores), direction-only rows (criterion ``sign``: their value is a
    direction, not a magnitude) and PAS sessions (the model file's regular schedule has no
    afferent volley) are skipped; the caller gets the list of skipped anchors.
    """
    import pandas as pd

    from ..models import model_info
    from ..validation.anchors import protocol_changes, time_in_hours

    info = model_info(model)
    conds, obs, meas, extra_pars, skipped = {}, {}, [], {}, []
    for _, row in anchors.iterrows():
        readout = row["readout"]
        kind, var = "plain", readout
        for suffix, k in _SUFFIXES:
            if readout.endswith(suffix):
                kind, var = k, readout[: -len(suffix)]
        if readout in READOUT_FORMULAS:
            kind, var = "formula", READOUT_FORMULAS[readout][0]
        try:
            t_h = time_in_hours(row["time"])
        except ValueError:
            skipped.append(row["anchor"])
            continue
        if var not in variables or math.isnan(row["value"]) or row["criterion"] == "sign":
            skipped.append(row["anchor"])  # a direction-only row has no magnitude to fit
            continue
        preset, changes = protocol_changes(row["protocol"])
        fields = {k: v for k, v in changes.items() if preset is not None and k in PROTOCOL_FIELDS}
        changes = {k: v for k, v in changes.items() if k not in fields}
        if any(not isinstance(v, float) or k not in parameters_of_model for k, v in changes.items()):
            skipped.append(row["anchor"])  # arms and non-parameter settings are not PEtab conditions
            continue
        label = "_".join(f"{k}_{v:g}" for k, v in sorted(changes.items()))
        if preset is not None:
            session = _session_schedule(preset, parameters_of_model, fields)
            if session is None:
                skipped.append(row["anchor"])  # a course, or a model without pulse-schedule parameters
                continue
            schedule, duration_h = session
            changes = {**schedule, **changes}
            t_h += duration_h  # the anchor's time counts from the end of the session
            flabel = "_".join(f"{k}_{v:g}" for k, v in sorted(fields.items()))
            label = "_".join(x for x in (preset, flabel, label) if x)
        cid = _sid(label or "control")
        conds[cid] = changes
        oid = _sid(f"obs_{readout}")
        if oid not in obs:
            if kind == "fold":
                if f"{var}_0" not in parameters_of_model:
                    raise ValueError(f"anchor {row['anchor']!r}: read-out {readout!r} is a fold over rest, but "
                                     f"{model} has no resting-value parameter {var}_0")
                formula = f"{var} / {var}_0"
            elif kind == "formula":
                formula = READOUT_FORMULAS[readout][1]
            elif kind == "relative":  # arbitrary units above the resting level (a blot's background is 0)
                base = f" - {var}_0" if f"{var}_0" in parameters_of_model else ""
                formula = f"observableParameter1_{oid} * ({var}{base})"
            else:
                formula = var
            obs[oid] = {"observableId": oid, "observableName": readout, "observableFormula": formula,
                        "observableTransformation": "lin", "noiseDistribution": "normal",
                        "noiseFormula": f"noiseParameter1_{oid}"}
        sigma = {"sem": row["spread"], "sd": row["spread"], "ci95_halfwidth": row["spread"] / 1.96}.get(
            row["spread_kind"], math.nan)
        if not (isinstance(sigma, float) and math.isfinite(sigma) and sigma > 0):
            sigma = f"sigma_{oid}"
            extra_pars[sigma] = ("sigma", SIGMA_BOUNDS)
        obs_par = ""
        if kind == "relative":
            obs_par = f"scale_{var}"
            extra_pars[obs_par] = ("scale", SCALE_BOUNDS)
        meas.append({"observableId": oid, "simulationConditionId": cid, "time": t_h / info.hours_per_time_unit,
                     "measurement": float(row["value"]), "observableParameters": obs_par,
                     "noiseParameters": sigma, "datasetId": _sid(row["table"].removesuffix(".csv")),
                     "replicateId": row["anchor"]})
    if not meas:
        raise ValueError(f"no anchor maps onto a time point of a variable of {model} (read-outs X, X_fold, "
                         f"X_fraction_of_peak at a time such as '15 min'); skipped {skipped}")
    keys = sorted({k for c in conds.values() for k in c})
    cdf = pd.DataFrame([{"conditionId": cid, **{k: c.get(k, parameters_of_model[k]) for k in keys}}
                        for cid, c in conds.items()])
    return cdf, pd.DataFrame(list(obs.values())), pd.DataFrame(meas), extra_pars, skipped


def _session_schedule(preset: str, parameters_of_model, fields=None) -> tuple[dict[str, float], float] | None:
    """Pulse-schedule parameters and duration (h) of a session preset with the row's protocol
    ``fields`` (``pulses``, ``frequency_hz``...), for a model that takes them
    (:func:`mechtms.plasticity.schedule_changes`); None for a course or another model.

    The intensity does not reach the schedule: the model file's representative synapse gets
    the same drive per pulse at any intensity (recruitment is the network's part)."""
    from .. import plasticity, protocols

    try:
        p = protocols.preset(preset)
    except (KeyError, ValueError):
        return None
    fields = dict(fields or {})
    if fields:
        p = p.replace(**{k: int(v) if k == "pulses" else float(v) for k, v in fields.items()})
    if p.kind == "pas":
        return None  # the regular schedule has no afferent volley: PAS timing is not representable
    schedule = plasticity.schedule_changes(p)
    if not all(k in parameters_of_model for k in schedule):
        return None
    return schedule, p.duration_s / 3600.0


def to_petab(model_or_condition: str, data, parameters, out_dir, *, problem_id: str | None = None):
    """Write a PEtab (format version 1) problem and return the path of its YAML file.

    Parameters
    ----------
    model_or_condition : str
        A model of ``models/`` (e.g. ``"bdnf_trkb_erk"``) or a condition with one pathway model.
    data : path, list of paths or pandas.DataFrame
        Anchor tables in the schema of ``data/README.md`` (rows that are not a time point
        of a model variable are skipped and listed in the YAML's ``mechtms_skipped``).
    parameters : mapping
        What to estimate: ``{name: (lower, upper)}`` or ``{name: {"lower", "upper",
        "scale" ("log10" default, "log", "lin"), "nominal", "prior_sd", "estimate" (False: held
        at nominal)}}``.
    out_dir : path
        Created if needed; existing PEtab files in it are overwritten.
    problem_id : str, optional
        Default ``<model>_fit``.

    Returns
    -------
    pathlib.Path
        ``out_dir/problem.yaml``. The tables pass ``petab.v1.lint`` (tested).
    """
    import pandas as pd
    import yaml

    from ..models import load_model, sbml
    from ..ode import settable_names
    from ..validation.anchors import read_anchors

    model = _model_for(model_or_condition)
    anchors = data if isinstance(data, pd.DataFrame) else read_anchors(data)
    rr = load_model(model)
    known = {p: float(rr.getValue(p)) for p in rr.model.getGlobalParameterIds()}
    settable = set(settable_names(rr))
    rules = rule_targets(sbml(model))
    free = {k: v for k, v in known.items() if k in settable and k not in rules}
    pars = normalise_parameters(parameters, free, model)
    variables = set(rr.model.getFloatingSpeciesIds()) | set(known)
    cdf, odf, mdf, extra, skipped = measurements_from_anchors(anchors, model, variables, free)
    rows = []
    for name, p in pars.items():
        row = {"parameterId": name, "parameterName": name, "parameterScale": p["scale"], "lowerBound": p["lower"],
               "upperBound": p["upper"], "nominalValue": p["nominal"], "estimate": int(p["estimate"])}
        if p["prior_sd"] is not None:
            row["objectivePriorType"] = "parameterScaleNormal"
            row["objectivePriorParameters"] = f"{_to_scale(p['nominal'], p['scale']):.12g};{p['prior_sd']:.12g}"
        rows.append(row)
    for name, (kind, (lo, hi)) in sorted(extra.items()):
        rows.append({"parameterId": name, "parameterName": f"{kind} parameter added by mechtms.fit",
                     "parameterScale": "log10", "lowerBound": lo, "upperBound": hi,
                     "nominalValue": 1.0 if kind == "scale" else 0.1, "estimate": 1})
    pdf = pd.DataFrame(rows)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.xml").write_text(sbml(model))
    cdf.to_csv(out / "conditions.tsv", sep="\t", index=False)
    odf.to_csv(out / "observables.tsv", sep="\t", index=False)
    mdf.to_csv(out / "measurements.tsv", sep="\t", index=False)
    pdf.to_csv(out / "parameters.tsv", sep="\t", index=False)
    problem = {"format_version": 1, "parameter_file": "parameters.tsv",
               "problems": [{"sbml_files": ["model.xml"], "condition_files": ["conditions.tsv"],
                             "measurement_files": ["measurements.tsv"], "observable_files": ["observables.tsv"]}],
               "mechtms_model": model, "mechtms_problem_id": problem_id or f"{model}_fit",
               "mechtms_skipped": list(skipped)}
    path = out / "problem.yaml"
    path.write_text(yaml.safe_dump(problem, sort_keys=False))
    return path


def rule_targets(sbml_text: str) -> set[str]:
    """Ids set by assignment, rate or initial-assignment rules (not estimable as constants)."""
    import libsbml

    model = libsbml.readSBMLFromString(sbml_text).getModel()
    targets = {model.getRule(i).getVariable() for i in range(model.getNumRules())}
    targets |= {model.getInitialAssignment(i).getSymbol() for i in range(model.getNumInitialAssignments())}
    return targets


def lint(yaml_path) -> list[str]:
    """Problems that ``petab.v1.lint`` finds in the PEtab problem (empty list: it passes)."""
    import io
    import logging

    import petab.v1 as petab

    problem = petab.Problem.from_yaml(str(yaml_path))
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.WARNING)
    logger = logging.getLogger("petab")
    logger.addHandler(handler)
    try:
        failed = petab.lint_problem(problem)
    finally:
        logger.removeHandler(handler)
    messages = [m for m in stream.getvalue().splitlines() if m.strip()]
    return (messages or ["petab linter reported errors"]) if failed else []
