"""One subject in one arm: the function every cohort point runs (on any scan engine).

A session :class:`~mechtms.protocols.Protocol` runs :func:`mechtms.plasticity.after_effect` with
the subject's plasticity parameters and drive gain (the MEP change 30 min after the session);
a :class:`~mechtms.protocols.Course` runs the whole chain, :func:`mechtms.simulate`, on the
subject's own network instance (``network_seed``). The chain takes no plasticity or drive
overrides today, so on a course subjects differ by their network instance and their
measurement only (stated in the cohort's attrs).
"""

from __future__ import annotations

import math

import numpy as np

from ._variability import draw_subject, measurement_sd

#: Read-outs of every point, in this order (plus one per variability entry).
BASE_READOUTS = ("outcome", "measured", "network_seed")


def subject_drive(subject: dict, dists) -> dict:
    from ..plasticity import DEFAULT_DRIVE, DRIVE_RANGES

    gain = 1.0
    for name, d in dists.items():
        if d.acts_on == "drive":
            gain *= subject[name]
    return {"epsp_mV": float(np.clip(DEFAULT_DRIVE["epsp_mV"] * gain, *DRIVE_RANGES["epsp_mV"])),
            "bap_prob": float(np.clip(DEFAULT_DRIVE["bap_prob"] * gain, *DRIVE_RANGES["bap_prob"]))}


def true_outcome(arm, subject: dict, dists, condition: str, readout: str, network, changes) -> float:
    """The model's outcome for one subject (no measurement noise)."""
    import mechtms as mt
    from mechtms.protocols import Course

    plast = {name: subject[name] for name, d in dists.items() if d.acts_on == "plasticity"}
    plast.update(dict((changes or {}).get("calcium_plasticity", {})))
    if isinstance(arm, Course):
        ds = mt.simulate(arm, condition=condition, seed=int(subject["network_seed"]), network=network)
        value = float(ds[readout].values[-1])
        return 100.0 * (value - 1.0) if readout == "MEP" else value
    return float(mt.plasticity.after_effect(arm, drive=subject_drive(subject, dists), changes=plast or None))


def proxy_outcome(outcome: str, arm, subj: dict, dists, condition: str, network, rng) -> dict:
    """Run the chain for one subject and hand its daily Dataset to the condition's outcome function.

    ``outcome`` is ``"module:function"``, called as ``f(daily, course, params, rng)`` with the
    subject's ``proxy`` quantities as ``params``; it returns a mapping with ``outcome`` (model
    value), ``measured`` (with rating noise), ``responder`` (0/1) and optionally ``remitter`` (0/1).
    """
    import importlib

    import mechtms as mt
    from mechtms.protocols import Course

    if not isinstance(arm, Course):
        raise ValueError(f"an outcome function needs a course (days of a chain run), got a session {arm.name!r}")
    module, _, name = outcome.partition(":")
    func = getattr(importlib.import_module(module), name)
    ds = mt.simulate(arm, condition=condition, seed=int(subj["network_seed"]), network=network)
    params = {k: subj[k] for k, d in dists.items() if d.acts_on == "proxy"}
    res = dict(func(ds, arm, params, rng))
    missing = [k for k in ("outcome", "measured", "responder") if k not in res]
    if missing:
        raise ValueError(f"outcome function {outcome} returned no {missing} (it returned {sorted(res)})")
    return {"outcome": float(res["outcome"]), "measured": float(res["measured"]),
            "responder_flag": float(bool(res["responder"])),
            "remitter_flag": float(bool(res["remitter"])) if res.get("remitter") is not None else math.nan}


def run_point(subject: int, arm: str, seed: int, *, cohort_seed: int, arms: dict, dists: dict,
              condition: str, readout: str, network=None, changes=None, outcome: str | None = None) -> dict:
    """Outcome of subject ``subject`` in ``arm``; ``seed`` (the scan's common seed) is unused: every
    random number derives from ``(cohort_seed, subject)`` so arms share the subject."""
    subj = draw_subject(cohort_seed, subject, dists)
    if outcome is not None:
        rng = np.random.default_rng([int(cohort_seed), int(subject), 1 + sorted(arms).index(arm)])
        return {**proxy_outcome(outcome, arms[arm], subj, dists, condition, network, rng), **subj}
    value = true_outcome(arms[arm], subj, dists, condition, readout, network, changes)
    measured = value
    if readout == "MEP":
        arm_index = sorted(arms).index(arm)
        rng = np.random.default_rng([int(cohort_seed), int(subject), 1 + arm_index])
        sd = measurement_sd(subj.get("baseline_mep_mV", 1.0))
        measured = 100.0 * ((1.0 + value / 100.0) * math.exp(sd * float(rng.standard_normal())) - 1.0)
    return {"outcome": value, "measured": measured, **subj}


def _warm(*, arms: dict, dists: dict, condition: str, readout: str, network=None, changes=None, outcome=None,
          **_) -> None:
    """Compile what the arms need in this worker (models, numba kernels): one typical subject per arm
    type, results discarded."""
    from mechtms.protocols import Course

    if outcome is not None:
        return  # the chain compiles on the first subject; a proxy run is too costly to repeat
    typical = {k: d.center for k, d in dists.items()} | {"network_seed": 0}
    seen = set()
    for arm in arms.values():
        kind = isinstance(arm, Course)
        if kind in seen:
            continue
        seen.add(kind)
        short = arm.replace(days=1) if kind else arm
        true_outcome(short, typical, dists, condition, readout, network, changes)


run_point.warm = _warm  # type: ignore[attr-defined]
