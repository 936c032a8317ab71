"""Calcium-dependent LTP/LTD of one cortical synapse under an rTMS session.

The model is ``models/calcium_plasticity.ant`` (time in seconds, calcium in µM): NMDA
calcium with Mg²⁺ block and Shouval, Bear & Cooper's (2002, PNAS 99:10831) Ω/η weight
rule, plus a BCM sliding LTP threshold θ_p driven by two calcium traces (``M_fast``,
tens of seconds: iTBS vs cTBS; ``M_slow``, tens of minutes: priming). Pulses are
SBML events inside the model; :func:`schedule_changes` turns a
:class:`~mechtms.protocols.Protocol` into the schedule parameters, so one compiled model
serves every protocol. Everything runs through :func:`mechtms.ode.simulate_model`.

Drive
-----
Per pulse, three numbers (``drive=`` mapping; defaults in :data:`DEFAULT_DRIVE`):

``pre_prob`` (dimensionless, 0-1)
    Probability that a pulse makes the presynaptic neuron fire, i.e. opens the
    synapse's NMDA receptors (the NMDA gating jump is scaled by it).
``epsp_mV`` (mV)
    Peak of the EPSP a pulse evokes at the spine (Shouval's kernel, 5 ms rise, 50 ms decay).
``bap_prob`` (dimensionless, 0-1)
    Probability that a pulse makes the postsynaptic neuron fire; each spike sends a
    back-propagating action potential of peak ``bap_mV`` (mV) into the spine. The model
    is a mean field over that chance: the bAP kernel enters with weight ``bap_prob*bap_mV``.

More of any of them gives more calcium (monotonic over :data:`DRIVE_RANGES`, tested)
and, for depressing protocols (1 Hz, cTBS), a larger |ΔW|. iTBS potentiation peaks
near the default drive and falls with much more (the extra calcium also raises the
sliding threshold, BCM). The network layer's drive is converted into these inputs by
:func:`mechtms.coupling.drive_to_plasticity` (every cross-layer conversion lives there).
Protocol intensity is not used when this layer runs alone: intensity acts through the drive.

Calibration (after-effect 30 min after the last pulse, default drive)
---------------------------------------------------------------------
1 Hz x 900: -14.5 % (Chen et al. 1997: -19.5 %); iTBS 600: +27.7 %, cTBS 600: -25.7 %
(Wischnewski & Schutter 2015: +35.5 %, -22.8 %); imTBS 600: +5.8 % (Huang et al. 2005:
~0); 20 Hz 2 s on/28 s off x 1600: +25.8 %; 50 Hz x 900: +12.9 %. Calibrated parameters
are marked CALIBRATED in the model file; Shouval's own values are kept elsewhere.

Between sessions
----------------
After the last pulse Ω returns to the baseline and W relaxes to it with Shouval's
τ(Ca = 0) = P1/P2 + P4 ≈ 1e4 s (2.8 h): an after-effect keeps 84 % at 30 min and is
gone a day later. ``M_fast`` (20 s) and ``M_slow`` (20 min) relax to 0. To carry a
state to the next session, pass ``W0`` and ``M0`` (e.g. from :func:`session_summary`,
or the last values of :func:`time_course` of a sham for the gap).

Read-outs
---------
``W`` (dimensionless, baseline 1), ``dW_percent`` (% change from baseline), ``Ca`` (µM
above rest), ``theta_p`` (µM), ``M_fast``/``M_slow`` (µM), ``pulse_count``, ``Ca_int``
(µM s) and ``Ca_peak`` (µM).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

import numpy as np

from . import _checks
from .protocols import Protocol, ctbs, imtbs, itbs, rtms

MODEL = "calcium_plasticity"

#: Drive when the layer runs alone (see the module docstring; values in the .ant header).
DEFAULT_DRIVE: dict[str, float] = {"pre_prob": 1.0, "epsp_mV": 10.0, "bap_prob": 0.2, "bap_mV": 60.0}
#: Drive inputs with their allowed range (inclusive).
DRIVE_RANGES: dict[str, tuple[float, float]] = {
    "pre_prob": (0.0, 1.0), "epsp_mV": (0.0, 40.0), "bap_prob": (0.0, 1.0), "bap_mV": (0.0, 100.0)}
#: After-effect time after the last pulse, s (30 min: the MEP anchors span 15-60 min).
AFTER_EFFECT_S = 1800.0
#: CVODE tolerances used here: ~4x faster than mechtms.ode's 1e-8/1e-10, after-effects
#: within 0.005 percentage points of them (benchmarks/plasticity_speed.py).
RTOL, ATOL = 1e-6, 1e-9
#: Variables returned by :func:`time_course`.
OUTPUTS = ("W", "dW_percent", "Ca", "theta_p", "M_fast", "M_slow", "pulse_count", "Ca_int", "Ca_peak")
#: State a session hands on to the next (initial values the coupling may set).
CARRY_OVER = ("W", "M_fast", "M_slow")


# ---- protocol -> model parameters -----------------------------------------------------
def schedule_changes(protocol: Protocol) -> dict[str, float]:
    """Model parameters that make the pulse events reproduce ``protocol.pulse_times_s()``.

    Pulse ``k`` of burst ``b`` of train ``j`` fires at
    ``j*train_period_s + b*ibi_s + k*isi_s``; ``n_total`` is ``protocol.n_delivered``
    (0 for a sham, so nothing is delivered).
    """
    _check_protocol(protocol)
    continuous = protocol.train_s is None or protocol.n_trains == 1
    return {
        "isi_s": 1.0 / protocol.burst_frequency_hz,
        "ppb": float(protocol.pulses_per_burst),
        "ibi_s": 1.0 / protocol.frequency_hz,
        "bpt": float(protocol.n_bursts if continuous else protocol.bursts_per_train),
        "train_period_s": 0.0 if continuous else float(protocol.train_period_s),
        "n_total": float(protocol.n_delivered),
    }


def _check_protocol(protocol) -> Protocol:
    if not isinstance(protocol, Protocol):
        raise ValueError(f"protocol must be a mechtms.protocols.Protocol, got {type(protocol).__name__}; "
                         f"build one with mechtms.protocols.rtms(...) or preset(name)")
    return protocol


def drive_changes(drive: Mapping[str, float] | None) -> dict[str, float]:
    """Validated drive inputs (defaults from :data:`DEFAULT_DRIVE` for missing keys)."""
    out = dict(DEFAULT_DRIVE)
    for key, value in dict(drive or {}).items():
        if key not in DRIVE_RANGES:
            raise _checks.unknown_name("drive input", key, DRIVE_RANGES)
        low, high = DRIVE_RANGES[key]
        out[key] = _checks.finite_number(f"drive[{key!r}]", value, low=low, high=high)
    return out


def _changes(protocol, drive, changes, W0=None, M0=None) -> dict[str, float]:
    all_changes = {**schedule_changes(protocol), **drive_changes(drive)}
    if W0 is not None:
        all_changes["W"] = _checks.finite_number("W0", W0, low=0, low_open=True)
    for name, value in dict(M0 or {}).items():
        if name not in ("M_fast", "M_slow"):
            raise _checks.unknown_name("slow variable", name, ("M_fast", "M_slow"))
        all_changes[name] = _checks.finite_number(f"M0[{name!r}]", value, low=0)
    all_changes.update(dict(changes or {}))
    return all_changes


# ---- simulations ----------------------------------------------------------------------
def time_course(protocol: Protocol, drive: Mapping[str, float] | None = None, t_after_s: float = 3600.0,
                changes: Mapping[str, float] | None = None, points: int | None = None, *,
                W0: float | None = None, M0: Mapping[str, float] | None = None,
                selections: Iterable[str] | None = None, rtol: float | None = None, atol: float | None = None):
    """Simulate one session and what follows it.

    Parameters
    ----------
    protocol : Protocol
        The session; its first pulse is at t = 0 s.
    drive : mapping, optional
        Per-pulse drive (``pre_prob``, ``epsp_mV`` mV, ``bap_prob``, ``bap_mV`` mV);
        defaults :data:`DEFAULT_DRIVE`.
    t_after_s : float
        Time simulated after the last pulse, s (default 1 h).
    changes : mapping, optional
        Any other model parameter or initial value (applied last; wins over the rest).
    points : int, optional
        Output points (default: one per 0.5 s, at least 1001, at most 20001). Pulse
        events are exact whatever the sampling; ``Ca_peak`` and ``Ca_int`` are tracked
        inside the model.
    W0 : float, optional
        Weight at the start (default the baseline 1): session-to-session metaplasticity.
    M0 : mapping, optional
        Initial ``M_fast``/``M_slow`` (µM), e.g. carried over from a previous session.
    rtol, atol : float, optional
        CVODE tolerances (default :data:`RTOL`, :data:`ATOL`).

    Returns
    -------
    xarray.Dataset
        Dim ``time`` (s from the first pulse), variables of :data:`OUTPUTS` with units;
        attrs ``protocol`` (JSON summary), ``t_last_pulse_s`` and the provenance of
        :func:`mechtms.ode.simulate_model`.
    """
    from .ode import simulate_model

    t_after_s = _checks.finite_number("t_after_s", t_after_s, low=0)
    t_end = _session_end(protocol) + t_after_s
    if t_end <= 0:
        t_end = 1.0
    if points is None:
        points = int(min(20001, max(1001, t_end / 0.5 + 1)))
    ds = simulate_model(MODEL, changes=_changes(protocol, drive, changes, W0, M0), t_end=t_end,
                        points=points, selections=list(selections or OUTPUTS), rtol=rtol or RTOL, atol=atol or ATOL)
    ds.attrs["protocol"] = json.dumps(protocol.summary(), sort_keys=True)
    ds.attrs["t_last_pulse_s"] = _session_end(protocol)
    ds.attrs["drive"] = json.dumps(drive_changes(drive), sort_keys=True)
    return ds


def _session_end(protocol: Protocol) -> float:
    return float(protocol.duration_s) if protocol.n_delivered else 0.0


def after_effect(protocol: Protocol, drive: Mapping[str, float] | None = None, at_s: float = AFTER_EFFECT_S,
                 changes: Mapping[str, float] | None = None, **kw) -> float:
    """Percent change of W from baseline ``at_s`` seconds after the last pulse.

    The default, 1800 s (30 min), is inside the window of the human MEP anchors
    (Wischnewski & Schutter 2015: iTBS up to 60 min, cTBS up to 50 min; Chen et al.
    1997: at least 15 min). For a sham the time is counted from the scheduled end.
    Keyword arguments go to :func:`time_course` (``W0``, ``M0``, ``rtol``...).
    """
    at_s = _checks.finite_number("at_s", at_s, low=0)
    end = float(_check_protocol(protocol).duration_s)
    kw.setdefault("points", 3)
    ds = _run_until(protocol, drive, end + at_s, changes, **kw)
    return float(ds.dW_percent.values[-1])


def _run_until(protocol, drive, t_end, changes, points=3, **kw):
    from .ode import simulate_model

    W0, M0 = kw.pop("W0", None), kw.pop("M0", None)
    selections = kw.pop("selections", OUTPUTS)
    kw.setdefault("rtol", RTOL)
    kw.setdefault("atol", ATOL)
    return simulate_model(MODEL, changes=_changes(protocol, drive, changes, W0, M0), t_end=max(t_end, 1e-6),
                          points=points, selections=list(selections), **kw)


def session_summary(protocol: Protocol, drive: Mapping[str, float] | None = None, W0: float | None = None,
                    *, M0: Mapping[str, float] | None = None, changes: Mapping[str, float] | None = None,
                    settle_s: float = 1.0, **kw) -> dict:
    """What one session does to the synapse, for the coupling.

    The session runs from its first pulse to ``settle_s`` after its last (calcium back
    near rest: τ_Ca = 50 ms, NMDA τ_s = 200 ms).

    Returns
    -------
    dict
        ``dW_percent`` (% change of W over the session, from ``W_start``), ``W_start``,
        ``W_end`` (dimensionless), ``ca_integral_uM_s`` (∫Ca dt, calcium above rest,
        µM s), ``ca_peak_uM`` (µM), ``pulses_delivered``, ``duration_s`` (first to last
        pulse), ``M_fast_end``/``M_slow_end`` (µM; hand on as ``M0``), ``theta_p_end_uM``.
    """
    settle_s = _checks.finite_number("settle_s", settle_s, low=0)
    ds = _run_until(protocol, drive, _session_end(protocol) + settle_s, changes, W0=W0, M0=M0, **kw)
    w_start = float(ds.W.values[0])
    w_end = float(ds.W.values[-1])
    return {
        "dW_percent": 100.0 * (w_end - w_start) / w_start,
        "W_start": w_start,
        "W_end": w_end,
        "ca_integral_uM_s": float(ds.Ca_int.values[-1]),
        "ca_peak_uM": float(ds.Ca_peak.values[-1]),
        "pulses_delivered": int(round(float(ds.pulse_count.values[-1]))),
        "duration_s": _session_end(protocol),
        "M_fast_end": float(ds.M_fast.values[-1]),
        "M_slow_end": float(ds.M_slow.values[-1]),
        "theta_p_end_uM": float(ds.theta_p.values[-1]),
    }


# ---- tables ---------------------------------------------------------------------------
def frequency_response(frequencies_hz: Iterable[float] = (0.5, 1, 2, 3, 5, 10, 20, 30, 50), pulses: int = 900,
                       drive: Mapping[str, float] | None = None, at_s: float = AFTER_EFFECT_S,
                       changes: Mapping[str, float] | None = None, **kw):
    """After-effect of continuous rTMS against frequency (Dudek & Bear 1992 style curve).

    Returns
    -------
    xarray.DataArray
        ``dW_percent`` (%) with dim ``frequency_hz``.
    """
    import xarray as xr

    freqs = [_checks.finite_number("frequency_hz", f, low=0, low_open=True, high=1000) for f in frequencies_hz]
    values = [after_effect(rtms(f, pulses, 100), drive=drive, at_s=at_s, changes=changes, **kw) for f in freqs]
    return xr.DataArray(np.array(values), dims="frequency_hz", coords={"frequency_hz": freqs},
                        name="dW_percent", attrs={"units": "%", "pulses": pulses, "at_s": at_s})


def crossover_frequency(lo_hz: float = 10.0, hi_hz: float = 50.0, *, tol_hz: float = 0.1, pulses: int = 900,
                        drive: Mapping[str, float] | None = None, at_s: float = AFTER_EFFECT_S,
                        changes: Mapping[str, float] | None = None, **kw) -> float:
    """Frequency (Hz) at which continuous rTMS of ``pulses`` turns from LTD to LTP (BCM θ_M).

    Bisection on :func:`after_effect` between ``lo_hz`` (must depress) and ``hi_hz`` (must
    potentiate) down to ``tol_hz``. Keyword arguments (``W0``, ``M0``) go to
    :func:`after_effect`: ``M0`` from a priming block moves the crossover (metaplasticity).
    """
    lo = _checks.finite_number("lo_hz", lo_hz, low=0, low_open=True)
    hi = _checks.finite_number("hi_hz", hi_hz, low=lo, low_open=True, high=1000)
    tol = _checks.finite_number("tol_hz", tol_hz, low=0, low_open=True)

    def effect(f):
        return after_effect(rtms(f, pulses, 100), drive=drive, at_s=at_s, changes=changes, **kw)

    at_lo, at_hi = effect(lo), effect(hi)
    if not at_lo < 0 <= at_hi:
        raise ValueError(f"no LTD-to-LTP crossover between lo_hz={lo:g} ({at_lo:+.1f} %) and hi_hz={hi:g} "
                         f"({at_hi:+.1f} %): widen the bracket")
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if effect(mid) < 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def tbs_table(pulses: int = 600, drive: Mapping[str, float] | None = None, at_s: float = AFTER_EFFECT_S,
              changes: Mapping[str, float] | None = None):
    """After-effects of iTBS, cTBS and imTBS (Huang et al. 2005 patterns).

    Returns
    -------
    pandas.DataFrame
        Index ``protocol`` (``iTBS``, ``cTBS``, ``imTBS``); columns ``pulses``,
        ``duration_s``, ``dW_percent`` (at ``at_s`` after the last pulse), ``ca_integral_uM_s``,
        ``ca_peak_uM``, ``theta_p_end_uM``.
    """
    import pandas as pd

    rows = []
    for label, build in (("iTBS", itbs), ("cTBS", ctbs), ("imTBS", imtbs)):
        p = build(pulses)
        s = session_summary(p, drive=drive, changes=changes)
        rows.append({"protocol": label, "pulses": p.n_pulses, "duration_s": p.duration_s,
                     "dW_percent": after_effect(p, drive=drive, at_s=at_s, changes=changes),
                     "ca_integral_uM_s": s["ca_integral_uM_s"], "ca_peak_uM": s["ca_peak_uM"],
                     "theta_p_end_uM": s["theta_p_end_uM"]})
    return pd.DataFrame(rows).set_index("protocol")
