"""One subject in one arm: the function every cohort point runs (on any scan engine).

A session :class:`~mechtms.protocols.Protocol` runs the network-driven synapse population
(:func:`mechtms.plasticity.run_session`) on the subject's network instance
(``network_seed``) with the subject's synapse-model parameters (``changes=``): the change of
the population's mean weight 30 min after the session, read as the MEP change. A
:class:`~mechtms.protocols.Course` runs the whole chain, :func:`mechtms.simulate`, on the
subject's own network instance. The chain takes no synapse-model overrides today, so on a
course subjects differ by their network instance and their measurement only (stated in
the cohort's attrs).
"""

from __future__ import annotations

import math
import os

import numpy as np

from ._variability import draw_subject, measurement_sd, plasticity_changes

#: Read-outs of every point, in this order (plus one per variability entry).
BASE_READOUTS = ("outcome", "measured", "network_seed")


#: Network options of session arms under MECHTMS_FAST (None: NetworkDrive(n_synapses=30, max_periods=2)).
FAST_DRIVE = None


def session_drive(drive=None):
    """Network options of a cohort's sessions: ``drive``, or the default (MECHTMS_FAST:
    :data:`FAST_DRIVE`, 30 synapses and the network's first two train periods repeated,
    :class:`mechtms.plasticity.NetworkDrive` ``max_periods=2``; else the whole session and
    100 synapses)."""
    from ..plasticity import NetworkDrive

    if drive is not None:
        if not isinstance(drive, NetworkDrive):
            raise ValueError(f"session_drive must be a mechtms.plasticity.NetworkDrive, got {type(drive).__name__}")
        return drive
    if os.environ.get("MECHTMS_FAST") == "1":
        return FAST_DRIVE or NetworkDrive(n_synapses=30, max_periods=2)
    return NetworkDrive()


def true_outcome(arm, subject: dict, dists, condition: str, readout: str, network, changes, drive=None) -> float:
    """The model's outcome for one subject (no measurement noise)."""
    import mechtms as mt
    from mechtms.protocols import Course

    if isinstance(arm, Course):
        ds = mt.simulate(arm, condition=condition, seed=int(subject["network_seed"]), network=network)
        value = float(ds[readout].values[-1])
        return 100.0 * (value - 1.0) if readout == "MEP" else value
    plast = plasticity_changes(subject, dists)
    plast.update(dict((changes or {}).get("calcium_plasticity", {})))
    res = mt.plasticity.run_session(arm, seed=int(subject["network_seed"]), drive=session_drive(drive),
                                    changes=plast or None)
    return res.dW_percent


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
              condition: str, readout: str, network=None, changes=None, outcome: str | None = None,
              network_instances: int | None = None, session_drive=None) -> dict:
    """Outcome of subject ``subject`` in ``arm``; ``seed`` (the scan's common seed) is unused: every
    random number derives from ``(cohort_seed, subject)`` so arms share the subject."""
    subj = draw_subject(cohort_seed, subject, dists, network_instances)
    if outcome is not None:
        rng = np.random.default_rng([int(cohort_seed), int(subject), 1 + sorted(arms).index(arm)])
        return {**proxy_outcome(outcome, arms[arm], subj, dists, condition, network, rng), **subj}
    value = true_outcome(arms[arm], subj, dists, condition, readout, network, changes, session_drive)
    measured = value
    if readout == "MEP":
        arm_index = sorted(arms).index(arm)
        rng = np.random.default_rng([int(cohort_seed), int(subject), 1 + arm_index])
        sd = measurement_sd(subj.get("baseline_mep_mV", 1.0))
        measured = 100.0 * ((1.0 + value / 100.0) * math.exp(sd * float(rng.standard_normal())) - 1.0)
    return {"outcome": value, "measured": measured, **subj}


def _warm(*, arms: dict, dists: dict, condition: str, readout: str, network=None, changes=None, outcome=None,
          session_drive=None, **_) -> None:
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
        if kind:
            true_outcome(arm.replace(days=1), typical, dists, condition, readout, network, changes, session_drive)
        else:  # the synapse integrator only (a network run per worker would cost more than it saves)
            from mechtms.plasticity import run_session, slice_activity

            run_session(arm, activity=slice_activity(1.0, 3, n_synapses=2))


run_point.warm = _warm  # type: ignore[attr-defined]
