"""What a scan evaluates at each point: a single model, the whole chain on a course, or
a user function; and the read-outs that reduce each result to numbers.

A target is a small picklable object with

- ``definition()``: plain data naming it (recorded in the store; a resume compares it);
- ``check(axes, readouts)``: validates axis and read-out names in the parent, before any
  worker starts, and returns the units of each read-out;
- ``evaluate(point, seed, readouts)``: the read-out values (floats) at one point.

Read-out specs: ``"X"`` (the value at the end), ``"max(X)"``, ``"min(X)"``, ``"mean(X)"``
(over the run) and ``"X@day=28"`` / ``"X@time=10"`` (at a coordinate value that must lie on
the output grid). A mapping ``{"name": "spec"}`` names them.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _checks

if TYPE_CHECKING:
    from ..protocols import Course

#: Axes that rebuild the session protocol (mechtms.protocols.Protocol fields; intensity_rmt sets
#: the intensity in % RMT).
PROTOCOL_AXES = ("frequency_hz", "pulses", "intensity", "intensity_rmt", "train_s", "iti_s",
                 "pulses_per_burst", "burst_frequency_hz", "sham")
#: Axes that rebuild the course calendar (``sessions`` = total sessions delivered).
COURSE_AXES = ("days", "sessions", "sessions_per_day", "days_per_week", "start_day")
#: Axes of the training after each session (:class:`mechtms.consolidation.Training` fields, prefixed).
TRAINING_AXES = ("training_prp_signal", "training_start_h", "training_hours")
_READOUT = re.compile(r"^\s*(?:(max|min|mean)\(\s*([A-Za-z_]\w*)\s*\)|([A-Za-z_]\w*)(?:@(\w+)=([-+0-9.eE]+))?)\s*$")


# ---- read-outs -------------------------------------------------------------------------
@dataclass(frozen=True)
class Readout:
    """One read-out: ``how`` in {"last", "max", "min", "mean", "at"} of ``var``."""

    name: str
    spec: str
    var: str
    how: str = "last"
    coord: str | None = None
    at: float | None = None


def parse_readouts(readouts) -> tuple[Readout, ...]:
    """``["X", "max(Y)"]`` or ``{"name": "spec"}`` -> Readouts (ValueError on bad specs)."""
    if readouts is None:
        return ()
    if isinstance(readouts, str):
        readouts = [readouts]
    items = readouts.items() if isinstance(readouts, Mapping) else ((r, r) for r in readouts)
    out = []
    for name, spec in items:
        m = _READOUT.match(str(spec))
        if not m:
            raise ValueError(f"read-out {spec!r} not understood: use 'X', 'max(X)', 'min(X)', 'mean(X)', "
                             f"'X@day=28' or 'X@time=10'")
        if m.group(1):
            out.append(Readout(str(name), str(spec), m.group(2), m.group(1)))
        elif m.group(4):
            out.append(Readout(str(name), str(spec), m.group(3), "at", m.group(4), float(m.group(5))))
        else:
            out.append(Readout(str(name), str(spec), m.group(3)))
    names = [r.name for r in out]
    if len(set(names)) != len(names):
        raise ValueError(f"read-out names repeat: {names}")
    if not out:
        raise ValueError("readouts is empty: name at least one read-out")
    return tuple(out)


def reduce_series(r: Readout, values: np.ndarray, coords: Mapping[str, np.ndarray]) -> float:
    """Apply read-out ``r`` to a 1-D series with its coordinates (name -> array)."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 0:
        return float(values)
    if r.how == "last":
        return float(values[-1])
    if r.how == "at":
        coord, at = str(r.coord), float(r.at if r.at is not None else math.nan)
        if coord not in coords:
            raise ValueError(f"read-out {r.spec!r}: no coordinate {coord!r} (have {sorted(coords)})")
        c = np.asarray(coords[coord], dtype=np.float64)
        i = int(np.argmin(np.abs(c - at)))
        if not math.isclose(float(c[i]), at, rel_tol=1e-9, abs_tol=1e-9):
            raise ValueError(f"read-out {r.spec!r}: {coord}={at:g} is not on the output grid "
                             f"({coord} {c[0]:g}..{c[-1]:g}, nearest {c[i]:g})")
        return float(values[i])
    if r.how == "max":
        return float(np.max(values))
    if r.how == "min":
        return float(np.min(values))
    return float(np.mean(values))


def reduce_result(r: Readout, result) -> float:
    """Apply read-out ``r`` to a mapping or ``xarray.Dataset`` returned by a target."""
    try:
        value = result[r.var]
    except KeyError:
        have = list(getattr(result, "data_vars", result))
        raise _checks.unknown_name("read-out variable", r.var, [str(h) for h in have]) from None
    if hasattr(value, "dims"):  # xarray.DataArray
        if value.ndim > 1:
            raise ValueError(f"read-out {r.spec!r}: {r.var} has dims {value.dims}; reduce it to one dim")
        coords = {str(k): np.asarray(v) for k, v in value.coords.items() if v.ndim == 1}
        return reduce_series(r, value.values, coords)
    return reduce_series(r, np.asarray(value, dtype=float), {})


# ---- protocol and course axes ------------------------------------------------------------
def course_from_axes(base_course: Course, point: Mapping) -> Course:
    """``base_course`` with the protocol and calendar axes of ``point`` applied."""
    p_changes = {k: v for k, v in point.items() if k in PROTOCOL_AXES}
    if "intensity_rmt" in p_changes:
        p_changes["intensity"] = p_changes.pop("intensity_rmt")
        p_changes["intensity_ref"] = "RMT"
    protocol = base_course.protocol.replace(**p_changes) if p_changes else base_course.protocol
    c_changes = {k: v for k, v in point.items() if k in COURSE_AXES}
    spd = int(c_changes.pop("sessions_per_day", base_course.sessions_per_day))
    kw: dict = {"protocol": protocol, "sessions_per_day": spd}
    if spd != base_course.sessions_per_day:
        gap = 1.0 if base_course.sessions_per_day == 1 else base_course.clock_h[1] - base_course.clock_h[0]
        kw["clock_h"] = tuple(base_course.clock_h[0] + gap * i for i in range(spd))
    for key in ("days", "days_per_week", "start_day"):
        if key in c_changes:
            kw[key] = _checks.whole_number(key, c_changes[key], low=0)
    if "sessions" in c_changes:
        sessions = _checks.whole_number("sessions", c_changes["sessions"], low=1)
        if sessions % spd:
            raise ValueError(f"sessions={sessions} is not a multiple of sessions_per_day={spd}")
        dpw = kw.get("days_per_week", base_course.days_per_week)
        stim_days, days = sessions // spd, 0
        while stim_days:
            stim_days -= (days % 7) < dpw
            days += 1
        kw["days"] = days
    return base_course.replace(**kw)


# ---- targets -----------------------------------------------------------------------------
class ModelTarget:
    """One model of ``models/`` (or ``MECHTMS_MODELS_DIR``), run as :func:`mechtms.simulate_model`.

    Axes: model parameters and species (set as initial values, in the fixed order of
    :func:`mechtms.ode.apply_changes`); with a ``course``, also the protocol and calendar
    axes (:data:`PROTOCOL_AXES`, :data:`COURSE_AXES`) and ``dose`` (every session's dose).
    Each point equals ``simulate_model(model, course, changes, t_end, points)`` to the
    solver's precision (bit for bit on tests/data/models/closed_forms.ant, 2e-12 relative on
    cx43_autophagy_mtor with a course: tested) but skips building a Dataset and reuses one
    compiled runner per process (:func:`scan_runner`). A point's numbers do not depend on
    which points ran before it on that runner (tested), so every engine gives the same bits.
    """

    kind = "model"

    def __init__(self, model: str, *, course=None, changes: Mapping | None = None,
                 t_end: float | None = None, points: int | None = None,
                 rtol: float | None = None, atol: float | None = None, max_steps: int = 100_000):
        from .. import ode
        from ..models import model_info, sbml, sbml_sha256

        self.model = model
        self.info = model_info(model)  # KeyError with close matches if unknown
        self.sbml_sha256 = sbml_sha256(sbml(model))
        self.course = course
        self.session_input = self.info.session_input or ""
        if course is not None and not self.session_input:
            raise ValueError(f"model {model!r} declares no session_input in its header, so a course cannot "
                             f"act on it; give t_end without a course")
        self.changes = {str(k): float(v) for k, v in (changes or {}).items()}
        if t_end is None:
            if course is None:
                raise ValueError(f"model target {model!r}: give t_end (in {self.info.time_unit}s) or a course")
            t_end = (course.end_day + 1) * 24.0 / self.info.hours_per_time_unit
        self.t_end = _checks.finite_number("t_end", t_end, low=0, low_open=True)
        if points is None:
            points = int(round(self.t_end * self.info.hours_per_time_unit)) + 1 \
                if course is not None and self.info.time_unit == "hour" else 1001
        self.points = _checks.whole_number("points", points, low=2, high=10_000_000)
        self.rtol = ode.DEFAULT_RTOL if rtol is None else float(rtol)
        self.atol = ode.DEFAULT_ATOL if atol is None else float(atol)
        self.max_steps = int(max_steps)
        self._runners: dict = {}

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k != "_runners"}

    def __setstate__(self, state):
        self.__dict__.update(state, _runners={})

    def definition(self) -> dict:
        return {"kind": "model", "model": self.model, "sbml_sha256": self.sbml_sha256,
                "course": _course_definition(self.course), "changes": self.changes,
                "t_end": self.t_end, "points": self.points, "rtol": self.rtol, "atol": self.atol,
                "max_steps": self.max_steps}

    def default_readouts(self) -> tuple[Readout, ...]:
        return parse_readouts(list(self.info.outputs))

    def point_axes(self) -> tuple[str, ...]:
        """Axes whose values can make a point invalid (checked up front, :mod:`mechtms.scans._spec`)."""
        return (*PROTOCOL_AXES, *COURSE_AXES, "dose") if self.course is not None else ()

    def check_point(self, point: Mapping, readouts) -> None:
        """ValueError if ``point`` (values of :meth:`point_axes`) describes an impossible run."""
        from ._spec import check_model_point

        check_model_point(self, point, readouts)

    def check(self, axes, readouts) -> dict[str, str]:
        from .. import ode
        from ..models import load_model, units_of

        self._runners = {}  # a new scan looks the model up again (the file may have changed)
        rr = load_model(self.model)
        known = set(ode.settable_names(rr))
        course_axes = set(PROTOCOL_AXES) | set(COURSE_AXES) | {"dose"}
        for axis in axes:
            if axis in course_axes and self.course is None:
                raise ValueError(f"axis {axis!r} needs a course: ModelTarget({self.model!r}, course=...)")
            if axis not in known and axis not in course_axes:
                raise _checks.unknown_name(f"axis (parameter or species of {self.model})", axis,
                                           known | (course_axes if self.course is not None else set()))
        variables = known | set(rr.model.getReactionIds())
        for r in readouts:
            if r.var not in variables:
                raise _checks.unknown_name(f"read-out variable of {self.model}", r.var, variables)
            if r.how == "at" and r.coord not in ("time", "day"):
                raise ValueError(f"read-out {r.spec!r}: a model's coordinates are 'time' and 'day'")
        units = units_of(self.model)
        return {r.name: units.get(r.var, "") for r in readouts}

    def _check_same_model(self) -> None:
        """A worker (another machine, another checkout) must run the model the scan was defined on."""
        from ..models import models_dir, sbml, sbml_sha256

        here = sbml_sha256(sbml(self.model))
        if here != self.sbml_sha256:
            raise RuntimeError(f"model {self.model!r} in {models_dir()} differs from the one this scan was "
                               f"defined with (SBML sha256 {here[:12]}... vs {self.sbml_sha256[:12]}...): "
                               f"give every worker the same models/ (or MECHTMS_MODELS_DIR)")

    def warm(self) -> None:
        """Compile the model (and its course variant) in this process."""
        from .. import ode

        extra = ""
        if self.course is not None:
            extra = ode.course_events(self.course.n_sessions, self.session_input, self.info.session_mode)
        scan_runner(self.model, extra)

    def evaluate(self, point: Mapping, seed: int, readouts) -> list[float]:
        from .. import ode

        point = dict(point)
        changes = dict(self.changes)
        extra = ""
        if self.course is not None:
            dose = point.pop("dose", None)
            course = course_from_axes(self.course, point)
            extra = ode.course_events(course.n_sessions, self.session_input, self.info.session_mode)
            changes = {**ode.course_changes(course, self.info, dose), **changes}
            for k in PROTOCOL_AXES + COURSE_AXES:
                point.pop(k, None)
        changes.update(point)
        key = (extra, readouts)
        cached = self._runners.get(key)
        if cached is None:
            # Once per scan and runner (check() empties the cache at the start of every scan):
            # compile or look up the runner, set tolerances and selections. Nothing else touches
            # the runner during a scan, and apply_changes_fast (the model's setter + resetAll)
            # keeps both (the equality with simulate_model is tested).
            self._check_same_model()
            rr = scan_runner(self.model, extra)
            integrator = rr.getIntegrator()
            integrator.setValue("relative_tolerance", self.rtol)
            integrator.setValue("absolute_tolerance", self.atol)
            integrator.setValue("maximum_num_steps", self.max_steps)
            variables = list(dict.fromkeys(r.var for r in readouts))
            rr.timeCourseSelections = ["time", *variables]
            cached = self._runners[key] = (rr, variables)
        rr, variables = cached
        apply_changes_fast(rr, changes, model=self.model)
        try:
            data = np.asarray(rr.simulate(0.0, self.t_end, self.points))
        except RuntimeError as exc:
            raise RuntimeError(f"{self.model}: integration failed: {exc}") from exc
        time = data[:, 0]
        coords = {"time": time}
        if any(r.coord == "day" for r in readouts):
            coords["day"] = time * self.info.hours_per_time_unit / 24.0
        column = {v: i + 1 for i, v in enumerate(variables)}
        return [reduce_series(r, data[:, column[r.var]], coords) for r in readouts]


def scan_runner(model: str, extra: str = ""):
    """The compiled runner of ``model`` (plus ``extra`` Antimony, e.g. course events) in this process."""
    from .. import models

    return models.load_model(model, extra_antimony=extra)


def apply_changes_fast(rr, changes: Mapping[str, float], *, model: str = "model") -> None:
    """:func:`mechtms.ode.apply_changes` (fast initial-value writes, fixed order)."""
    from .. import ode

    ode.apply_changes(rr, changes, model=model)


class FunctionTarget:
    """A module-level function called with the axis values as keyword arguments.

    It returns a mapping read-out variable -> number (or 1-D array / ``xarray`` object,
    reduced by the read-out spec). If it accepts ``seed``, it gets the point's seed.
    It must be importable by worker processes (defined in a module, not in a notebook
    or ``__main__`` of an interactive session). Optional attributes on the function:
    ``readouts`` (default read-outs) and ``units`` (mapping variable -> unit).
    """

    kind = "function"

    def __init__(self, func: Callable | str, **fixed):
        if isinstance(func, str):
            func = _import_function(func)
        if not callable(func):
            raise ValueError(f"target must be a model name, a Target or a function, got {func!r}")
        module, qualname = getattr(func, "__module__", None), getattr(func, "__qualname__", "")
        if module in (None, "__main__") or "<" in qualname:
            raise ValueError(f"target function {qualname or func!r} must be defined at the top level of an "
                             f"importable module (workers import it by name); {module}:{qualname} is not")
        self.func = func
        self.fixed = fixed
        params: Mapping[str, inspect.Parameter]
        try:
            params = inspect.signature(func).parameters
        except (TypeError, ValueError):
            params = {}
        self.takes_seed = "seed" in params or any(p.kind == p.VAR_KEYWORD for p in params.values())
        self.params = params

    @property
    def id(self) -> str:
        return f"{self.func.__module__}:{self.func.__qualname__}"

    def definition(self) -> dict:
        return {"kind": "function", "function": self.id, "fixed": _plain_data(self.fixed)}

    def default_readouts(self) -> tuple[Readout, ...]:
        declared = getattr(self.func, "readouts", None)
        if not declared:
            raise ValueError(f"give readouts= for function target {self.id} (the names in the mapping it "
                             f"returns), or set {self.func.__qualname__}.readouts")
        return parse_readouts(declared)

    def check(self, axes, readouts) -> dict[str, str]:
        accepts_any = any(p.kind == p.VAR_KEYWORD for p in self.params.values())
        for axis in axes:
            if self.params and not accepts_any and axis not in self.params:
                raise _checks.unknown_name(f"argument of {self.id}", axis,
                                           [p for p in self.params if p != "seed"], exc=ValueError)
        units = getattr(self.func, "units", {}) or {}
        return {r.name: units.get(r.var, "") for r in readouts}

    def call(self, point: Mapping, seed: int):
        kw = {**self.fixed, **point}
        if self.takes_seed:
            kw["seed"] = seed
        return self.func(**kw)

    def evaluate(self, point: Mapping, seed: int, readouts) -> list[float]:
        result = self.call(point, seed)
        return [reduce_result(r, result) for r in readouts]

    def warm(self) -> None:
        """Run the function's ``warm`` attribute, if it has one, with the fixed arguments (a local
        worker calls this once at start-up: compile models and kernels before the first chunk)."""
        warm = getattr(self.func, "warm", None)
        if warm is not None:
            warm(**self.fixed)

    def __getstate__(self):
        return {"id": self.id, "fixed": self.fixed}

    def __setstate__(self, state):
        self.__init__(_import_function(state["id"]), **state["fixed"])


class CourseTarget:
    """A course through the whole chain, :func:`mechtms.simulate` (protocol → network →
    plasticity → pathways → proxies), reduced to read-outs (default: ``BMS``, ``pmTOR``,
    ``dW_percent`` at the end of the course).

    Axes: protocol fields (:data:`PROTOCOL_AXES`), calendar fields (:data:`COURSE_AXES`),
    ``condition``, the training after each session (:data:`TRAINING_AXES`: fields of
    :class:`mechtms.consolidation.Training` replacing those of the ``training`` option, or of
    ``Training()``), and any keyword option of :func:`mechtms.simulate`.
    """

    kind = "course"
    DEFAULT_READOUTS = ("BMS", "pmTOR", "dW_percent")

    def __init__(self, course="sci_15hz_mouse", *, condition: str = "sci", **options):
        from ..protocols import Course, preset_course

        if isinstance(course, str):
            course = preset_course(course)
        elif not isinstance(course, Course):
            raise ValueError(f"course must be a mechtms Course or the name of a preset, got {course!r}")
        self.course = course
        self.condition = condition
        self.options = options

    def definition(self) -> dict:
        return {"kind": "course", "course": _course_definition(self.course), "condition": self.condition,
                "options": _plain_data(self.options)}

    def default_readouts(self) -> tuple[Readout, ...]:
        return parse_readouts(list(self.DEFAULT_READOUTS))

    def point_axes(self) -> tuple[str, ...]:
        """Axes whose values can make a point invalid (checked up front, :mod:`mechtms.scans._spec`)."""
        return (*PROTOCOL_AXES, *COURSE_AXES, *TRAINING_AXES, "condition")

    def check_point(self, point: Mapping, readouts) -> None:
        """ValueError if ``point`` describes an impossible course, condition, training or read-out."""
        from ._spec import check_course_point

        self.training_at(point)
        check_course_point(self, {k: v for k, v in point.items() if k not in TRAINING_AXES}, readouts)

    def simulate_options(self) -> set[str]:
        """Keyword options a point may pass to :func:`mechtms.simulate`: its own, and those of the
        condition's course engine when it has one (stroke: ``settings``, ``target``, ``readout_days``...)."""
        import inspect

        from .. import conditions
        from ..coupling import simulate

        options = set(inspect.signature(simulate).parameters) - {"target", "seed", "progress", "engine_options"}
        engine = conditions.get(self.condition).run_engine()
        if engine is not None:
            options |= {name for name, par in inspect.signature(engine).parameters.items()
                        if par.kind is par.KEYWORD_ONLY} - {"progress"}
        return options

    def training_at(self, point: Mapping):
        """The ``training`` option of :func:`mechtms.simulate` at ``point``: the target's own
        option, with the point's :data:`TRAINING_AXES` replacing its fields."""
        from ..consolidation import Training

        base = self.options.get("training", Training.DEFAULT)
        fields = {k[len("training_"):]: v for k, v in point.items() if k in TRAINING_AXES}
        if not fields:
            return base
        start = Training() if base is None or Training.is_default(base) else Training.check(base)
        return _checks.replace_fields(start, "training field", fields)

    def check(self, axes, readouts) -> dict[str, str]:
        options = self.simulate_options()
        allowed = set(PROTOCOL_AXES) | set(COURSE_AXES) | set(TRAINING_AXES) | options
        for axis in axes:
            if axis not in allowed:
                raise _checks.unknown_name("axis of a course scan", axis, allowed)
        for key in self.options:
            if key not in options:
                raise _checks.unknown_name("option of mechtms.simulate", key, options)
        return {r.name: "" for r in readouts}  # filled from the chain's Dataset as points finish

    def evaluate(self, point: Mapping, seed: int, readouts) -> list[float]:
        from ..coupling import simulate

        point = dict(point)
        condition = point.pop("condition", self.condition)
        course = course_from_axes(self.course, point)
        options = {**self.options, **{k: v for k, v in point.items()
                                      if k not in PROTOCOL_AXES + COURSE_AXES + TRAINING_AXES}}
        options["training"] = self.training_at(point)
        ds = simulate(course, condition=condition, seed=seed, **options)
        self.units = {str(k): v.attrs.get("units", "") for k, v in ds.data_vars.items()}
        return [reduce_result(r, ds) for r in readouts]


def make_target(target) -> ModelTarget | FunctionTarget | CourseTarget:
    """A model name, ``"module:function"``, a callable, a Course, or a target object."""
    from ..models import list_models
    from ..protocols import Course

    if isinstance(target, ModelTarget | FunctionTarget | CourseTarget):
        return target
    if isinstance(target, Course):
        return CourseTarget(target)
    if isinstance(target, str):
        if ":" in target:
            return FunctionTarget(target)
        if target in ("chain", "course"):
            return CourseTarget()
        models = list_models()
        if target not in models:
            raise _checks.unknown_name("scan target (model name, 'chain' or 'module:function')",
                                       target, [*models, "chain"])
        raise ValueError(f"model target {target!r} needs a time span: use "
                         f"mechtms.scans.ModelTarget({target!r}, t_end=...) or (..., course=...)")
    if callable(target):
        return FunctionTarget(target)
    raise ValueError(f"target must be a ModelTarget, a CourseTarget, a Course, 'module:function' or a "
                     f"function, got {type(target).__name__}")


def _import_function(spec: str) -> Callable:
    module, _, qualname = spec.partition(":")
    obj: Any
    try:
        obj = importlib.import_module(module)
    except ImportError as exc:
        raise ValueError(f"target function {spec!r}: cannot import module {module!r} ({exc})") from None
    for part in qualname.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise _checks.unknown_name(f"function of module {module}", part,
                                       [n for n in dir(obj) if not n.startswith("_")], exc=ValueError) from None
    if not callable(obj):
        raise ValueError(f"target {spec!r} is not a function")
    return obj


def _course_definition(course) -> dict | None:
    if course is None:
        return None
    data = dataclasses.asdict(course)
    data["protocol"].pop("description", None)
    return _plain_data(data)


def _plain_data(value):
    """Tuples -> lists, numpy scalars -> Python scalars (for JSON and comparison)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"type": type(value).__name__, **_plain_data(dataclasses.asdict(value))}
    if isinstance(value, Mapping):
        return {str(k): _plain_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_data(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value
