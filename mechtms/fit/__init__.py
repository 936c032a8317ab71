"""Fitting models to data in the systems-biology standard: PEtab problems, pyPESTO calibration.

>>> import mechtms as mt
>>> yaml = mt.fit.to_petab("bdnf_trkb_erk", "data/bdnf_trkb_erk.csv",
...                        {"kd_erk": (1, 100), "k_int": (1, 100)}, "fit_bdnf")   # doctest: +SKIP
>>> result = mt.fit.calibrate(yaml, n_starts=20, seed=0)                          # doctest: +SKIP

See ``docs/fitting.md``.
"""

from __future__ import annotations

from ._petab import lint, to_petab

__all__ = ["to_petab", "lint", "calibrate", "CalibrationResult", "load_problem", "PopulationObjective"]


def __getattr__(name):
    if name in ("calibrate", "CalibrationResult", "load_problem"):
        from . import _calibrate

        return getattr(_calibrate, name)
    if name == "PopulationObjective":
        from ._population import PopulationObjective

        return PopulationObjective
    raise AttributeError(f"module 'mechtms.fit' has no attribute {name!r}")
