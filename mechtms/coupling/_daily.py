"""Daily read-outs of a course: cortical weights and BDNF, the spinal lesion, the MEP probe, proxies.

Each read-out is computed from named quantities of the layers above it:

* ``W``, ``w_early``, ``w_late``, ``weight_scale``: the consolidation state at the read-out
  clock (the stimulated E->E weight; ``weight_scale`` is what the network runs with);
* ``BDNF_cortex``, ``pTrkB_cortex``, ``pERK_cortex``, ``trophic_cortex``: the cortical
  BDNF-TrkB-ERK instance of the consolidation layer;
* ``output_rate``: tonic output of the network under the day's mean weights, relative to
  baseline (the tonic descending drive);
* with a lesion: the session volleys and the tonic output drive :func:`mechtms.lesion.simulate`
  (``Cx43``, ``LC3II``, ``p62``, ``flux``, ``mTOR``, ``pmTOR``, ``p4EBP1``, spinal ``BDNF``
  and ``pERK``, ``BMS``, ``CST``, ...);
* with a probe: :func:`mechtms.mep.daily` with the day's weights and ``CST`` (``MEP`` in mV,
  ``MEP_sd``, ``MEP_response_rate``) and the same probe at baseline weights
  (``MEP_change_percent``: the cortical after-effect, the healthy-subject read-out);
* the condition's proxies, last, from all of the above.
"""

from __future__ import annotations

import numpy as np

from . import _convert
from ._cortex import CortexRun

CORTEX_VARS = {"BDNF": "BDNF_cortex", "pTrkB": "pTrkB_cortex", "pERK": "pERK_cortex", "trophic": "trophic_cortex"}


def _at(trace, name: str, t_h: np.ndarray) -> np.ndarray:
    return np.interp(t_h, trace.time.values, trace[name].values)


def cortex_readouts(cortex: CortexRun, days: np.ndarray, clock_h: float) -> dict[str, tuple]:
    """Weights and cortical BDNF read-outs at each day's read-out clock."""
    trace = cortex.trace
    t = days * 24.0 + clock_h
    out: dict[str, tuple] = {}
    w_total = _at(trace, "w_total", t)
    out["W"] = (1.0 + w_total, {"units": "dimensionless", "long_name": "stimulated E->E weight (1 = baseline)",
                                "source": "consolidation layer: 1 + early + late change"})
    for name in ("w_early", "w_late"):
        out[name] = (_at(trace, name, t), {"units": "1 (fraction of baseline weight)", "source": "consolidation layer"})
    out["weight_scale"] = (np.array([_convert.weight_to_network_scale(w)[0] for w in w_total]),
                           {"units": "dimensionless", "long_name": "network E->E weight factor at the read-out"})
    for src, dst in CORTEX_VARS.items():
        out[dst] = (_at(trace, src, t), {**dict(trace[src].attrs), "long_name": f"{src} of the cortical BDNF-TrkB-ERK instance"})
    return out


def daily_mean_scales(cortex: CortexRun, days: np.ndarray) -> np.ndarray:
    """Mean network E->E factor over each day (the tonic drive's weight)."""
    trace = cortex.trace
    t, w = trace.time.values, trace["w_total"].values
    out = np.empty(days.size)
    for i, d in enumerate(days):
        grid = np.linspace(24.0 * d, 24.0 * (d + 1), 25)
        out[i] = _convert.weight_to_network_scale(float(np.interp(grid, t, w).mean()))[0]
    return out


def lesion_readouts(cond, course, cortex: CortexRun, days: np.ndarray, clock_h: float, seed: int, opts) -> tuple:
    """Descending drive from the cortex -> the spinal lesion model; daily read-outs and the drive."""
    from .. import lesion

    tonic = _convert.tonic_drive(daily_mean_scales(cortex, days), seed, opts)
    sessions = tuple(
        lesion.DriveSession(time_h=s["t_h"], protocol=course.protocol,
                            volley=_convert.session_volley(course.protocol, s["weight_scale"], seed, opts, opts.max_pulses))
        for s in cortex.sessions)
    drive = lesion.DescendingDrive(tonic=tonic, sessions=sessions)
    ds = lesion.simulate(drive, days=int(days[-1]), injury=cond.lesion.injury,
                         changes=cond.model_changes("spinal_lesion"),
                         bdnf_changes=cond.model_changes("bdnf_trkb_erk@spinal"),
                         knockouts=cond.lesion.knockouts, readout_hour=clock_h)
    out = {name: (ds[name].reindex(day=days).values, dict(ds[name].attrs)) for name in ds.data_vars
           if ds[name].dims == ("day",)}
    out["output_rate"] = (tonic, {"units": "relative to the baseline network",
                                  "long_name": "tonic corticospinal output (day mean)"})
    volleys = np.array([s.volley for s in sessions], dtype=float)
    return out, volleys


def mep_readouts(cond, weight_scale: np.ndarray, cst: np.ndarray, days: np.ndarray, seed: int, opts) -> dict[str, tuple]:
    """The probe with the day's weights and tract, and at baseline weights (the after-effect)."""
    from .. import mep

    kw = {"intensity": cond.mep.intensity, "n_trials": cond.mep.n_trials, "seed": seed, "network": opts.network,
          "n_neurons": opts.n_neurons}
    now = mep.daily(cst, weight_scale, **kw)
    base = mep.daily(cst, np.ones_like(weight_scale), **kw)
    out = {name: (now[name].values, dict(now[name].attrs)) for name in now.data_vars}
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(base.MEP.values > 0, 100.0 * (now.MEP.values / base.MEP.values - 1.0), np.nan)
    out["MEP_change_percent"] = (change, {"units": "%", "long_name": "MEP change from the same probe at baseline "
                                          "cortical weights (the after-effect)"})
    return out


def proxy_readouts(cond, daily, course) -> dict[str, tuple]:
    """The condition's proxies, each ``f(daily, course, params) -> DataArray over day``."""
    out = {}
    for proxy in cond.proxies:
        da = proxy.resolve()(daily, course, dict(proxy.params))
        out[proxy.name] = (np.asarray(da.values, dtype=float), {**dict(da.attrs), "proxy": proxy.function})
    return out
