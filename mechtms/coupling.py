"""The multiscale chain: protocol -> network -> plasticity -> pathways -> proxies.

For each session of a course:

1. the spiking network receives the session's pulses, its E->E weights scaled by the
   synaptic weight carried over from the previous session, and yields LFP band powers
   and, for a sample of E->E synapses, the spikes and depolarisations they saw;
2. the synapse population (:func:`mechtms.plasticity.run_session`, the same code path as
   :func:`mechtms.plasticity.after_effect`) turns those events into per-synapse weight
   changes, and is followed until the next session so the weights it reaches are what
   the next session starts from (session-to-session metaplasticity);
3. the session's supra-threshold calcium (calcium above the plasticity threshold,
   integrated over the session and the synapses), relative to the reference session (the
   15 Hz SCI protocol at baseline weight), is the dose that drives the pathway models
   between sessions;
4. the proxies (BMS, MEP) follow from the pathway state and the cortical weight.

Every unit and time-scale conversion between layers is in this module, in the
functions under "conversions"; the layers themselves know nothing of each other.

Shortcut (documented and tested against the full computation): the network's response to
a session depends only on (protocol, weight scale, seed, network options), so it is
computed once per distinct key and reused (``cache=True``); with the weight scale
quantised to ``WEIGHT_SCALE_STEP`` the cached and the uncached chains are identical bit
for bit. For the band powers the network simulates the first ``NetworkOptions.max_pulses``
pulses of a session (the per-pulse drive is stationary after the first trains; see
:func:`mechtms.network.session_drive`); for the synapses it simulates the first
``NetworkOptions.plasticity_periods`` train periods and repeats them over the session
(:class:`mechtms.plasticity.NetworkDrive`, ``max_periods``; both tested against whole
sessions).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from . import __version__, _checks, conditions
from .protocols import Course, Protocol, preset
from .protocols import course as make_course

#: Weight scales handed to the network are rounded to this step (the cache key).
WEIGHT_SCALE_STEP = 1e-3
#: Fraction of the network's E->E synapses that share the representative synapse's change.
#: ASSUMED: a pulse directly drives a minority of cells (a few % somatically, more through
#: axons; Aberra et al. 2020), so only part of the recurrent E->E weight changes. 0.2 keeps
#: the scale within the cortex network's valid range (weight_scale_ee <= 1.05, beyond which
#: it runs away; mechtms.network.networks) for after-effects up to +25 %.
PLASTIC_FRACTION = 0.2
#: Reference session whose calcium integral defines pathway dose 1 (mechtms.readouts docs).
REFERENCE_PRESET = "sci_15hz_mouse"
#: Time after the last pulse at which a session's after-effect is reported (s): the
#: plasticity layer's own (30 min), kept in step with it.
AFTER_EFFECT_S = 1800.0
#: LFP bands, in the order of mechtms.network.BANDS (checked in network_response).
BANDS = ("delta", "theta", "alpha", "beta", "gamma")


# ---- conversions between layers ------------------------------------------------------
def weight_to_network_scale(w: float, w_baseline: float, fraction: float = PLASTIC_FRACTION) -> float:
    """Synaptic weight -> multiplier of the network's E->E weights: ``1 + fraction (W/W0 - 1)``.

    Only ``fraction`` of the E->E synapses share the change (:data:`PLASTIC_FRACTION`);
    the result is quantised to :data:`WEIGHT_SCALE_STEP` (the cache key, see module doc).
    """
    scale = 1.0 + fraction * (float(w) / float(w_baseline) - 1.0)
    return round(round(scale / WEIGHT_SCALE_STEP) * WEIGHT_SCALE_STEP, 6)


def calcium_to_dose(ca_integral_uM_s: float, reference_uM_s: float) -> float:
    """Session calcium integral (µM s) -> pathway dose (1 = the reference session)."""
    if reference_uM_s <= 0:
        raise ValueError(f"reference calcium integral must be > 0, got {reference_uM_s}")
    return float(ca_integral_uM_s) / float(reference_uM_s)


def hours_to_seconds(h):
    return np.asarray(h, dtype=float) * 3600.0


#: Sessions shorter than this run whole in the network for the synapses (s): the
#: repeated-block shortcut pays off for long sessions and errs by up to ~30 % (docs/plasticity.md).
SHORTCUT_MIN_S = 300.0


def drive_to_plasticity(opts: NetworkOptions, weight_scale: float) -> tuple:
    """Network options of the chain -> how the plasticity layer runs the network (the one place).

    Returns ``(NetworkDrive, weight_scale_ee)``: the same network, size and seed family as
    the band powers, ``opts.n_synapses`` sampled E->E synapses, the repeated-block
    shortcut of ``opts.plasticity_periods`` train periods for sessions of at least
    :data:`SHORTCUT_MIN_S`, and the E->E weight scale that
    the weights reached in earlier sessions give the network.
    """
    from .plasticity import NetworkDrive

    drive = NetworkDrive(network=opts.network, n_neurons=opts.n_neurons, n_synapses=opts.n_synapses,
                         max_periods=opts.plasticity_periods, shortcut_min_s=SHORTCUT_MIN_S)
    return drive, float(weight_scale)


# ---- the network layer, cached ----------------------------------------------------------
@dataclass(frozen=True)
class NetworkOptions:
    """How the spiking network is run for each session.

    ``max_pulses``: the first pulses of each session simulated for the band powers (the
    shortcut of :func:`mechtms.network.session_drive`; ``None`` = the whole session).
    ``n_synapses``: sampled E->E synapses of the plasticity layer (30: the mean of the
    after-effect to about 1-2 percentage points, see docs/plasticity.md).
    ``plasticity_periods``: K of the synapses' shortcut: the network simulates 2K train periods
    (continuous protocols: 30-s blocks), the last K are repeated over the session
    (``None``: the whole session; mechtms.plasticity.drive).
    """

    network: str = "cortex"
    n_neurons: int = 1000
    max_pulses: int | None = 60
    baseline_s: float = 1.0
    n_synapses: int = 30
    plasticity_periods: int | None = 4


_NETWORK_CACHE: dict[tuple, dict] = {}


def network_response(protocol: Protocol, weight_scale: float, seed: int, opts: NetworkOptions,
                     *, cache: bool = True) -> dict:
    """Session means of the network's per-pulse drive, rates and LFP band powers (during stimulation).

    Keyed by (protocol, weight scale, seed, options): identical keys give identical
    results, so the cache is exact.
    """
    key = (protocol, float(weight_scale), int(seed), opts)
    if cache and key in _NETWORK_CACHE:
        return _NETWORK_CACHE[key]
    from . import network

    ds = network.simulate(protocol=protocol, network=opts.network, seed=seed, n_neurons=opts.n_neurons,
                          weight_scale_ee=weight_scale, record=("lfp", "drive"), baseline_s=opts.baseline_s,
                          post_s=0.5, max_pulses=opts.max_pulses)
    out: dict = {name: float(ds[name].mean()) for name in ("pre_spike_prob", "post_spike_prob", "epsp_mV", "direct_frac")}
    out["rate_E_hz"] = float(ds.attrs["rate_E_hz"])
    window = "during" if protocol.n_pulses > 1 else "post"
    if tuple(network.BANDS) != BANDS:
        raise RuntimeError(f"coupling.BANDS {BANDS} differ from mechtms.network.BANDS {tuple(network.BANDS)}")
    bp = network.band_powers(ds, window=window)
    out["band_power"] = [float(bp[b]) for b in BANDS]
    out["band_power_units"] = bp[BANDS[0]].attrs.get("units", "")
    if cache:
        _NETWORK_CACHE[key] = out
    return out


# ---- one session of plasticity, followed to the next session ------------------------------
def plasticity_session(protocol: Protocol, state, follow_s: float, readout_s=(), *, seed: int = 0,
                       opts: NetworkOptions | None = None, weight_scale: float = 1.0) -> dict:
    """A session of the synapse population and the ``follow_s`` seconds after its first pulse.

    ``state`` is the :class:`mechtms.plasticity.SynapseState` at the start (None: baseline).
    Returns the session summary (``dW_percent`` 30 min after the last pulse relative to the
    session's starting mean weight, its spread over synapses, the supra-threshold calcium
    and activity statistics), ``state_next`` (per-synapse weights and metaplastic trace at
    ``follow_s``), ``W_next`` (their mean) and the mean ``W`` at ``readout_s`` (seconds
    after the first pulse).
    """
    from . import plasticity

    opts = opts or NetworkOptions()
    drive, scale = drive_to_plasticity(opts, weight_scale)
    res = plasticity.run_session(protocol, state, seed=seed, drive=drive, weight_scale_ee=scale,
                                 after_s=AFTER_EFFECT_S, follow_s=follow_s)
    summary = res.summary()
    prm = plasticity.parameters()
    t_end = res.meta["duration_s"] + drive.post_s
    readout = np.asarray(readout_s, dtype=float)
    w_end = res.W_session_end
    w_read = np.array([float(np.mean(prm.W_base + (w_end - prm.W_base) * np.exp(-max(t - t_end, 0.0) / prm.tau_decay)))
                       for t in readout])
    return {**summary, "state_next": res.state_next, "W_readout": w_read}


# ---- the chain --------------------------------------------------------------------------
W_BASELINE = 1.0  # calcium_plasticity.ant: W = 1 at rest


def as_course(target, condition: conditions.Condition, days: int | None = None) -> Course:
    """A Course from a Course, a Protocol or a preset name, on the condition's calendar.

    A preset name or a Protocol is repeated daily from the condition's ``start_day`` for
    ``days`` (default the condition's); a Course is used as it is (``days`` replaces its
    length when given).
    """
    if isinstance(target, str):
        target = preset(target)
    if isinstance(target, Protocol):
        n_days = condition.days if days is None else days
        return make_course(target, days=n_days, start_day=condition.start_day, name=target.name)
    if isinstance(target, Course):
        return target if days is None else target.replace(days=_checks.whole_number("days", days, low=1))
    raise ValueError(f"simulate() takes a Protocol, a Course or a preset name, got {type(target).__name__}")


def simulate(target, condition: str | conditions.Condition = "sci", seed: int = 0, *, days: int | None = None,
             coupling: bool = True, network: NetworkOptions | None = None, cache: bool = True,
             readout_clock_h: float | None = None, pathway_mode: str = "daily", progress: bool = False):
    """Run the whole chain for a treatment course.

    Parameters
    ----------
    target : Protocol, Course or str
        A session protocol (repeated daily on the condition's calendar), a course, or a
        preset name.
    condition : str or Condition
        ``"sci"`` (mouse, complete transection), ``"uninjured"`` (sham surgery) or
        ``"healthy"`` (human M1, MEP only); see :mod:`mechtms.conditions`.
    seed : int
        Seeds the network (instance, noise, recruitment). Same seed, same numbers.
    days : int, optional
        Course length in days (default the condition's).
    coupling : bool
        ``True``: the weight after each session scales the network's E->E weights in the
        next session, the session's calcium sets the pathway dose, and the BDNF model's
        trophic output drives the Cx43 model's mTORC1 arm day by day. ``False``: the
        layers run side by side — network at baseline weight, pathway dose 1 per
        delivered session, the Cx43 model with its own trophic stand-in.
    network : NetworkOptions, optional
    cache : bool
        Reuse network runs with identical keys (exact; see the module docstring).
    readout_clock_h : float, optional
        Clock time of the daily read-outs (default the condition's: 20:00 for ``sci``,
        11 h after a 09:00 session; 10:00 for ``healthy``, inside the MEP after-effect).
    pathway_mode : {"daily", "continuous"}
        Pathway models run day by day (needed for the trophic link) or in one run
        (only without coupling); equal to the solver tolerance when both apply.

    Returns
    -------
    xarray.Dataset
        Dims ``day`` (daily read-outs: BMS, MEP, W, the pathway read-outs), ``session``
        (dW_percent, calcium integral, dose, network drive, ``band_power`` over ``band``);
        units in ``attrs["units"]``; provenance in ``attrs``.
    """
    cond = conditions.get(condition)
    seed = _checks.whole_number("seed", seed, low=0)
    course = as_course(target, cond, days)
    opts = network or NetworkOptions()
    pathway_mode = _checks.choice("pathway_mode", pathway_mode, ("daily", "continuous"))
    if coupling and pathway_mode == "continuous" and "cx43_autophagy_mtor" in cond.pathway_models:
        raise ValueError("pathway_mode='continuous' needs coupling=False: the trophic link runs day by day")
    if readout_clock_h is None:
        readout_clock_h = cond.readout_clock_h
    readout_clock_h = _checks.finite_number("readout_clock_h", readout_clock_h, low=0, high=24, high_open=True)
    protocol = course.protocol

    sessions = _run_sessions(course, seed, opts, coupling, cache, readout_clock_h, progress)
    days_axis = np.arange(0, course.end_day + 1)
    w_daily = _daily_weight(course, sessions, days_axis, readout_clock_h)
    doses = np.array([s["dose"] for s in sessions])
    pathway = _run_pathways(cond, course, doses if coupling else None, days_axis, readout_clock_h,
                            coupling, pathway_mode)
    return _assemble(cond, course, sessions, days_axis, w_daily, pathway, seed, opts, coupling,
                     readout_clock_h, protocol)


def _run_sessions(course, seed, opts, coupling, cache, readout_clock_h, progress) -> list[dict]:
    protocol = course.protocol
    starts_s = hours_to_seconds(course.session_start_times_h())
    end_s = (course.end_day + 1) * 86400.0
    readouts_s = hours_to_seconds(np.arange(0, course.end_day + 1) * 24.0 + readout_clock_h)
    # calibration constant (reference session): always cached, it does not depend on the
    # course; ``cache`` governs the per-session network runs of the band powers
    reference_ca = _reference_calcium(seed, opts) if coupling else 1.0
    w: float = W_BASELINE
    state = None
    out = []
    iterator = range(course.n_sessions)
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, desc=f"{course.name} sessions", unit="session")
    for k in iterator:
        scale = weight_to_network_scale(w, W_BASELINE) if coupling else 1.0
        net = network_response(protocol, scale, seed, opts, cache=cache)
        follow = (starts_s[k + 1] if k + 1 < len(starts_s) else end_s) - starts_s[k]
        window = (readouts_s >= starts_s[k]) & (readouts_s < starts_s[k] + follow)
        plast = plasticity_session(protocol, state if coupling else None, follow, readouts_s[window] - starts_s[k],
                                   seed=seed, opts=opts, weight_scale=scale)
        if not protocol.n_delivered:
            dose = 0.0
        elif coupling:
            dose = calcium_to_dose(plast["ca_supra_uM_s"], reference_ca)
        else:
            dose = 1.0  # layers side by side: the pathway models' own default dose
        out.append({**plast, "weight_scale": scale, "network": net, "dose": dose,
                    "readout_days": np.flatnonzero(window)})
        if coupling:
            state = plast["state_next"]
            w = state.mean_W()
    return out


_REFERENCE_CA: dict[tuple, float] = {}


def _reference_calcium(seed: int, opts: NetworkOptions) -> float:
    """Supra-threshold calcium of the reference session (:data:`REFERENCE_PRESET` at baseline weight)."""
    key = (seed, opts)
    if key not in _REFERENCE_CA:
        p = preset(REFERENCE_PRESET)
        _REFERENCE_CA[key] = plasticity_session(p, None, p.duration_s + 2.0, seed=seed, opts=opts)["ca_supra_uM_s"]
    return _REFERENCE_CA[key]


def _daily_weight(course, sessions, days_axis, readout_clock_h) -> np.ndarray:
    """Cortical weight W at each day's read-out time (baseline before the first session)."""
    w = np.full(days_axis.size, W_BASELINE)
    for s in sessions:
        w[s["readout_days"]] = s["W_readout"]
    return w


# ---- pathways and proxies ------------------------------------------------------------------
def _run_pathways(cond, course, doses, days_axis, readout_clock_h, coupling, mode) -> dict:
    """Daily read-outs of the condition's pathway models (dict name -> DataArray over day)."""
    import xarray as xr

    from . import ode
    from .pathways import daily

    results: dict[str, xr.DataArray] = {}
    t_end = (course.end_day + 1) * 24.0
    trophic_by_day = None
    if "bdnf_trkb_erk" in cond.pathway_models:
        bd = ode.simulate_model("bdnf_trkb_erk", course=course, session_doses=doses, t_end=t_end,
                                changes=cond.model_changes("bdnf_trkb_erk"), points=int(t_end * 4) + 1)
        for name, da in daily(bd, how="at", hour=readout_clock_h).data_vars.items():
            results[name] = da
        trophic_by_day = daily(bd, how="mean")["trophic"].values
    if "cx43_autophagy_mtor" in cond.pathway_models:
        changes = cond.model_changes("cx43_autophagy_mtor")
        link = coupling and trophic_by_day is not None
        if mode == "continuous":
            cx = ode.simulate_model("cx43_autophagy_mtor", course=course, session_doses=doses, t_end=t_end,
                                    changes=changes, points=int(t_end * 4) + 1)
        else:
            cx = _cx43_day_by_day(course, doses, changes, trophic_by_day if link else None, t_end)
        for name, da in daily(cx, how="at", hour=readout_clock_h).data_vars.items():
            results[name] = da
    return results


def _cx43_day_by_day(course, doses, changes, trophic_by_day, t_end):
    """The Cx43 model one day at a time; with the BDNF link, each day's mean ``trophic``
    drives ``trophic_input`` and the model's own stand-in is switched off (``g_trophic=0``)."""
    import xarray as xr

    from . import ode

    pieces, state = [], None
    n_days = int(round(t_end / 24.0))
    for d in range(n_days):
        day_changes = dict(changes)
        if trophic_by_day is not None:
            day_changes.update({"g_trophic": 0.0, "trophic_input": float(max(trophic_by_day[d], 0.0))})
        seg = ode.simulate_model("cx43_autophagy_mtor", course=course, session_doses=doses,
                                 changes=day_changes, t_start=24.0 * d, t_end=24.0 * (d + 1), points=97,
                                 initial_state=state)
        state = json.loads(seg.attrs["final_state"])
        pieces.append(seg if d == n_days - 1 else seg.isel(time=slice(None, -1)))
    out = xr.concat(pieces, dim="time", data_vars="all", coords="different", compat="equals",
                    combine_attrs="override")
    for name in out.data_vars:
        out[name].attrs = dict(pieces[0][name].attrs)
    return out


def _assemble(cond, course, sessions, days_axis, w_daily, pathway, seed, opts, coupling, readout_clock_h, protocol):
    import xarray as xr

    from . import readouts

    data = {}
    for name, da in pathway.items():
        values = da.reindex(day=days_axis).values
        data[name] = ("day", values, dict(da.attrs))
    data["W"] = ("day", w_daily, {"units": "dimensionless", "long_name": "cortical E->E weight at the daily read-out"})
    excitability = w_daily / W_BASELINE
    cst = data["CST"][1] if "CST" in data else np.ones(days_axis.size)
    data["MEP"] = ("day", readouts.mep(cst, excitability), {
        "units": "relative to uninjured", "proxy": "excitability (W/W0) x corticospinal transmission"})
    n = len(sessions)
    session_vars = {
        "dW_percent": ([s["dW_percent"] for s in sessions], "%"),
        "W_start": ([s["W_start"] for s in sessions], "dimensionless"),
        "ca_integral_uM_s": ([s["ca_integral_uM_s"] for s in sessions], "uM s"),
        "ca_supra_uM_s": ([s["ca_supra_uM_s"] for s in sessions], "uM s"),
        "dW_sd_percent": ([s["dW_sd_percent"] for s in sessions], "%"),
        "ca_peak_uM": ([s["ca_peak_uM"] for s in sessions], "uM"),
        "dose": ([s["dose"] for s in sessions], "dimensionless (1 = reference session)"),
        "pulses_delivered": ([s["pulses_delivered"] for s in sessions], "pulses"),
        "weight_scale": ([s["weight_scale"] for s in sessions], "dimensionless"),
        "pre_evoked": ([s["pre_evoked_per_pulse"] for s in sessions], "spikes per pulse per synapse"),
        "post_evoked": ([s["post_evoked_per_pulse"] for s in sessions], "spikes per pulse per synapse"),
    }
    for key, unit in (("pre_spike_prob", "1"), ("post_spike_prob", "1"), ("epsp_mV", "mV"), ("rate_E_hz", "Hz")):
        session_vars[f"net_{key}"] = ([s["network"][key] for s in sessions], unit)
    for name, (values, unit) in session_vars.items():
        data[name] = ("session", np.asarray(values, dtype=float), {"units": unit})
    data["band_power"] = (("session", "band"), np.array([s["network"]["band_power"] for s in sessions]).reshape(n, len(BANDS)),
                          {"units": sessions[0]["network"]["band_power_units"] if n else "",
                           "window": "during stimulation (network run of the first pulses)"})
    coords = {
        "day": ("day", days_axis, {"units": "day", "long_name": "day after injury / course start"}),
        "session": ("session", np.arange(n)),
        "session_day": ("session", course.session_days),
        "session_time_h": ("session", course.session_start_times_h(), {"units": "hour"}),
        "band": ("band", list(BANDS)),
    }
    from .models import load_model

    attrs = {
        "mechtms_version": __version__,
        "condition": cond.name,
        "condition_source": cond.source,
        "protocol_name": protocol.name,
        "protocol": json.dumps(protocol.summary(), sort_keys=True),
        "course": json.dumps(course.summary(), sort_keys=True),
        "seed": seed,
        "coupling": int(coupling),
        "network": json.dumps(opts.__dict__, sort_keys=True),
        "readout_clock_h": readout_clock_h,
        "models_sbml_sha256": json.dumps({m: getattr(load_model(m), "mechtms_sbml_sha256", "")
                                          for m in ("calcium_plasticity", *cond.pathway_models)}),
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def compare(targets: Mapping[str, object], condition: str = "sci", seed: int = 0, **kw):
    """Run :func:`simulate` for several protocols and stack the results along ``protocol``."""
    import xarray as xr

    if not targets:
        raise ValueError("compare() needs at least one protocol")
    results = [simulate(t, condition=condition, seed=seed, **kw) for t in targets.values()]
    names = list(targets)
    # sessions differ in number between protocols only if the courses differ: pad with NaN
    out = xr.concat(results, dim=xr.DataArray(names, dims="protocol", name="protocol"), join="outer",
                    combine_attrs="drop_conflicts", coords="different", compat="equals")
    out.attrs["protocols"] = json.dumps({n: r.attrs["protocol"] for n, r in zip(names, results, strict=True)})
    return out
