"""mechtms: multiscale mechanistic modelling of repetitive transcranial magnetic stimulation.

One protocol, four scales: a spiking network (``mechtms.network``), calcium-dependent
plasticity (``mechtms.plasticity``), molecular pathways in SBML (``mechtms.models``,
``mechtms.simulate_model``) and behavioural proxies, chained by ``mechtms.simulate``.

Heavy libraries (numba, libroadrunner, xarray, dask) load on first use, so
``import mechtms`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> (module, attribute or None for the module itself)
_LAZY: dict[str, tuple[str, str | None]] = {
    "protocols": ("mechtms.protocols", None),
    "network": ("mechtms.network", None),
    "plasticity": ("mechtms.plasticity", None),
    "models": ("mechtms.models", None),
    "ode": ("mechtms.ode", None),
    "readouts": ("mechtms.readouts", None),
    "coupling": ("mechtms.coupling", None),
    "export": ("mechtms.export", None),
    "plots": ("mechtms.plots", None),
    "scans": ("mechtms.scans", None),
    "conditions": ("mechtms.conditions", None),
    "fit": ("mechtms.fit", None),
    "validation": ("mechtms.validation", None),
    "cohort": ("mechtms.cohorts", "cohort"),
    "cohorts": ("mechtms.cohorts", None),
    "list_models": ("mechtms.models", "list_models"),
    "load_model": ("mechtms.models", "load_model"),
    "model_info": ("mechtms.models", "model_info"),
    "simulate_model": ("mechtms.ode", "simulate_model"),
    "simulate": ("mechtms.coupling", "simulate"),
    "scan": ("mechtms.scans", "scan"),
    "sensitivity": ("mechtms.scans", "sensitivity"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'mechtms' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
