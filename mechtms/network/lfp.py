"""LFP proxy, analysis windows, Welch spectra and EEG band powers.

LFP proxy: the reference weighted sum (RWS) of Mazzoni et al. 2015 (PLoS Comput Biol
11:e1004584), ``LFP(t) = Σ|I_AMPA(t − 6 ms)| − 1.65 Σ|I_GABA(t)|`` over the synaptic
currents onto excitatory cells (here the mean per E cell of the recurrent excitatory
and inhibitory currents; the thalamic noise current is not a synaptic current in this
model and is left out). Arbitrary units (mV/ms of the Izhikevich current convention).

Windows (from the pulse times of the dataset): ``baseline`` before the first pulse
(after ``settle_s``); ``during`` the trains (a train ends one median inter-pulse
interval after its last pulse; trains are split at gaps longer than max(2 s, 3 × the
median interval)); ``between`` the stimulation span more than ``evoked_s`` after the most
recent pulse (inter-train pauses and the quiet part of each inter-pulse interval);
``post`` from ``evoked_s`` after the last pulse to the end.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy import signal as sps

from .. import _checks

#: EEG bands, Hz (the project's brief).
BANDS = {"delta": (1.0, 4.0), "theta": (4.0, 8.0), "alpha": (8.0, 13.0),
         "beta": (13.0, 30.0), "gamma": (30.0, 80.0)}
WINDOWS = ("baseline", "during", "between", "post", "all")

#: Mazzoni et al. 2015 RWS proxy: AMPA delay (ms) and GABA weight.
RWS_DELAY_MS = 6.0
RWS_ALPHA = 1.65


def rws_proxy(i_ampa: np.ndarray, i_gaba: np.ndarray, bin_ms: float = 1.0) -> np.ndarray:
    """Mazzoni et al. 2015 RWS proxy from binned mean currents onto E cells.

    Parameters
    ----------
    i_ampa, i_gaba : (T,) float
        Mean excitatory (positive) and inhibitory (negative) synaptic current per E cell.
    bin_ms : float
        Bin width, ms.

    Returns
    -------
    (T,) float; the first 6 ms use zero AMPA history.
    """
    shift = int(round(RWS_DELAY_MS / bin_ms))
    delayed = np.concatenate([np.zeros(shift), np.abs(i_ampa[:len(i_ampa) - shift])])
    return delayed - RWS_ALPHA * np.abs(i_gaba)


def window_mask(time_s: np.ndarray, pulse_times_s: np.ndarray, window: str, *,
                settle_s: float = 0.5, evoked_s: float = 0.1) -> np.ndarray:
    """Boolean mask over ``time_s`` (bin starts, s) for one analysis window."""
    window = _checks.choice("window", window, WINDOWS)
    t = np.asarray(time_s)
    if window == "all":
        return t >= settle_s
    p = np.asarray(pulse_times_s, dtype=float)
    if p.size == 0:  # no pulses: everything after the settling time is baseline
        return t >= settle_s if window in ("baseline", "post") else np.zeros(t.shape, bool)
    if window == "baseline":
        return (t >= settle_s) & (t < p[0])
    if window == "post":
        return t >= p[-1] + evoked_s
    isi = np.diff(p)
    med = float(np.median(isi)) if isi.size else evoked_s
    if window == "during":
        split = np.flatnonzero(isi > max(2.0, 3.0 * med))
        starts = np.r_[p[0], p[split + 1]]
        ends = np.r_[p[split], p[-1]] + med
        mask = np.zeros(t.shape, bool)
        for a, b in zip(starts, ends, strict=True):
            mask |= (t >= a) & (t < b)
        return mask
    last = np.searchsorted(p, t, side="right") - 1  # index of the most recent pulse
    since = np.where(last >= 0, t - p[np.clip(last, 0, None)], -1.0)
    return (last >= 0) & (t < p[-1] + evoked_s) & (since >= evoked_s)


def welch(x: np.ndarray, mask: np.ndarray, fs_hz: float, nperseg: int = 1000):
    """Welch spectrum over the contiguous runs of ``mask``.

    Runs shorter than ``nperseg`` are skipped; if none is long enough, ``nperseg`` drops
    to the longest run (not below 0.2 s, else the result is all NaN). Each run's
    spectrum is weighted by its number of Welch segments (Hann, 50 % overlap, mean
    removed per segment).

    Returns
    -------
    freq_hz : (F,) float, psd : (F,) float (units² / Hz), nperseg : int
    """
    idx = np.flatnonzero(mask)
    runs = np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1) if idx.size else []
    longest = max((len(r) for r in runs), default=0)
    nper = min(nperseg, longest)
    if nper < int(0.2 * fs_hz):
        f = np.fft.rfftfreq(nperseg, 1 / fs_hz)
        return f, np.full(f.shape, np.nan), 0
    acc, weight = 0.0, 0.0
    for r in runs:
        if len(r) < nper:
            continue
        f, pxx = sps.welch(x[r], fs=fs_hz, nperseg=nper, detrend="constant")
        w = 1 + (len(r) - nper) // (nper // 2)
        acc = acc + w * pxx
        weight += w
    return f, acc / weight, nper


def spectrum(ds: xr.Dataset, window: str = "all", variable: str = "lfp",
             nperseg_ms: float = 1000.0) -> xr.DataArray:
    """Welch power spectrum of ``ds[variable]`` (``lfp``, ``rate_E``, ``rate_I``) in a window."""
    if variable not in ds:
        raise _checks.unknown_name("variable", variable, [str(v) for v in ds.data_vars], exc=ValueError)
    t = ds["time"].values
    fs = 1.0 / float(t[1] - t[0])
    pulses = ds["pulse_time_s"].values if "pulse_time_s" in ds else np.zeros(0)
    mask = window_mask(t, pulses, window, settle_s=ds.attrs.get("settle_s", 0.5))
    f, pxx, nper = welch(ds[variable].values, mask, fs, int(round(nperseg_ms * fs / 1000)))
    units = ds[variable].attrs.get("units", "")
    return xr.DataArray(pxx, coords={"freq": ("freq", f, {"units": "Hz"})}, dims="freq",
                        name=f"psd_{variable}",
                        attrs={"units": f"({units})^2/Hz", "window": window, "nperseg": nper,
                               "window_s": float(mask.sum() / fs)})


def band_powers(ds: xr.Dataset, window: str = "post", variable: str = "lfp",
                bands: dict | None = None, nperseg_ms: float = 1000.0, relative: bool = False) -> xr.Dataset:
    """Band powers (integral of the Welch PSD over each band) of a simulation.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`mechtms.network.simulate` (needs ``lfp`` or the chosen variable).
    window : {"baseline", "during", "between", "post", "all"}
    bands : dict name -> (low_hz, high_hz), default :data:`BANDS`.
    nperseg_ms : float
        Welch segment length (Hann window, 50 % overlap, mean removed per segment).
    relative : bool
        Divide each band's power by the total over all bands (1–80 Hz for
        :data:`BANDS`): the share of each band, unitless.

    Returns
    -------
    xarray.Dataset with one scalar variable per band (units² of the signal, or 1 if
    ``relative``) and attrs ``window``, ``window_s`` (seconds of signal used),
    ``nperseg``, ``relative``; NaN when the window holds no stretch of at least 0.2 s.
    """
    psd = spectrum(ds, window, variable, nperseg_ms)
    f = psd["freq"].values
    df = f[1] - f[0]
    bands = bands or BANDS
    power = {name: float(np.sum(psd.values[(f >= lo) & (f < hi)]) * df) for name, (lo, hi) in bands.items()}
    total = sum(power.values())
    units = "1" if relative else psd.attrs["units"].replace("/Hz", "")
    out = {name: xr.DataArray(val / total if relative else val, attrs={"units": units, "band_hz": list(bands[name])})
           for name, val in power.items()}
    return xr.Dataset(out, attrs={"window": window, "variable": variable, "relative": int(relative),
                                  "window_s": psd.attrs["window_s"], "nperseg": psd.attrs["nperseg"]})


def band_power_change(ds: xr.Dataset, window: str = "post", reference: str = "baseline",
                      variable: str = "lfp", nperseg_ms: float = 500.0) -> xr.Dataset:
    """Event-related (de)synchronisation: log10 of band power in ``window`` over ``reference``.

    Pfurtscheller & Lopes da Silva 1999 (Clin Neurophysiol 110:1842) define ERD/ERS as
    the change of band power in an activity period relative to a reference period of the
    same recording; here ``log10(P_window / P_reference)`` per band (0 = no change, -0.3 =
    power halved, an ERD; ``100·(10**x − 1)`` is the ERD/ERS in %). Absolute powers,
    Welch spectra with ``nperseg_ms`` segments in both windows.
    """
    a = band_powers(ds, window, variable, nperseg_ms=nperseg_ms)
    r = band_powers(ds, reference, variable, nperseg_ms=nperseg_ms)
    out = {b: xr.DataArray(float(np.log10(float(a[b]) / float(r[b]))), attrs={"units": "log10(ratio)",
                                                                                "band_hz": a[b].attrs["band_hz"]})
           for b in a.data_vars}
    return xr.Dataset(out, attrs={"window": window, "reference": reference, "variable": variable,
                                  "window_s": a.attrs["window_s"], "reference_s": r.attrs["window_s"]})


def peak_frequencies(psd: xr.DataArray, fmin: float = 2.0, fmax: float = 100.0, n: int = 2):
    """Frequencies of the ``n`` largest local maxima of a spectrum in [fmin, fmax], largest first."""
    f = psd["freq"].values
    m = (f >= fmin) & (f <= fmax)
    p = psd.values[m]
    pk, _ = sps.find_peaks(p)
    order = pk[np.argsort(p[pk])[::-1]]
    return f[m][order][:n]
