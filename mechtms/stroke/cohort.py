"""MEP induction rate of the lesioned hemisphere over a virtual cohort.

A patient is a seed: its network instance and its spared tract at onset, drawn from
:data:`mechtms.stroke.course.PATIENTS` (:func:`mechtms.stroke.course.subject_lesion`). Each
patient runs every arm; an MEP is "induced" when the clinical criterion is met at the highest
test intensity (>= 50 uV in >= 5 of 10 trials: Rossini et al. 2015, Clin Neurophysiol
126:1071). The rate is the share of patients with an MEP, at baseline (day 0) and at the course
end, with Wilson 95 % intervals (:func:`mechtms.cohorts.wilson`).

The review's Wang et al. (2024) trial (HF-rTMS over M1, double-cone coil, 2 weeks) reported
lesioned-side MEPs in 5 -> 12 patients with rTMS and 3 -> 4 with sham; group sizes are not
given, so only the direction and the difference between arms can be compared.
"""

from __future__ import annotations

import numpy as np

from .. import _checks
from . import course as SC


def mep_induction(arms: dict, n: int = 20, seed: int = 0, *, settings: SC.StrokeSettings | None = None,
                  distribution=SC.PATIENTS):
    """Share of patients with a lesioned-side MEP at baseline and course end, per arm.

    Parameters
    ----------
    arms : mapping name -> Course
        E.g. ``{"active": preset_course("hf_rtms_10hz_stroke"), "sham": ...as_sham()}``; every
        patient runs every arm.
    n : int
        Patients.
    seed : int
        Patient ``i`` is seed ``1000 * seed + i`` (same patient in every arm).
    settings : StrokeSettings, optional
    distribution : (a, b)
        Beta distribution of the spared tract at onset.

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
    settings = (SC.StrokeSettings() if settings is None else settings).replace(cst_distribution=tuple(distribution))
    names = list(arms)
    base = np.zeros((n, len(names)))
    end = np.zeros((n, len(names)))
    cst0 = np.zeros(n)
    for j, name in enumerate(names):
        c = arms[name]
        for i in range(n):
            ds = SC.simulate(c, seed=1000 * seed + i, settings=settings, readout_days=(c.end_day,))
            base[i, j] = float(ds["MEP_present"].values[0])
            end[i, j] = float(ds["MEP_present"].values[-1])
            cst0[i] = float(ds.attrs["cst_spared_onset"])
    out = xr.Dataset(
        {"present_baseline": (("patient", "arm"), base, {"units": "1"}),
         "present_end": (("patient", "arm"), end, {"units": "1"}),
         "cst_onset": ("patient", cst0, {"units": "1", "long_name": "spared tract at onset"})},
        coords={"patient": np.arange(n), "arm": names})
    for when, arr in (("baseline", base), ("end", end)):
        k = arr.sum(axis=0)
        ci = [wilson(int(kk), n) for kk in k]
        out[f"rate_{when}"] = ("arm", k / n, {"units": "1"})
        out[f"rate_{when}_ci_low"] = ("arm", np.array([c[0] for c in ci]), {"units": "1"})
        out[f"rate_{when}_ci_high"] = ("arm", np.array([c[1] for c in ci]), {"units": "1"})
    out.attrs.update({"criterion": ">= 50 uV in >= 5 of 10 trials at max_intensity",
                      "max_intensity_rmt": settings.max_intensity, "distribution": f"Beta{tuple(distribution)}",
                      "seed": seed})
    return out
