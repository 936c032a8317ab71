"""The clinical conditions' figures: chain runs and the comparisons of docs/depression.md and docs/pain.md.

Each function runs the conditions of :mod:`mechtms.conditions_clinical` through
:func:`mechtms.simulate` and turns the daily read-outs into the numbers the literature reports
(a median patient's scale, a virtual trial's response and remission rates, the rat groups'
read-outs). The chain is causal, so one course of ``n`` sessions read on the evening of session
``k`` is the course of ``k`` sessions: a session dose-response costs one run.

Reproduce the documented figures (a few minutes on one core, the short-run network options of
:func:`mechtms.conditions_clinical.small_options`)::

    python -m mechtms.clinical_figures depression
    python -m mechtms.clinical_figures pain
    python -m mechtms.clinical_figures rat
    python -m mechtms.clinical_figures calibrate   # the proxies' gains (one target each)
    python -m mechtms.clinical_figures trajectories > tests/data/chain_w_late.csv

``MECHTMS_FAST=1`` shortens the grids (the notebooks use that).
"""

from __future__ import annotations

import math
import os
import sys
from typing import Any, NamedTuple

import numpy as np

from . import conditions_clinical as cc
from .protocols import course as make_course
from .protocols import preset, rtms

#: Literature points. Teng S et al. 2017 J Psychiatr Res 85:58 (HF-rTMS vs sham, SMD of HAMD by sessions).
TENG_2017_SMD = {5: -0.43, 10: -0.60, 15: -1.13, 20: -2.74}
#: Berlim MT et al. 2014 Psychol Med 44:225 (29 RCTs of HF-rTMS of the left DLPFC).
BERLIM_2014 = {"active": {"response": 0.293, "remission": 0.186}, "sham": {"response": 0.104, "remission": 0.05}}


def fast() -> bool:
    return os.environ.get("MECHTMS_FAST", "") not in ("", "0")


def weekday_course(protocol, n_sessions: int, target: str = ""):
    """``n_sessions`` weekday sessions (5 a week) from day 1 and the days after the last."""
    weeks = math.ceil(n_sessions / 5)
    crs = make_course(protocol, weeks=weeks, days_per_week=5, start_day=1, target=target, name=protocol.name)
    return crs


def endpoint_day(course, k: int) -> int:
    """The read-out day of a ``k``-session course: the day of the ``k``-th session.

    The conditions read the daily state at 20:00 (``readout_clock_h``), 11 h after a 09:00
    session, so that day's value holds exactly ``k`` sessions. (The next day's value would
    already hold session ``k + 1`` whenever the course continues the next morning.)
    """
    return int(course.session_days[k - 1])


def upto(daily, day: int):
    return daily.sel(day=slice(0, day))


def _sim(course, condition, network, seed=0):
    import mechtms as mt

    return mt.simulate(course, condition=condition, seed=seed, network=network)


def depression_trial(daily_active, daily_sham, course_active, course_sham, day: int, *, n: int = 20000,
                     seed: int = 0, params=None) -> dict:
    """Response/remission rates and SMD of a virtual RCT at ``day`` (proxy-level cohort on the chain's
    ``w_late`` of the median network: patients differ by severity, responsiveness and rating noise)."""
    from .proxies import depression as dep

    a, s = upto(daily_active, day), upto(daily_sham, day)
    days = a.day.values.astype(float)
    out = dep.virtual_trial(days, {"active": a.w_late.values, "sham": s.w_late.values},
                            {"active": course_active, "sham": course_sham}, n=n, seed=seed, params=params)
    return {"response": out["active"]["response"], "remission": out["active"]["remission"],
            "sham_response": out["sham"]["response"], "sham_remission": out["sham"]["remission"],
            "smd": out["smd"]["active"], "hamd_active": float(a.HAMD17.values[-1]),
            "hamd_sham": float(s.HAMD17.values[-1]), "w_late": float(a.w_late.values[-1])}


def depression_figures(network=None, seed: int = 0, sessions=None, pulses=None, intensities=None) -> dict:
    """Session, pulse and intensity dose-responses of left-DLPFC 10 Hz and the right-DLPFC 1 Hz course.

    Returns a dict with ``sessions`` (k -> trial dict on the evening of session k, 10 Hz 3000
    pulses 120 % MT), ``pulses`` (pulses -> trial after 10 sessions), ``intensity`` (% MT ->
    trial after 10 sessions, 1500 pulses), ``right_1hz`` (trial after 10 sessions of 1 Hz right
    DLPFC) and the daily datasets of the main run (``daily_active``, ``daily_sham``).
    """
    network = cc.small_options("dlpfc") if network is None else network
    sessions = sessions or ((5, 10) if fast() else (5, 10, 13, 15, 20))
    pulses = pulses or ((1500,) if fast() else (600, 1500))
    intensities = intensities or ((100,) if fast() else (80, 100))
    n_max = max(sessions)
    main = preset("hf_rtms_10hz_depression")
    active = weekday_course(main, n_max)
    sham = active.replace(protocol=main.as_sham())
    da, ds = _sim(active, "depression", network, seed), _sim(sham, "depression", network, seed)
    out = {"daily_active": da, "daily_sham": ds, "course_active": active, "course_sham": sham,
           "sessions": {k: depression_trial(da, ds, active, sham, endpoint_day(active, k)) for k in sessions}}
    k10 = 10
    out["pulses"] = {3000: out["sessions"][k10]} if k10 in out["sessions"] else {}
    for p in pulses:
        proto = rtms(10, p, 120, train_s=4.0, iti_s=26.0, name=f"10 Hz {p} pulses")
        crs = weekday_course(proto, k10)
        d = _sim(crs, "depression", network, seed)
        out["pulses"][p] = depression_trial(d, ds, crs, sham, endpoint_day(crs, k10))
    out["intensity"] = {}
    for i in intensities:
        proto = rtms(10, 1500, i, train_s=4.0, iti_s=26.0, name=f"10 Hz 1500 pulses {i} % MT")
        crs = weekday_course(proto, k10)
        d = _sim(crs, "depression", network, seed)
        out["intensity"][i] = depression_trial(d, ds, crs, sham, endpoint_day(crs, k10))
    if 1500 in out["pulses"]:
        out["intensity"][120] = out["pulses"][1500]
    right = weekday_course(preset("lf_rtms_1hz_right_dlpfc_depression"), k10, target="right_DLPFC")
    d = _sim(right, "depression", network, seed)
    out["right_1hz"] = depression_trial(d, ds, right, sham.replace(target="right_DLPFC"), endpoint_day(right, k10))
    out["daily_right_1hz"] = d
    return out


def pain_trial(daily_active, daily_sham, course_active, course_sham, day: int, *, n: int = 20000, seed: int = 0):
    from .proxies import pain

    a, s = upto(daily_active, day), upto(daily_sham, day)
    days = a.day.values.astype(float)
    out = pain.virtual_trial(days, {"active": a.w_late.values, "sham": s.w_late.values},
                             {"active": course_active, "sham": course_sham}, n=n, seed=seed)
    return {"ppr_mean": out["active"]["ppr_mean"], "sham_ppr_mean": out["sham"]["ppr_mean"],
            "difference": out["difference"]["active"], "responder30": out["active"]["responder30"],
            "sham_responder30": out["sham"]["responder30"], "vas": float(a.VAS.values[-1]),
            "vas_sham": float(s.VAS.values[-1]), "w_late": float(a.w_late.values[-1])}


def pain_figures(network=None, seed: int = 0, intensities=None, sessions=None) -> dict:
    """20 Hz vs 1 Hz vs sham over M1 (5 weekday sessions, read on the evening of the last), intensity and sessions."""
    network = cc.small_options("m1_column") if network is None else network
    intensities = intensities or ((110,) if fast() else (70, 110))
    sessions = sessions or ((3, 5) if fast() else (3, 5, 10))
    hf = preset("rtms_20hz_lbp")
    n_max = max(sessions)
    active = weekday_course(hf, n_max)
    sham = active.replace(protocol=hf.as_sham())
    da, ds = _sim(active, "chronic_pain", network, seed), _sim(sham, "chronic_pain", network, seed)
    out = {"daily_active": da, "daily_sham": ds,
           "sessions": {k: pain_trial(da, ds, active, sham, endpoint_day(active, k)) for k in sessions}}
    lf = weekday_course(preset("rtms_1hz_m1_pain"), 5)
    d = _sim(lf, "chronic_pain", network, seed)
    out["daily_1hz"] = d
    out["1hz"] = pain_trial(d, ds, lf, sham, endpoint_day(lf, 5))
    out["20hz"] = out["sessions"][5] if 5 in out["sessions"] else None
    out["intensity"] = {90: out["20hz"]}
    for i in intensities:
        proto = rtms(20, 1600, i, train_s=2.0, iti_s=28.0, name=f"20 Hz {i} % RMT")
        crs = weekday_course(proto, 5)
        out["intensity"][i] = pain_trial(_sim(crs, "chronic_pain", network, seed), ds, crs, sham,
                                         endpoint_day(crs, 5))
    return out


class CalibrationTarget(NamedTuple):
    """One proxy's single calibration target: what, on which preset course, after how many sessions."""

    target: str
    preset: str
    sessions: int
    value: float


#: The proxies' single calibration targets (everything else they predict is validation).
CALIBRATION: dict[str, CalibrationTarget] = {
    "depression": CalibrationTarget("active responders 29.3 % after ~13 sessions (Berlim 2014)",
                                    "hf_rtms_10hz_depression", 13, 0.293),
    "chronic_pain": CalibrationTarget(">= 30 % relief in 42 % after a 4-session test period (Thomas 2025)",
                                      "rtms_20hz_lbp", 4, 0.42),
}


def calibrate_gains(network=None, seed: int = 0, n: int = 20000) -> dict:
    """Recompute the HAMD-17 and pain proxies' ``gain`` on the chain's ``w_late``.

    Depression: the O'Reardon course (preset ``hf_rtms_10hz_depression``, weekday sessions) on the
    DLPFC-like column, read on the evening of session 13; pain: 4 daily sessions of
    ``rtms_20hz_lbp`` on the M1 column, read on the evening of session 4. Short-run network
    options (:func:`mechtms.conditions_clinical.small_options`), network seed ``seed``; virtual
    cohorts of ``n`` patients, seed 0. Returns ``{"depression": gain, "chronic_pain": gain}``.
    """
    from .proxies import depression as dep
    from .proxies import pain

    out = {}
    for cond, cal in CALIBRATION.items():
        net = network or cc.small_options("dlpfc" if cond == "depression" else "m1_column")
        crs = weekday_course(preset(cal.preset), cal.sessions)
        daily = upto(_sim(crs, cond, net, seed), endpoint_day(crs, cal.sessions))
        days = daily.day.values.astype(float)
        if cond == "depression":
            out[cond] = dep.calibrate_gain(days, daily.w_late.values, crs, target_response=cal.value, n=n)
        else:
            out[cond] = pain.calibrate_gain(days, daily.w_late.values, crs, target_responders30=cal.value, n=n)
    return out


#: The courses whose daily ``w_late`` the proxy tests read (tests/data/chain_w_late.csv):
#: name -> (condition, preset, weekday sessions, course target).
TRAJECTORIES = {
    "depression_10hz_left": ("depression", "hf_rtms_10hz_depression", 20, ""),
    "depression_1hz_right": ("depression", "lf_rtms_1hz_right_dlpfc_depression", 10, "right_DLPFC"),
    "depression_itbs_left": ("depression", "itbs_600_dlpfc_depression", 20, ""),
    "pain_20hz": ("chronic_pain", "rtms_20hz_lbp", 10, ""),
    "pain_1hz": ("chronic_pain", "rtms_1hz_m1_pain", 5, ""),
}


def trajectories(seed: int = 0) -> str:
    """CSV (``name,day,w_late``) of the chain's daily ``w_late`` for :data:`TRAJECTORIES`, up to the
    evening of the last session; short-run network options, network seed ``seed``."""
    lines = ["name,day,w_late"]
    for name, (cond, pre, k, target) in TRAJECTORIES.items():
        net = cc.small_options("dlpfc" if cond == "depression" else "m1_column")
        crs = weekday_course(preset(pre), k, target=target)
        d = upto(_sim(crs, cond, net, seed), endpoint_day(crs, k))
        lines += [f"{name},{int(day)},{float(w):.6f}" for day, w in zip(d.day.values, d.w_late.values, strict=True)]
    return "\n".join(lines) + "\n"


RAT_GROUPS: dict[str, dict[str, Any]] = {
    "control_sham": dict(cort_rel=1.0, trk_inhib=0.0, active=False),
    "cus_sham": dict(cort_rel=None, trk_inhib=0.0, active=False),
    "cus_rtms": dict(cort_rel=None, trk_inhib=0.0, active=True),
    "cus_trkblock_sham": dict(cort_rel=None, trk_inhib=1.0, active=False),
    "cus_trkblock_rtms": dict(cort_rel=None, trk_inhib=1.0, active=True),
}
RAT_READOUTS = ("BDNF_cortex", "pERK_cortex", "pTrkB_cortex", "proliferation", "sucrose_preference")


def rat_figures(network=None, seed: int = 0, groups=None, sessions: int | None = None) -> dict:
    """The rat groups (:data:`RAT_GROUPS`) on the last day of the preset course (7 daily sessions
    from day 21, read the evening of day 27), each read-out relative to ``control_sham`` (sucrose
    preference as a fraction). ``sessions`` shortens the course."""
    from .protocols import preset_course

    network = cc.small_options("m1_column") if network is None else network
    crs = preset_course("rtms_15hz_cums_rat")
    if sessions is not None:
        crs = crs.replace(days=int(sessions))
    out, daily = {}, {}
    for name in groups or RAT_GROUPS:
        g = RAT_GROUPS[name]
        cond = cc.depression_rat(cort_rel=g["cort_rel"], trk_inhib=g["trk_inhib"])
        c = crs if g["active"] else crs.replace(protocol=crs.protocol.as_sham())
        daily[name] = _sim(c, cond, network, seed)
        last = daily[name].isel(day=-1)
        out[name] = {r: float(last[r]) for r in RAT_READOUTS}
    if "control_sham" in out:
        ref = out["control_sham"]
        for vals in out.values():
            vals.update({f"{r}_rel": vals[r] / ref[r] for r in RAT_READOUTS if r != "sucrose_preference"})
    return {"groups": out, "daily": daily}


def _print(d, indent=""):
    for k, v in d.items():
        if isinstance(v, dict):
            print(f"{indent}{k}:")
            _print(v, indent + "  ")
        elif isinstance(v, float | int | np.floating):
            print(f"{indent}{k}: {float(v):.4g}")


def main(argv=None) -> None:
    which = (argv or sys.argv[1:] or ["depression"])[0]
    if which == "depression":
        res = depression_figures()
        _print({k: res[k] for k in ("sessions", "pulses", "intensity", "right_1hz")})
    elif which == "pain":
        res = pain_figures()
        _print({k: res[k] for k in ("sessions", "1hz", "intensity")})
    elif which == "rat":
        _print(rat_figures()["groups"])
    elif which == "calibrate":
        _print(calibrate_gains())
    elif which == "trajectories":
        sys.stdout.write(trajectories())
    else:
        print(f"unknown figure set {which!r}: depression, pain, rat, calibrate or trajectories")
        sys.exit(2)


if __name__ == "__main__":
    main()
