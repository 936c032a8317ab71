"""Representative experiments per model, for cross-checks and SED-ML.

* A model with a ``session_input`` (hour-based pathway models): the 15 Hz SCI preset
  course ``sci_15hz_mouse`` (28 daily sessions from day 1; Zhang et al. 2024, J Orthop
  Surg Res 19:387) in the ``sci`` condition (its changes for the model, e.g.
  ``injury = 1``; :mod:`mechtms.conditions`), hourly output to the end of its last day.
* The plasticity model (its inputs include the pulse schedule of
  :func:`mechtms.plasticity.schedule_changes`): one iTBS 600 session
  (``preset("itbs_600")``), followed by the 30 min after-effect window.
* Any other model: one day of model time without input.

``fast=True`` (``MECHTMS_FAST=1``) shortens the course to 7 days.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field

import numpy as np

from .. import _checks
from ..models import model_info

SCI_COURSE = "sci_15hz_mouse"
SCI_CONDITION = "sci"
PLASTICITY_SESSION = "itbs_600"
AFTER_S = 1800.0
SCALE_RANGE = (0.5, 2.0)  # random parameter sets: x0.5..x2 of each input (log-uniform)


def fast_mode() -> bool:
    return os.environ.get("MECHTMS_FAST", "") not in ("", "0")


@dataclass
class Experiment:
    """What to simulate: baked into SBML (course, changes) and an output grid."""

    model: str
    description: str
    course: object = None
    changes: dict = field(default_factory=dict)
    t_end: float | None = None
    points: int | None = None

    def kwargs(self) -> dict:
        """Keyword arguments for :func:`crosscheck` / :func:`mechtms.ode.simulate_model`."""
        return {"course": self.course, "changes": dict(self.changes), "t_end": self.t_end,
                "points": self.points}


def _schedule_keys() -> set[str]:
    from ..plasticity import schedule_changes
    from ..protocols import preset

    return set(schedule_changes(preset(PLASTICITY_SESSION)))


def default_experiment(name: str, *, sham: bool = False, fast: bool | None = None) -> Experiment:
    """The representative experiment of model ``name`` (module docstring); ``sham``: same
    schedule, nothing delivered."""
    from ..protocols import preset, preset_course

    fast = fast_mode() if fast is None else fast
    info = model_info(name)
    if info.session_input is not None:
        course = preset_course(SCI_COURSE)
        if fast:
            course = course.replace(days=7)
        if sham:
            course = course.replace(protocol=course.protocol.as_sham())
        changes = _condition_changes(SCI_CONDITION, name)
        where = f" in the {SCI_CONDITION} condition" if changes else ""
        return Experiment(name, f"{'sham of ' if sham else ''}{SCI_COURSE} course, {course.days} days{where}",
                          course=course, changes=changes)
    if info.time_unit == "second" and _schedule_keys() <= set(info.inputs):
        from ..plasticity import schedule_changes

        p = preset(PLASTICITY_SESSION)
        if sham:
            p = p.as_sham()
        t_end = p.duration_s + AFTER_S
        return Experiment(name, f"one {'sham ' if sham else ''}{PLASTICITY_SESSION} session + {AFTER_S:g} s",
                          changes=schedule_changes(p), t_end=t_end, points=1001 if fast else 4001)
    return Experiment(name, "one day without input", t_end=24.0 / info.hours_per_time_unit, points=241)


def _condition_changes(condition: str, name: str) -> dict[str, float]:
    from .. import conditions

    if condition not in conditions.names():
        return {}
    return conditions.get(condition).model_changes(name)


_COMMENTED_RANGE = re.compile(
    r"^\s*([A-Za-z_]\w*)\s*=[^/]*//.*?(?<![\w.])([-+]?\d+(?:\.\d+)?)\s*\.\.\s*([-+]?\d+(?:\.\d+)?)(?![\w.])")


def documented_ranges(name: str) -> dict[str, tuple[float, float]]:
    """Allowed ranges of inputs, as the model documents them.

    In order (later wins): a ``lo..hi`` in the comment on the line that sets an input
    (``mek_inhib = 0 dimensionless  // U0126-like MEK block, 0..1``); for the
    plasticity model :data:`mechtms.plasticity.DRIVE_RANGES`; the header's
    ``ranges: a=lo..hi, b=lo..hi``.
    """
    from ..models import antimony_source

    info = model_info(name)
    out: dict[str, tuple[float, float]] = {}
    for line in antimony_source(name).splitlines():
        m = _COMMENTED_RANGE.match(line)
        if m and m.group(1) in info.inputs:
            out[m.group(1)] = (float(m.group(2)), float(m.group(3)))
    if name == "calcium_plasticity":
        from ..plasticity import DRIVE_RANGES

        out.update(DRIVE_RANGES)
    for item in info.header.get("ranges", "").split(","):
        if not item.strip():
            continue
        m = re.match(r"^\s*([A-Za-z_]\w*)\s*=\s*([-+0-9.eE]+)\s*\.\.\s*([-+0-9.eE]+)\s*$", item)
        if not m:
            raise ValueError(f"{info.path}: header ranges entry {item.strip()!r} must look like 'name=lo..hi'")
        out[m.group(1)] = (float(m.group(2)), float(m.group(3)))
    return out


def input_defaults(name: str) -> dict[str, float]:
    """Values of the header's ``inputs`` as the model file sets them (SBML values)."""
    import libsbml

    from ..models import sbml

    model = libsbml.readSBMLFromString(sbml(name)).getModel()
    out = {}
    for key in model_info(name).inputs:
        p = model.getParameter(key)
        if p is not None and p.isSetValue():
            out[key] = p.getValue()
        s = model.getSpecies(key)
        if s is not None and s.isSetInitialConcentration():
            out[key] = s.getInitialConcentration()
    return out


def random_changes(name: str, n: int, *, seed: int = 0, exclude=()) -> list[dict[str, float]]:
    """``n`` parameter sets: each input scaled by a log-uniform factor in x0.5..x2,
    clipped to :func:`documented_ranges`. Inputs at 0 keep 0 unless a range is
    documented (then uniform in it). ``exclude``: inputs the experiment itself sets.
    """
    n = _checks.whole_number("n", n, low=0)
    rng = np.random.default_rng(seed)
    ranges = documented_ranges(name)
    defaults = {k: v for k, v in input_defaults(name).items() if k not in set(exclude)}
    sets = []
    for _ in range(n):
        changes = {}
        for key, value in sorted(defaults.items()):
            lo, hi = ranges.get(key, (-math.inf, math.inf))
            if value == 0:
                if math.isfinite(lo) and math.isfinite(hi):
                    changes[key] = float(rng.uniform(lo, hi))
                continue
            a, b = sorted((value * SCALE_RANGE[0], value * SCALE_RANGE[1]))
            a, b = max(a, lo), min(b, hi)
            if value > 0 and a > 0:
                changes[key] = float(np.exp(rng.uniform(np.log(a), np.log(b))))
            else:
                changes[key] = float(rng.uniform(a, b))
        sets.append(changes)
    return sets
