"""Intensity × pattern scans of band power (the design of Bey et al. 2012) and their summaries.

Bey, Leue & Wienbruch 2012 (PLoS ONE 7:e49097) report that eLFP band power depends on
stimulation intensity rather than frequency; the project's brief adds that gamma rises
about linearly with intensity while alpha and beta fall. :func:`pattern_intensity_scan`
runs the grid, :func:`variance_shares` splits the variance of log band power into the
main effects of intensity and pattern, :func:`intensity_trends` gives the slope of
band power against intensity in each window.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .. import protocols as P
from .lfp import BANDS, band_powers
from .simulate import simulate

#: Pattern name -> constructor of a session with ``pulses`` pulses at ``intensity`` % RMT.
PATTERNS = {
    "1Hz": lambda pulses, i: P.rtms(1, pulses, i),
    "10Hz": lambda pulses, i: P.rtms(10, pulses, i),
    "20Hz": lambda pulses, i: P.rtms(20, pulses, i),
    "iTBS": lambda pulses, i: P.itbs(pulses, i, intensity_ref="RMT"),
    "cTBS": lambda pulses, i: P.ctbs(pulses, i, intensity_ref="RMT"),
}
SCAN_WINDOWS = ("baseline", "during", "between", "post")


def pattern_intensity_scan(intensities=(70, 90, 110, 130), patterns=tuple(PATTERNS), pulses: int = 60,
                           network: str = "cortex", seed: int = 0, x_rmt: float | None = None,
                           baseline_s: float = 2.0, post_s: float = 3.0, **simulate_kw) -> xr.Dataset:
    """Band powers of the LFP proxy over intensities × patterns at a fixed pulse count.

    Parameters
    ----------
    intensities : sequence of float, % RMT
    patterns : names in :data:`PATTERNS`
    pulses : int
        Pulses per session (a multiple of 3 for TBS; 60 makes iTBS two trains).

    Returns
    -------
    xarray.Dataset with one variable per band, dims ``(pattern, intensity, window)``,
    units of the LFP proxy squared, plus ``rate_E`` (Hz over the whole run).
    """
    from .. import _checks

    for name in patterns:
        _checks.choice("pattern", name, tuple(PATTERNS))
    shape = (len(patterns), len(intensities), len(SCAN_WINDOWS))
    out = {b: np.full(shape, np.nan) for b in BANDS}
    rate = np.full(shape[:2], np.nan)
    for a, name in enumerate(patterns):
        for b, inten in enumerate(intensities):
            ds = simulate(PATTERNS[name](pulses, inten), network, seed=seed, record=("lfp", "rates"),
                          x_rmt=x_rmt, baseline_s=baseline_s, post_s=post_s, **simulate_kw)
            rate[a, b] = ds.attrs["rate_E_hz"]
            for c, w in enumerate(SCAN_WINDOWS):
                bp = band_powers(ds, w)
                for band in BANDS:
                    out[band][a, b, c] = float(bp[band])
    dims = ("pattern", "intensity", "window")
    coords = {"pattern": list(patterns), "intensity": ("intensity", list(intensities), {"units": "% RMT"}),
              "window": list(SCAN_WINDOWS)}
    data: dict = {b: (dims, v, {"units": "a.u.^2", "band_hz": list(BANDS[b])}) for b, v in out.items()}
    data["rate_E"] = (("pattern", "intensity"), rate, {"units": "Hz"})
    return xr.Dataset(data, coords=coords, attrs={"pulses": pulses, "network": network, "seed": seed,
                                                  "source": "design of Bey et al. 2012, PLoS ONE 7:e49097"})


def variance_shares(scan: xr.Dataset, window: str = "during") -> xr.Dataset:
    """Main-effect sums of squares of log10 band power: intensity vs pattern, per band.

    Two-way layout with one run per cell: ``SS_intensity = n_pattern · Σ(mean_i − grand)²``
    and ``SS_pattern = n_intensity · Σ(mean_p − grand)²``, each as a share of the total.
    Patterns whose window is empty (NaN) are dropped for that window.
    """
    rows = {}
    for band in BANDS:
        y = np.log10(scan[band].sel(window=window).values)
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
        coords={"band": list(rows)}, attrs={"window": window})


def intensity_trends(scan: xr.Dataset) -> xr.Dataset:
    """Least-squares slope of log10 band power on intensity (per 100 % RMT), per band,
    window and pattern, and the fraction of patterns with each sign."""
    x = np.asarray(scan["intensity"].values, dtype=float) / 100.0
    slopes = {}
    for band in BANDS:
        y = np.log10(scan[band].transpose("pattern", "window", "intensity").values)
        xc = x - x.mean()
        slopes[band] = (("pattern", "window"), np.sum((y - y.mean(-1, keepdims=True)) * xc, -1) / np.sum(xc**2),
                        {"units": "log10(a.u.^2) per 100 % RMT"})
    return xr.Dataset(slopes, coords={"pattern": scan["pattern"].values, "window": scan["window"].values})
