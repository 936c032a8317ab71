"""Course-runner conveniences for one pathway model at a time.

Built on :func:`mechtms.ode.simulate_model` (the one libroadrunner boundary): a course's
sessions become events on the model's ``session_input``; these helpers sample the hourly
result into a ``day`` dimension, run the SCI study's three arms side by side, and run the
acute BDNF application of Ji et al. (2010).

Conventions: time in hours (both pathway models are hour-based); day ``d`` spans
``[24 d, 24 d + 24)`` h with the injury at t = 0; the SCI sessions are at 09:00, so the
default daily sample at 08:00 is a trough value (23 h after the previous session, before
that day's session), as a tissue harvest the morning after would see.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from . import _checks
from .ode import simulate_model

#: The three arms of the SCI study (Zhang et al. 2024): preset course and model changes.
SCI_ARMS = {
    "sham": ("sham", {"injury": 0.0}),
    "sci": ("sham", {"injury": 1.0}),
    "sci_rtms": ("sci_15hz_mouse", {"injury": 1.0}),
}


def daily(ds, how: str = "at", hour: float = 8.0):
    """Sample an hour-based run into a ``day`` dimension.

    Parameters
    ----------
    ds : xarray.Dataset
        Result of :func:`mechtms.ode.simulate_model` for an hour-based model.
    how : {"at", "mean"}
        ``"at"``: the value at ``hour`` o'clock of each day (linear interpolation);
        ``"mean"``: the mean over each full day ``[24 d, 24 d + 24)`` covered by the run.
    hour : float
        Clock hour for ``how="at"`` (0 <= hour < 24); default 08:00.

    Returns
    -------
    xarray.Dataset with dim ``day`` (int) instead of ``time``; units and attrs kept.
    """
    import xarray as xr

    _checks.choice("how", how, ("at", "mean"))
    if ds.attrs.get("time_unit", "hour") != "hour":
        raise ValueError(f"daily() needs an hour-based model run, got time_unit={ds.attrs.get('time_unit')!r}")
    hour = _checks.finite_number("hour", hour, low=0, high=24, high_open=True)
    t = ds["time"].values
    first, last = int(np.ceil(t[0] / 24.0 - 1e-9)), int(np.floor(t[-1] / 24.0 + 1e-9))
    if how == "at":
        days = np.array([d for d in range(int(np.floor(t[0] / 24.0)), last + 1) if t[0] <= 24 * d + hour <= t[-1]])
        times = 24.0 * days + hour
        out = ds.drop_vars("day", errors="ignore").interp(time=times)
    else:
        days = np.arange(first, last)
        if days.size == 0:
            raise ValueError("the run covers no full day")
        groups = [ds.drop_vars("day", errors="ignore").isel(time=np.flatnonzero((t >= 24 * d) & (t < 24 * d + 24)))
                  .mean("time") for d in days]
        out = xr.concat(groups, dim="time")
    out = out.rename({"time": "day"}).assign_coords(day=("day", days.astype(int), {"units": "day"}))
    for name in out.data_vars:
        out[name].attrs = dict(ds[name].attrs)
    out.attrs = {**ds.attrs, "daily": how if how == "mean" else f"at {hour:g} h"}
    return out


def run_course(model: str, course=None, changes: Mapping[str, float] | None = None, *,
               session_doses=None, how: str = "at", hour: float = 8.0, t_end: float | None = None,
               selections: Sequence[str] | None = None):
    """Run ``model`` under ``course`` and return daily samples (dim ``day``).

    ``course`` may be a :class:`mechtms.protocols.Course` or a preset name
    (:func:`mechtms.protocols.preset_course`); ``session_doses`` as in
    :func:`mechtms.ode.simulate_model` (dose 1 = the reference session).
    """
    from . import protocols

    if isinstance(course, str):
        course = protocols.preset_course(course)
    ds = simulate_model(model, course=course, changes=changes, t_end=t_end, session_doses=session_doses,
                        selections=selections, points=None if course is not None else
                        int(round(_checks.finite_number("t_end", t_end, low=0, low_open=True))) + 1)
    return daily(ds, how=how, hour=hour)


def sci_study(model: str = "cx43_autophagy_mtor", changes: Mapping[str, float] | None = None, *,
              arms: Sequence[str] = tuple(SCI_ARMS), how: str = "at", hour: float = 8.0,
              hourly: bool = False, days: int | None = None):
    """The SCI study's arms (sham, SCI, SCI + daily 15 Hz rTMS) run side by side.

    Returns an ``xarray.Dataset`` with dims ``arm`` and ``day`` (or ``time`` if
    ``hourly=True``). ``changes`` apply to every arm (after the arm's own ``injury``).
    For ``bdnf_trkb_erk``, which has no ``injury`` parameter, the arm's changes are
    dropped. ``days`` shortens the study (default: the whole 28-day course).
    """
    import xarray as xr

    from . import protocols
    from .models import load_model
    from .ode import settable_names

    known = settable_names(load_model(model))
    parts = []
    for arm in arms:
        if arm not in SCI_ARMS:
            raise _checks.unknown_name("arm", arm, SCI_ARMS, exc=ValueError)
        preset_name, arm_changes = SCI_ARMS[arm]
        course = protocols.preset_course(preset_name)
        all_changes = {k: v for k, v in arm_changes.items() if k in known}
        all_changes.update(changes or {})
        t_end = None if days is None else 24.0 * (_checks.whole_number("days", days, low=1, high=course.end_day) + 1)
        ds = simulate_model(model, course=course, changes=all_changes, t_end=t_end)
        parts.append(ds if hourly else daily(ds, how=how, hour=hour))
    out = xr.concat(parts, dim=xr.DataArray(list(arms), dims="arm", name="arm"),
                    combine_attrs="drop_conflicts")
    return out


def acute_bdnf(bdnf_nM: float = 1.0, minutes: float = 60.0, changes: Mapping[str, float] | None = None,
               points_per_minute: int = 2):
    """Bath application of BDNF from t = 0 (Ji et al. 2010): ``bdnf_trkb_erk`` over ``minutes``.

    Returns the Dataset of :func:`mechtms.ode.simulate_model` with an added ``minute``
    coordinate; fold changes over baseline via :func:`mechtms.readouts.fold_change`.
    """
    bdnf_nM = _checks.finite_number("bdnf_nM", bdnf_nM, low=0)
    minutes = _checks.finite_number("minutes", minutes, low=0, low_open=True)
    points = int(round(minutes * points_per_minute)) + 1
    ds = simulate_model("bdnf_trkb_erk", changes={**dict(changes or {}), "BDNF_ext_nM": bdnf_nM},
                        t_end=minutes / 60.0, points=points)
    return ds.assign_coords(minute=("time", ds["time"].values * 60.0, {"units": "minute"}))


def dose_response(doses_nM: Sequence[float], readout: str = "pERK", minutes: float = 60.0,
                  changes: Mapping[str, float] | None = None):
    """Peak fold over baseline of ``readout`` within ``minutes`` of each BDNF dose.

    Returns an ``xarray.DataArray`` over dim ``BDNF_ext_nM``.
    """
    import xarray as xr

    doses = np.asarray(doses_nM, dtype=float)
    if doses.ndim != 1 or doses.size == 0 or not np.all(np.isfinite(doses)) or np.any(doses < 0):
        raise ValueError(f"doses_nM must be a non-empty 1-d sequence of finite values >= 0, got {doses_nM!r}")
    peaks = []
    for d in doses:
        y = acute_bdnf(float(d), minutes, changes)[readout].values
        peaks.append(y.max() / y[0])
    return xr.DataArray(np.array(peaks), dims="BDNF_ext_nM", coords={"BDNF_ext_nM": doses},
                        name=f"{readout}_peak_fold", attrs={"units": "fold over baseline"})


def fit_hill(dose, response):
    """Least-squares Hill fit ``r = bottom + (top - bottom) d^n / (d^n + EC50^n)``.

    Returns a dict with ``ec50``, ``n``, ``bottom``, ``top`` and ``r2`` (coefficient of
    determination on the data).
    """
    from scipy.optimize import curve_fit

    d = np.asarray(dose, dtype=float)
    r = np.asarray(response, dtype=float)
    pos = d > 0

    def hill(x, bottom, top, log_ec50, n):
        xn = np.power(x, n)
        return bottom + (top - bottom) * xn / (xn + np.exp(n * log_ec50))

    p0 = [r.min(), r.max(), np.log(np.median(d[pos])), 1.0]
    popt, _ = curve_fit(hill, d, r, p0=p0, maxfev=20000)
    pred = hill(d, *popt)
    r2 = 1.0 - np.sum((r - pred) ** 2) / np.sum((r - r.mean()) ** 2)
    return {"bottom": float(popt[0]), "top": float(popt[1]), "ec50": float(np.exp(popt[2])),
            "n": float(popt[3]), "r2": float(r2)}
