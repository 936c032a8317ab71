"""Calibrate a PEtab problem with pyPESTO: multi-start local optimisation and profile likelihoods.

Identifiability is read from the profiles (Raue et al. 2009, Bioinformatics 25:1923): the
95 % confidence interval of a parameter is where its profile likelihood ratio stays above
exp(-chi2_1(0.95)/2) = 0.147. A profile that stays above that threshold up to a bound is
open on that side: the data do not bound the parameter there (practically
non-identifiable); open on both sides, the data say nothing about it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _checks
from ._objective import PetabObjective, _unscale

#: Likelihood-ratio threshold of a 95 % profile confidence interval (chi2, 1 d.o.f.).
RATIO_95 = math.exp(-3.841458820694124 / 2)


@dataclass
class CalibrationResult:
    """Outcome of :func:`calibrate`.

    Attributes
    ----------
    problem : str
        Path of the PEtab YAML.
    x_ids, x_scales : list of str
    best : dict
        Best parameter values (linear scale).
    fval : float
        Best negative log-posterior.
    starts : pandas.DataFrame
        One row per start, sorted by ``fval``: ``start``, ``fval``, ``converged`` and the
        parameters (linear scale).
    profiles : dict name -> pandas.DataFrame
        ``value`` (linear scale) and ``ratio`` (likelihood ratio to the optimum).
    identifiability : pandas.DataFrame
        Per parameter: ``best``, ``ci_low``, ``ci_high`` (95 % profile CI; NaN when open)
        and ``verdict`` (``identifiable``, ``open below``, ``open above``, ``not identifiable``,
        ``not profiled``).
    fit : pandas.DataFrame
        Measurements with the best fit's ``simulation`` and ``sigma``.
    """

    problem: str
    x_ids: list
    x_scales: list
    best: dict
    fval: float
    starts: Any
    profiles: dict = field(default_factory=dict)
    identifiability: Any = None
    fit: Any = None
    pypesto_result: object = None

    def summary(self) -> str:
        """A plain-text table of the identifiability verdicts."""
        lines = [f"{'parameter':<28}{'best':>12}{'ci_low':>12}{'ci_high':>12}  verdict"]
        for pid, r in self.identifiability.iterrows():
            lines.append(f"{pid:<28}{r['best']:>12.4g}{r['ci_low']:>12.4g}{r['ci_high']:>12.4g}  {r['verdict']}")
        return "\n".join(lines)


def load_problem(yaml_path, *, rtol: float | None = None, atol: float | None = None) -> PetabObjective:
    """The objective of a PEtab problem (negative log-posterior on the parameter scales); CVODE
    tolerances default to :mod:`mechtms.ode`'s."""
    return PetabObjective(yaml_path, rtol=rtol, atol=atol)


def _pypesto_problem(obj: PetabObjective):
    import pypesto
    from pypesto.objective import FD

    objective = FD(pypesto.Objective(fun=obj), grad=True, delta_fun=1e-6, method="central",
                   x_names=list(obj.x_ids))
    return pypesto.Problem(objective, lb=obj.lb, ub=obj.ub, x_names=list(obj.x_ids), x_scales=list(obj.x_scales),
                           copy_objective=False)


def calibrate(problem, n_starts: int = 20, seed: int = 0, *, profile: bool = True, profile_parameters=None,
              max_iter: int = 500, progress: bool = False) -> CalibrationResult:
    """Fit a PEtab problem: ``n_starts`` L-BFGS-B runs from uniform random starts, then profiles.

    Parameters
    ----------
    problem : path, PetabObjective or PopulationObjective
        A PEtab YAML (e.g. from :func:`mechtms.fit.to_petab`), its objective, or the
        network-driven population's objective (:class:`mechtms.fit.PopulationObjective`).
    n_starts : int
        Local optimisations, started uniformly within the bounds on the parameter scale.
    seed : int
        Seeds the start points (same seed, same starts, same result).
    profile : bool
        Compute profile likelihoods (pyPESTO, from the best start) and identifiability verdicts.
    profile_parameters : list of str, optional
        Parameters to profile (default all estimated ones).
    max_iter : int
        Iterations per local optimisation.

    Returns
    -------
    CalibrationResult
    """
    import pandas as pd
    import pypesto.optimize as optimize

    obj = problem if isinstance(problem, PetabObjective) or hasattr(problem, "x_ids") else PetabObjective(problem)
    n_starts = _checks.whole_number("n_starts", n_starts, low=1, high=10_000)
    seed = _checks.whole_number("seed", seed, low=0, high=2**32 - 1)
    rng = np.random.default_rng(seed)
    starts = rng.uniform(obj.lb, obj.ub, size=(n_starts, len(obj.x_ids)))
    pp = _pypesto_problem(obj)
    pp.set_x_guesses(starts)
    pp.startpoint_method = _guesses_only
    optimizer = optimize.ScipyOptimizer(method="L-BFGS-B", options={"maxiter": int(max_iter)})
    result = optimize.minimize(pp, optimizer=optimizer, n_starts=n_starts, progress_bar=progress)
    rows = []
    for r in result.optimize_result.list:
        x = np.asarray(r.x, dtype=float)
        rows.append({"start": int(r.id), "fval": float(r.fval), "converged": bool(r.exitflag is not None and r.exitflag >= 0),
                     **{pid: _unscale(v, s) for pid, v, s in zip(obj.x_ids, x, obj.x_scales, strict=True)}})
    table = pd.DataFrame(rows).sort_values(["fval", "start"]).reset_index(drop=True)
    best_x = np.asarray(result.optimize_result.list[0].x, dtype=float)
    out = CalibrationResult(problem=str(obj.yaml_path), x_ids=list(obj.x_ids), x_scales=list(obj.x_scales),
                            best=obj.parameters(best_x) | {}, fval=float(result.optimize_result.list[0].fval),
                            starts=table, pypesto_result=result)
    out.best = {pid: out.best[pid] for pid in obj.x_ids}
    out.fit = obj.simulate(best_x)
    names = list(obj.x_ids) if profile_parameters is None else list(profile_parameters)
    for n in names:
        if n not in obj.x_ids:
            raise _checks.unknown_name("parameter to profile", n, obj.x_ids, exc=ValueError)
    if profile and names:
        out.profiles = _profiles(pp, result, optimizer, obj, names, progress)
    out.identifiability = _verdicts(obj, out, names if profile else [])
    return out


def _guesses_only(n_starts, lb, ub, objective=None, x_guesses=None, **kw):
    """Start points are the problem's guesses (set from the seed); never drawn again."""
    return np.asarray(x_guesses)[:n_starts] if x_guesses is not None and len(x_guesses) else \
        np.random.default_rng(0).uniform(lb, ub, size=(n_starts, len(lb)))


def _profiles(pp, result, optimizer, obj, names, progress) -> dict:
    import pandas as pd
    import pypesto.optimize as optimize
    import pypesto.profile as profile

    # steps on the parameter scale (log10 for most): 0.02-0.25 decades; a profile stops once the
    # likelihood ratio falls below 0.05 (well past the 95 % threshold 0.147) or at a bound
    options = profile.ProfileOptions(min_step_size_absolute=0.02, max_step_size_absolute=0.25,
                                     default_step_size_absolute=0.05, ratio_min=0.05, delta_ratio_max=0.1)
    idx = [obj.x_ids.index(n) for n in names]
    inner = optimize.ScipyOptimizer(method="L-BFGS-B", options={"maxiter": 200})  # warm-started steps
    result = profile.parameter_profile(pp, result, inner, profile_index=idx, profile_options=options,
                                       progress_bar=progress)
    out = {}
    for i, n in zip(idx, names, strict=True):
        prof = result.profile_result.list[0][i]
        xs = np.asarray(prof.x_path)[i]
        ratio = np.asarray(prof.ratio_path)
        order = np.argsort(xs)
        out[n] = pd.DataFrame({"value": [_unscale(v, obj.x_scales[i]) for v in xs[order]],
                               "value_scaled": xs[order], "ratio": ratio[order]})
    return out


def _verdicts(obj, res, names):
    import pandas as pd

    rows = []
    for i, pid in enumerate(obj.x_ids):
        row = {"parameter": pid, "best": res.best[pid], "ci_low": math.nan, "ci_high": math.nan,
               "verdict": "not profiled"}
        prof = res.profiles.get(pid)
        if prof is not None and len(prof):
            above = prof["ratio"].to_numpy() >= RATIO_95
            xs = prof["value_scaled"].to_numpy()
            tol = 1e-6 * max(1.0, obj.ub[i] - obj.lb[i])
            open_low = bool(above[0]) and xs[0] <= obj.lb[i] + max(tol, 0.01 * (obj.ub[i] - obj.lb[i]))
            open_high = bool(above[-1]) and xs[-1] >= obj.ub[i] - max(tol, 0.01 * (obj.ub[i] - obj.lb[i]))
            if above.any():
                inside = prof["value"].to_numpy()[above]
                row["ci_low"] = math.nan if open_low else float(inside.min())
                row["ci_high"] = math.nan if open_high else float(inside.max())
            row["verdict"] = ("not identifiable" if open_low and open_high else "open below" if open_low
                              else "open above" if open_high else "identifiable")
        rows.append(row)
    return pd.DataFrame(rows).set_index("parameter")
