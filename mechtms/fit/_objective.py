"""The negative log-likelihood of a PEtab problem, simulated through :mod:`mechtms.ode`.

pyPESTO's own libroadrunner importer refuses measurement-specific noise parameters
("timepoint-specific overrides", which every western blot with its own s.e.m. needs), and
AMICI needs a compiled toolchain; so the objective is written here on the project's one
libroadrunner boundary (:func:`mechtms.ode.apply_changes`), for the PEtab subset that
:func:`mechtms.fit.to_petab` writes and most hand-written problems use:

- conditions: numeric parameter or species values (or the id of an estimated parameter);
- observables: any formula in model variables, parameters and ``observableParameter``/
  ``noiseParameter`` placeholders; transformation ``lin``; noise ``normal`` or ``laplace``;
- measurements: per-row numeric or parameter-id overrides; no pre-equilibration;
- parameters: ``lin``/``log``/``log10`` scales, bounds, ``parameterScaleNormal`` priors.

Anything else raises ``ValueError`` naming the column and value.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

_LOG2PI = math.log(2 * math.pi)
_FAIL = 1e12  # objective value of a failed integration (keeps L-BFGS-B going)


def _unscale(v: float, scale: str) -> float:
    return 10 ** v if scale == "log10" else math.exp(v) if scale == "log" else v


def _scale(v: float, scale: str) -> float:
    return math.log10(v) if scale == "log10" else math.log(v) if scale == "log" else v


def _overrides(entry) -> list:
    """'0.55;p1' -> [0.55, 'p1'] (numbers as floats, ids as str)."""
    if entry is None or (isinstance(entry, float) and math.isnan(entry)) or str(entry).strip() == "":
        return []
    out: list = []
    for part in str(entry).split(";"):
        part = part.strip()
        try:
            out.append(float(part))
        except ValueError:
            out.append(part)
    return out


class PetabObjective:
    """Callable ``f(x)`` -> negative log-posterior, ``x`` the estimated parameters on their scales.

    Attributes
    ----------
    x_ids, x_scales : list of str
    lb, ub, x_nominal : numpy.ndarray, shape (n_estimated,)
        Bounds and nominal values on the parameter scale.
    model : str
        ``mechtms_model`` of the YAML (a model of ``models/``), else ``"<sbml>"``.
    """

    def __init__(self, yaml_path, *, rtol: float | None = None, atol: float | None = None):
        import petab.v1 as petab
        import sympy as sp

        self.yaml_path = Path(yaml_path)
        self.problem = problem = petab.Problem.from_yaml(str(yaml_path))
        import yaml as _yaml

        meta = _yaml.safe_load(self.yaml_path.read_text())
        self.model = meta.get("mechtms_model", "<sbml>")
        pdf = problem.parameter_df
        est = pdf[pdf["estimate"] == 1]
        self.x_ids = list(est.index)
        self.x_scales = list(est["parameterScale"])
        self.lb = np.array([_scale(v, s) for v, s in zip(est["lowerBound"], self.x_scales, strict=True)])
        self.ub = np.array([_scale(v, s) for v, s in zip(est["upperBound"], self.x_scales, strict=True)])
        self.x_nominal = np.array([_scale(v, s) for v, s in zip(est["nominalValue"], self.x_scales, strict=True)])
        self.fixed = {p: float(pdf.loc[p, "nominalValue"]) for p in pdf.index if pdf.loc[p, "estimate"] != 1}
        self.priors = []
        if "objectivePriorType" in pdf.columns:
            for i, pid in enumerate(self.x_ids):
                kind = pdf.loc[pid, "objectivePriorType"]
                if isinstance(kind, str) and kind:
                    if kind != "parameterScaleNormal":
                        raise ValueError(f"objectivePriorType {kind!r} of {pid} not supported: use parameterScaleNormal")
                    mean, sd = (float(v) for v in str(pdf.loc[pid, "objectivePriorParameters"]).split(";"))
                    self.priors.append((i, mean, sd))
        from ..ode import DEFAULT_ATOL, DEFAULT_RTOL

        self.rtol = DEFAULT_RTOL if rtol is None else float(rtol)
        self.atol = DEFAULT_ATOL if atol is None else float(atol)
        self.rr = self._runner(meta)
        from ..ode import settable_names

        self.settable = set(settable_names(self.rr))
        # observables: compile formulas over their free symbols
        self.obs = {}
        for oid, row in problem.observable_df.iterrows():
            trans = row.get("observableTransformation", "lin")
            if isinstance(trans, str) and trans not in ("", "lin"):
                raise ValueError(f"observable {oid}: observableTransformation {trans!r} not supported (use lin)")
            noise = row.get("noiseDistribution", "normal") or "normal"
            if noise not in ("normal", "laplace"):
                raise ValueError(f"observable {oid}: noiseDistribution {noise!r} not supported (normal, laplace)")
            f_expr = sp.sympify(str(row["observableFormula"]))
            n_expr = sp.sympify(str(row["noiseFormula"]))
            f_syms = sorted(str(s) for s in f_expr.free_symbols)
            n_syms = sorted(str(s) for s in n_expr.free_symbols)
            self.obs[oid] = (sp.lambdify(f_syms, f_expr, "math"), f_syms, sp.lambdify(n_syms, n_expr, "math"),
                             n_syms, noise)
        model_syms = {s for f in self.obs.values() for s in f[1] + f[3]
                      if not s.startswith(("observableParameter", "noiseParameter"))}
        self.selections = sorted(s for s in model_syms if s in self.settable or s in self._all_ids())
        mdf = problem.measurement_df
        if "preequilibrationConditionId" in mdf.columns and mdf["preequilibrationConditionId"].fillna("").astype(str).str.len().any():
            raise ValueError("preequilibrationConditionId is not supported by mechtms.fit's objective")
        self.conditions = {}
        cdf = problem.condition_df
        for cid in mdf["simulationConditionId"].unique():
            changes: dict[str, float | str] = {}
            for col in cdf.columns:
                if col == "conditionName":
                    continue
                raw = cdf.loc[cid, col]
                if isinstance(raw, str) and raw.strip() in (*self.x_ids, *self.fixed):
                    changes[col] = raw.strip()  # a parameter id, resolved at each evaluation
                    continue
                value = float(raw)
                if not math.isnan(value):
                    changes[col] = value
            sub = mdf[mdf["simulationConditionId"] == cid]
            grid = np.unique(np.concatenate([[0.0], sub["time"].to_numpy(dtype=float)]))
            records = []  # (position in the measurement table, grid index, observable id, placeholders)
            for pos, (_, row) in zip(np.flatnonzero(mdf["simulationConditionId"].to_numpy() == cid), sub.iterrows(),
                                     strict=True):
                oid = row["observableId"]
                placeholders = {}
                for prefix, col in (("observableParameter", "observableParameters"),
                                    ("noiseParameter", "noiseParameters")):
                    for k, v in enumerate(_overrides(row.get(col)), start=1):
                        placeholders[f"{prefix}{k}_{oid}"] = v
                records.append((int(pos), int(np.searchsorted(grid, float(row["time"]))), oid, placeholders))
            self.conditions[cid] = (changes, grid, records)
        self.measurement_df = mdf.reset_index(drop=True)
        self.y = self.measurement_df["measurement"].to_numpy(dtype=float)
        self.laplace = np.array([self.obs[o][4] == "laplace" for o in self.measurement_df["observableId"]])

    def _all_ids(self) -> set[str]:
        m = self.rr.model
        return set(m.getFloatingSpeciesIds()) | set(m.getGlobalParameterIds()) | set(m.getBoundarySpeciesIds())

    def _runner(self, meta):
        import roadrunner

        from .. import models

        sbml_text = (self.yaml_path.parent / self.problem_sbml_file()).read_text()
        name = meta.get("mechtms_model")
        if name and name in models.list_models() and models.sbml(name) == sbml_text:
            return models.load_model(name)
        return roadrunner.RoadRunner(sbml_text)

    def problem_sbml_file(self) -> str:
        import yaml as _yaml

        data = _yaml.safe_load(self.yaml_path.read_text())
        return data["problems"][0]["sbml_files"][0]

    # ---- evaluation --------------------------------------------------------------------
    def parameters(self, x) -> dict[str, float]:
        """Estimated and fixed parameters on the linear scale."""
        out = dict(self.fixed)
        out.update({pid: _unscale(float(v), s) for pid, v, s in zip(self.x_ids, x, self.x_scales, strict=True)})
        return out

    def evaluate(self, x) -> tuple[np.ndarray, np.ndarray]:
        """Simulated observable and sigma of every measurement (table order); NaN where the
        integration failed."""
        from ..ode import apply_changes

        pars = self.parameters(x)
        model_pars = {k: v for k, v in pars.items() if k in self.settable}
        h = np.full(self.y.size, np.nan)
        sigma = np.full(self.y.size, np.nan)
        for changes, grid, records in self.conditions.values():
            resolved = {k: (pars[v] if isinstance(v, str) else v) for k, v in changes.items()}
            apply_changes(self.rr, {**model_pars, **resolved}, model=self.model)
            integrator = self.rr.getIntegrator()  # the runner may be shared: set every time
            integrator.setValue("relative_tolerance", self.rtol)
            integrator.setValue("absolute_tolerance", self.atol)
            self.rr.timeCourseSelections = ["time", *self.selections]
            try:
                if grid.size > 1:
                    data = np.asarray(self.rr.simulate(times=grid))[:, 1:]
                else:
                    data = np.array([[self.rr.getValue(v) for v in self.selections]])
            except RuntimeError:
                continue
            scope = {**pars, **resolved}
            for pos, ti, oid, placeholders in records:
                f, f_syms, g, g_syms, _ = self.obs[oid]
                scope.update(zip(self.selections, data[ti], strict=True))
                scope.update({k: (pars[v] if isinstance(v, str) else v) for k, v in placeholders.items()})
                h[pos] = f(*[scope[n] for n in f_syms])
                sigma[pos] = g(*[scope[n] for n in g_syms])
        return h, sigma

    def simulate(self, x):
        """The measurement table with the ``simulation`` and ``sigma`` of parameters ``x``."""
        h, sigma = self.evaluate(np.asarray(x, dtype=float))
        return self.measurement_df.assign(simulation=h, sigma=sigma)

    def __call__(self, x) -> float:
        x = np.asarray(x, dtype=float)
        h, s = self.evaluate(x)
        if not np.all(np.isfinite(h)) or not np.all(s > 0):
            return _FAIL
        r = np.abs(self.y - h) / s
        nll = np.where(self.laplace, np.log(2 * s) + r, 0.5 * _LOG2PI + np.log(s) + 0.5 * r ** 2).sum()
        for i, mean, sd in self.priors:
            nll += 0.5 * ((x[i] - mean) / sd) ** 2 + math.log(sd) + 0.5 * _LOG2PI
        return float(nll)
