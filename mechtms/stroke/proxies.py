"""Clinical proxies of the stroke condition: spontaneous recovery, BBS, the asymmetry index.

Each is a pure function of named upstream quantities; what it is and what it is not is
written next to it. Sources and the numbers used: ``docs/stroke.md``.

* **Spontaneous recovery** (:func:`spared_output`): the fraction of the ipsilesional
  corticospinal output that reaches the spinal cord, ``cst(t)``, recovers a share
  ``share`` of what was lost, exponentially with time constant ``tau_days`` from stroke
  onset. DERIVED from a longitudinal cohort of postural balance after stroke (BMC
  Neurology 2022;22:324: recovery maximal by 3 months, moderate strokes regain ~48 % of
  their initial impairment by 1 year): ``share = 0.5``, ``tau_days = 30`` (95 % of it by
  3 months). Placing all spontaneous recovery in the spared descending output is a
  modelling choice: recovery also comes from reorganisation this model does not have.
* **Berg Balance Scale proxy** (:func:`impairment`, :func:`bbs`): NOT a model of balance.
  The BBS deficit (56 - BBS) is taken proportional to an impairment made of two named
  quantities: the deficit of the affected side's descending motor drive (``1 - drive``,
  drive relative to the healthy pre-stroke network) and the deficit of the cerebellar
  nuclear output to the affected side (``1 - dentate_rel``; the cerebellum's own
  contribution to posture, through brainstem and non-motor cortical targets such as the
  posterior parietal cortex, which cerebellar iTBS engages: Koch et al. 2019, JAMA
  Neurol 76:170), weighted by :data:`POSTURAL_WEIGHT`. It is anchored at day 0 to the
  population's score, which fixes the scale of the first term without a fitted gain;
  the weight of the second is CALIBRATED. Clipped to 0-56.
* **Interhemispheric asymmetry index** (:func:`pdbsi`): the pairwise-derived brain
  symmetry index of EEG (Sheorajpanday et al. 2011, Clin Neurophysiol 122:874; van
  Putten & Tavy 2004, Stroke 35:2489): mean over homologous channel pairs and
  frequencies (1-25 Hz) of ``|(R - L) / (R + L)|`` of the power spectral densities, 0 =
  symmetric, 1 = one side silent. The model has one "channel" per hemisphere: the
  population spike rate of each hemisphere's E cells (per intact cell, so cell loss
  lowers it), not scalp EEG. It keeps the index's form and range, not its volume
  conduction, reference or channel count; finite recordings give a positive bias
  (~0.05-0.1 here as in healthy EEG).
"""

from __future__ import annotations

import numpy as np
from scipy import signal as sps

from .. import _checks

BBS_MAX = 56.0
#: Share of the lost descending output regained spontaneously, and its time constant (days).
RECOVERY_SHARE = 0.5
RECOVERY_TAU_DAYS = 30.0
#: Weight of the cerebellar nuclear output's deficit in the BBS impairment, relative to the
#: descending drive's. CALIBRATED: the cerebellar iTBS course (with the default rehabilitation after
#: each session) minus sham at its end equals the BBS mean difference of the BMC Neurology 2024
#: meta-analysis (4.24 points), in the default stroke settings (seed 0):
#: ``python -c "from mechtms.stroke import calibration; print(calibration.postural_weight())"``
#: -> 3.615; checked within the meta-analysis' CI on the tests' smaller sessions
#: (tests/test_stroke_course.py).
POSTURAL_WEIGHT = 3.61
#: Frequency range of the pdBSI (Hz): 1-25 Hz as in Sheorajpanday et al. 2011.
PDBSI_BAND_HZ = (1.0, 25.0)


def spared_output(cst_onset: float, days_since_onset, *, share: float = RECOVERY_SHARE,
                  tau_days: float = RECOVERY_TAU_DAYS) -> np.ndarray:
    """Spared ipsilesional corticospinal output at ``days_since_onset`` (spontaneous recovery).

    ``cst(t) = cst0 + share (1 - cst0) (1 - exp(-t / tau_days))`` for t >= 0.

    Parameters
    ----------
    cst_onset : float
        Spared fraction at stroke onset, 0-1.
    days_since_onset : float or array
        Days since the stroke (>= 0).
    """
    cst0 = _checks.finite_number("cst_onset", cst_onset, low=0.0, high=1.0)
    share = _checks.finite_number("share", share, low=0.0, high=1.0)
    tau = _checks.finite_number("tau_days", tau_days, low=0.0, low_open=True)
    t = np.asarray(days_since_onset, dtype=float)
    if np.any(t < 0) or not np.all(np.isfinite(t)):
        raise ValueError(f"days_since_onset must be finite and >= 0, got {days_since_onset!r}")
    return cst0 + share * (1.0 - cst0) * (1.0 - np.exp(-t / tau))


def impairment(drive, dentate_rel=1.0, postural_weight: float = POSTURAL_WEIGHT) -> np.ndarray:
    """Motor impairment behind the BBS proxy: ``(1 - drive) + postural_weight * (1 - dentate_rel)``.

    Parameters
    ----------
    drive : float or array
        Descending drive of the affected side relative to the healthy network (1 = none lost).
    dentate_rel : float or array
        Cerebellar nuclear output to the affected side relative to healthy (1 = healthy;
        above 1 after the inverse-rule cerebellar after-effect).
    postural_weight : float
        :data:`POSTURAL_WEIGHT`.
    """
    w = _checks.finite_number("postural_weight", postural_weight, low=0.0, high=100.0)
    return (1.0 - np.asarray(drive, dtype=float)) + w * (1.0 - np.asarray(dentate_rel, dtype=float))


def bbs(impairment_now, impairment_start: float, bbs_start: float) -> np.ndarray:
    """Berg Balance Scale proxy (0-56): ``56 - (56 - bbs_start) * impairment / impairment_start``.

    Parameters
    ----------
    impairment_now : float or array
        :func:`impairment` at the read-out days.
    impairment_start : float
        Its value at day 0 (> 0), where the score is ``bbs_start``.
    bbs_start : float
        The population's score at day 0 (0-56).
    """
    start = _checks.finite_number("impairment_start", impairment_start, low=0.0, low_open=True)
    b0 = _checks.finite_number("bbs_start", bbs_start, low=0.0, high=BBS_MAX)
    i = np.asarray(impairment_now, dtype=float)
    return np.clip(BBS_MAX - (BBS_MAX - b0) * i / start, 0.0, BBS_MAX)


def pdbsi(left: np.ndarray, right: np.ndarray, fs_hz: float, *, band_hz=PDBSI_BAND_HZ,
          nperseg_s: float = 1.0) -> float:
    """Pairwise-derived brain symmetry index of two signals (one homologous pair).

    Parameters
    ----------
    left, right : (T,) float
        The two hemispheres' signals, same sampling.
    fs_hz : float
        Sampling rate.
    band_hz : (low, high)
        Frequencies averaged (inclusive).
    nperseg_s : float
        Welch segment length (s); frequency resolution 1/nperseg_s.

    Returns
    -------
    float in [0, 1]: mean over the band of ``|(R - L)/(R + L)|`` of the Welch PSDs.
    """
    left = np.asarray(left, dtype=float)
    right = np.asarray(right, dtype=float)
    if left.shape != right.shape or left.ndim != 1:
        raise ValueError(f"left and right must be 1-D of the same length, got {left.shape} and {right.shape}")
    fs = _checks.finite_number("fs_hz", fs_hz, low=0.0, low_open=True)
    nper = int(round(_checks.finite_number("nperseg_s", nperseg_s, low=0.0, low_open=True) * fs))
    if nper > left.size:
        raise ValueError(f"signals of {left.size / fs:g} s are shorter than one Welch segment ({nperseg_s:g} s)")
    f, pl = sps.welch(left - left.mean(), fs=fs, nperseg=nper)
    _, pr = sps.welch(right - right.mean(), fs=fs, nperseg=nper)
    sel = (f >= band_hz[0]) & (f <= band_hz[1])
    num = np.abs(pr[sel] - pl[sel])
    den = pr[sel] + pl[sel]
    return float(np.mean(np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)))


def bbs_proxy(daily, course=None, params=None):
    """The BBS proxy in the conditions' proxy form: ``f(daily, course, params) -> DataArray(day)``.

    Reads the named upstream quantities ``drive`` and ``dentate`` of the stroke runner's daily
    Dataset (:func:`mechtms.stroke.course.simulate`); ``params`` may set ``postural_weight``
    (default :data:`POSTURAL_WEIGHT`, CALIBRATED) and ``bbs_start`` (default 35, ASSUMED). The
    score is anchored at the first day of ``daily``.
    """
    import xarray as xr

    params = dict(params or {})
    for name in ("drive", "dentate"):
        if name not in daily:
            raise KeyError(f"the BBS proxy needs {name!r} in the daily dataset (the stroke runner's output)")
    imp = impairment(daily["drive"].values, daily["dentate"].values, params.get("postural_weight", POSTURAL_WEIGHT))
    score = bbs(imp, max(float(imp[0]), 1e-3), params.get("bbs_start", 35.0))
    return xr.DataArray(score, coords={"day": daily["day"].values}, dims="day", name="BBS",
                        attrs={"units": "points (0-56)", "long_name": "Berg Balance Scale proxy (not a balance model)"})
