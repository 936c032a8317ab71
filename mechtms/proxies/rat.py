"""Rat chronic unpredictable stress: dentate proliferation and a sucrose-preference proxy.

Both read the hippocampal BDNF-TrkB-ERK state of the chain's daily dataset (in the rat the
coil is large relative to the brain and the hippocampus is stimulated directly; the chain's
BDNF-TrkB-ERK instance is that of the stimulated tissue). Stress enters upstream, as the
``cort_rel`` input of ``bdnf_trkb_erk`` (see its header); corticosterone also acts on the
progenitors directly, so :func:`proliferation` uses the same ``cort_rel``: the one the chain
applied (``daily.attrs["changes"]``, recorded by :func:`mechtms.simulate`), unless given.

:func:`proliferation`
    Runs ``models/hippocampal_proliferation.ant`` day by day on the daily p-ERK (relative to
    the unstressed rest) and ``cort_rel``: BrdU/Ki67-like division rate relative to control.
:func:`sucrose_preference`
    A behavioural proxy. What it is: a linear map from lagged hippocampal TrkB activation
    (p-TrkB relative to the unstressed rest) to the fraction of sucrose solution drunk in a
    two-bottle test. Why TrkB: antidepressant behaviour requires TrkB signalling (mice with
    dominant-negative TrkB.T1 show no antidepressant response in the forced swim test:
    Saarelainen T et al. 2003 J Neurosci 23:349; MKP-1, which lowers ERK, causes depressive
    behaviour: Duric V et al. 2010 Nat Med 16:1328). What it is not: a model of reward or
    consumption; hunger, thirst and body weight confound the test (Berrio JP et al. 2024 Transl
    Psychiatry, doi:10.1038/s41398-024-02742-0) and are absent. The map is fixed by two
    anchor points (control and chronically stressed animals); what rTMS does to it is a
    result of the upstream chain.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping

import numpy as np

from ._base import Param, as_dataarray, days_of, lowpass, resolve, series

PROLIFERATION_MODEL = "hippocampal_proliferation"
BDNF_MODEL = "bdnf_trkb_erk"

#: Corticosterone of rats under chronic unpredictable stress relative to controls (ASSUMED 2:
#: CUMS raises it ~1.5-2x in the literature; Feng SF et al. 2012 Behav Brain Res 232:245 and
#: Czeh B et al. 2002 Biol Psychiatry 52:1057 report raised stress hormones).
CORT_CUMS = 2.0

PROLIFERATION_PARAMS: dict[str, Param] = {
    "signal": Param("pERK_cortex", "-", "ASSUMED",
                    "daily p-ERK of the stimulated tissue's BDNF-TrkB-ERK instance (absolute active fraction)",
                    choices=("pERK_cortex", "pERK")),
    "cort_rel": Param(1.0, "relative to control", "ASSUMED",
                      "plasma corticosterone; by default the bdnf_trkb_erk cort_rel the chain applied "
                      "(daily.attrs['changes']; 1 when absent), so both models see the same stress "
                      f"(CUMS: {CORT_CUMS:g})", low=0.0, high=4.0),
}

SUCROSE_PARAMS: dict[str, Param] = {
    "signal": Param("pTrkB_cortex", "-", "ASSUMED",
                    "daily p-TrkB of the stimulated tissue's BDNF-TrkB-ERK instance (absolute active fraction)",
                    choices=("pTrkB_cortex", "pTrkB")),
    "control": Param(0.80, "fraction", "ASSUMED",
                     "sucrose preference of unstressed rats (typically 0.75-0.90 in the CUMS literature)",
                     low=0.0, high=1.0),
    "stress_drop": Param(0.20, "fraction", "ASSUMED",
                         "fall of preference after 3-5 weeks of CUMS (typically 0.20-0.30 in the CUMS "
                         "literature; anhedonia is the model's main end point: Antoniuk S et al. 2019 Neurosci "
                         "Biobehav Rev 99:101)", low=0.0, high=1.0),
    "stress_ptrkb": Param(0.7488, "relative to rest", "DERIVED",
                          f"steady-state p-TrkB of bdnf_trkb_erk at cort_rel = {CORT_CUMS:g} "
                          "(stressed_steady_state()); with control and stress_drop it fixes the slope",
                          low=0.0, high=0.999),
    "floor": Param(0.5, "fraction", "SOURCE",
                   "indifference between sucrose solution and water (the test's definition); the linear map "
                   "is not extrapolated below it", low=0.0, high=1.0),
    "lag_days": Param(3.0, "days", "ASSUMED",
                      "behaviour follows the hippocampal signal with a lag of days (7 days of rTMS suffice "
                      "in Chen YH et al. 2015 and Wang HN et al. 2014)", low=0.0, high=60.0),
}


@functools.cache
def resting_values() -> dict[str, float]:
    """Resting (unstressed) p-ERK and p-TrkB of ``bdnf_trkb_erk`` (its ``*_0`` parameters)."""
    from ..models import load_model

    rr = load_model(BDNF_MODEL)
    return {"pERK": float(rr.getValue("pERK_0")), "pTrkB": float(rr.getValue("pTrkB_0"))}


@functools.cache
def stressed_steady_state(cort_rel: float = CORT_CUMS, days: int = 20) -> dict[str, float]:
    """Read-outs of ``bdnf_trkb_erk`` after ``days`` at ``cort_rel``, relative to rest (1 = control)."""
    from ..ode import simulate_model

    names = ["BDNF", "pTrkB", "pERK", "pCREB"]
    ds = simulate_model(BDNF_MODEL, changes={"cort_rel": float(cort_rel)}, t_end=24.0 * days, points=3,
                        selections=names)
    return {n: float(ds[n].values[-1] / ds[n].values[0]) for n in names}


def run_proliferation(days: np.ndarray, perk_rel: np.ndarray, cort_rel: float) -> dict[str, np.ndarray]:
    """``hippocampal_proliferation`` over ``days``, each day's p-ERK held for the next 24 h.

    Parameters
    ----------
    days : (D,) float, consecutive whole days
    perk_rel : (D,) float
        Hippocampal p-ERK relative to the unstressed rest on each day.
    cort_rel : float

    Returns
    -------
    dict ``prolif``, ``immature``: (D,) arrays at the days (the model starts at control, 1).
    """
    from ..ode import simulate_model

    out = {"prolif": np.empty(len(days)), "immature": np.empty(len(days))}
    state = None
    for k, d in enumerate(days):
        t0 = 24.0 * float(d)
        seg = simulate_model(PROLIFERATION_MODEL, changes={"perk_rel": float(perk_rel[k]), "cort_rel": cort_rel},
                             t_start=t0 - 24.0, t_end=t0, points=2, initial_state=state,
                             selections=["prolif", "immature"])
        state = json.loads(seg.attrs["final_state"])
        out["prolif"][k] = float(seg.prolif.values[-1])
        out["immature"][k] = float(seg.immature.values[-1])
    return out


def proliferation(daily, course=None, params: Mapping | None = None):
    """Dentate progenitor proliferation relative to the unstressed control, over ``day``.

    Each day's value is the model's state at that day's read-out, having integrated the
    previous day's p-ERK (relative to the unstressed rest of ``bdnf_trkb_erk``) and
    ``cort_rel``. ``course`` is unused (the sessions act through p-ERK).

    ``cort_rel``: ``params["cort_rel"]`` if given; otherwise the ``bdnf_trkb_erk`` ``cort_rel``
    recorded in ``daily.attrs["changes"]`` (JSON, written by :func:`mechtms.simulate`; the
    model's default 1 when that model was not changed); otherwise 1.
    """
    params = dict(params or {})
    if "cort_rel" not in params and "changes" in getattr(daily, "attrs", {}):
        applied = json.loads(daily.attrs["changes"]).get("bdnf_trkb_erk", {})
        params["cort_rel"] = float(applied.get("cort_rel", PROLIFERATION_PARAMS["cort_rel"].value))
    p = resolve(PROLIFERATION_PARAMS, params, "proliferation")
    days = days_of(daily)
    perk_rel = series(daily, p["signal"]) / resting_values()["pERK"]
    run = run_proliferation(days, perk_rel, p["cort_rel"])
    return as_dataarray(run["prolif"], days, "proliferation", "relative to control",
                        "dentate progenitor proliferation (BrdU/Ki67-like), models/hippocampal_proliferation.ant", p)


def sucrose_preference(daily, course=None, params: Mapping | None = None):
    """Sucrose preference (fraction of sucrose solution drunk, 0-1) over ``day``.

    ``SP = control - slope * (1 - s)``, ``s`` = p-TrkB relative to the unstressed rest,
    lagged by ``lag_days``; ``slope = stress_drop / (1 - stress_ptrkb)`` so that unstressed
    animals show ``control`` and chronically stressed ones ``control - stress_drop``.
    Clipped to [``floor``, 1]. ``course`` is unused (no placebo in animals; handling is the same in
    the sham arm).
    """
    p = resolve(SUCROSE_PARAMS, params, "sucrose_preference")
    days = days_of(daily)
    s = series(daily, p["signal"]) / resting_values()["pTrkB"]
    lagged = lowpass(days, s, p["lag_days"], y0=s[0])
    slope = p["stress_drop"] / (1.0 - p["stress_ptrkb"])
    values = np.clip(p["control"] - slope * (1.0 - lagged), p["floor"], 1.0)
    return as_dataarray(values, days, "sucrose_preference", "fraction",
                        "sucrose preference proxy of lagged hippocampal TrkB activation (mechtms.proxies.rat)", p)
