"""Global sensitivity: Sobol indices (Saltelli design) or Morris elementary effects, with SALib,
run as a scan (so any engine, a store and resume work the same way).

References: Saltelli A et al. (2010) Comput Phys Commun 181:259 (S1/ST estimators, design);
Morris MD (1991) Technometrics 33:161; Campolongo F et al. (2007) Environ Model Softw
22:1509 (mu*); Herman J, Usher W (2017) J Open Source Softw 2:97 (SALib).
"""

from __future__ import annotations

import json
import warnings

import numpy as np

from .. import _checks

METHODS = ("sobol", "morris")


def sensitivity(target, bounds: dict, method: str = "sobol", n: int = 256, store=None, *,
                readouts=None, seed: int = 0, integers=(), levels: int = 4, num_resamples: int = 100,
                conf_level: float = 0.95, return_scan: bool = False, **scan_options):
    """Sensitivity indices of each read-out to each parameter in ``bounds``.

    Parameters
    ----------
    target
        As for :func:`mechtms.scan`.
    bounds : dict
        ``{parameter: (low, high)}``, sampled uniformly.
    method : {"sobol", "morris"}
        ``"sobol"``: first-order ``S1`` and total ``ST`` indices with confidence half-widths
        (``n * (D + 2)`` runs, ``n`` a power of 2). ``"morris"``: ``mu_star`` (mean absolute
        elementary effect), ``mu_star_conf``, ``mu`` and ``sigma`` (``n * (D + 1)`` runs,
        ``n`` trajectories on ``levels`` levels).
    n : int
    store : path, optional
        zarr store of the underlying scan (resumable).
    readouts, seed, **scan_options
        Passed to :func:`mechtms.scan` (engine, workers, scheduler, chunk_size, progress).
    integers : sequence of str
        Parameters rounded to whole numbers (e.g. ``pulses``, ``sessions``).
    num_resamples, conf_level : int, float
        Bootstrap resamples and level of the confidence intervals.
    return_scan : bool
        Also return the scan Dataset: ``(indices, scan)``.

    Returns
    -------
    xarray.Dataset
        Dims ``readout`` × ``parameter``; Sobol: ``S1``, ``S1_conf``, ``ST``, ``ST_conf``;
        Morris: ``mu_star``, ``mu_star_conf``, ``mu``, ``sigma`` (units of the read-out).
        A read-out with failed points gets NaN indices (``attrs["n_failed"]`` counts them).
    """
    import xarray as xr

    from . import scan

    method = _checks.choice("method", method, METHODS)
    design = {"method": "saltelli" if method == "sobol" else "morris", "n": n, "bounds": dict(bounds),
              "integers": list(integers)}
    if method == "morris":
        design["levels"] = levels
    ds = scan(target, design, store=store, readouts=readouts, seed=seed, **scan_options)
    params = [str(p) for p in bounds]
    problem = {"num_vars": len(params), "names": params, "bounds": [list(map(float, bounds[p])) for p in params]}
    x = np.column_stack([ds[p].values.astype(float) for p in params])
    out_names = [v for v in ds.data_vars if v not in ("status", "error", "seed")]
    keys = ("S1", "S1_conf", "ST", "ST_conf") if method == "sobol" else ("mu_star", "mu_star_conf", "mu", "sigma")
    result = {k: np.full((len(out_names), len(params)), np.nan) for k in keys}
    failed = {}
    for i, name in enumerate(out_names):
        y = ds[name].values.astype(float)
        bad = int(np.count_nonzero(~np.isfinite(y)))
        failed[name] = bad
        if bad:
            warnings.warn(f"sensitivity: read-out {name!r} has {bad} failed or non-finite points; its indices "
                          f"are NaN (see the scan's 'error' variable)", RuntimeWarning, stacklevel=2)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # constant outputs: 0/0 inside SALib
            if method == "sobol":
                from SALib.analyze import sobol

                s = sobol.analyze(problem, y, calc_second_order=False, num_resamples=num_resamples,
                                  conf_level=conf_level, seed=seed, print_to_console=False)
            else:
                from SALib.analyze import morris

                s = morris.analyze(problem, x, y, num_levels=levels, num_resamples=num_resamples,
                                   conf_level=conf_level, seed=seed, print_to_console=False)
        for k in keys:
            result[k][i] = np.asarray(s[k], dtype=float)
    unit = "1" if method == "sobol" else None
    data = {k: (("readout", "parameter"), v,
                {"units": unit or "units of the read-out", "description": _DESCRIPTIONS[k]})
            for k, v in result.items()}
    indices = xr.Dataset(data, coords={"readout": out_names, "parameter": params},
                         attrs={"method": method, "n": int(n), "n_runs": int(ds.sizes["sample"]),
                                "conf_level": conf_level, "num_resamples": num_resamples,
                                "n_failed": json.dumps(failed), "scan": ds.attrs["scan"],
                                "mechtms_version": ds.attrs["mechtms_version"]})
    return (indices, ds) if return_scan else indices


_DESCRIPTIONS = {
    "S1": "first-order Sobol index", "S1_conf": "confidence half-width of S1",
    "ST": "total-order Sobol index", "ST_conf": "confidence half-width of ST",
    "mu_star": "mean absolute elementary effect (Campolongo 2007)",
    "mu_star_conf": "bootstrap confidence half-width of mu_star",
    "mu": "mean elementary effect", "sigma": "standard deviation of the elementary effects",
}
