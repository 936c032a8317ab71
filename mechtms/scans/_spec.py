"""Refuse an invalid scan before it starts: every point of the space is checked up front.

A point is invalid when the protocol or course it describes cannot exist (a negative
frequency, an intensity above the device ceiling of :data:`mechtms.protocols.INTENSITY_CEILING`,
sessions that do not fit the calendar), when it names an unknown condition, or when a
read-out asks for a time outside the run (``X@day=40`` of a 28-day course). Such a scan
raises ``ValueError`` naming the first bad point and nothing runs, so no store is created
or touched (a resumable store keeps its finished results).

Only the axes that can make a point invalid are enumerated (protocol, calendar,
``condition``, ``dose``), over their distinct combinations: a 10^6-point grid over model
parameters and three intensities checks three protocols.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np

from .. import _checks
from ._targets import course_from_axes

#: Variables of :func:`mechtms.simulate`'s Dataset besides the condition's pathway outputs
#: (used when :mod:`mechtms.coupling` does not list them itself with ``chain_variables``).
CHAIN_VARIABLES = ("W", "MEP", "dW_percent", "W_start", "ca_integral_uM_s", "ca_peak_uM", "dose",
                   "pulses_delivered", "weight_scale", "epsp_drive_mV", "bap_prob", "net_pre_spike_prob",
                   "net_post_spike_prob", "net_epsp_mV", "net_rate_E_hz", "band_power")


def check_space(target, space, readouts) -> int:
    """Check every point of ``space`` for ``target``; returns the number of distinct checks made.

    Raises
    ------
    ValueError
        ``"scan refused before it started: point <i> (<axis>=<value>, ...) is invalid: <reason>"``.
    """
    check = getattr(target, "check_point", None)
    if check is None:
        return 0
    axes = [a for a in space.axes if a in target.point_axes()]
    combos: list[tuple[dict, int]]
    if not axes:
        combos = [({}, 0)]
    elif space.kind == "grid":
        combos = _grid_combos(space, axes)
    else:
        combos = _design_combos(space, axes)
    for point, index in combos:
        try:
            check(point, readouts)
        except (ValueError, KeyError) as exc:
            where = ", ".join(f"{k}={_show(v)}" for k, v in point.items())
            raise ValueError(f"scan refused before it started: point {index}"
                             f"{f' ({where})' if where else ''} is invalid: {_checks.message_of(exc)}; "
                             f"nothing was run") from None
    return len(combos)


def _show(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _grid_combos(space, axes):
    """Distinct combinations of ``axes`` over a grid, each with the index of its first point."""
    shape = space.shape
    pos = [space.axes.index(a) for a in axes]
    out = []
    for idx in itertools.product(*(range(shape[p]) for p in pos)):
        full = [0] * len(shape)
        for p, i in zip(pos, idx, strict=True):
            full[p] = i
        point = {a: _plain(space.values[a][i]) for a, i in zip(axes, idx, strict=True)}
        out.append((point, int(np.ravel_multi_index(full, shape))))
    return out


def _design_combos(space, axes):
    seen, out = set(), []
    for i in range(space.n_points):
        point = {a: _plain(space.values[a][i]) for a in axes}
        key = tuple(point.values())
        if key not in seen:
            seen.add(key)
            out.append((point, i))
    return out


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def check_at_readouts(readouts, coords_end: Mapping[str, float], context: str) -> None:
    """``X@day=N`` / ``X@time=T`` must lie within the run (0..end of that coordinate)."""
    for r in readouts:
        if r.how != "at":
            continue
        end = coords_end.get(str(r.coord))
        if end is None:
            continue
        if not (-1e-9 <= float(r.at) <= end + 1e-9):
            raise ValueError(f"read-out {r.spec!r} asks for {r.coord}={r.at:g}, outside {context} "
                             f"({r.coord} 0..{end:g})")


# ---- per-target checks (called by ModelTarget.check_point / CourseTarget.check_point) -------
def check_model_point(self, point: Mapping, readouts) -> None:
    point = dict(point)
    if self.course is not None:
        dose = point.pop("dose", None)
        if dose is not None:
            _checks.finite_number("dose", dose, low=0)
        course_from_axes(self.course, point)
    ends = {"time": self.t_end, "day": self.t_end * self.info.hours_per_time_unit / 24.0}
    check_at_readouts(readouts, ends, f"the run (t_end={self.t_end:g} {self.info.time_unit}s)")


def check_course_point(self, point: Mapping, readouts) -> None:
    from .. import conditions

    point = dict(point)
    cond = conditions.get(point.pop("condition", self.condition))
    course = course_from_axes(self.course, point)
    known = set(chain_variables(cond))
    for r in readouts:
        if r.var not in known:
            raise _checks.unknown_name(f"read-out variable of the chain ({cond.name})", r.var, known, exc=ValueError)
    check_at_readouts(readouts, {"day": float(course.end_day)}, f"the course (days 0..{course.end_day})")


def chain_variables(cond) -> tuple[str, ...]:
    """Variables of :func:`mechtms.simulate`'s result for condition ``cond``."""
    from .. import coupling
    from ..models import model_info

    listed = getattr(coupling, "chain_variables", None)
    if listed is not None:
        return tuple(listed(cond))
    names = list(CHAIN_VARIABLES)
    for m in cond.pathway_models:
        names += list(model_info(m).outputs)
    names += list(cond.readouts)
    return tuple(dict.fromkeys(names))


