"""Chronic pain under M1 rTMS: a VAS proxy and percent pain reduction (PPR %).

Mechanism, as a hypothesis (none of it is established in patients receiving a course):
M1 stimulation raises the output of the motor cortex, whose cortico-thalamic and
cortico-brainstem projections engage top-down pain modulation: thalamus, anterior cingulate and
the periaqueductal grey -> rostral ventromedial medulla -> dorsal horn descending system
(epidural motor cortex stimulation raises blood flow in thalamus, cingulate and brainstem:
Garcia-Larrea L et al. 1999 Pain 83:259; after 20 Hz M1 rTMS insula-thalamus connectivity rises:
Masoumbeigi M et al. 2022 J Med Biol Eng, doi:10.1007/s40846-022-00721-8). Part of the
analgesia is opioid-mediated: naloxone reduces the rise of pain thresholds after M1 rTMS in
healthy volunteers (de Andrade DC et al. 2011 Pain 152:320); motor cortex stimulation lowers
opioid-receptor availability in cingulate and PAG (Maarrawi J et al. 2007 Neurology 69:827;
Lamusuo S et al. 2017 Eur J Pain 21:1505).

The proxy::

    D(d)    = descending_tau_days-lowpass of the M1 drive: w_late(d) (or output_rate(d) - 1)
    R(d)    = 1 - exp(-(d - d_first)/placebo_tau_days)           (0 before any session)
    f(d)    = R(d) * expit(logit_mean + logit_sd * z + gain * (1 - naloxone * opioid_fraction) * D(d))
    VAS(d)  = baseline * (1 - f(d));   PPR(d) = 100 f(d)

as in :mod:`mechtms.proxies.depression` (one latent responsiveness ``z`` for placebo and
active relief; a lower M1 output, e.g. after 1 Hz, gives less relief than sham and never raises
pain above baseline). What it is not: no nociceptive pathway, no spinal sensitisation, no
distinction between neuropathic and non-neuropathic pain (the strongest evidence is for
neuropathic pain: Lefaucheur JP et al. 2020 Clin Neurophysiol 131:474, Level A; chronic low back
pain is not a guideline indication and its trials conflict).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .. import _checks
from ._base import Param, as_dataarray, days_of, lowpass, placebo_fraction, resolve, series

VAS_MAX = 10.0

PARAMS: dict[str, Param] = {
    "signal": Param("w_late", "-", "ASSUMED",
                    "upstream daily variable: the stimulated M1's consolidated weight change w_late (the lasting "
                    "change of its output synapses; drive = w_late), or its tonic output relative to baseline "
                    "output_rate (drive = output_rate - 1)",
                    choices=("output_rate", "w_late")),
    "baseline": Param(6.5, "VAS cm (0-10)", "ASSUMED",
                      "median patient's baseline pain (trials include VAS >= 4; typical means 6-7)", low=0.0,
                      high=VAS_MAX),
    "logit_mean": Param(-2.2, "logit", "ASSUMED",
                        "median patient's plateau relief under sham, logit scale (expit(-2.2) = 10 %: sham arms of "
                        "neuropathic-pain rTMS trials relieve ~5-15 % [recalled, not verified])", low=-20.0, high=20.0),
    "logit_sd": Param(1.5, "logit", "ASSUMED", "between-patient spread of responsiveness z", low=0.0, high=20.0),
    "placebo_tau_days": Param(3.0, "days", "ASSUMED", "placebo relief builds over the first days of a course",
                              low=0.0, high=60.0),
    "descending_tau_days": Param(3.0, "days", "ASSUMED",
                                 "the descending-inhibition state follows M1 output with a lag of days: relief after "
                                 "one session lasts hours to about a week and builds over 5-10 daily sessions",
                                 low=0.0, high=60.0),
    "gain": Param(13.73, "logit per unit drive", "CALIBRATED",
                  "ONE target: 42 % of patients with > 30 % relief after a 4-session test period of 20 Hz M1 "
                  "rTMS (Thomas J et al. 2025 Eur J Pain 29:e4763, n = 193, open-label, so placebo included), "
                  "on the chain's w_late of 4 daily sessions of rtms_20hz_lbp (condition chronic_pain, "
                  "small_options('m1_column'), seed 0), read on the evening of session 4, n = 20000, seed 0: "
                  "python -m mechtms.clinical_figures calibrate. Everything else is validation (docs/pain.md)",
                  low=0.0, high=10000.0),
    "opioid_fraction": Param(0.75, "fraction", "ASSUMED",
                             "share of the drive's effect that needs endogenous opioids (naloxone reduces M1-rTMS "
                             "analgesia: de Andrade 2011; a 2024 study reports it abolished in the first session "
                             "[secondary report])", low=0.0, high=1.0),
    "naloxone": Param(0.0, "0/1", "SOURCE", "opioid-receptor block (de Andrade 2011 design): 1 = given",
                      low=0.0, high=1.0),
}

COHORT: dict[str, Param] = {
    "baseline_mean": Param(6.5, "VAS cm", "ASSUMED", "true baseline pain of patients screened", low=0.0, high=10.0),
    "baseline_sd": Param(1.5, "VAS cm", "ASSUMED", "spread of true baseline pain", low=0.0, high=5.0),
    "inclusion_min": Param(4.0, "VAS cm", "ASSUMED", "measured baseline VAS >= 4 to enter", low=0.0, high=10.0),
    "rating_sd": Param(0.7, "VAS cm", "ASSUMED", "day-to-day noise of one VAS rating", low=0.0, high=5.0),
}


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def _drive(signal: np.ndarray, p) -> np.ndarray:
    signal = np.asarray(signal, dtype=float)
    return signal - 1.0 if p["signal"] == "output_rate" else signal


def relief_from_signal(days, signal, course, p: Mapping, z=0.0) -> np.ndarray:
    """Fraction of baseline pain relieved, ``f`` (see module docstring); (D,) or (N, D)."""
    lagged = lowpass(days, _drive(signal, p), p["descending_tau_days"])
    z = np.asarray(z, dtype=float)
    zz = z[..., None] if z.ndim else float(z)
    gain = p["gain"] * (1.0 - p["naloxone"] * p["opioid_fraction"])
    ramp = placebo_fraction(days, course, 1.0, p["placebo_tau_days"])
    return ramp * _expit(p["logit_mean"] + p["logit_sd"] * zz + gain * lagged)


def vas(daily, course=None, params: Mapping | None = None):
    """Pain on a 0-10 VAS of the median patient over ``day``: the ``chronic_pain`` condition's proxy."""
    p = resolve(PARAMS, params, "vas")
    days = days_of(daily)
    values = p["baseline"] * (1.0 - relief_from_signal(days, series(daily, p["signal"]), course, p))
    return as_dataarray(values, days, "VAS", "cm (0-10)",
                        "VAS of the median patient, proxy of M1 output through descending modulation "
                        "(mechtms.proxies.pain)", p)


def ppr(daily, course=None, params: Mapping | None = None):
    """Percent pain reduction from baseline (PPR %, positive = relief) of the median patient."""
    p = resolve(PARAMS, params, "ppr")
    days = days_of(daily)
    values = 100.0 * relief_from_signal(days, series(daily, p["signal"]), course, p)
    return as_dataarray(values, days, "PPR", "%", "percent pain reduction from baseline (mechtms.proxies.pain)", p)


def draw_patients(n: int, seed: int, cohort: Mapping | None = None) -> dict:
    """``n`` included patients (measured baseline VAS >= ``inclusion_min``); as the depression cohort."""
    n = _checks.whole_number("n", n, low=1, high=10_000_000)
    c = resolve(COHORT, cohort, "pain cohort")
    rng = np.random.default_rng([int(seed), 25])
    true: list[np.ndarray] = []
    meas: list[np.ndarray] = []
    while sum(int(len(t)) for t in true) < n:
        m = max(2 * n, 64)
        t = np.clip(rng.normal(c["baseline_mean"], c["baseline_sd"], m), 0, VAS_MAX)
        b = np.clip(t + rng.normal(0.0, c["rating_sd"], m), 0, VAS_MAX)
        keep = b >= c["inclusion_min"]
        true.append(t[keep])
        meas.append(b[keep])
    rng2 = np.random.default_rng([int(seed), 26])
    return {"baseline": np.concatenate(true)[:n], "baseline_measured": np.concatenate(meas)[:n],
            "z": rng2.standard_normal(n), "endpoint_noise": rng2.normal(0.0, c["rating_sd"], n)}


def virtual_trial(days, signals: Mapping[str, np.ndarray], courses: Mapping, *, n: int = 2000, seed: int = 0,
                  endpoint_day: float | None = None, params: Mapping | None = None,
                  cohort: Mapping | None = None) -> dict:
    """Mean PPR % and responder rates (>= 30 % and >= 50 % relief) of each arm.

    Responder thresholds: Klein MM et al. 2015 Pain 156:1601 (report the proportions with 30 %
    and 50 % relief). Same conventions as :func:`mechtms.proxies.depression.virtual_trial`.

    Returns
    -------
    dict arm -> ``ppr_mean``, ``ppr`` ((n,) measured PPR %), ``responder30``, ``responder50``
    (rates) and ``responder30_ci``; ``"difference"``: each arm's mean PPR minus sham's.
    """
    from ..cohorts import wilson

    p = resolve(PARAMS, params, "vas")
    days = np.asarray(days, dtype=float)
    pts = draw_patients(n, seed, cohort)
    k = len(days) - 1 if endpoint_day is None else int(np.argmin(np.abs(days - endpoint_day)))
    out: dict = {}
    for arm, sig in signals.items():
        if arm not in courses:
            raise _checks.unknown_name("arm of courses", arm, courses)
        sig = np.broadcast_to(np.asarray(sig, dtype=float), (n, len(days)))
        f = relief_from_signal(days, sig, courses[arm], p, z=pts["z"])[:, k]
        end = np.clip(pts["baseline"] * (1.0 - f) + pts["endpoint_noise"], 0, VAS_MAX)
        base = pts["baseline_measured"]
        relief = 100.0 * (base - end) / base
        r30, r50 = relief >= 30.0, relief >= 50.0
        out[arm] = {"ppr": relief, "ppr_mean": float(relief.mean()), "responder30": float(r30.mean()),
                    "responder50": float(r50.mean()), "responder30_ci": wilson(int(r30.sum()), n)}
    if "sham" in out:
        out["difference"] = {a: v["ppr_mean"] - out["sham"]["ppr_mean"] for a, v in out.items() if a != "sham"}
    return out


def calibrate_gain(days, signal, course, *, target_responders30: float = 0.42, n: int = 20000, seed: int = 0,
                   params: Mapping | None = None, cohort: Mapping | None = None) -> float:
    """``gain`` giving ``target_responders30`` with > 30 % relief (Thomas 2025: 42 % after 4 sessions)."""
    base = dict(params or {})

    def rate(g):
        return virtual_trial(days, {"active": signal}, {"active": course}, n=n, seed=seed, cohort=cohort,
                             params={**base, "gain": g})["active"]["responder30"]

    lo, hi = 0.0, 10000.0
    if rate(hi) < target_responders30:
        raise ValueError(f"no gain up to {hi:g} reaches {target_responders30:g} responders: the signal is too small")
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if rate(mid) < target_responders30 else (lo, mid)
    return 0.5 * (lo + hi)


def cohort_outcome(daily, course, params: Mapping, rng) -> dict:
    """One patient of a virtual RCT (:func:`mechtms.cohort` with ``condition="chronic_pain"``).

    ``params``: the patient's ``pain_z`` (responsiveness) and ``pain_baseline`` (true baseline
    VAS); other keys of :data:`PARAMS` override the proxy's. The baseline rating is drawn until it
    reaches ``inclusion_min`` (as :func:`mechtms.proxies.depression.measured_baseline`). Returns
    ``outcome`` (true PPR %), ``measured`` (rated PPR %), ``responder`` (>= 30 % relief) and
    ``remitter`` (>= 50 % relief; Klein 2015).
    """
    params = dict(params)
    z = float(params.pop("pain_z", 0.0))
    true_base = float(np.clip(params.pop("pain_baseline", PARAMS["baseline"].value), 0.0, VAS_MAX))
    p = resolve(PARAMS, params, "vas")
    c = resolve(COHORT, None, "pain cohort")
    days = days_of(daily)
    f = float(relief_from_signal(days, series(daily, p["signal"]), course, p, z=z)[-1])
    base = float(c["inclusion_min"])
    for _ in range(200):
        b = true_base + float(rng.normal(0.0, c["rating_sd"]))
        if b >= c["inclusion_min"]:
            base = min(b, VAS_MAX)
            break
    end = float(np.clip(true_base * (1.0 - f) + rng.normal(0.0, c["rating_sd"]), 0.0, VAS_MAX))
    relief = 100.0 * (base - end) / base
    return {"outcome": 100.0 * f, "measured": relief, "responder": relief >= 30.0, "remitter": relief >= 50.0}
