"""The one boundary to libroadrunner: changes -> simulate -> ``xarray.Dataset``.

Changes are applied in one fixed order, in :func:`apply_changes`
(``docs/roadrunner.md`` lists the traps it avoids):

1. the names changed by the previous run are restored to the model file's values;
2. every change, species or parameter, is written as an initial value ``init(name)``
   through the model's setter (fast; see :func:`apply_changes`);
3. ``resetAll()`` — time, state and events back to t = 0 from those initial values
   (with a 1e-9 flush step for models with events);
4. the time-course selections are set.

A treatment course becomes SBML events in the model: session ``k`` is an event at
``sess_t_k`` acting on the model's ``session_input`` with dose ``sess_dose_k``. Times and
doses are parameters, so one compiled variant serves every course with the same number
of sessions (and a scan over doses never recompiles).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import numpy as np

from . import __version__, _checks
from .models import ModelInfo, load_model, model_info, units_of

DEFAULT_RTOL = 1e-8
DEFAULT_ATOL = 1e-10


def settable_names(rr) -> dict[str, str]:
    """Names a change may target, mapped to their kind (species/parameter/compartment)."""
    m = rr.model
    names = {s: "species" for s in list(m.getFloatingSpeciesIds()) + list(m.getBoundarySpeciesIds())}
    names.update({p: "parameter" for p in m.getGlobalParameterIds()})
    names.update({c: "compartment" for c in m.getCompartmentIds()})
    return names


def state_names(rr) -> list[str]:
    """Variables that carry the model's state: floating species and rate-rule variables."""
    m = rr.model
    names = list(m.getFloatingSpeciesIds())
    rate_rules = set(rr.getRateRuleIds()) if hasattr(rr, "getRateRuleIds") else set()
    names += [p for p in m.getGlobalParameterIds() if p in rate_rules and p not in names]
    return names


def _pristine_values(rr) -> dict[str, float]:
    """Initial values of the runner as compiled, recorded on first use."""
    values = getattr(rr, "mechtms_pristine", None)
    if values is None:
        values = {}
        for name in settable_names(rr):
            try:
                values[name] = rr.getValue(f"init({name})")
            except RuntimeError:
                pass  # e.g. the target of an assignment rule: not settable
        rr.mechtms_pristine = values
        rr.mechtms_touched = set()
    return values


def apply_changes(rr, changes: Mapping[str, float] | None = None, *, model: str = "model",
                  as_values: bool | None = None) -> None:
    """Reset ``rr`` to the model file and apply ``changes``, always in the same order.

    1. Names written by the previous call are restored to the values recorded when the
       runner was built: ``init()`` values survive ``resetAll()`` in libroadrunner
       (``docs/roadrunner.md``), so no run sees another's changes.
    2. Every change, species or parameter, is written as an initial value through the
       model's own setter, ``rr.model.setValue("init(x)")``: ~10 µs, where
       ``RoadRunner.setValue("init(x)")`` regenerates the model (~65 ms each in
       libroadrunner 2.11, measured here). Written as initial values nothing reverts
       anything else, and initial assignments follow them at the reset.
    3. ``resetAll()`` puts time, state and events back to t = 0 from those values; for
       models with events a 1e-9 flush step first resynchronises stale trigger state.

    Keys may be written ``X`` or ``init(X)``; unknown names raise ``KeyError`` with close
    matches. ``as_values`` is accepted for backward compatibility and ignored.
    """
    pristine = _pristine_values(rr)
    wanted = validate_changes(changes, settable_names(rr), pristine, model)
    setter = rr.model.setValue
    for name in rr.mechtms_touched - set(wanted):
        setter(f"init({name})", pristine[name])
    for name, value in wanted.items():
        setter(f"init({name})", value)
    rr.mechtms_touched = set(wanted)
    rr.resetAll()
    if rr.model.getNumEvents():
        # libroadrunner 2.11 keeps event-trigger state across resetAll(): after a run that
        # started at t > 0, the next run can fire an event spuriously at its start
        # (reproduced in tests/test_ode.py). A 1e-9 step from t = 0 resynchronises the
        # trigger state; resetAll() then undoes the step.
        rr.simulate(0.0, 1e-9, 2)
        rr.resetAll()


def validate_changes(changes: Mapping[str, float] | None, known: Mapping[str, str],
                     pristine: Mapping[str, float], model: str = "model") -> dict[str, float]:
    """Check a changes mapping against a runner's names; returns ``{name: float}``.

    Keys may be ``X`` or ``init(X)``. Unknown names raise ``KeyError`` with close matches;
    names defined by rules and non-finite values raise ``ValueError``.
    """
    wanted: dict[str, float] = {}
    for key, value in dict(changes or {}).items():
        name = key[5:-1] if key.startswith("init(") and key.endswith(")") else key
        if name not in known:
            raise _checks.unknown_name(f"parameter or species of {model}", name, known)
        if name not in pristine:
            raise ValueError(f"cannot set {name!r} of {model}: it is defined by a rule, not a value")
        wanted[name] = _checks.finite_number(f"changes[{key!r}]", value)
    return wanted


def course_events(n_sessions: int, target: str, mode: str = "add") -> str:
    """Antimony statements for ``n_sessions`` sessions acting on ``target``.

    ``mode="add"``: at ``sess_t_k`` the target jumps by ``sess_dose_k`` (a pulse of
    signal that the model's own kinetics then clear). ``mode="set"``: the target is held
    at ``sess_dose_k`` from ``sess_t_k`` to ``sess_t_k + sess_len_k`` and then returns to
    0. Every event is declared ``t0=false`` so a session at t = 0 is not lost.
    """
    lines = []
    for k in range(n_sessions):
        lines.append(f"  sess_t_{k} = 0; sess_dose_{k} = 0; sess_len_{k} = 0;")
        if mode == "add":
            lines.append(f"  sess_{k}: at (time >= sess_t_{k}), t0=false: {target} = {target} + sess_dose_{k};")
        else:
            lines.append(f"  sess_on_{k}: at (time >= sess_t_{k}), t0=false: {target} = sess_dose_{k};")
            lines.append(f"  sess_off_{k}: at (time >= sess_t_{k} + sess_len_{k}), t0=false: {target} = 0;")
    return "\n".join(lines)


def course_changes(course, info: ModelInfo, session_doses=None) -> dict[str, float]:
    """Parameter values placing a course's sessions in model time, with their doses.

    ``session_doses``: scalar or one value per session (default 1 for each delivered
    session, 0 for a sham).
    """
    n = course.n_sessions
    per_unit = 1.0 / info.hours_per_time_unit
    starts = course.session_start_times_h() * per_unit
    length = course.protocol.duration_s / 3600.0 * per_unit
    if session_doses is None:
        doses = np.full(n, 0.0 if course.protocol.sham else 1.0)
    else:
        doses = np.broadcast_to(np.asarray(session_doses, dtype=float), (n,)) if np.ndim(session_doses) == 0 \
            else np.asarray(session_doses, dtype=float)
        if doses.shape != (n,):
            raise ValueError(f"session_doses has {doses.size} values but the course has {n} sessions")
        if not np.all(np.isfinite(doses)):
            raise ValueError(f"session_doses must be finite, got {doses.tolist()}")
    out = {}
    for k in range(n):
        out[f"sess_t_{k}"] = float(starts[k])
        out[f"sess_dose_{k}"] = float(doses[k])
        out[f"sess_len_{k}"] = float(length)
    return out


def simulate_model(model: str, course=None, changes: Mapping[str, float] | None = None,
                   t_end: float | None = None, points: int | None = None, *,
                   selections: Sequence[str] | None = None, session_doses=None,
                   t_start: float = 0.0, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL,
                   max_steps: int = 100_000, initial_state: Mapping[str, float] | None = None,
                   sessions: Sequence[int] | None = None, changes_as_values: bool | None = None):
    """Simulate a model of ``models/``, optionally under a treatment course.

    Parameters
    ----------
    model : str
        File stem in ``models/`` (see :func:`mechtms.list_models`).
    course : mechtms.protocols.Course, optional
        Sessions become events on the model's ``session_input`` (header), in model time.
    changes : mapping, optional
        Initial values and parameters, applied in the fixed order of :func:`apply_changes`.
    t_end : float, optional
        End time in model units. Default with a course: the end of its last day.
    points : int, optional
        Output points including both ends. Default: hourly for a course in an hour-based
        model, else 1001.
    selections : sequence of str, optional
        Variables to return (default: the model's declared outputs).
    session_doses : float or array of shape (n_sessions,), optional
        Dose of each session (default 1 per delivered session, 0 for a sham).
    rtol, atol : float
        CVODE tolerances.
    initial_state : mapping, optional
        State to start from (e.g. ``json.loads(ds.attrs["final_state"])`` of a previous
        run), applied after ``changes``. Together with ``t_start`` and ``sessions`` this
        continues a run piece by piece.
    sessions : sequence of int, optional
        Deliver only these sessions of the course (the others get dose 0 and are placed
        after ``t_end`` so they never fire).
    changes_as_values : bool, optional
        Accepted for backward compatibility and ignored: every change is a fast
        initial-value write (see :func:`apply_changes`).

    Returns
    -------
    xarray.Dataset
        Dims ``time`` (model units; a ``day`` coordinate is added for hour-based
        models); every variable carries ``attrs["units"]``; provenance in ``attrs``.
    """
    import roadrunner
    import xarray as xr

    info = model_info(model)
    extra = ""
    course_kw: dict[str, float] = {}
    if course is not None:
        if info.session_input is None:
            raise ValueError(f"model {model!r} declares no session_input in its header, so a course "
                             f"cannot act on it; models with one: "
                             f"{[m for m in _models_with_session_input()]}")
        extra = course_events(course.n_sessions, info.session_input, info.session_mode)
        course_kw = course_changes(course, info, session_doses)
        if sessions is not None:
            keep = {int(k) for k in sessions}
            unknown = sorted(keep - set(range(course.n_sessions)))
            if unknown:
                raise ValueError(f"sessions {unknown} not in the course (0..{course.n_sessions - 1})")
            for k in set(range(course.n_sessions)) - keep:
                _retire_session(course_kw, k)
        if t_start > 0:
            _retire_past_sessions(course_kw, course.n_sessions, float(t_start), model)
        if t_end is None:
            t_end = (course.end_day + 1) * 24.0 / info.hours_per_time_unit
    elif session_doses is not None or sessions is not None:
        raise ValueError("session_doses and sessions need a course")
    if t_end is None:
        raise ValueError(f"give t_end (in {info.time_unit}s) or a course")
    t_end = _checks.finite_number("t_end", t_end, low=t_start, low_open=True)
    if points is None:
        span_h = (t_end - t_start) * info.hours_per_time_unit
        points = int(round(span_h)) + 1 if course is not None and info.time_unit == "hour" else 1001
    points = _checks.whole_number("points", points, low=2, high=10_000_000)
    rtol = _checks.finite_number("rtol", rtol, low=0, low_open=True, high=1)
    atol = _checks.finite_number("atol", atol, low=0, low_open=True)

    rr = load_model(model, extra_antimony=extra)
    all_changes = {**course_kw, **dict(changes or {}), **dict(initial_state or {})}
    apply_changes(rr, all_changes, model=model)
    integrator = rr.getIntegrator()
    integrator.setValue("relative_tolerance", rtol)
    integrator.setValue("absolute_tolerance", atol)
    integrator.setValue("maximum_num_steps", int(max_steps))

    chosen = list(selections) if selections is not None else list(info.outputs)
    if not chosen:
        chosen = list(rr.model.getFloatingSpeciesIds())
    valid = set(settable_names(rr)) | set(rr.model.getReactionIds()) | {"time"}
    for name in chosen:
        if name not in valid:
            raise _checks.unknown_name(f"variable of {model}", name, valid - {"time"})
    rr.timeCourseSelections = ["time", *[c for c in chosen if c != "time"]]
    try:
        result = rr.simulate(float(t_start), float(t_end), int(points))
    except RuntimeError as exc:
        raise RuntimeError(f"{model}: integration failed: {exc}") from exc
    data = np.asarray(result)
    names = [c.strip("[]") for c in result.colnames]
    final_state = {name: float(rr.getValue(name)) for name in state_names(rr)}

    units = units_of(model)
    time = data[:, 0]
    coords = {"time": ("time", time, {"units": info.time_unit})}
    if info.time_unit == "hour":
        coords["day"] = ("time", time / 24.0, {"units": "day"})
    variables = {n: ("time", data[:, i], {"units": units.get(n, "")}) for i, n in enumerate(names) if n != "time"}
    attrs = {
        "mechtms_version": __version__,
        "model": model,
        "model_title": info.title,
        "model_reference": info.reference,
        "sbml_sha256": getattr(rr, "mechtms_sbml_sha256", ""),
        "roadrunner_version": roadrunner.__version__,
        "integrator": "cvode",
        "rtol": rtol,
        "atol": atol,
        "time_unit": info.time_unit,
        "changes": json.dumps(dict(changes or {}), sort_keys=True),
        "final_state": json.dumps(final_state),
    }
    if course is not None:
        attrs["course"] = json.dumps(course.summary(), sort_keys=True)
        attrs["session_times"] = json.dumps([course_kw[f"sess_t_{k}"] for k in range(course.n_sessions)])
        attrs["session_doses"] = json.dumps([course_kw[f"sess_dose_{k}"] for k in range(course.n_sessions)])
    return xr.Dataset(variables, coords=coords, attrs=attrs)


def _retire_session(course_kw: dict, k: int) -> None:
    course_kw[f"sess_dose_{k}"] = 0.0
    course_kw[f"sess_t_{k}"] = 1e300  # never reached: the event never fires


def _retire_past_sessions(course_kw: dict, n: int, t_start: float, model: str) -> None:
    """Sessions at or before a non-zero start are history (their effect is in the state).

    libroadrunner 2.11 trap (reproduced here): a run that starts at t > 0 with an event
    trigger already true does not fire that event, and leaves stale trigger state that
    makes the *next* run fire it spuriously at its start. So past sessions are moved out
    of reach, and a segment may not start exactly on a session.
    """
    for k in range(n):
        t_k = course_kw[f"sess_t_{k}"]
        if t_k == t_start and course_kw[f"sess_dose_{k}"] != 0.0:
            raise ValueError(f"{model}: t_start={t_start:g} falls exactly on session {k}; start the "
                             f"segment before the session (e.g. t_start={t_start - 1:g}) so its event fires")
        if t_k <= t_start:
            _retire_session(course_kw, k)


def _models_with_session_input() -> list[str]:
    from .models import list_models

    return [m for m in list_models() if model_info(m).session_input]
