"""The exported SBML in two simulators: libroadrunner and COPASI (copasi-basico).

Both integrate the same file (course and changes baked in by
:func:`mechtms.export.export_sbml`) with the same tolerances and output times; the
table says, per read-out, how far apart they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .. import _checks
from ..models import model_info
from ._sbml import export_sbml

RTOL = 1e-10
ATOL = 1e-12
TOL_REL = 1e-4    # agreement asked of the two simulators (issue 7)
TOL_ABS = 1e-6    # absolute floor below which differences do not count


def output_grid(name: str, course=None, t_end=None, points=None) -> tuple[float, int]:
    """``(t_end, points)`` as :func:`mechtms.ode.simulate_model` chooses them (model units)."""
    return _times(name, course, t_end, points)


def _times(name: str, course, t_end, points) -> tuple[float, int]:
    info = model_info(name)
    if t_end is None:
        if course is None:
            raise ValueError(f"give t_end (in {info.time_unit}s) or a course")
        t_end = (course.end_day + 1) * 24.0 / info.hours_per_time_unit
    t_end = _checks.finite_number("t_end", t_end, low=0, low_open=True)
    if points is None:
        span_h = t_end * info.hours_per_time_unit
        points = int(round(span_h)) + 1 if course is not None and info.time_unit == "hour" else 1001
    points = _checks.whole_number("points", points, low=2, high=10_000_000)
    return t_end, points


def _selections(name: str, selections) -> list[str]:
    info = model_info(name)
    chosen = list(selections) if selections is not None else list(info.outputs)
    return [c for c in chosen if c != "time"]


def run_roadrunner(sbml: str, t_end: float, points: int, selections: Sequence[str], *,
                   rtol: float = RTOL, atol: float = ATOL, max_steps: int = 1_000_000) -> np.ndarray:
    """Simulate SBML text in a fresh RoadRunner; array (points, 1 + len(selections))."""
    import roadrunner

    rr = roadrunner.RoadRunner(sbml)
    integ = rr.getIntegrator()
    integ.setValue("relative_tolerance", rtol)
    integ.setValue("absolute_tolerance", atol)
    integ.setValue("maximum_num_steps", int(max_steps))
    rr.timeCourseSelections = ["time", *selections]
    return np.asarray(rr.simulate(0.0, float(t_end), int(points)))


def run_copasi(sbml: str, t_end: float, points: int, selections: Sequence[str], *,
               rtol: float = RTOL, atol: float = ATOL, max_steps: int = 1_000_000) -> np.ndarray:
    """Simulate SBML text in COPASI (LSODA via basico); array like :func:`run_roadrunner`.

    Output columns are matched by SBML id (COPASI names species by their SBML name and
    global quantities ``Values[name]``).
    """
    try:
        import basico
    except ImportError as exc:  # pragma: no cover - dev dependency
        raise ImportError("COPASI cross-checks need copasi-basico: pip install copasi-basico") from exc
    dm = basico.load_model_from_string(sbml)
    if dm is None:
        raise ValueError("COPASI could not load the SBML")
    try:
        display: dict[str, str] = {}
        for getter in (basico.get_species, basico.get_parameters, basico.get_compartments):
            table = getter(model=dm)
            if table is not None:
                for _, row in table.iterrows():
                    display[row["sbml_id"]] = row["display_name"]
        df = basico.run_time_course(0.0, float(t_end), int(points) - 1, model=dm, r_tol=rtol, a_tol=atol,
                                    max_steps=int(max_steps), method="deterministic",
                                    use_numbers=False, automatic=False, use_initial_values=True)
        missing = [s for s in selections if display.get(s) not in df.columns]
        if missing:
            raise KeyError(f"COPASI output lacks {missing}; columns: {list(df.columns)}")
        out = np.column_stack([df.index.to_numpy(dtype=float)] +
                              [df[display[s]].to_numpy(dtype=float) for s in selections])
    finally:
        basico.remove_datamodel(dm)
    return out


def compare(a: np.ndarray, b: np.ndarray, names: Sequence[str], *, tol_rel: float = TOL_REL,
            tol_abs: float = TOL_ABS):
    """Per-column agreement table of two runs with the same time column first.

    Columns: ``max_abs_diff``; ``max_rel_diff`` = max |a-b|/max(|a|,|b|) over points where
    max(|a|,|b|) > ``tol_abs``; ``max_value``; ``ok`` = every point satisfies
    |a-b| <= tol_rel·max(|a|,|b|) + tol_abs.
    """
    import pandas as pd

    if a.shape != b.shape:
        raise ValueError(f"runs differ in shape: {a.shape} vs {b.shape}")
    if not np.allclose(a[:, 0], b[:, 0], rtol=1e-12, atol=1e-12):
        raise ValueError("runs have different output times")
    rows = []
    for i, n in enumerate(names, start=1):
        x, y = a[:, i], b[:, i]
        diff = np.abs(x - y)
        scale = np.maximum(np.abs(x), np.abs(y))
        big = scale > tol_abs
        rel = float(np.max(diff[big] / scale[big])) if big.any() else 0.0
        rows.append({"readout": n, "max_abs_diff": float(diff.max()), "max_rel_diff": rel,
                     "max_value": float(scale.max()),
                     "ok": bool(np.all(diff <= tol_rel * scale + tol_abs))})
    return pd.DataFrame(rows).set_index("readout")


def crosscheck(name: str, course=None, changes: Mapping[str, float] | None = None,
               t_end: float | None = None, points: int | None = None, *,
               session_doses=None, selections: Sequence[str] | None = None,
               rtol: float = RTOL, atol: float = ATOL, tol_rel: float = TOL_REL,
               tol_abs: float = TOL_ABS):
    """Simulate the exported model in libroadrunner and COPASI; largest difference per read-out.

    With only ``name``, the model's representative experiment is run
    (:func:`mechtms.export.default_experiment`: the 15 Hz SCI course for hour-based
    models, one iTBS session for the plasticity model).

    Parameters
    ----------
    name : str
        Model in ``models/``.
    course, session_doses, changes
        Baked into the exported SBML (:func:`mechtms.export.export_sbml`), so both
        simulators read the very same file.
    t_end, points
        Output grid in model time units, as :func:`mechtms.ode.simulate_model` chooses it
        (a course: to the end of its last day, hourly for hour-based models).
    selections : sequence of str, optional
        Read-outs (default: the header's ``outputs``).
    rtol, atol : float
        Integrator tolerances for both simulators (CVODE and LSODA); default 1e-10/1e-12.
    tol_rel, tol_abs : float
        What ``ok`` asks: |a-b| <= tol_rel·max(|a|,|b|) + tol_abs at every output time.

    Returns
    -------
    pandas.DataFrame
        Indexed by read-out: ``max_abs_diff``, ``max_rel_diff``, ``max_value``, ``ok``;
        ``attrs`` hold the settings and both simulators' versions.
    """
    import basico
    import roadrunner

    if course is None and t_end is None and changes is None and session_doses is None:
        from ._experiments import default_experiment

        exp = default_experiment(name)
        course, changes, t_end, points = exp.course, exp.changes, exp.t_end, points or exp.points
    t_end, points = _times(name, course, t_end, points)
    chosen = _selections(name, selections)
    sbml = export_sbml(name, course=course, session_doses=session_doses, changes=changes)
    a = run_roadrunner(sbml, t_end, points, chosen, rtol=rtol, atol=atol)
    b = run_copasi(sbml, t_end, points, chosen, rtol=rtol, atol=atol)
    table = compare(a, b, chosen, tol_rel=tol_rel, tol_abs=tol_abs)
    table.attrs.update({
        "model": name, "t_end": t_end, "points": points, "rtol": rtol, "atol": atol,
        "tol_rel": tol_rel, "tol_abs": tol_abs, "course": course.summary() if course is not None else None,
        "changes": dict(changes or {}), "roadrunner_version": roadrunner.__version__,
        "basico_version": basico.__version__,
    })
    return table
