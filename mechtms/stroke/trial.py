"""The stroke arms side by side: each course's state at its last read-out day against sham.

A compact form of the trial the tests and ``docs/stroke.md`` section 7 report: every arm's
sessions run through the chain (:func:`mechtms.stroke.course.course_states`), the
two-hemisphere network is probed once at the state each course leaves on ``end_day`` (and at
baseline), and the read-outs are compared with the sham's. The sham delivers no pulse and leaves
the weights at baseline (tested in ``tests/test_stroke_course.py``), so its state is the
baseline network with the spared tract of that day.

Reproduce the section-7 table (FAST settings, ~80 s with a warm cache)::

    MECHTMS_FAST=1 python -c "from mechtms.stroke import trial; print(trial.table().round(3))"
"""

from __future__ import annotations

import numpy as np

from . import course as SC
from . import proxies as X

#: Settings of the tests' fixture and of the notebook's FAST mode: 6 trials per probe, 5 s resting
#: runs, each arm's exact state (no grid).
FAST_SETTINGS = SC.StrokeSettings(n_trials=6, asymmetry_s=5.0, weight_step=0.0)

#: The arms of the balance review (name -> preset, target or None for the preset's own).
ARMS = {"LF contralesional": ("lf_rtms_1hz_stroke", None),
        "HF ipsilesional": ("hf_rtms_10hz_stroke", None),
        "HF contralesional": ("hf_rtms_10hz_stroke", "contralesional_M1"),
        "iTBS ipsilesional": ("m1_itbs_stroke", None),
        "cerebellar iTBS": ("cerebellar_itbs_stroke", None)}


def _small_sessions():
    from ..coupling import NetworkOptions

    return NetworkOptions(n_neurons=300, n_synapses=30, max_periods=1)


def states(settings: SC.StrokeSettings | None = None, network=None, seed: int = 0, end_day: int = 14) -> dict:
    """Read-outs of the sham and of each arm of :data:`ARMS` at day 0 and ``end_day``.

    Parameters
    ----------
    settings : StrokeSettings, optional
        Default :data:`FAST_SETTINGS`.
    network : mechtms.coupling.NetworkOptions, optional
        The sessions' network (default: the tests' 300-neuron column, 30 synapses, one block).
    seed : int
        Network instance of the sessions and the probes.

    Returns
    -------
    dict ``{arm: {"baseline" | "end": read-outs of mechtms.stroke.course.readouts + "dentate", "value"}}``.
    """
    from ..protocols import preset_course

    settings = FAST_SETTINGS if settings is None else settings
    network = _small_sessions() if network is None else network
    lesion = settings.lesion
    ref = SC._healthy_reference(settings, seed)
    day = np.array([0, int(end_day)])
    cst = X.spared_output(lesion.cst_spared, settings.onset_days + day)
    keys = ("baseline", "end")
    out = {"sham": {k: {**SC.readouts(1.0, float(cst[i]), side=None, lesion=lesion, settings=settings, seed=seed,
                                      ref=ref, pool_seed=0),
                        "dentate": SC.cb.dentate_output(1.0, settings.mf_input), "value": 1.0}
                    for i, k in enumerate(keys)}}
    for name, (preset, target) in ARMS.items():
        c = preset_course(preset)
        c = c.replace(target=target) if target else c
        c, tgt = SC.resolve_course(c)
        st = SC.course_states(c, tgt, seed, settings, lesion, day, network=network)
        out[name] = {k: {**SC.readouts(float(st["value"][i]), float(cst[i]), side=st["side"], lesion=lesion,
                                       settings=settings, seed=seed, ref=ref, pool_seed=0),
                         "dentate": float(st["dentate"][i]), "value": float(st["value"][i])}
                     for i, k in enumerate(keys)}
    return out


def bbs(states_: dict, arm: str, settings: SC.StrokeSettings | None = None,
        postural_weight: float = X.POSTURAL_WEIGHT) -> float:
    """BBS proxy of ``arm`` at the end day, anchored to the sham's baseline impairment."""
    settings = FAST_SETTINGS if settings is None else settings
    base = states_["sham"]["baseline"]
    i0 = X.impairment(base["drive"], base["dentate"], postural_weight)
    end = states_[arm]["end"]
    return float(X.bbs(X.impairment(end["drive"], end["dentate"], postural_weight), float(i0), settings.bbs_start))


def table(states_: dict | None = None, settings: SC.StrokeSettings | None = None):
    """Each arm minus sham at the end day (pandas DataFrame, one row per arm).

    Columns: BBS (points), MEP of each side (% change), the lesioned side's evoked volley at the
    highest test intensity (% change), IHI ratio and asymmetry index (differences), the
    stimulated quantity (``value``: E->E factor or thalamic gain) and the dentate output.
    """
    import pandas as pd

    settings = FAST_SETTINGS if settings is None else settings
    st = states(settings) if states_ is None else states_
    sham = st["sham"]["end"]
    rows = {}
    for arm, v in st.items():
        e = v["end"]
        rows[arm] = {
            "BBS (points)": bbs(st, arm, settings) - bbs(st, "sham", settings),
            "MEP unaffected (%)": 100.0 * (e["MEP_contralesional"] / sham["MEP_contralesional"] - 1.0),
            "MEP lesioned (%)": 100.0 * (e["MEP_ipsilesional"] / sham["MEP_ipsilesional"] - 1.0),
            "volley lesioned, highest (%)": 100.0 * (e["volley_ipsilesional_max"] / sham["volley_ipsilesional_max"] - 1.0),
            "IHI ratio": e["IHI"] - sham["IHI"],
            "asymmetry": e["asymmetry"] - sham["asymmetry"],
            "value": e["value"], "dentate": e["dentate"]}
    out = pd.DataFrame(rows).T
    out.attrs["sham_bbs_gain"] = bbs(st, "sham", settings) - settings.bbs_start
    return out
