"""Intensity × pattern scans of band power (the design of Bey et al. 2012) and their summaries.

Bey, Leue & Wienbruch 2012 (PLoS ONE 7:e49097) report that the band power of their
equivalent LFP depends on stimulation intensity rather than frequency; the project's
brief adds that gamma rises about linearly with intensity while alpha and beta fall,
and that delta and theta change in intensity-specific ways. :func:`pattern_intensity_scan`
runs the grid at a fixed pulse count; three measures are kept for every window
(``docs/network.md`` says which the claims refer to and why):

``<band>``          absolute band power (Welch), a.u.²;
``<band>_relative`` band power / total 1–80 Hz power (the spectrum's shape);
``<band>_change``   log10(power in the window / power in the run's own pre-stimulation
                    baseline): event-related (de)synchronisation (Pfurtscheller & Lopes
                    da Silva 1999).

:func:`variance_shares` splits the variance of a measure into the main effects of
intensity and pattern, :func:`intensity_trends` gives slopes, :func:`finer_claims`
checks the brief's claims (linearity R² of gamma, monotone fall of alpha and beta).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .. import _checks
from .. import protocols as P
from .lfp import BANDS, band_powers
from .simulate import simulate

#: Pattern name -> constructor of a session with ``pulses`` pulses at ``intensity`` % RMT.
PATTERNS = {
    "1Hz": lambda pulses, i: P.rtms(1, pulses, i),
    "5Hz": lambda pulses, i: P.rtms(5, pulses, i),
    "10Hz": lambda pulses, i: P.rtms(10, pulses, i),
    "20Hz": lambda pulses, i: P.rtms(20, pulses, i),
    "iTBS": lambda pulses, i: P.itbs(pulses, i, intensity_ref="RMT"),
    "cTBS": lambda pulses, i: P.ctbs(pulses, i, intensity_ref="RMT"),
}
SCAN_WINDOWS = ("baseline", "during", "between", "post")
MEASURES = ("absolute", "relative", "change")


def pattern_intensity_scan(intensities=(70, 90, 110, 130), patterns=("1Hz", "10Hz", "20Hz", "iTBS", "cTBS"),
                           pulses: int = 60, network: str = "cortex", seed: int = 0, x_rmt: float | None = None,
                           baseline_s: float = 2.0, post_s: float = 3.0, seeds=None, nperseg_ms: float = 1000.0,
                           **simulate_kw) -> xr.Dataset:
    """Band powers of the LFP proxy over intensities × patterns at a fixed pulse count.

    Parameters
    ----------
    intensities : sequence of float, % RMT
    patterns : names in :data:`PATTERNS`
    pulses : int
        Pulses per session (a multiple of 3 for TBS; 60 makes iTBS two trains).
    seed, seeds : int, sequence of int
        Network instance(s) and noise; with several seeds the measures are averaged
        (absolute power geometrically, i.e. in log10).
    post_s : float
        Seconds simulated after the last pulse; the ``post`` window starts 0.1 s after it.
    nperseg_ms : float
        Welch segment length.

    Returns
    -------
    xarray.Dataset, dims ``(pattern, intensity, window)``: per band ``<band>`` (a.u.²),
    ``<band>_relative`` (1) and ``<band>_change`` (log10 ratio to the run's baseline),
    plus ``rate_E`` (Hz over the whole run, dims ``(pattern, intensity)``).
    """
    for name in patterns:
        _checks.choice("pattern", name, tuple(PATTERNS))
    seeds = (seed,) if seeds is None else tuple(seeds)
    shape = (len(patterns), len(intensities), len(SCAN_WINDOWS), len(seeds))
    absolute = {b: np.full(shape, np.nan) for b in BANDS}
    rel = {b: np.full(shape, np.nan) for b in BANDS}
    rate = np.full(shape[:2] + (len(seeds),), np.nan)
    for a, name in enumerate(patterns):
        for b, inten in enumerate(intensities):
            for s, sd in enumerate(seeds):
                ds = simulate(PATTERNS[name](pulses, inten), network, seed=sd, record=("lfp", "rates"),
                              x_rmt=x_rmt, baseline_s=baseline_s, post_s=post_s, **simulate_kw)
                rate[a, b, s] = ds.attrs["rate_E_hz"]
                for c, w in enumerate(SCAN_WINDOWS):
                    bp = band_powers(ds, w, nperseg_ms=nperseg_ms)
                    tot = sum(float(bp[k]) for k in BANDS)
                    for band in BANDS:
                        absolute[band][a, b, c, s] = float(bp[band])
                        rel[band][a, b, c, s] = float(bp[band]) / tot
    dims = ("pattern", "intensity", "window")
    coords = {"pattern": list(patterns), "intensity": ("intensity", list(intensities), {"units": "% RMT"}),
              "window": list(SCAN_WINDOWS)}
    data: dict = {}
    base = SCAN_WINDOWS.index("baseline")
    for band in BANDS:
        lg = np.log10(absolute[band])
        data[band] = (dims, 10 ** lg.mean(-1), {"units": "a.u.^2", "band_hz": list(BANDS[band])})
        data[f"{band}_relative"] = (dims, rel[band].mean(-1), {"units": "1", "band_hz": list(BANDS[band])})
        data[f"{band}_change"] = (dims, (lg - lg[:, :, base:base + 1]).mean(-1),
                                  {"units": "log10(ratio to baseline)", "band_hz": list(BANDS[band])})
    data["rate_E"] = (("pattern", "intensity"), rate.mean(-1), {"units": "Hz"})
    return xr.Dataset(data, coords=coords, attrs={"pulses": pulses, "network": str(network), "seeds": list(seeds),
                                                  "post_s": post_s, "nperseg_ms": nperseg_ms,
                                                  "source": "design of Bey et al. 2012, PLoS ONE 7:e49097"})


def _measure(scan: xr.Dataset, band: str, window: str, measure: str) -> np.ndarray:
    """(pattern, intensity) values of one measure: log10 absolute power, relative share, or change."""
    measure = _checks.choice("measure", measure, MEASURES)
    if measure == "absolute":
        return np.log10(scan[band].sel(window=window).values)
    return scan[f"{band}_{measure}"].sel(window=window).values


def variance_shares(scan: xr.Dataset, window: str = "during", measure: str = "absolute") -> xr.Dataset:
    """Main-effect sums of squares of a measure: intensity vs pattern, per band.

    ``measure``: "absolute" (log10 power), "relative" (share of the total) or "change"
    (log10 ratio to baseline). Two-way layout with one value per cell:
    ``SS_intensity = n_pattern · Σ(mean_i − grand)²`` and ``SS_pattern = n_intensity ·
    Σ(mean_p − grand)²``, each as a share of the total. Patterns whose window is empty
    (NaN) are dropped for that window.
    """
    rows = {}
    for band in BANDS:
        y = _measure(scan, band, window, measure)
        y = y[~np.isnan(y).any(axis=1)]
        if y.shape[0] < 2:
            rows[band] = (np.nan, np.nan)
            continue
        grand = y.mean()
        total = np.sum((y - grand) ** 2)
        ss_i = y.shape[0] * np.sum((y.mean(0) - grand) ** 2)
        ss_p = y.shape[1] * np.sum((y.mean(1) - grand) ** 2)
        rows[band] = (ss_i / total, ss_p / total) if total > 0 else (np.nan, np.nan)
    return xr.Dataset(
        {"intensity_share": ("band", [r[0] for r in rows.values()], {"units": "1"}),
         "pattern_share": ("band", [r[1] for r in rows.values()], {"units": "1"})},
        coords={"band": list(rows)}, attrs={"window": window, "measure": measure})


def intensity_trends(scan: xr.Dataset, measure: str = "absolute") -> xr.Dataset:
    """Least-squares slope of a measure on intensity (per 100 % RMT), per band, window and
    pattern (``measure`` as in :func:`variance_shares`; "absolute" = log10 power)."""
    x = np.asarray(scan["intensity"].values, dtype=float) / 100.0
    xc = x - x.mean()
    slopes = {}
    for band in BANDS:
        y = np.stack([_measure(scan, band, str(w), measure) for w in scan["window"].values], axis=1)
        slopes[band] = (("pattern", "window"), np.sum((y - y.mean(-1, keepdims=True)) * xc, -1) / np.sum(xc**2),
                        {"units": f"{measure} per 100 % RMT"})
    return xr.Dataset(slopes, coords={"pattern": scan["pattern"].values, "window": scan["window"].values},
                      attrs={"measure": measure})


def finer_claims(scan: xr.Dataset, window: str = "post", measure: str = "change") -> xr.Dataset:
    """The brief's finer claims, measured in one window and measure, per band.

    Returns, per band: ``slope`` of the intensity main effect (mean over patterns) per 100 %
    RMT; ``r2_linear`` of its linear fit on intensity; ``monotone_up`` / ``monotone_down``
    (the main effect rises / falls at every intensity step); ``patterns_up`` /
    ``patterns_down`` (fraction of patterns whose own slope has that sign);
    ``intensity_share`` and ``pattern_share`` (:func:`variance_shares`).
    """
    x = np.asarray(scan["intensity"].values, dtype=float)
    shares = variance_shares(scan, window, measure)
    tr = intensity_trends(scan, measure).sel(window=window)
    out: dict = {k: [] for k in ("slope", "r2_linear", "monotone_up", "monotone_down", "patterns_up", "patterns_down")}
    for band in BANDS:
        y = _measure(scan, band, window, measure)
        y = y[~np.isnan(y).any(axis=1)]
        main = y.mean(0)
        coef = np.polyfit(x, main, 1)
        resid = main - np.polyval(coef, x)
        ss_tot = np.sum((main - main.mean()) ** 2)
        d = np.diff(main)
        s = tr[band].values
        s = s[~np.isnan(s)]
        out["slope"].append(coef[0] * 100.0)
        out["r2_linear"].append(1.0 - np.sum(resid**2) / ss_tot if ss_tot > 0 else np.nan)
        out["monotone_up"].append(bool(np.all(d > 0)))
        out["monotone_down"].append(bool(np.all(d < 0)))
        out["patterns_up"].append(float(np.mean(s > 0)) if s.size else np.nan)
        out["patterns_down"].append(float(np.mean(s < 0)) if s.size else np.nan)
    units = {"slope": f"{measure} per 100 % RMT", "r2_linear": "1", "monotone_up": "1", "monotone_down": "1",
             "patterns_up": "1", "patterns_down": "1"}
    data = {k: ("band", np.asarray(v), {"units": units[k]}) for k, v in out.items()}
    data["intensity_share"] = ("band", shares["intensity_share"].values, {"units": "1"})
    data["pattern_share"] = ("band", shares["pattern_share"].values, {"units": "1"})
    return xr.Dataset(data, coords={"band": list(BANDS)}, attrs={"window": window, "measure": measure})
