"""Virtual cohorts: subjects drawn from documented distributions, run on the scan engines.

>>> import mechtms as mt
>>> from mechtms import protocols
>>> ds = mt.cohort(protocols.preset("itbs_600"), condition="healthy", n=40, seed=0)   # doctest: +SKIP
>>> ds.responder_rate.sel(arm="active"), ds.responder_ci_low, ds.responder_ci_high  # doctest: +SKIP

Each subject is one point (subject x arm) of :func:`mechtms.scan`, so a cohort runs on the
local or dask engine, streams to a resumable store, and gives the same numbers bit for
bit on every engine. Responder rates carry a Wilson score 95 % interval (:func:`wilson`).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict

import numpy as np

from .. import _checks
from ._run import BASE_READOUTS, run_point, session_drive, true_outcome
from ._variability import (
    DEFAULT,
    MEP_TRIAL_CV_1MV,
    MEP_TRIALS,
    NETWORK_INSTANCES,
    Dist,
    draw_subject,
    measurement_sd,
    plasticity_changes,
    variability,
)

__all__ = ["cohort", "calibration_table", "wilson", "Dist", "DEFAULT", "variability", "draw_subject", "measurement_sd",
           "anchor_value", "expected_sign", "EXPECTED_SIGN", "MEP_TRIALS", "MEP_TRIAL_CV_1MV", "NETWORK_INSTANCES", "plasticity_changes", "session_drive"]

#: Read-out of each condition's cohort (what responders are judged on).
READOUT_OF = {"healthy": "MEP", "sci": "BMS", "uninjured": "BMS"}
Z95 = 1.959963984540054


def wilson(k, n, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion ``k/n`` (95 % by default); (nan, nan) for n = 0."""
    if n <= 0:
        return math.nan, math.nan
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _default_arms(course):
    from ..protocols import Course, Protocol

    if isinstance(course, Protocol):
        return {"active": course, "sham": course.as_sham()}
    if isinstance(course, Course):
        return {"active": course, "sham": course.replace(protocol=course.protocol.as_sham())}
    raise ValueError(f"course must be a mechtms Protocol (one session) or Course, got {type(course).__name__}")


def _as_arm(name, value):
    from ..protocols import Course, Protocol, preset, preset_course

    if isinstance(value, str):
        try:
            return preset(value)
        except (KeyError, ValueError):
            return preset_course(value)
    if isinstance(value, Protocol | Course):
        return value
    raise ValueError(f"arms[{name!r}] must be a Protocol, a Course or a preset name, got {value!r}")


def cohort(course, condition: str = "healthy", n: int = 40, variability=None, arms=None, seed: int = 0, *,
           engine: str = "serial", workers: int | None = None, scheduler: str | None = None, store=None,
           threshold: float = 0.0, expected_sign: int | None = None, network=None, changes=None,
           outcome=None, network_instances: int | None = NETWORK_INSTANCES, session_drive=None,
           progress: bool = False):
    """Run a virtual cohort through both arms and return per-subject outcomes and responder rates.

    Parameters
    ----------
    course : Protocol, Course or preset name
        The active treatment: a session (single-session after-effect) or a course (the chain).
    condition : str
        ``healthy`` (MEP change, %), ``sci`` / ``uninjured`` (BMS on the last day).
    n : int
        Subjects (each runs every arm).
    variability : "default", "none" or mapping name -> Dist, optional
        Subject distributions (:data:`mechtms.cohorts.DEFAULT`, documented with sources).
    arms : mapping name -> Protocol/Course/preset, optional
        Default ``{"active": course, "sham": course as sham}``. A placebo or regression term is
        added to sham only where the condition documents one (none does yet: ``attrs["placebo"]``).
    seed : int
        Root of every subject's draws: same seed, same cohort, on every engine.
    engine, workers, scheduler, store
        As :func:`mechtms.scan` (``store`` makes the cohort resumable).
    threshold : float
        Responder: measured change beyond ``threshold`` (in the read-out's units) in the expected
        direction. Default 0 (Hamada et al. 2013: any change in the expected direction).
    expected_sign : {+1, -1}, optional
        Expected direction; default from the protocol family (:data:`EXPECTED_SIGN`: iTBS +1,
        cTBS -1), else the sign of the typical subject's (all distributions at their centre)
        active outcome.
    network : mechtms.coupling.NetworkOptions, optional
        For a course (the chain).
    network_instances : int or None
        Session arms: the subjects are spread over this many network instances (seeds
        ``0..network_instances-1``; each runs the network once per protocol, cached under
        ``MECHTMS_CACHE_DIR``); None gives every subject its own instance (a network run per
        subject and arm). Course arms always use the subject's own instance.
    session_drive : mechtms.plasticity.NetworkDrive, optional
        Network options of session arms (default :func:`mechtms.cohorts.session_drive`:
        shortened under ``MECHTMS_FAST``).
    changes : mapping model -> {parameter: value}, optional
        Applied to every subject (e.g. a model variant).
    outcome : callable or "module:function", optional
        A condition's clinical read-out (e.g. HAMD-17 response and remission): called per
        subject and arm as ``f(daily, course, params, rng)`` with the chain's daily Dataset of
        that subject, its course, the subject's ``proxy`` quantities (Dists with
        ``acts_on="proxy"``) and a generator seeded by (seed, subject, arm); returns a mapping
        with ``outcome``, ``measured``, ``responder`` (0/1) and optionally ``remitter`` (0/1).
        Responder and remitter rates then come from it (``threshold``/``expected_sign`` are not
        used). Default: the condition's ``cohort["outcome"]`` when it has one (``Condition.cohort``
        mapping: ``outcome``, ``variability``, ``readout``, ``placebo``), else the MEP/BMS rule.

    Returns
    -------
    xarray.Dataset
        Dims ``subject``, ``arm``: ``outcome`` (model), ``measured`` (with MEP measurement
        noise), ``responder`` (0/1); per subject the drawn quantities; per arm
        ``responder_rate``, ``responder_ci_low``, ``responder_ci_high`` (Wilson 95 %),
        ``mean_measured``, ``sd_measured``. Attrs: provenance, variability with sources, the
        responder rule, the CI method.
    """
    import mechtms as mt

    from .. import conditions
    from ..protocols import Course

    n = _checks.whole_number("n", n, low=1, high=1_000_000)
    seed = _checks.whole_number("seed", seed, low=0, high=2**32 - 1)
    cond = conditions.get(condition)
    spec = dict(getattr(cond, "cohort", None) or {})  # Condition.cohort (proposed in docs/fitting.md)
    outcome = _function_id(outcome if outcome is not None else spec.get("outcome"))
    readout = spec.get("readout") or READOUT_OF.get(cond.name)
    if readout is None:
        if outcome is None:
            raise _checks.unknown_name("cohort condition (or give outcome=)", cond.name, READOUT_OF, exc=ValueError)
        readout = "outcome"
    if variability is None and spec.get("variability"):
        variability = {**DEFAULT, **spec["variability"]}
    if isinstance(course, str):
        course = _as_arm("course", course)
    arm_map = _default_arms(course) if arms is None else {str(k): _as_arm(k, v) for k, v in dict(arms).items()}
    if not arm_map:
        raise ValueError("arms is empty: give at least one arm")
    dists = variability if isinstance(variability, dict) and all(isinstance(d, Dist) for d in variability.values()) \
        else _variability(variability)
    threshold = _checks.finite_number("threshold", threshold, low=0)
    if network_instances is not None:
        network_instances = _checks.whole_number("network_instances", network_instances, low=1, high=10_000)
    drive = session_drive_of(session_drive)
    if any(isinstance(v, Course) for v in arm_map.values()):
        network_instances = None  # the chain: every subject its own network
    if outcome is not None:
        expected_sign = expected_sign or 1  # responders come from the outcome function
    active = arm_map.get("active", next(iter(arm_map.values())))
    if expected_sign is None:
        name = getattr(active, "name", None) or getattr(getattr(active, "protocol", None), "name", "")
        expected_sign = globals()["expected_sign"](str(name))
    if expected_sign is None:
        typical = {k: d.center for k, d in dists.items()} | {
            "network_seed": draw_subject(seed, 0, dists, network_instances)["network_seed"]}
        active = arm_map.get("active", next(iter(arm_map.values())))
        expected_sign = 1 if true_outcome(active, typical, dists, cond.name, readout, network, changes,
                                          drive) >= 0 else -1
    if expected_sign not in (1, -1):
        raise ValueError(f"expected_sign must be +1 or -1, got {expected_sign!r}")
    fixed = {"cohort_seed": seed, "arms": arm_map, "dists": dists, "condition": cond.name, "readout": readout,
             "network": network, "changes": changes, "outcome": outcome, "network_instances": network_instances,
             "session_drive": drive}
    target = mt.scans.FunctionTarget(run_point, **fixed)
    names = sorted(dists)
    flags = ["responder_flag", "remitter_flag"] if outcome is not None else []
    ds = mt.scan(target, {"subject": list(range(n)), "arm": list(arm_map)}, store=store, engine=engine,
                 workers=workers, scheduler=scheduler, seed=seed, common_seed=True, progress=progress,
                 readouts=[*BASE_READOUTS, *names, *flags])
    out = _summarise(ds, names, dists, cond, readout, threshold, expected_sign, arm_map, outcome)
    if spec.get("placebo"):
        out.attrs["placebo"] = str(spec["placebo"])
    return out


def session_drive_of(drive):
    return session_drive(drive)


def _function_id(func) -> str | None:
    """A callable or ``"module:function"`` -> ``"module:function"`` (workers import it by name)."""
    if func is None or isinstance(func, str):
        if isinstance(func, str) and ":" not in func:
            raise ValueError(f"outcome must be a function or 'module:function', got {func!r}")
        return func
    module, qualname = getattr(func, "__module__", None), getattr(func, "__qualname__", "")
    if module in (None, "__main__") or "<" in qualname:
        raise ValueError(f"outcome function {qualname or func!r} must be defined at the top level of an importable "
                         f"module (workers import it by name)")
    return f"{module}:{qualname}"


def _variability(spec):
    return variability(spec)


def _summarise(ds, names, dists, cond, readout, threshold, expected_sign, arm_map, outcome=None):
    import xarray as xr

    out = xr.Dataset(coords={"subject": ds.subject.values, "arm": ds.arm.values})
    unit = "% change" if readout == "MEP" else "score" if outcome is None else "as the outcome function"
    out["outcome"] = (("subject", "arm"), ds.outcome.values, {"units": unit, "description": f"model {readout} outcome"})
    out["measured"] = (("subject", "arm"), ds.measured.values,
                       {"units": unit, "description": "outcome as measured (MEP: averaged trials with noise)"})
    out["status"] = (("subject", "arm"), ds.status.values, ds.status.attrs)
    if outcome is None:
        resp = (expected_sign * ds.measured.values > threshold).astype(np.int8)
        rule = f"{'+' if expected_sign > 0 else '-'}measured > {threshold:g}"
    else:
        resp = np.nan_to_num(ds.responder_flag.values, nan=0.0).astype(np.int8)
        rule = f"responder as defined by {outcome}"
    resp = np.where(ds.status.values == 1, resp, -1).astype(np.int8)
    out["responder"] = (("subject", "arm"), resp, {"description": "1 responder, 0 not, -1 failed point",
                                                    "rule": rule})
    if outcome is not None and np.isfinite(ds.remitter_flag.values).any():
        remit = np.where(ds.status.values == 1, np.nan_to_num(ds.remitter_flag.values, nan=0.0), -1).astype(np.int8)
        out["remitter"] = (("subject", "arm"), remit, {"description": "1 remitter, 0 not, -1 failed point",
                                                        "rule": f"remitter as defined by {outcome}"})
        rr, rlo, rhi = [], [], []
        for j in range(ds.arm.size):
            ok = remit[:, j] >= 0
            k, m = int(remit[ok, j].sum()), int(ok.sum())
            a, b = wilson(k, m)
            rr.append(k / m if m else math.nan)
            rlo.append(a)
            rhi.append(b)
        out["remitter_rate"] = ("arm", np.array(rr), {"units": "fraction"})
        out["remitter_ci_low"] = ("arm", np.array(rlo), {"units": "fraction", "method": "Wilson score interval, 95 %"})
        out["remitter_ci_high"] = ("arm", np.array(rhi), {"units": "fraction", "method": "Wilson score interval, 95 %"})
    for name in [*names, "network_seed"]:
        out[name] = ("subject", ds[name].values[:, 0],
                     {"units": "", "description": asdict(dists[name])["source"] if name in dists else "network instance"})
    rates, lo, hi, mean, sd, k_all, n_all = [], [], [], [], [], [], []
    for j in range(ds.arm.size):
        ok = resp[:, j] >= 0
        k, m = int(resp[ok, j].sum()), int(ok.sum())
        a, b = wilson(k, m)
        rates.append(k / m if m else math.nan)
        lo.append(a)
        hi.append(b)
        vals = ds.measured.values[ok, j]
        mean.append(float(np.mean(vals)) if m else math.nan)
        sd.append(float(np.std(vals, ddof=1)) if m > 1 else math.nan)
        k_all.append(k)
        n_all.append(m)
    out["responder_rate"] = ("arm", np.array(rates), {"units": "fraction"})
    out["responder_ci_low"] = ("arm", np.array(lo), {"units": "fraction", "method": "Wilson score interval, 95 %"})
    out["responder_ci_high"] = ("arm", np.array(hi), {"units": "fraction", "method": "Wilson score interval, 95 %"})
    out["n_responders"] = ("arm", np.array(k_all))
    out["n_subjects"] = ("arm", np.array(n_all))
    out["mean_measured"] = ("arm", np.array(mean), {"units": unit})
    out["sd_measured"] = ("arm", np.array(sd), {"units": unit, "description": "between-subject SD (ddof=1)"})
    from ..protocols import Course

    out.attrs = {k: v for k, v in ds.attrs.items() if k in ("mechtms_version", "seed", "engine", "store", "scan")}
    out.attrs.update({
        "condition": cond.name, "readout": readout, "expected_sign": int(expected_sign), "threshold": threshold,
        "outcome_function": outcome or "",
        "ci_method": "Wilson score interval, 95 %",
        "variability": json.dumps({k: asdict(d) for k, d in dists.items()}, sort_keys=True),
        "placebo": getattr(cond, "placebo", None) or f"none documented for condition {cond.name!r}: sham gets none",
        "arms": json.dumps({k: v.summary() for k, v in arm_map.items()}, sort_keys=True),
        "limitations": ("course arms run the chain (mechtms.simulate), which takes no synapse-model "
                        "overrides: subjects differ there by network instance and measurement only")
        if any(isinstance(v, Course) for v in arm_map.values()) else "",
    })
    return out


#: The direction a responder's MEP moves in, by protocol family (Huang et al. 2005, Neuron 45:201:
#: iTBS facilitates, cTBS depresses; Hamada et al. 2013 count responders "in the expected direction").
EXPECTED_SIGN = {"itbs": 1, "ctbs": -1}


def expected_sign(preset: str) -> int | None:
    """+1 / -1 for an iTBS / cTBS preset (:data:`EXPECTED_SIGN`), None for others (then the typical
    subject's outcome decides)."""
    for prefix, sign in EXPECTED_SIGN.items():
        if str(preset).startswith(prefix):
            return sign
    return None


#: Subjects of the cohorts that the validation anchors run (tbs_variability.csv).
ANCHOR_COHORT_N = 60


_ANCHOR_COHORTS: dict[str, object] = {}


def anchor_value(row, what: str, changes=None) -> float:
    """The cohort statistic an anchor row of ``data/tbs_variability.csv`` asks for (one cohort of
    :data:`ANCHOR_COHORT_N` subjects, seed 0, per protocol, condition and model changes; reused by
    the rows that share it)."""
    import os

    from ..validation.anchors import protocol_changes

    preset, _ = protocol_changes(row["protocol"])
    n = 16 if os.environ.get("MECHTMS_FAST") == "1" else ANCHOR_COHORT_N
    key = json.dumps([preset, row["condition"], n, changes], sort_keys=True, default=str)
    ds = _ANCHOR_COHORTS.get(key)
    if ds is None:
        ds = _ANCHOR_COHORTS[key] = cohort(preset, condition=row["condition"], n=n, seed=0,
                                           arms={"active": preset}, changes=changes, engine="serial",
                                           expected_sign=expected_sign(str(preset)))
    active = ds.sel(arm="active")  # type: ignore[attr-defined]
    if what == "responder_fraction":
        return float(active.responder_rate)
    if what == "mep_change_sd_percent":
        return float(active.sd_measured)
    if what == "smd":
        return float(active.mean_measured / active.sd_measured)
    raise ValueError(f"unknown cohort statistic {what!r}")


def calibration_table(entry: str = "theta_p0", spreads=(0.2, 0.35, 0.6, 1.0), presets=("itbs_600", "ctbs_600"),
                      n: int = 60, seed: int = 0, engine: str = "serial", workers: int | None = None,
                      network_instances: int | None = NETWORK_INSTANCES, session_drive=None):
    """Responder fraction and between-subject SD of the measured change for a grid of spreads of one
    variability entry: how the cohort calibration of ``docs/fitting.md`` is made (and redone when a
    model changes).

    Returns
    -------
    pandas.DataFrame
        One row per (spread, preset): ``responder_rate``, ``ci_low``, ``ci_high`` (Wilson 95 %),
        ``sd_measured`` and ``mean_measured`` of the active arm. Responders move in the
        protocol's expected direction (:data:`EXPECTED_SIGN`).
    """
    import pandas as pd

    rows = []
    for spread in spreads:
        dists = variability(None, **{entry: spread})
        for p in presets:
            ds = cohort(p, n=n, seed=seed, arms={"active": p}, variability=dists, engine=engine, workers=workers,
                        expected_sign=expected_sign(p), network_instances=network_instances,
                        session_drive=session_drive)
            r = ds.sel(arm="active")
            rows.append({entry: spread, "preset": p, "responder_rate": float(r.responder_rate),
                         "ci_low": float(r.responder_ci_low), "ci_high": float(r.responder_ci_high),
                         "sd_measured": float(r.sd_measured), "mean_measured": float(r.mean_measured)})
    return pd.DataFrame(rows)
