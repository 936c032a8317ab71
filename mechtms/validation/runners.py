"""Runners: the model's value for one anchor row, computed through the public API only.

A runner is ``f(row, changes) -> float`` in the units of the row's ``value``. ``changes``
maps a model name to parameter overrides (``{"bdnf_trkb_erk": {"kd_erk": 1}}``): a
deliberately broken model for tests, or a user's variant to check against the data.
Which model a pathway anchor runs is found from its read-out variable and protocol
changes (:func:`model_for`), so a new model with the same read-outs is picked up unchanged.

Register a runner with :func:`runner` (name = the ``runner`` column of the tables).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from .. import _checks
from .anchors import protocol_changes, time_in_hours

RUNNERS: dict[str, Callable] = {}
#: Acute experiments are followed this long when the row's time is earlier (h).
_ACUTE_MIN_H = 0.5


class NotModelled(Exception):
    """The anchor's condition or read-out has no model yet (reported, never a failure)."""


def runner(name: str):
    def deco(f):
        RUNNERS[name] = f
        return f
    return deco


def get(name: str) -> Callable:
    if name not in RUNNERS:
        raise _checks.unknown_name("runner", name, RUNNERS, exc=ValueError)
    return RUNNERS[name]


def _split_readout(readout: str) -> tuple[str, str]:
    for suffix in ("_fraction_of_peak", "_peak_time", "_rise_fraction", "_fold"):
        if readout.endswith(suffix):
            return readout[: -len(suffix)], suffix[1:]
    return readout, ""


def model_for(variable: str, changes=()) -> str:
    """The one model of ``models/`` that has ``variable`` and every name in ``changes``."""
    from .. import models, ode

    hits = []
    for name in models.list_models():
        known = set(ode.settable_names(models.load_model(name)))
        if variable in known and all(k in known for k in changes):
            hits.append(name)
    if len(hits) != 1:
        raise NotModelled(f"{'no' if not hits else 'more than one'} model has {variable!r} and {sorted(changes)}"
                          + (f": {hits}" if hits else ""))
    return hits[0]


def _need_preset(preset: str | None, row) -> str:
    if preset is None:
        raise ValueError(f"anchor {row['anchor']!r}: protocol {row['protocol']!r} names no preset")
    return preset


def _numeric(changes: Mapping) -> dict[str, float]:
    return {k: v for k, v in changes.items() if isinstance(v, float)}


def _acute(row, changes, points_per_h: int = 240):
    """(model, variable, kind, time grid h, trace) of an acute application (protocol = model changes)."""
    import mechtms as mt

    var, kind = _split_readout(row["readout"])
    preset, setup = protocol_changes(row["protocol"])
    if preset is not None:
        raise NotModelled(f"acute runner got a preset {preset!r}")
    model = model_for(var, setup)
    t_h = time_in_hours(row["time"])
    t_end = max(t_h, _ACUTE_MIN_H)
    n = int(round(t_end * points_per_h)) + 1
    ds = mt.simulate_model(model, changes={**_numeric(setup), **dict((changes or {}).get(model, {}))},
                           t_end=t_end, points=n, selections=[var])
    return model, var, kind, ds.time.values * mt.model_info(model).hours_per_time_unit, ds[var].values, t_h


@runner("acute_fold")
def acute_fold(row, changes=None) -> float:
    """Fold of the variable over its value at t = 0 (the untreated state), at the row's time."""
    _, _, _, t, x, t_h = _acute(row, changes)
    return float(np.interp(t_h, t, x) / x[0])


@runner("acute_peak_time")
def acute_peak_time(row, changes=None) -> float:
    """Time of the variable's maximum within the row's time window, in minutes."""
    _, _, _, t, x, t_h = _acute(row, changes, points_per_h=3600)
    mask = t <= t_h + 1e-12
    return float(t[mask][np.argmax(x[mask])] * 60.0)


@runner("acute_fraction_of_peak")
def acute_fraction_of_peak(row, changes=None) -> float:
    """(X(t) - X(0)) / (max X - X(0)) over [0, max(t, 30 min)]: a blot with no background, as
    Yuen & Mobley's activity measure (zero before BDNF)."""
    _, _, _, t, x, t_h = _acute(row, changes, points_per_h=3600)
    return float((np.interp(t_h, t, x) - x[0]) / (x.max() - x[0]))


@runner("mek_block_fraction")
def mek_block_fraction(row, changes=None) -> float:
    """Rise of a variable under a course, with the row's block, as a fraction of the rise without it.

    Rise = value on the row's day (daily sample at the condition's read-out hour) minus the
    same run with a sham course.
    """
    import mechtms as mt
    from mechtms import conditions, protocols
    from mechtms.pathways import daily

    var = row["readout"].removesuffix("_rise_fraction")
    preset, setup = protocol_changes(row["protocol"])
    model = model_for(var, setup)
    cond = conditions.get(row["condition"])
    course = protocols.preset_course(_need_preset(preset, row))
    day = int(round(time_in_hours(row["time"]) / 24.0))
    base = {**cond.model_changes(model), **dict((changes or {}).get(model, {}))}

    def value(c, extra):
        ds = mt.simulate_model(model, course=c, changes={**base, **extra}, selections=[var])
        return float(daily(ds, how="at", hour=cond.readout_clock_h)[var].sel(day=day))

    sham = protocols.preset_course("sham")
    rise = value(course, {}) - value(sham, {})
    blocked = value(course, _numeric(setup)) - value(sham, _numeric(setup))
    if abs(rise) < 1e-12:
        raise RuntimeError(f"{model}: {var} does not rise under {preset} without the block")
    return blocked / rise


@runner("pathway_course")
def pathway_course(row, changes=None) -> float:
    """A read-out of the condition's pathway models under a preset course, on the row's day."""
    import mechtms as mt
    from mechtms import conditions, protocols
    from mechtms.pathways import daily

    cond = conditions.get(row["condition"])
    preset, setup = protocol_changes(row["protocol"])
    var = row["readout"]
    models = [m for m in cond.pathway_models if var in mt.model_info(m).outputs]
    if not models:
        raise NotModelled(f"no pathway model of condition {cond.name!r} outputs {var!r}")
    model = models[0]
    course = protocols.preset_course(_need_preset(preset, row))
    day = int(round(time_in_hours(row["time"]) / 24.0))
    if model == "spinal_lesion":
        # the lesion model alone, driven by the course at the reference volley (docs/lesion.md);
        # the whole chain's drive is the chain's business (mt.simulate)
        from mechtms import lesion

        extra = {**_numeric(setup), **dict((changes or {}).get(model, {}))}
        assert cond.lesion is not None  # spinal_lesion is a pathway model only with a lesion
        ds = lesion.simulate(lesion.DescendingDrive.from_course(course), days=max(day, 1),
                             injury=cond.lesion.injury, changes={**cond.model_changes(model), **extra},
                             readout_hour=cond.readout_clock_h)
        return float(ds[var].sel(day=day))
    ds = mt.simulate_model(model, course=course, changes={**cond.model_changes(model), **_numeric(setup),
                                                          **dict((changes or {}).get(model, {}))}, selections=[var])
    return float(daily(ds, how="at", hour=cond.readout_clock_h)[var].sel(day=day))


def _plasticity_row(row, changes):
    """The plasticity layer's own run of an anchor row (``mechtms.plasticity.anchors.run_row``),
    with the row's ``calcium_plasticity`` changes; (after-effect %, SessionResult)."""
    from ..plasticity import anchors as plasticity_anchors

    extra = dict((changes or {}).get("calcium_plasticity", {}))
    return plasticity_anchors.run_row(row, changes=extra or None)


@runner("after_effect")
def after_effect(row, changes=None) -> float:
    """The network-driven population's after-effect (% change of the mean weight 30 min after the
    session; :func:`mechtms.plasticity.after_effect`) of the row's protocol (preset with
    ``intensity``, ``pulses``, ``frequency_hz``, ``pas_isi_ms`` fields), network seed 0. Slow:
    the network runs the whole session (cached under ``MECHTMS_CACHE_DIR/synapse_activity``)."""
    return float(_plasticity_row(row, changes)[0])


@runner("slice_after_effect")
def slice_after_effect(row, changes=None) -> float:
    """After-effect of afferent stimulation in a slice (no network, no background): the slice's
    drive of :func:`mechtms.plasticity.drive.slice_activity` (Dudek & Bear 1992 protocol)."""
    return float(_plasticity_row(row, changes)[0])


@runner("cohort_responder_fraction")
def cohort_responder_fraction(row, changes=None) -> float:
    """Fraction of a virtual healthy cohort whose MEP moves in the protocol's expected direction."""
    from .. import cohorts as cohort_mod

    return cohort_mod.anchor_value(row, "responder_fraction", changes)


@runner("cohort_mep_sd")
def cohort_mep_sd(row, changes=None) -> float:
    """Between-subject SD (%) of the MEP change in a virtual healthy cohort."""
    from .. import cohorts as cohort_mod

    return cohort_mod.anchor_value(row, "mep_change_sd_percent", changes)


@runner("cohort_smd")
def cohort_smd(row, changes=None) -> float:
    """Standardised mean difference (mean / between-subject SD of the measured change) of a virtual
    healthy cohort: the effect size a meta-analysis pools."""
    from .. import cohorts as cohort_mod

    return cohort_mod.anchor_value(row, "smd", changes)


@runner("not_modelled")
def not_modelled(row, changes=None) -> float:
    raise NotModelled(f"condition {row['condition']!r} has no model of {row['readout']!r} yet")
