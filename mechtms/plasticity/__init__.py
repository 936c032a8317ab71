"""Calcium-controlled plasticity of a population of cortical synapses, driven by the network.

The synapse is ``models/calcium_plasticity.ant`` (the single description: equations,
values and sources; exported as SBML). A session runs the spiking network
(:mod:`mechtms.network`) over the whole protocol and feeds what each of
:data:`N_SYNAPSES` sampled E->E synapses saw — presynaptic arrivals, postsynaptic
spikes (bAPs) and the compound depolarisation after each stimulus — to a numba
integrator of the same equations (:mod:`mechtms.plasticity._kernel`, checked against
libroadrunner on the SBML). Intensity (recruitment), timing (frequency, bursts, PAS
intervals) and network state therefore all reach the weight. The science, with
sources, is in ``docs/plasticity.md``.

Public API
----------
``after_effect(p)``
    % change of the population's mean weight 30 min after the session.
``run_session(p, state, seed=..., drive=NetworkDrive(...))``
    The session-level function the chain calls: per-synapse changes, mean and spread,
    the state handed on, activity statistics (:class:`SessionResult`).
``time_course(p)``, ``session_summary(p)``
    The population over time (``xarray.Dataset``); one session's numbers (dict).
``frequency_response``, ``crossover_frequency``, ``tbs_table``, ``intensity_response``,
``slice_response``
    Tables over protocols.
``schedule_changes(p)``, ``parameters(changes)``
    The model file's regular schedule; the integrator's parameters read from it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping

import numpy as np

from .. import _checks
from ..protocols import Protocol, ctbs, imtbs, itbs, rtms
from .drive import N_SYNAPSES, NetworkDrive, clear_cache, network_activity, slice_activity
from .model import DRIVE_RANGES as _INPUT_RANGES
from .model import LEGACY_DRIVE, LEGACY_DRIVE_RANGES, MODEL, parameters, schedule_changes
from .population import ATOL, RTOL
from .session import AFTER_EFFECT_S, SessionResult, SynapseState, run_session

__all__ = [
    "AFTER_EFFECT_S", "ATOL", "DRIVE_RANGES", "RTOL", "MODEL", "N_SYNAPSES", "NetworkDrive", "SessionResult", "SynapseState",
    "after_effect", "clear_cache", "crossover_frequency", "frequency_response", "intensity_response",
    "network_activity", "parameters", "run_session", "schedule_changes", "session_summary", "slice_activity",
    "slice_response", "tbs_table", "time_course",
]

#: Inputs of the model file's regular schedule with their ranges; the keys of the 0.1
#: mean-field drive (pre_prob, epsp_mV, bap_prob, bap_mV) are kept, DEPRECATED, so old
#: callers import (their values are ignored).
DRIVE_RANGES: dict[str, tuple[float, float]] = {**_INPUT_RANGES, **LEGACY_DRIVE_RANGES}


def __getattr__(name: str):
    if name == "DEFAULT_DRIVE":
        warnings.warn("mechtms.plasticity.DEFAULT_DRIVE (the mean-field drive of mechtms 0.1) is deprecated and "
                      "ignored: the synapses are driven by the network", DeprecationWarning, stacklevel=2)
        return dict(LEGACY_DRIVE)
    raise AttributeError(f"module 'mechtms.plasticity' has no attribute {name!r}")


#: Variables of :func:`time_course` (population mean; ``<name>_sd`` the spread).
OUTPUTS = ("W", "dW_percent", "Ca", "K", "M", "theta_p")


def _check_protocol(protocol) -> Protocol:
    if not isinstance(protocol, Protocol):
        raise ValueError(f"protocol must be a mechtms.protocols.Protocol, got {type(protocol).__name__}; "
                         f"build one with mechtms.protocols.rtms(...) or preset(name)")
    return protocol


def _network_drive(drive) -> NetworkDrive | None:
    """``drive`` as NetworkDrive; the mean-field drive mapping of mechtms 0.1 is deprecated."""
    if drive is None or isinstance(drive, NetworkDrive):
        return drive
    if isinstance(drive, Mapping):
        warnings.warn("drive= as a mapping of per-pulse drive numbers (pre_prob, epsp_mV, bap_prob, bap_mV) "
                      "belonged to the mean-field model of mechtms 0.1 and is ignored: the synapses are now "
                      "driven by the network's spikes. Pass drive=NetworkDrive(...) for network options; the "
                      "mapping form will be refused in a later release.", DeprecationWarning, stacklevel=3)
        return None
    raise ValueError(f"drive must be a mechtms.plasticity.NetworkDrive, got {type(drive).__name__}")


def after_effect(protocol: Protocol, drive=None, at_s: float = AFTER_EFFECT_S,
                 changes: Mapping[str, float] | None = None, *, seed: int = 0,
                 state: SynapseState | None = None, weight_scale_ee: float = 1.0, **kw) -> float:
    """Percent change of the population's mean weight ``at_s`` seconds after the last pulse.

    The network runs the whole session (cached); the default 1800 s (30 min) lies inside
    the window of the human MEP anchors (Wischnewski & Schutter 2015: iTBS up to 60 min,
    cTBS up to 50 min; Chen et al. 1997: at least 15 min). The intensity of the protocol
    acts through the network's recruitment. Keyword arguments go to :func:`run_session`
    (``activity``, ``rtol``...). A sham gives the background's own effect.
    """
    p = _check_protocol(protocol)
    at_s = _checks.finite_number("at_s", at_s, low=0)
    res = run_session(p, state, seed=seed, drive=_network_drive(drive), weight_scale_ee=weight_scale_ee,
                      after_s=at_s, changes=changes, **kw)
    return res.dW_percent


def session_summary(protocol: Protocol, drive=None, W0: float | None = None, *,
                    state: SynapseState | None = None, changes: Mapping[str, float] | None = None,
                    seed: int = 0, settle_s: float = 1.0, **kw) -> dict:
    """What one session does to the synapse population, as plain numbers.

    ``W0`` (a number) starts every synapse at that weight; ``state`` gives each its own.
    The change is taken ``settle_s`` after the last pulse. Keys: see
    :meth:`SessionResult.summary` (``dW_percent`` over the session, ``W_start``, ``W_end``,
    ``ca_integral_uM_s``, ``ca_evoked_uM_s``, ``pulses_delivered``...) plus ``result``,
    the :class:`SessionResult`.
    """
    p = _check_protocol(protocol)
    settle_s = _checks.finite_number("settle_s", settle_s, low=0)
    d = _network_drive(drive)
    if W0 is not None:
        w0 = _checks.finite_number("W0", W0, low=0, low_open=True)
        n = (d or NetworkDrive()).n_synapses
        state = SynapseState(np.full(n, w0), np.zeros(n))
    res = run_session(p, state, seed=seed, drive=d, after_s=settle_s, changes=changes, **kw)
    return {**res.summary(), "result": res}


def time_course(protocol: Protocol, drive=None, t_after_s: float = 3600.0,
                changes: Mapping[str, float] | None = None, points: int | None = None, *, seed: int = 0,
                state: SynapseState | None = None, record_dt_s: float | None = None, **kw):
    """The synapse population over the session and ``t_after_s`` after it.

    During the session the population's mean and SD of ``W``, ``Ca``, ``K``, ``M`` and
    ``theta_p`` are recorded every ``record_dt_s`` (default: 2,000 points over the record);
    after it, ``points`` (default 61) samples of the return of ``W`` to baseline at rest.

    Returns
    -------
    xarray.Dataset
        Dim ``time`` (s from the first pulse; negative: the baseline), variables
        :data:`OUTPUTS` and their ``_sd``; attrs ``protocol``, ``dW_percent_after``,
        ``seed``.
    """
    import json

    import xarray as xr

    p = _check_protocol(protocol)
    t_after_s = _checks.finite_number("t_after_s", t_after_s, low=0)
    d = _network_drive(drive) or NetworkDrive()
    span = d.baseline_s + (p.duration_s if p.n_delivered else 0.0) + d.post_s
    dt = record_dt_s if record_dt_s is not None else span / 2000.0
    res = run_session(p, state, seed=seed, drive=d, after_s=t_after_s, changes=changes, record_dt_s=dt, **kw)
    trace = res.trace
    n_after = 61 if points is None else _checks.whole_number("points", points, low=2)
    t_end = float(trace.time.values[-1])
    t_rest = np.linspace(t_end, res.meta["duration_s"] + t_after_s, n_after)[1:]
    prm = parameters(changes)
    w_end = res.W_session_end
    w_rest = np.array([prm.W_base + (w_end - prm.W_base) * np.exp(-(t - t_end) / prm.tau_decay) for t in t_rest])
    rest = xr.Dataset({
        "W": ("time", w_rest.mean(axis=1)), "W_sd": ("time", w_rest.std(axis=1)),
        "dW_percent": ("time", 100.0 * (w_rest.mean(axis=1) - prm.W_base) / prm.W_base),
    }, coords={"time": t_rest})
    out = xr.concat([trace, rest], dim="time", data_vars="all", join="outer")
    for name in trace.data_vars:
        out[name].attrs = dict(trace[name].attrs)
    out.time.attrs["units"] = "second"
    out.attrs.update({"protocol": json.dumps(p.summary(), sort_keys=True), "seed": seed,
                      "dW_percent_after": res.dW_percent, "t_after_s": t_after_s,
                      "note": "after the record the synapses are at rest: W returns to baseline with tau_decay"})
    return out


# ---- tables ---------------------------------------------------------------------------
def frequency_response(frequencies_hz: Iterable[float] = (0.5, 1, 2, 3, 5, 10, 20, 50), pulses: int = 900,
                       intensity: float = 90.0, *, at_s: float = AFTER_EFFECT_S, seed: int = 0,
                       drive=None, changes: Mapping[str, float] | None = None, **kw):
    """After-effect of continuous rTMS of ``pulses`` pulses against frequency (the BCM curve).

    Returns
    -------
    xarray.DataArray
        ``dW_percent`` (%) with dim ``frequency_hz``; the spread over synapses in
        ``dW_sd_percent`` coordinate.
    """
    import xarray as xr

    freqs = [_checks.finite_number("frequency_hz", f, low=0, low_open=True, high=100) for f in frequencies_hz]
    d = _network_drive(drive)
    runs = [run_session(rtms(f, pulses, intensity), seed=seed, drive=d, after_s=at_s, changes=changes, **kw)
            for f in freqs]
    return xr.DataArray(np.array([r.dW_percent for r in runs]), dims="frequency_hz",
                        coords={"frequency_hz": freqs,
                                "dW_sd_percent": ("frequency_hz", [r.dW_sd_percent for r in runs])},
                        name="dW_percent", attrs={"units": "%", "pulses": pulses, "intensity_rmt": intensity,
                                                  "at_s": at_s, "seed": seed})


def crossover_frequency(lo_hz: float = 1.0, hi_hz: float = 50.0, *, tol_hz: float = 0.5, pulses: int = 900,
                        intensity: float = 90.0, at_s: float = AFTER_EFFECT_S, seed: int = 0, drive=None,
                        changes: Mapping[str, float] | None = None, **kw) -> float:
    """Frequency (Hz) at which continuous rTMS of ``pulses`` turns from depression to potentiation.

    Bisection on :func:`after_effect` between ``lo_hz`` (must depress) and ``hi_hz``
    (must potentiate), in log frequency, down to ``tol_hz``. Each step runs the network.
    """
    lo = _checks.finite_number("lo_hz", lo_hz, low=0, low_open=True)
    hi = _checks.finite_number("hi_hz", hi_hz, low=lo, low_open=True, high=100)
    tol = _checks.finite_number("tol_hz", tol_hz, low=0, low_open=True)
    d = _network_drive(drive)

    def effect(f):
        return after_effect(rtms(f, pulses, intensity), d, at_s, changes, seed=seed, **kw)

    at_lo, at_hi = effect(lo), effect(hi)
    if not at_lo < 0 <= at_hi:
        raise ValueError(f"no LTD-to-LTP crossover between lo_hz={lo:g} ({at_lo:+.1f} %) and hi_hz={hi:g} "
                         f"({at_hi:+.1f} %): widen the bracket")
    while hi - lo > tol:
        mid = float(np.sqrt(lo * hi))
        if effect(mid) < 0:
            lo = mid
        else:
            hi = mid
    return float(np.sqrt(lo * hi))


def tbs_table(pulses: int = 600, intensity: float = 80.0, *, at_s: float = AFTER_EFFECT_S, seed: int = 0,
              drive=None, changes: Mapping[str, float] | None = None, **kw):
    """After-effects of iTBS, cTBS and imTBS (Huang et al. 2005 patterns) at ``intensity`` % AMT.

    Returns
    -------
    pandas.DataFrame
        Index ``protocol``; columns ``pulses``, ``duration_s``, ``dW_percent``,
        ``dW_sd_percent``, ``ca_evoked_uM_s``, ``t_ltd_s``, ``t_ltp_s``.
    """
    import pandas as pd

    d = _network_drive(drive)
    rows = []
    for label, build in (("iTBS", itbs), ("cTBS", ctbs), ("imTBS", imtbs)):
        p = build(pulses, intensity)
        s = run_session(p, seed=seed, drive=d, after_s=at_s, changes=changes, **kw).summary()
        rows.append({"protocol": label, "pulses": p.n_pulses, "duration_s": p.duration_s,
                     **{k: s[k] for k in ("dW_percent", "dW_sd_percent", "ca_evoked_uM_s", "t_ltd_s", "t_ltp_s")}})
    return pd.DataFrame(rows).set_index("protocol")


def intensity_response(protocol: Protocol, intensities: Iterable[float], *, at_s: float = AFTER_EFFECT_S,
                       seed: int = 0, drive=None, changes: Mapping[str, float] | None = None, **kw):
    """After-effect of ``protocol`` at each intensity (in the protocol's own reference, % RMT or % AMT).

    Returns
    -------
    pandas.DataFrame
        Index ``intensity``; columns ``dW_percent``, ``dW_sd_percent``, ``p_direct_E``
        (somatic recruitment per pulse), ``p_axonal`` (fraction of sampled presynaptic axons
        the pulse activates: the network's ``pre_axon_frac_mean``, or the stand-in's probability), ``pre_evoked``,
        ``post_evoked`` (spikes per pulse per cell above chance), ``ca_evoked_uM_s``,
        ``t_ltd_s``, ``t_ltp_s``.
    """
    import pandas as pd

    p = _check_protocol(protocol)
    d = _network_drive(drive)
    rows = []
    for value in intensities:
        q = p.replace(intensity=float(value))
        r = run_session(q, seed=seed, drive=d, after_s=at_s, changes=changes, **kw)
        s = r.summary()
        rows.append({"intensity": float(value), "dW_percent": s["dW_percent"], "dW_sd_percent": s["dW_sd_percent"],
                     "p_direct_E": r.meta["p_direct_E"], "p_axonal": r.meta["pre_axon_frac"],
                     "pre_evoked": s["pre_evoked_per_pulse"], "post_evoked": s["post_evoked_per_pulse"],
                     "ca_evoked_uM_s": s["ca_evoked_uM_s"], "t_ltd_s": s["t_ltd_s"], "t_ltp_s": s["t_ltp_s"]})
    out = pd.DataFrame(rows).set_index("intensity")
    out.attrs["intensity_ref"] = p.intensity_ref
    return out


def slice_response(frequencies_hz: Iterable[float] = (0.5, 1, 3, 5, 10, 50), pulses: int = 900, *,
                   seed: int = 0, at_s: float = AFTER_EFFECT_S, changes: Mapping[str, float] | None = None,
                   n_synapses: int = N_SYNAPSES, **kw):
    """After-effect of ``pulses`` afferent stimuli against frequency with the slice's drive.

    Dudek & Bear (1992, PNAS 89:4363) protocol; the drive is
    :func:`mechtms.plasticity.drive.slice_activity` (no network, no TMS, no background).

    Returns
    -------
    xarray.DataArray
        ``dW_percent`` (%) with dim ``frequency_hz``.
    """
    import xarray as xr

    freqs = [_checks.finite_number("frequency_hz", f, low=0, low_open=True, high=100) for f in frequencies_hz]
    values, spread = [], []
    for f in freqs:
        act = slice_activity(f, pulses, n_synapses=n_synapses, seed=seed)
        r = run_session(rtms(f, pulses, 100.0, name=f"slice_{f:g}hz"), seed=seed, after_s=at_s, changes=changes,
                        activity=act, **kw)
        values.append(r.dW_percent)
        spread.append(r.dW_sd_percent)
    return xr.DataArray(np.array(values), dims="frequency_hz",
                        coords={"frequency_hz": freqs, "dW_sd_percent": ("frequency_hz", spread)},
                        name="dW_percent", attrs={"units": "%", "pulses": pulses, "drive": "slice", "at_s": at_s})
