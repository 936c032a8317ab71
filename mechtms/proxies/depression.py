"""Human major depression: a HAMD-17 proxy driven by the stimulated DLPFC's consolidated plasticity.

What it is
    A documented *link hypothesis*, not a model of depression. The upstream quantity is the
    consolidated (late) weight change ``w_late`` of the stimulated DLPFC's E->E synapses
    (fraction of the baseline weight; the chain's synaptic tagging-and-capture layer). The
    hypothesis: lasting, protein-synthesis-dependent plasticity of the DLPFC is what rTMS
    contributes to recovery, and symptoms follow it with a lag of weeks (network reorganisation
    of the DLPFC-subgenual cingulate circuit; Fox MD et al. 2012 Biol Psychiatry 72:595). Patients
    with major depression show reduced LTP-like plasticity (Player MJ et al. 2013 Int J
    Neuropsychopharmacol 16:1935), which a potentiating course would counter.
What it is not
    No quantitative human link from plasticity or BDNF to HAMD exists: the gain
    (``gain``) is CALIBRATED on a cohort response rate and everything else the proxy
    predicts (sessions, pulses, intensity, remission, 1 Hz right DLPFC) is validation. Blood
    BDNF is not used: it does not rise reliably after rTMS (Brunoni AR et al. 2015 World J Biol
    Psychiatry 16:114), so it cannot be the mediator the proxy reads.

The symptom course of one patient::

    T(d)     = lag_days-lowpass of  side * w_late(d)          (signed link)
               or of |w_late(d)|                               (magnitude link)
    R(d)     = 1 - exp(-(d - d_first)/placebo_tau_days)        (0 before any session)
    f(d)     = R(d) * expit(logit_mean + logit_sd * z + gain * T(d))
    HAMD(d)  = baseline * (1 - f(d))

``f`` is the fraction of the baseline symptoms gone. ``z`` is the patient's responsiveness
(standard normal; 0 for the median patient, which :func:`hamd17` returns): one latent factor
sets both the placebo response and how much the same drive helps, as placebo and active
improvement go together across trials (Razza LB et al. 2018 Prog Neuropsychopharmacol Biol
Psychiatry 81:105). The logit-normal spread gives the heavy right tail that a sham arm with
10.4 % responders but 5 % remitters requires (Berlim 2014): a normal spread cannot give both.
Treatment moves a patient along the same logit scale; a negative drive (e.g. 1 Hz over the left
DLPFC under the signed link) lowers improvement below the placebo response but never raises HAMD
above baseline (no worsening term: none is documented for rTMS).

``side`` is +1 for the left DLPFC and -1 for the right (``hemisphere``): the frontal asymmetry
hypothesis (left DLPFC hypoactive, right hyperactive in depression: Grimm S et al. 2008 Biol
Psychiatry 63:369) under which 10 Hz left and 1 Hz right both restore the balance. The other
side of the literature (left 1 Hz is antidepressant too in 4 small trials, Kedzior KK et al.
2014 Neuropsychiatr Dis Treat 10:727) is the ``link="magnitude"`` option, under which any
lasting plasticity helps. Both are hypotheses; neither is established.

Cohorts (:func:`virtual_trial`): subjects differ in true severity, HAMD rating noise,
responsiveness z (logit scale); response is a >= 50 % fall of the measured HAMD-17 from the
measured baseline, remission HAMD-17 <= 7 (Berlim MT et al. 2014 Psychol Med 44:225).
Regression to the mean follows from rating noise and the inclusion threshold; it is not a term.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .. import _checks
from ._base import Param, as_dataarray, days_of, lowpass, placebo_fraction, resolve, series

HAMD17_MAX = 52.0
REMISSION_MAX = 7.0       # HAMD-17 <= 7 (Berlim 2014; trial protocols, e.g. PMC7342821 Table 3)
RESPONSE_FRACTION = 0.5   # >= 50 % reduction from baseline

#: Parameters of one patient's HAMD-17 course.
PARAMS: dict[str, Param] = {
    "signal": Param("w_late", "-", "ASSUMED",
                    "upstream daily variable: the stimulated DLPFC's consolidated weight change "
                    "(fraction of W0); 'W' (early + late) or 'w_total' as alternatives",
                    choices=("w_late", "w_total", "W")),
    "hemisphere": Param("auto", "-", "SOURCE",
                        "stimulated DLPFC: left (10 Hz, Level A) or right (1 Hz, Level B): Lefaucheur JP et al. "
                        "2020 Clin Neurophysiol 131:474; 2014 Clin Neurophysiol 125:2150. 'auto': the course's "
                        "target ('right_DLPFC' -> right; '' or 'left_DLPFC' -> left)", choices=("auto", "left", "right")),
    "link": Param("signed", "-", "ASSUMED",
                  "signed: frontal asymmetry (Grimm 2008); magnitude: any lasting DLPFC plasticity "
                  "helps (Kedzior 2014: left 1 Hz effective in 4 trials)", choices=("signed", "magnitude")),
    "baseline": Param(24.5, "HAMD-17 points", "ASSUMED",
                      "median patient's baseline (included baselines of rTMS RCTs ~20-26; O'Reardon 2007 "
                      "inclusion >= 20); a cohort draws it (COHORT)", low=0.0, high=HAMD17_MAX),
    "logit_mean": Param(-3.50, "logit", "CALIBRATED",
                        "median patient's plateau improvement under sham, logit scale; with logit_sd: the sham "
                        "arm's 10.4 % responders and 5 % remitters after 13 sessions (Berlim 2014, 29 RCTs; "
                        "calibrate_placebo, n = 20000, seed 0). The pair is poorly identified (a ridge: "
                        "(-3.86, 3.03) fits as well at n = 10000)",
                        low=-20.0, high=20.0),
    "logit_sd": Param(2.81, "logit", "CALIBRATED",
                      "between-patient spread of responsiveness z (see logit_mean)", low=0.0, high=20.0),
    "placebo_tau_days": Param(7.0, "days", "ASSUMED",
                              "sham improvement accrues mostly over the first 1-2 weeks and then plateaus",
                              low=0.0, high=60.0),
    "lag_days": Param(14.0, "days", "ASSUMED",
                      "symptoms follow the DLPFC plasticity with a lag of weeks (antidepressant onset 2-4 weeks; "
                      "O'Reardon 2007: arms separate at weeks 4-6). Fixed before any comparison with Teng 2017",
                      low=0.0, high=120.0),
    "gain": Param(15.3, "logit per unit w_late", "CALIBRATED",
                  "ONE target: the active arm's 29.3 % responders after ~13 sessions (Berlim 2014, 29 RCTs), on "
                  "the chain's w_late of the O'Reardon course (preset hf_rtms_10hz_depression on weekday "
                  "sessions, condition depression, small_options('dlpfc'), seed 0), read on the evening of "
                  "session 13, n = 20000, seed 0: python -m mechtms.clinical_figures calibrate. Remission, the "
                  "session dose-response (Teng 2017) and 1 Hz right DLPFC (Berlim 2013) are validation "
                  "(docs/depression.md)", low=0.0, high=1000.0),
}

#: Between-patient variability of a cohort (besides ``z`` of the logit scale).
COHORT: dict[str, Param] = {
    "severity_mean": Param(22.0, "HAMD-17 points", "ASSUMED",
                           "true severity of patients screened for rTMS trials (included baselines ~23-25)",
                           low=0.0, high=HAMD17_MAX),
    "severity_sd": Param(4.5, "HAMD-17 points", "ASSUMED", "spread of true severity before inclusion",
                         low=0.0, high=20.0),
    "inclusion_min": Param(20.0, "HAMD-17 points", "SOURCE",
                           "measured baseline HAMD-17 >= 20 to enter (O'Reardon 2007 inclusion [recalled])",
                           low=0.0, high=HAMD17_MAX),
    "rating_sd": Param(2.0, "HAMD-17 points", "ASSUMED",
                       "rating noise of one HAMD-17 interview (inter-rater/retest ICC ~0.8-0.9 at a sample SD "
                       "~5: Bagby RM et al. 2004 Am J Psychiatry 161:2163)", low=0.0, high=10.0),
}


def _side(p, course=None) -> float:
    side = p["hemisphere"]
    if side == "auto":
        side = "right" if getattr(course, "target", "") == "right_DLPFC" else "left"
    return 1.0 if side == "left" else -1.0


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def hamd_from_signal(days: np.ndarray, signal: np.ndarray, course, p: Mapping, z=0.0, baseline=None) -> np.ndarray:
    """HAMD-17 over ``days`` from an upstream ``signal`` (the core of :func:`hamd17`).

    Parameters
    ----------
    days : (D,) float
    signal : (D,) or (N, D) float
        The upstream variable named by ``p["signal"]`` (e.g. ``w_late``), one row per patient.
    course : mechtms.protocols.Course or None
        Sets the placebo clock (first session, sham or active; None: no sessions).
    p : mapping
        Resolved :data:`PARAMS`.
    z : float or (N,) array
        Responsiveness (0: the median patient).
    baseline : float or (N,) array, optional
        True baseline severity (default ``p["baseline"]``).

    Returns
    -------
    (D,) or (N, D) float, HAMD-17 points.
    """
    signal = np.asarray(signal, dtype=float)
    drive = np.abs(signal) if p["link"] == "magnitude" else _side(p, course) * signal
    lagged = lowpass(days, drive, p["lag_days"])
    z = np.asarray(z, dtype=float)
    zz = z[..., None] if z.ndim else float(z)
    ramp = placebo_fraction(days, course, 1.0, p["placebo_tau_days"])
    improvement = ramp * _expit(p["logit_mean"] + p["logit_sd"] * zz + p["gain"] * lagged)
    b = p["baseline"] if baseline is None else baseline
    b = np.asarray(b, dtype=float)
    bb = b[..., None] if b.ndim else float(b)
    return bb * (1.0 - improvement)


def hamd17(daily, course=None, params: Mapping | None = None):
    """HAMD-17 (points, 0-52) of the median patient over ``day``: the ``depression`` condition's proxy.

    Parameters
    ----------
    daily : xarray.Dataset
        The chain's daily dataset; needs the variable named by ``params["signal"]``
        (default ``w_late``) over ``day``.
    course : mechtms.protocols.Course, optional
        The course that was run (its first session starts the placebo clock; None: no
        sessions, no placebo).
    params : mapping, optional
        Overrides of :data:`PARAMS`.

    Returns
    -------
    xarray.DataArray over ``day``, ``attrs["units"] = "HAMD-17 points"``.
    """
    p = resolve(PARAMS, params, "hamd17")
    days = days_of(daily)
    values = hamd_from_signal(days, series(daily, p["signal"]), course, p)
    return as_dataarray(values, days, "HAMD17", "HAMD-17 points",
                        "HAMD-17 of the median patient, proxy of the stimulated DLPFC's consolidated plasticity "
                        "(mechtms.proxies.depression)", p)


def percent_change(hamd, baseline=None):
    """Change from baseline, % (negative = improvement); baseline default: the first day's value."""
    h = np.asarray(hamd, dtype=float)
    b = h[..., :1] if baseline is None else np.asarray(baseline, dtype=float)[..., None]
    return 100.0 * (h - b) / b


def is_response(baseline, endpoint) -> np.ndarray:
    """Response: HAMD-17 falls by >= 50 % from baseline (Berlim 2014; O'Reardon 2007)."""
    b, e = np.asarray(baseline, dtype=float), np.asarray(endpoint, dtype=float)
    return (b - e) >= RESPONSE_FRACTION * b


def is_remission(endpoint) -> np.ndarray:
    """Remission: HAMD-17 <= 7 (Berlim 2014)."""
    return np.asarray(endpoint, dtype=float) <= REMISSION_MAX


def hedges_g(change_active, change_sham) -> float:
    """Standardised mean difference of change scores (Hedges' g; negative = active improves more)."""
    a, s = np.asarray(change_active, dtype=float), np.asarray(change_sham, dtype=float)
    na, ns = len(a), len(s)
    pooled = np.sqrt(((na - 1) * a.var(ddof=1) + (ns - 1) * s.var(ddof=1)) / (na + ns - 2))
    j = 1.0 - 3.0 / (4.0 * (na + ns) - 9.0)
    return float(j * (a.mean() - s.mean()) / pooled)


def draw_patients(n: int, seed: int, cohort: Mapping | None = None) -> dict:
    """``n`` included patients: true severity, measured baseline, responsiveness, endpoint noise.

    Patients are screened until ``n`` have a measured baseline >= ``inclusion_min``; the
    measured baseline (true severity + rating noise) is what response is judged on, so
    regression to the mean is in the data. Same ``seed``, same patients.

    Returns
    -------
    dict of (n,) arrays ``severity``, ``baseline_measured``, ``z``, ``endpoint_noise``; ``screened``.
    """
    n = _checks.whole_number("n", n, low=1, high=10_000_000)
    c = resolve(COHORT, cohort, "depression cohort")
    rng = np.random.default_rng([int(seed), 15])
    sev: list[np.ndarray] = []
    base: list[np.ndarray] = []
    screened = 0
    while sum(int(len(s)) for s in sev) < n:
        m = max(2 * n, 64)
        s = np.clip(rng.normal(c["severity_mean"], c["severity_sd"], m), 0, HAMD17_MAX)
        b = np.clip(s + rng.normal(0.0, c["rating_sd"], m), 0, HAMD17_MAX)
        keep = b >= c["inclusion_min"]
        sev.append(s[keep])
        base.append(b[keep])
        screened += m
    rng2 = np.random.default_rng([int(seed), 16])
    return {"severity": np.concatenate(sev)[:n], "baseline_measured": np.concatenate(base)[:n],
            "z": rng2.standard_normal(n), "endpoint_noise": rng2.normal(0.0, c["rating_sd"], n),
            "screened": screened}


def virtual_trial(days, signals: Mapping[str, np.ndarray], courses: Mapping, *, n: int = 2000, seed: int = 0,
                  endpoint_day: float | None = None, params: Mapping | None = None,
                  cohort: Mapping | None = None) -> dict:
    """Response and remission rates of each arm of a virtual RCT, from upstream signals.

    Parameters
    ----------
    days : (D,) float
    signals : mapping arm -> (D,) or (n, D) float
        The upstream variable of each arm (e.g. the chain's ``w_late``; one row per patient
        when the chain was run per patient, one row for all otherwise).
    courses : mapping arm -> Course
        Each arm's course (placebo clock).
    n, seed :
        Patients (the same patients in every arm) and their draws.
    endpoint_day : float, optional
        Day of the primary read-out (default: the last day).
    params, cohort : mapping, optional
        Overrides of :data:`PARAMS` and :data:`COHORT`.

    Returns
    -------
    dict arm -> dict with ``response``, ``remission`` (rates), their Wilson 95 % intervals
    (``response_ci``, ``remission_ci``), ``change`` ((n,) measured HAMD-17 change, points),
    ``mean_change``, ``baseline_mean``, ``baseline_sd``; and ``"smd"`` (Hedges' g of change of
    each arm against ``"sham"`` when present).
    """
    from ..cohorts import wilson

    p = resolve(PARAMS, params, "hamd17")
    days = np.asarray(days, dtype=float)
    pts = draw_patients(n, seed, cohort)
    k = len(days) - 1 if endpoint_day is None else int(np.argmin(np.abs(days - endpoint_day)))
    out: dict = {}
    for arm, sig in signals.items():
        if arm not in courses:
            raise _checks.unknown_name("arm of courses", arm, courses)
        sig = np.broadcast_to(np.asarray(sig, dtype=float), (n, len(days)))
        true = hamd_from_signal(days, sig, courses[arm], p, z=pts["z"], baseline=pts["severity"])
        end = np.clip(true[:, k] + pts["endpoint_noise"], 0, HAMD17_MAX)
        base = pts["baseline_measured"]
        resp, remi = is_response(base, end), is_remission(end)
        out[arm] = {"response": float(resp.mean()), "remission": float(remi.mean()),
                    "response_ci": wilson(int(resp.sum()), n), "remission_ci": wilson(int(remi.sum()), n),
                    "change": end - base, "mean_change": float((end - base).mean()),
                    "baseline_mean": float(base.mean()), "baseline_sd": float(base.std(ddof=1))}
    if "sham" in out:
        out["smd"] = {arm: hedges_g(v["change"], out["sham"]["change"]) for arm, v in out.items() if arm != "sham"}
    return out


def calibrate_placebo(days, sham_course, *, targets=(0.104, 0.05), n: int = 20000, seed: int = 0,
                      params: Mapping | None = None, cohort: Mapping | None = None) -> tuple[float, float]:
    """``(logit_mean, logit_sd)`` giving the sham arm ``targets`` = (response, remission) rates.

    Default targets: Berlim 2014 sham arms, 10.4 % responders and 5 % remitters. The sham
    arm's upstream signal is zero (no lasting plasticity without pulses). Nested bisection on
    a fixed cohort (``n``, ``seed``): for each ``logit_sd`` the ``logit_mean`` that gives the
    response target, then the ``logit_sd`` whose remission rate meets its target (a wider
    spread moves more of the responders below the remission line).
    """
    zero = np.zeros(len(days))
    base = dict(params or {})

    def rates(mu, sd):
        r = virtual_trial(days, {"sham": zero}, {"sham": sham_course}, n=n, seed=seed, cohort=cohort,
                          params={**base, "logit_mean": mu, "logit_sd": sd})["sham"]
        return r["response"], r["remission"]

    def mean_for(sd):
        lo, hi = -20.0, 5.0
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if rates(mid, sd)[0] < targets[0] else (lo, mid)
        return 0.5 * (lo + hi)

    lo, hi = 0.05, 10.0
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if rates(mean_for(mid), mid)[1] < targets[1] else (lo, mid)
    sd = 0.5 * (lo + hi)
    return float(mean_for(sd)), float(sd)


def calibrate_gain(days, signal, course, *, target_response: float = 0.293, n: int = 20000, seed: int = 0,
                   params: Mapping | None = None, cohort: Mapping | None = None) -> float:
    """``gain`` that gives the active arm ``target_response`` (Berlim 2014: 29.3 %), by bisection."""
    base = dict(params or {})

    def rate(g):
        return virtual_trial(days, {"active": signal}, {"active": course}, n=n, seed=seed, cohort=cohort,
                             params={**base, "gain": g})["active"]["response"]

    lo, hi = 0.0, 1000.0
    if rate(hi) < target_response:
        raise ValueError(f"no gain up to {hi:g} reaches a response rate of {target_response:g}: the signal is too small")
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if rate(mid) < target_response else (lo, mid)
    return 0.5 * (lo + hi)


#: Tries of the conditional baseline-rating draw before the measured baseline is set at inclusion.
_INCLUSION_TRIES = 200


def measured_baseline(severity: float, rng, cohort: Mapping | None = None) -> float:
    """A measured baseline HAMD-17 of an included patient of true ``severity``: severity + rating
    noise, drawn until it reaches ``inclusion_min`` (the rating that let the patient in; this is
    where regression to the mean comes from). After 200 failed draws (a true severity far below
    inclusion): ``inclusion_min``."""
    c = resolve(COHORT, cohort, "depression cohort")
    for _ in range(_INCLUSION_TRIES):
        b = severity + float(rng.normal(0.0, c["rating_sd"]))
        if b >= c["inclusion_min"]:
            return min(b, HAMD17_MAX)
    return float(c["inclusion_min"])


def cohort_outcome(daily, course, params: Mapping, rng) -> dict:
    """One patient of a virtual RCT (:func:`mechtms.cohort` with ``condition="depression"``).

    Parameters
    ----------
    daily : xarray.Dataset
        The chain's daily dataset of this patient (``w_late`` over ``day``); the endpoint is its
        last day.
    course : Course
        The arm's course (placebo clock, hemisphere).
    params : mapping
        The patient's proxy quantities: ``hamd_z`` (responsiveness), ``hamd_severity`` (true
        baseline severity, HAMD-17 points); other keys of :data:`PARAMS` override the proxy's.
    rng : numpy.random.Generator
        Rating noise of the baseline and endpoint interviews (seeded by the cohort).

    Returns
    -------
    dict: ``outcome`` (true HAMD-17 change at the endpoint, points), ``measured`` (rated change),
    ``responder`` (>= 50 % fall of the rated score), ``remitter`` (rated endpoint <= 7).
    """
    params = dict(params)
    z = float(params.pop("hamd_z", 0.0))
    severity = float(np.clip(params.pop("hamd_severity", PARAMS["baseline"].value), 0.0, HAMD17_MAX))
    p = resolve(PARAMS, params, "hamd17")
    days = days_of(daily)
    true = hamd_from_signal(days, series(daily, p["signal"]), course, p, z=z, baseline=severity)
    base = measured_baseline(severity, rng)
    end = float(np.clip(true[-1] + rng.normal(0.0, COHORT["rating_sd"].value), 0.0, HAMD17_MAX))
    return {"outcome": float(true[-1] - severity), "measured": end - base,
            "responder": bool(is_response(base, end)), "remitter": bool(is_remission(end))}
