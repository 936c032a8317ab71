"""Behavioural proxies and read-out helpers for the pathway models.

Current read-outs (issue 12)
    * MEP is **measured** by :func:`mechtms.mep.probe`: single pulses through the spiking
      network with its current weights, the spared corticospinal tract and a motoneuron
      pool; :func:`mechtms.mep.daily` gives one value per day of a course.
    * BMS and the corticospinal transmission ``CST`` come from ``models/spinal_lesion.ant``
      run by :func:`mechtms.lesion.simulate`, where recovery depends on connectivity
      (spared + mTORC1-dependent sprouting) and on secondary tissue damage (inflammation
      and autophagic flux), not on Cx43 by construction.
    docs/lesion.md and docs/mep.md give both proxies, their calibration and sources.

Deprecated (kept while ``mechtms.coupling`` still runs ``cx43_autophagy_mtor``)
    :func:`mep` and :func:`add_mep` compute ``MEP = excitability * CST``: an affine copy of
    the old model's recovery index, not a measurement. Use :func:`mechtms.mep.probe`.
    The old model's BMS is ``9 (1 - injury (1 - Rec))`` with ``Rec`` relaxing towards
    ``injury * repair / (repair + K_rep)``, ``repair = flux / (Cx43 (1 + D))`` (see
    ``models/cx43_autophagy_mtor.ant``): it rises whenever Cx43 falls, by construction.

The helpers :func:`fold_change` and :func:`last_day_mean` serve every hour-based model.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import _checks

BMS_MAX = 9.0
#: Units written on proxy variables.
PROXY_UNITS = {"BMS": "score (0-9)", "MEP": "relative to uninjured", "CST": "relative to uninjured"}


def mep(cst, excitability=1.0, mep_uninjured: float = 1.0):
    """DEPRECATED MEP proxy ``mep_uninjured * excitability * cst`` (use :func:`mechtms.mep.probe`).

    Parameters
    ----------
    cst : float or array
        Corticospinal transmission (``CST`` of ``cx43_autophagy_mtor``), 1 = intact.
    excitability : float or array broadcastable to ``cst``
        Cortical excitability relative to baseline (``W/W0`` from the plasticity layer);
        default 1. Must be finite and >= 0.
    mep_uninjured : float
        Amplitude of the uninjured, untreated animal (default 1: a relative MEP; give
        e.g. mV to get mV).

    Returns
    -------
    numpy.ndarray or float, the shape of ``cst * excitability``.
    """
    cst_a = np.asarray(cst, dtype=float)
    exc = np.asarray(excitability, dtype=float)
    if not np.all(np.isfinite(exc)) or np.any(exc < 0):
        raise ValueError(f"excitability must be finite and >= 0 (W/W0 of the plasticity layer), got {excitability!r}")
    if not np.all(np.isfinite(cst_a)) or np.any(cst_a < 0):
        raise ValueError(f"cst must be finite and >= 0, got {cst!r}")
    scale = _checks.finite_number("mep_uninjured", mep_uninjured, low=0, low_open=True)
    out = scale * exc * cst_a
    return float(out) if out.ndim == 0 else out


def add_mep(ds, excitability=1.0, mep_uninjured: float = 1.0):
    """DEPRECATED: a copy of ``ds`` (with ``CST``) with the proxy ``MEP`` added (use :func:`mechtms.mep.daily`).

    ``excitability`` is a scalar or an ``xarray.DataArray`` aligned with ``ds`` (e.g. W/W0
    per ``day`` from :mod:`mechtms.coupling`).
    """
    if "CST" not in ds:
        raise KeyError(f"add_mep needs a 'CST' variable (run cx43_autophagy_mtor); got {sorted(ds.data_vars)}")
    import xarray as xr

    exc = excitability if isinstance(excitability, xr.DataArray) else np.asarray(excitability, dtype=float)
    if isinstance(exc, xr.DataArray):
        mep(0.0, exc.values)  # validates
        values = mep_uninjured * exc * ds["CST"]
    else:
        values = xr.DataArray(mep(ds["CST"].values, exc, mep_uninjured), dims=ds["CST"].dims,
                              coords=ds["CST"].coords)
    out = ds.copy()
    out["MEP"] = values
    out["MEP"].attrs["units"] = "relative to uninjured" if mep_uninjured == 1.0 else "as mep_uninjured"
    out["MEP"].attrs["proxy"] = "excitability x CST (mechtms.readouts.mep)"
    return out


def fold_change(ds, reference=None, variables: Sequence[str] | None = None):
    """Variables of ``ds`` divided by a reference.

    ``reference``: a Dataset aligned with ``ds`` (e.g. the sham run), or ``None`` for the
    first time point of ``ds`` (fold over baseline, as in Ji et al. 2010).
    """
    names = list(variables) if variables is not None else list(ds.data_vars)
    missing = [n for n in names if n not in ds]
    if missing:
        raise _checks.unknown_name("variable", missing[0], ds.data_vars)
    out = ds[names].copy()
    for n in names:
        ref = ds[n].isel({ds[n].dims[0]: 0}) if reference is None else reference[n]
        out[n] = ds[n] / ref
        out[n].attrs = {"units": "fold", "of": n}
    return out


def last_day_mean(ds, variables: Sequence[str] | None = None, day: float | None = None):
    """Mean of each variable over one day (default: the last full day) of an hour-based run."""
    if "day" not in ds.coords:
        raise ValueError("last_day_mean needs a 'day' coordinate (an hour-based model run)")
    days = ds["day"].values
    d = np.floor(days.max()) - 1 if day is None else float(day)
    mask = (days >= d) & (days < d + 1)
    if not mask.any():
        raise ValueError(f"day {d:g} is not covered by the run (days {days.min():g}..{days.max():g})")
    names = list(variables) if variables is not None else list(ds.data_vars)
    return ds[names].isel(time=np.flatnonzero(mask)).mean("time")
