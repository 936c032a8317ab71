"""What every proxy shares: documented parameters, daily series, a lag filter, the placebo clock.

A proxy is a pure function ``f(daily, course, params) -> xarray.DataArray`` over ``day`` of
named upstream quantities of the chain's daily dataset (e.g. ``w_late``, ``pTrkB_cortex``,
``output_rate``). Its parameters are :class:`Param` values that carry their units, status
(``SOURCE``, ``ASSUMED``, ``CALIBRATED``, ``DERIVED``) and source; :func:`resolve` merges a
caller's overrides into them and names any unknown or out-of-range value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .. import _checks

STATUSES = ("SOURCE", "ASSUMED", "CALIBRATED", "DERIVED")


@dataclass(frozen=True)
class Param:
    """One proxy parameter.

    Attributes
    ----------
    value : float or str
        Default value (a string for a choice, e.g. ``hemisphere``).
    units : str
    status : {"SOURCE", "ASSUMED", "CALIBRATED", "DERIVED"}
    source : str
        Where the value comes from (paper, or the calibration target and command).
    low, high : float, optional
        Allowed range of a number (inclusive).
    choices : tuple of str, optional
        Allowed values of a string parameter.
    """

    value: float | str
    units: str
    status: str
    source: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()

    def __post_init__(self):
        _checks.choice("status", self.status, STATUSES)


def resolve(defaults: Mapping[str, Param], params: Mapping | None, proxy: str) -> dict:
    """Defaults of ``defaults`` overridden by ``params``; every value checked.

    Raises
    ------
    KeyError
        An unknown parameter name (with close matches).
    ValueError
        A value outside its range or choices.
    """
    out = {k: p.value for k, p in defaults.items()}
    for key, value in dict(params or {}).items():
        if key not in defaults:
            raise _checks.unknown_name(f"{proxy} parameter", key, defaults)
        out[key] = value
    for key, p in defaults.items():
        value = out[key]
        if p.choices:
            if value not in p.choices:
                hint = _checks.close_matches(str(value), p.choices)
                did = f" Did you mean {hint[0]!r}?" if hint else ""
                raise ValueError(f"{proxy} parameter {key!r} must be one of {', '.join(p.choices)}; "
                                 f"got {value!r}.{did}")
        else:
            out[key] = _checks.finite_number(f"{proxy} parameter {key!r}", value, low=p.low, high=p.high)
    return out


def table(defaults: Mapping[str, Param]) -> list[dict]:
    """The parameters as rows (name, value, units, status, source) for docs and notebooks."""
    return [{"name": k, "value": p.value, "units": p.units, "status": p.status, "source": p.source}
            for k, p in defaults.items()]


def series(daily, name: str) -> np.ndarray:
    """Values of the daily variable ``name`` (float array over ``day``); KeyError names the options."""
    if name not in daily:
        raise _checks.unknown_name("daily variable", name, list(daily.data_vars))
    da = daily[name]
    if da.dims != ("day",):
        raise ValueError(f"daily variable {name!r} must have the single dim 'day', got {da.dims}")
    return np.asarray(da.values, dtype=float)


def days_of(daily) -> np.ndarray:
    if "day" not in daily.coords:
        raise ValueError("the daily dataset has no 'day' coordinate")
    return np.asarray(daily["day"].values, dtype=float)


def lowpass(t_days: np.ndarray, x: np.ndarray, tau_days: float, y0=0.0) -> np.ndarray:
    """First-order lag ``tau dy/dt = x(t) - y`` of samples ``x`` at days ``t_days``.

    ``x`` is taken as linear between samples (the exact solution over each interval), and
    ``y`` starts at ``y0`` at the first sample. ``tau_days = 0`` returns ``x``.

    Parameters
    ----------
    t_days : (D,) float, increasing
    x : (..., D) float
        One series or a stack of them (e.g. one per subject).
    tau_days : float, >= 0
    y0 : float or (...,) array
    """
    t = np.asarray(t_days, dtype=float)
    x = np.asarray(x, dtype=float)
    if tau_days <= 0:
        return x.copy()
    y = np.empty_like(x)
    y[..., 0] = y0
    for k in range(1, x.shape[-1]):
        h = t[k] - t[k - 1]
        e = math.exp(-h / tau_days)
        slope = (x[..., k] - x[..., k - 1]) / h if h > 0 else 0.0 * x[..., k]
        y[..., k] = x[..., k] - slope * tau_days + (y[..., k - 1] - x[..., k - 1] + slope * tau_days) * e
    return y


def session_days(course) -> np.ndarray:
    """Days on which the course delivers a session (sham sessions included); empty for None."""
    if course is None:
        return np.zeros(0, dtype=int)
    from ..protocols import Course, Protocol

    if isinstance(course, Protocol):
        return np.zeros(1, dtype=int)
    if not isinstance(course, Course):
        raise ValueError(f"course must be a mechtms Course, Protocol or None, got {type(course).__name__}")
    return np.asarray(course.session_days, dtype=int)


def placebo_fraction(days: np.ndarray, course, p_max: float, tau_days: float,
                     readout_delay_days: float = 0.5) -> np.ndarray:
    """Fraction of symptoms removed by the placebo response (expectation and care) on each day.

    Zero before the first session and for a course without sessions (no treatment ritual, no
    placebo); from the first session (sham or active, as in a blinded trial) it rises as
    ``p_max (1 - exp(-elapsed/tau_days))`` and stays on its plateau after the course ends
    (ASSUMED form). ``readout_delay_days``: read-outs are taken that long after the session
    clock on the first day (0.5: a morning session, an evening rating).
    """
    sd = session_days(course)
    out = np.zeros(len(days))
    if len(sd) == 0 or p_max == 0:
        return out
    elapsed = np.asarray(days, dtype=float) - float(sd.min()) + readout_delay_days
    on = elapsed > 0
    out[on] = p_max * (1.0 - np.exp(-elapsed[on] / tau_days)) if tau_days > 0 else p_max
    return out


def as_dataarray(values: np.ndarray, days: np.ndarray, name: str, units: str, description: str,
                 params: Mapping):
    import xarray as xr

    return xr.DataArray(np.asarray(values, dtype=float), dims=("day",), coords={"day": days}, name=name,
                        attrs={"units": units, "description": description,
                               "proxy_params": repr(dict(params))})


def handmade_plasticity(days: np.ndarray, course, plateau: float, *, per_session: float = 0.35,
                        tau_decay_days: float = 9.0) -> np.ndarray:
    """A hand-made consolidated-weight trajectory (``w_late``-like) for testing proxies alone.

    Each session moves the value ``per_session`` of the way to ``plateau``; between read-outs
    it decays towards 0 with ``tau_decay_days``. The defaults mimic the chain's consolidation
    layer (``mechtms.consolidation.consolidate_course`` with a constant early change of +0.2
    and dose 1 per weekday session: 0.065 after one session, ~0.18 within five, ~10 % lost over
    a weekend, half-life ~6 days after the course). Read-outs are in the evening, after that
    day's session. Not a model: a stand-in input with a documented shape.

    Returns
    -------
    (D,) float over ``days`` (whole days, increasing).
    """
    sd = session_days(course)
    counts = {int(d): int(c) for d, c in zip(*np.unique(sd, return_counts=True), strict=True)}
    out = np.zeros(len(days))
    w = 0.0
    for k, d in enumerate(np.asarray(days, dtype=float)):
        if k > 0:
            w *= math.exp(-(d - days[k - 1]) / tau_decay_days)
        for _ in range(counts.get(int(round(d)), 0)):
            w += per_session * (plateau - w)
        out[k] = w
    return out
