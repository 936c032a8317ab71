"""The objective of the network-driven synapse population against MEP anchors (no PEtab).

The human after-effect is the change of the mean weight of a *population* of synapses
driven by the spiking network (:mod:`mechtms.plasticity`), not of the model file's
representative synapse that a PEtab problem of ``calcium_plasticity`` describes (see
``docs/fitting.md``). This objective computes every anchor row through
:func:`mechtms.plasticity.anchors.run_row` with the candidate synapse-model parameters
(``changes=``); the network activity of each row is run once and cached (memory, and disk
under ``MECHTMS_CACHE_DIR``), so an evaluation integrates the synapses only.

It has the interface of :class:`~mechtms.fit._objective.PetabObjective` that
:func:`mechtms.fit.calibrate` uses (``x_ids``, ``x_scales``, ``lb``, ``ub``,
``x_nominal``, ``parameters``, ``simulate``, call), so multi-start and profiles work the
same way. Noise: normal, sigma = the row's s.e.m. or s.d. (CI half-width / 1.96); rows
without a spread get ``default_sigma`` (percentage points, stated by the caller).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from .. import _checks
from ._objective import _FAIL, _LOG2PI, _scale, _unscale
from ._petab import normalise_parameters


class PopulationObjective:
    """Negative log-likelihood of MEP anchor rows under the network-driven population.

    Parameters
    ----------
    rows : pandas.DataFrame
        Anchor rows (schema of ``data/README.md``) with read-out ``dW_percent`` or
        ``MEP_change_percent``; direction-only rows (criterion ``sign``) are refused.
    parameters : mapping
        Synapse-model parameters to estimate, as for :func:`mechtms.fit.to_petab`.
    drive : mechtms.plasticity.NetworkDrive, optional
        Network options of every session (default: the layer's default).
    seed : int
        Network instance and synapse sample.
    default_sigma : float, optional
        Sigma (percentage points) of rows without a spread; required if there are any.
    """

    def __init__(self, rows, parameters: Mapping, *, drive=None, seed: int = 0, default_sigma: float | None = None):
        from ..plasticity.model import model_values

        bad = [a for a, r in rows.iterrows() if r["readout"] not in ("dW_percent", "MEP_change_percent")]
        if bad:
            raise ValueError(f"rows {bad} are not MEP after-effects (read-out dW_percent or MEP_change_percent)")
        signs = [a for a, r in rows.iterrows() if r["criterion"] == "sign"]
        if signs:
            raise ValueError(f"rows {signs} are direction-only (criterion 'sign'): no magnitude to fit")
        known = {k: v for k, v in model_values().items()}
        pars = normalise_parameters(parameters, known, "calcium_plasticity")
        self.rows = rows
        self.drive = drive
        self.seed = _checks.whole_number("seed", seed, low=0)
        self.x_ids = [k for k, p in pars.items() if p["estimate"]]
        self.x_scales = [pars[k]["scale"] for k in self.x_ids]
        self.lb = np.array([_scale(pars[k]["lower"], pars[k]["scale"]) for k in self.x_ids])
        self.ub = np.array([_scale(pars[k]["upper"], pars[k]["scale"]) for k in self.x_ids])
        self.x_nominal = np.array([_scale(pars[k]["nominal"], pars[k]["scale"]) for k in self.x_ids])
        self.fixed = {k: p["nominal"] for k, p in pars.items() if not p["estimate"]}
        self.priors = [(i, _scale(pars[k]["nominal"], pars[k]["scale"]), pars[k]["prior_sd"])
                       for i, k in enumerate(self.x_ids) if pars[k]["prior_sd"] is not None]
        sig = []
        for anchor, r in rows.iterrows():
            s = {"sem": r["spread"], "sd": r["spread"], "ci95_halfwidth": r["spread"] / 1.96}.get(r["spread_kind"],
                                                                                                   math.nan)
            if not (isinstance(s, float) and math.isfinite(s) and s > 0):
                if default_sigma is None:
                    raise ValueError(f"row {anchor!r} has no spread: give default_sigma (percentage points)")
                s = _checks.finite_number("default_sigma", default_sigma, low=0, low_open=True)
            sig.append(float(s))
        self.sigma = np.array(sig)
        self.y = rows["value"].to_numpy(dtype=float)
        self.yaml_path = "<population: mechtms.plasticity.anchors>"

    def parameters(self, x) -> dict[str, float]:
        """Estimated and fixed parameters on the linear scale."""
        out = dict(self.fixed)
        out.update({k: _unscale(float(v), s) for k, v, s in zip(self.x_ids, x, self.x_scales, strict=True)})
        return out

    def evaluate(self, x) -> np.ndarray:
        """The population's after-effect (%) of every row at parameters ``x`` (NaN where it failed)."""
        from ..plasticity import anchors

        changes = self.parameters(x)
        out = np.full(self.y.size, np.nan)
        for i, (_, row) in enumerate(self.rows.iterrows()):
            try:
                out[i] = anchors.run_row(row, seed=self.seed, drive=self.drive, changes=changes)[0]
            except (ValueError, FloatingPointError):
                continue
        return out

    def simulate(self, x):
        """The rows as a measurement table with ``simulation`` and ``sigma`` (the layout of the PEtab objective)."""
        import pandas as pd

        h = self.evaluate(np.asarray(x, dtype=float))
        return pd.DataFrame({"observableId": "dW_percent", "simulationConditionId": list(self.rows.index),
                             "time": 0.0, "measurement": self.y, "replicateId": list(self.rows.index),
                             "simulation": h, "sigma": self.sigma})

    def __call__(self, x) -> float:
        x = np.asarray(x, dtype=float)
        h = self.evaluate(x)
        if not np.all(np.isfinite(h)):
            return _FAIL
        r = (self.y - h) / self.sigma
        nll = float((0.5 * _LOG2PI + np.log(self.sigma) + 0.5 * r ** 2).sum())
        for i, mean, sd in self.priors:
            nll += 0.5 * ((x[i] - mean) / sd) ** 2 + math.log(sd) + 0.5 * _LOG2PI
        return nll
