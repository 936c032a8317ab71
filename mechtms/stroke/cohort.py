"""MEP induction rate of the lesioned hemisphere over a virtual cohort.

Patients share one network instance (the cortex of a typical patient: seed ``seed``) and differ
in their spared corticospinal tract at onset, drawn from :data:`mechtms.stroke.course.PATIENTS`,
and in the trial noise of their motoneuron pool. Every patient runs every arm. An MEP is
"induced" when the clinical criterion is met at the highest test intensity (>= 50 uV in >= 5 of
10 trials: Rossini et al. 2015, Clin Neurophysiol 126:1071). The rate is the share of patients
with an MEP at baseline (day 0) and at the course end, with Wilson 95 % intervals
(:func:`mechtms.cohorts.wilson`). Sharing the network makes a cohort cost a few network states
instead of a few per patient; per-patient networks are what ``mt.cohort(..., condition="stroke")``
gives with ``StrokeSettings(cst_distribution=PATIENTS)`` (a patient is then its seed).

The review's Wang et al. (2024) trial (HF-rTMS over M1, double-cone coil, 2 weeks) reported
lesioned-side MEPs in 5 -> 12 patients with rTMS and 3 -> 4 with sham; group sizes are not
given, so only the direction and the difference between arms can be compared.
"""

from __future__ import annotations

import numpy as np

from .. import _checks
from . import course as SC
from . import proxies as X


def mep_induction(arms: dict, n: int = 20, seed: int = 0, *, settings: SC.StrokeSettings | None = None,
                  distribution=SC.PATIENTS, readout_clock_h: float = 20.0, network=None, coupling: bool = True):
    """Share of patients with a lesioned-side MEP at baseline and course end, per arm.

    Parameters
    ----------
    arms : mapping name -> Course (or preset name)
        E.g. ``{"HF-rTMS": "hf_rtms_10hz_stroke", "sham": course.replace(protocol=...as_sham())}``.
    n : int
        Patients.
    seed : int
        The shared network instance; patient ``i``'s tract and pool noise derive from ``(seed, i)``.
    settings : StrokeSettings, optional
    distribution : (a, b)
        Beta distribution of the spared tract at onset.
    network, coupling
        How the sessions over an M1 run (as in :func:`mechtms.stroke.course.simulate`).

    Returns
    -------
    xarray.Dataset over ``patient`` and ``arm``: ``present_baseline``, ``present_end`` (0/1),
    ``cst_onset``; per arm ``rate_baseline``, ``rate_end`` and their Wilson 95 % bounds.
    """
    import xarray as xr

    from ..cohorts import wilson

    n = _checks.whole_number("n", n, low=1, high=10_000)
    if not arms:
        raise ValueError("arms must name at least one Course")
    settings = SC.StrokeSettings() if settings is None else settings
    a, b = distribution
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 162]))
    cst0 = rng.beta(float(a), float(b), n)
    ref = SC._healthy_reference(settings, seed)
    names = list(arms)
    base = np.zeros((n, len(names)))
    end = np.zeros((n, len(names)))
    for j, name in enumerate(names):
        course, target = SC.resolve_course(arms[name])
        day = np.array([0, course.end_day])
        st = SC.course_states(course, target, seed, settings, settings.lesion, day, readout_clock_h,
                              network=network, coupling=coupling)
        for i in range(n):
            lesion = settings.lesion.replace(cst_spared=float(cst0[i]))
            cst = X.spared_output(cst0[i], settings.onset_days + day)
            for idx, out in ((0, base), (1, end)):
                r = SC.readouts(float(st["value"][idx]), float(cst[idx]), side=st["side"], lesion=lesion,
                                settings=settings, seed=seed, ref=ref, pool_seed=1000 * seed + i)
                out[i, j] = r["MEP_present"]
    ds = xr.Dataset(
        {"present_baseline": (("patient", "arm"), base, {"units": "1"}),
         "present_end": (("patient", "arm"), end, {"units": "1"}),
         "cst_onset": ("patient", cst0, {"units": "1", "long_name": "spared tract at onset"})},
        coords={"patient": np.arange(n), "arm": names})
    for when, arr in (("baseline", base), ("end", end)):
        hits = arr.sum(axis=0)
        ci = [wilson(int(h), n) for h in hits]
        ds[f"rate_{when}"] = ("arm", hits / n, {"units": "1"})
        ds[f"rate_{when}_ci_low"] = ("arm", np.array([c[0] for c in ci]), {"units": "1"})
        ds[f"rate_{when}_ci_high"] = ("arm", np.array([c[1] for c in ci]), {"units": "1"})
    ds.attrs.update({"criterion": ">= 50 uV in >= 5 of 10 trials at max_intensity",
                     "max_intensity_rmt": settings.max_intensity, "distribution": f"Beta{tuple(distribution)}",
                     "seed": seed, "shared_network": 1})
    return ds
