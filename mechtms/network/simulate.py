"""Public simulation API: a protocol in, an ``xarray.Dataset`` out.

>>> import mechtms as mt
>>> from mechtms import protocols
>>> ds = mt.network.simulate(protocol=protocols.rtms(10, 20, 120), network="cortex",
...                          seed=0, record=("rates", "lfp"))          # doctest: +SKIP
>>> mt.network.band_powers(ds, window="during")                      # doctest: +SKIP
"""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

from .. import __version__, _checks
from . import _engine, stimulation
from . import networks as nets
from .lfp import rws_proxy

RECORDS = ("raster", "rates", "lfp", "drive", "volley")
#: Mean E rate (Hz) above which a run is flagged as the runaway high-activity state.
RUNAWAY_RATE_HZ = 50.0
#: Largest stable time step (ms) of the explicit Euler scheme per network.
MAX_DT_MS = {"izhikevich2003": 1.0, "izhikevich2003_capped": 1.0, "cortex": 0.25}
MAX_NEURONS = 200_000


def _check_common(network, n_neurons, dt_ms, seed, weight_scale_ee, built=None):
    if built is not None:
        if not isinstance(built, nets.Built):
            raise ValueError(f"built must be a network instance from mechtms.network.build_instance, got {type(built).__name__}")
        if weight_scale_ee != 1.0 and weight_scale_ee != built.weight_scale_ee:
            raise ValueError(f"weight_scale_ee={weight_scale_ee:g} differs from the prebuilt network's "
                             f"{built.weight_scale_ee:g}: the E->E factor is applied when the network is built "
                             f"(build_instance(..., weight_scale_ee=...))")
        for name, value, have in (("n_neurons", n_neurons, built.n), ("dt_ms", dt_ms, built.dt_ms)):
            if value is not None and value != have:
                raise ValueError(f"{name}={value} differs from the prebuilt network's {have}")
        network, n_neurons, dt_ms, weight_scale_ee = built.spec, built.n, built.dt_ms, built.weight_scale_ee
    spec = nets.get(network)
    n = _checks.whole_number("n_neurons", spec.n_neurons if n_neurons is None else n_neurons,
                             low=10, high=MAX_NEURONS)
    dt = spec.dt_ms if dt_ms is None else dt_ms
    max_dt = MAX_DT_MS.get(spec.name, 0.25)
    dt = _checks.finite_number("dt_ms", dt, low=0.0, low_open=True, high=max_dt)
    if abs(round(1.0 / dt) * dt - 1.0) > 1e-9:
        raise ValueError(f"dt_ms must divide 1 ms exactly (1, 0.5, 0.25, 0.2, 0.1, 0.05, …), got {dt:g}")
    if spec.delay_ms and abs(round(spec.delay_ms / dt) * dt - spec.delay_ms) > 1e-9:
        raise ValueError(f"dt_ms={dt:g} does not divide the {spec.delay_ms:g} ms axonal delay")
    seed = _checks.whole_number("seed", seed, low=0)
    w = _checks.finite_number("weight_scale_ee", weight_scale_ee, low=0.0, high=10.0)
    return spec, n, dt, seed, w


def _schedule(protocol, baseline_s, post_s, duration_s):
    """Absolute pulse times (scheduled, delivered), total duration and intensity (% RMT;
    NaN for a V/m protocol, whose % RMT follows from :func:`stimulation.pulse_field`)."""
    if protocol is None:
        total = baseline_s + post_s if duration_s is None else duration_s
        return np.zeros(0), np.zeros(0), total, 0.0
    if protocol.intensity_ref == "V/m":
        intensity = float("nan")
    else:
        intensity = stimulation.check_intensity(protocol.intensity_rmt)
    sched = baseline_s + protocol.pulse_times_s()
    deliv = baseline_s + protocol.delivered_pulse_times_s()
    total = baseline_s + protocol.duration_s + post_s if duration_s is None else duration_s
    return sched, deliv, total, intensity


def simulate(protocol=None, network: str = "izhikevich2003", duration_s: float | None = None, *,
             seed: int = 0, n_neurons: int | None = None, dt_ms: float | None = None,
             weight_scale_ee: float = 1.0, record=("raster", "rates", "lfp"),
             baseline_s: float = 2.0, post_s: float = 2.0, x_rmt: float | None = None,
             activation: str = "soma", drive_window_ms: float = 15.0, n_sample_syn: int = 200,
             max_pulses: int | None = None, bey_params: dict | None = None,
             afferent=None, built=None, stim_mask=None, output_mask=None) -> xr.Dataset:
    """Simulate a spiking network, optionally under an rTMS protocol.

    Parameters
    ----------
    protocol : mechtms.protocols.Protocol, optional
        Pulses start ``baseline_s`` after the start; a sham delivers none (drive windows
        are still placed at the scheduled times). Intensity must be given in % RMT or
        % AMT (converted with ``protocols.AMT_OVER_RMT``).
    network : {"izhikevich2003", "izhikevich2003_capped", "cortex", "bey"}
        See :mod:`mechtms.network.networks`; ``"bey"`` runs the binary comparison network
        of :func:`mechtms.network.bey.simulate` (only ``protocol``, ``duration_s``,
        ``seed``, ``n_neurons``, ``dt_ms``, ``baseline_s``, ``post_s`` and ``bey_params``
        apply; it outputs rates and the eLFP).
    duration_s : float, optional
        Total simulated time, s. Default: ``baseline_s`` + protocol duration + ``post_s``
        (4 s without a protocol). Pulses after ``duration_s`` are dropped.
    seed : int
        One seed drives everything (network instance, noise, recruitment, sample).
    n_neurons : int, optional
        Network size (default 1,000), 10 to 200,000.
    dt_ms : float, optional
        Time step (1 ms with half-steps for ``izhikevich2003``, 0.1 ms for ``cortex``);
        must divide 1 ms; at most 1 ms (reference) or 0.25 ms (cortex) for stability.
    weight_scale_ee : float
        Factor on E→E weights (0–10). The 1,000-neuron ``cortex`` network stays in its
        ~8 Hz state up to 1.05 (8.5 Hz) and switches to a 100–250 Hz runaway state
        from 1.1 (seed 0, 5 s): the model has no homeostasis, adaptation beyond ``u``
        or conductance saturation. Runs whose spontaneous E rate (away from pulses,
        ``attrs["rate_E_spontaneous_hz"]``) exceeds 50 Hz carry ``attrs["runaway"] = 1``
        and warn.
    record : iterable of {"raster", "rates", "lfp", "drive", "volley"}
        ``"volley"``: spikes of the corticospinal output population per 1 ms bin
        (``volley``; ``attrs["n_output_cells"]``), for the MEP probe. In the networks
        without layers every excitatory cell counts as an output cell.
    x_rmt : float, optional
        Field at 100 % RMT (default: :func:`mechtms.network.calibrate_rmt`, cached).
    activation : {"soma", "axon"}
        Directly activated cells fire (soma) or only their synapses are activated (axon).
    drive_window_ms : float
        Per-pulse drive window (shortened to the shortest inter-pulse interval).
    n_sample_syn : int
        E→E synapses sampled for the drive.
    max_pulses : int, optional
        Simulate only the first ``max_pulses`` pulses (the run ends ``post_s`` after the last).
    bey_params : dict, optional
        Parameters of the ``"bey"`` network (:data:`mechtms.network.bey.DEFAULTS`).
    built : mechtms.network.networks.Built, optional
        A prebuilt instance (:func:`mechtms.network.build_instance`, or several stitched
        into one): reused instead of building the network from ``network``/``seed``
        (``n_neurons``, ``dt_ms`` and ``weight_scale_ee`` are the instance's).
    stim_mask : (N,) bool, optional
        Only these cells can be activated by a pulse (a stimulated region, a focal coil).
    output_mask : (N,) bool, optional
        The cells counted by the ``"volley"`` record (default: the network's output population).
    afferent : mechtms.network.afferent.AfferentVolley, optional
        How the nerve stimuli of a PAS protocol reach the cortex (default
        ``afferent.DEFAULT_VOLLEY``: 20 ms latency, 30 % of E cells).

    Returns
    -------
    xarray.Dataset
        ``rate_E``, ``rate_I`` (Hz, dim ``time`` in s, 1 ms bins), ``lfp`` (RWS proxy,
        a.u.), ``i_ampa``/``i_gaba`` (mean current per E cell), raster ``spike_time_s`` and
        ``spike_neuron`` (dim ``spike``), ``pulse_time_s`` (dim ``pulse``),
        ``afferent_time_s`` (dim ``afferent``: PAS volley onsets at the cortex) and the
        drive variables (see :func:`session_drive`); provenance in ``attrs``.
    """
    if network == "bey":
        from . import bey

        extra = {k: v for k, v in (("n_neurons", n_neurons), ("dt_ms", dt_ms)) if v is not None}
        return bey.simulate(protocol, duration_s, seed=seed, baseline_s=baseline_s, post_s=post_s,
                            **extra, **(bey_params or {}))
    spec, n, dt, seed, w = _check_common(network, n_neurons, dt_ms, seed, weight_scale_ee, built)
    record = tuple(record)
    for r in record:
        _checks.choice("record", r, RECORDS)
    activation = _checks.choice("activation", activation, ("soma", "axon"))
    baseline_s = _checks.finite_number("baseline_s", baseline_s, low=0.0)
    post_s = _checks.finite_number("post_s", post_s, low=0.0)
    if duration_s is not None:
        duration_s = _checks.finite_number("duration_s", duration_s, low=0.0, low_open=True, high=1e5)
    sched, deliv, total, intensity = _schedule(protocol, baseline_s, post_s, duration_s)
    volley = _check_volley(afferent)
    nerve = baseline_s + protocol.delivered_afferent_times_s() if protocol is not None else np.zeros(0)
    if max_pulses is not None:
        max_pulses = _checks.whole_number("max_pulses", max_pulses, low=1)
        if max_pulses < sched.size:
            last = sched[max_pulses - 1]
            sched, deliv = sched[:max_pulses], deliv[deliv <= last + 1e-12]
            nerve = nerve[:max_pulses]
            if duration_s is None:
                total = last + post_s
    if total <= 0:
        raise ValueError(f"duration_s must be > 0, got {total:g}")
    steps_per_ms = int(round(1.0 / dt))
    n_steps = int(round(total * 1000.0 * steps_per_ms))
    sched, deliv = sched[sched * 1000.0 < total * 1000.0], deliv[deliv * 1000.0 < total * 1000.0]

    p_direct = np.zeros((deliv.size, len(stimulation.kind_names(spec))))
    dose: dict = {"x": 0.0, "field_vm": 0.0, "waveform": "none", "x_rmt": x_rmt}
    if protocol is not None:
        dose = stimulation.pulse_field(protocol, spec, n_neurons=n, dt_ms=dt, x_rmt=x_rmt, need=deliv.size > 0)
        intensity, x_rmt = dose["intensity_rmt"], dose["x_rmt"]
    p_axon = np.zeros_like(p_direct)
    if deliv.size:
        p_direct[:] = stimulation.direct_probability(dose["x"], spec)
        p_axon[:] = stimulation.axonal_probability(dose["x"], spec)
    pulse_steps = np.round(deliv * 1000.0 * steps_per_ms).astype(np.int64)
    onsets_s = volley.latency_ms * 1e-3 + nerve
    onsets_s = onsets_s[(onsets_s >= 0) & (onsets_s * 1000.0 < total * 1000.0)]

    want_drive = "drive" in record and sched.size > 0
    win_steps, win_len = np.zeros(0, np.int64), 1
    if want_drive:
        isi_ms = np.diff(sched) * 1000.0
        win_ms = min(drive_window_ms, float(isi_ms.min()) if isi_ms.size else drive_window_ms)
        win_len = max(1, int(round(win_ms * steps_per_ms)))
        win_steps = np.round(sched * 1000.0 * steps_per_ms).astype(np.int64)

    res = _engine.run(spec, n_neurons=n, dt_ms=dt, n_steps=n_steps, seed=seed, weight_scale_ee=w,
                      pulse_steps=pulse_steps, p_direct=p_direct, p_axon=p_axon, win_steps=win_steps,
                      win_len=win_len, n_sample_syn=n_sample_syn if want_drive else 0,
                      record_raster="raster" in record, record_lfp="lfp" in record,
                      axonal=activation == "axon", built=built, stim_mask=stim_mask, output_mask=output_mask,
                      afferent_onsets_ms=onsets_s * 1000.0, volley=volley)
    ne, ni = res.built.n_exc, n - res.built.n_exc
    time = np.arange(res.counts.shape[0]) * 1e-3
    coords = {"time": ("time", time, {"units": "s"})}
    data = {}
    if "rates" in record:
        data["rate_E"] = ("time", res.counts[:, 0] / ne / 1e-3, {"units": "Hz", "long_name": "E population rate"})
        data["rate_I"] = ("time", res.counts[:, 1] / max(ni, 1) / 1e-3, {"units": "Hz", "long_name": "I population rate"})
    if "lfp" in record:
        cur = "mV/ms (Izhikevich current units, mean per E cell)"
        data["i_ampa"] = ("time", res.i_syn[:, 0], {"units": cur})
        data["i_gaba"] = ("time", res.i_syn[:, 1], {"units": cur})
        data["lfp"] = ("time", rws_proxy(res.i_syn[:, 0], res.i_syn[:, 1]),
                       {"units": "a.u.", "long_name": "LFP proxy (RWS, Mazzoni et al. 2015)"})
    if "volley" in record:
        data["volley"] = ("time", res.counts[:, 2].astype(float), {
            "units": "spikes per 1 ms bin", "long_name": "spikes of the corticospinal output cells"})
        attrs_volley = {"n_output_cells": int(res.n_output),
                        "output_population": res.built.output_name if output_mask is None else "output_mask"}
    else:
        attrs_volley = {}
    if "raster" in record:
        data["spike_time_s"] = ("spike", res.spk_step * dt * 1e-3, {"units": "s"})
        data["spike_neuron"] = ("spike", res.spk_idx, {"units": "1", "long_name": "neuron index (E first)"})
    data["pulse_time_s"] = ("pulse", sched, {"units": "s", "long_name": "scheduled pulse times"})
    data["delivered"] = ("pulse", np.isin(sched, deliv).astype(np.int8), {"units": "1"})
    if onsets_s.size:
        data["afferent_time_s"] = ("afferent", onsets_s, {"units": "s", "long_name":
                                   "onsets of the PAS afferent volleys at the cortex"})
    attrs = {
        "mechtms_version": __version__, "network": spec.name, "source": spec.source,
        "seed": seed, "dt_ms": dt, "n_neurons": n, "n_exc": ne, "n_synapses": res.built.n_synapses,
        "weight_scale_ee": w, "duration_s": total, "baseline_s": baseline_s, "settle_s": 0.5,
        "protocol": "none" if protocol is None else protocol.label(),
        "intensity_rmt": intensity, "sham": int(bool(protocol is not None and protocol.sham)),
        "x_rmt": float(x_rmt) if x_rmt is not None else float("nan"),
        "field_vm": float(dose["field_vm"]), "waveform": dose["waveform"],
        "intensity_ref": "none" if protocol is None else protocol.intensity_ref,
        **_direct_attrs(p_direct, spec, deliv.size),
        "activation": activation, "n_afferent_cells": int(res.afferent_cells.size),
        "afferent_latency_ms": float(volley.latency_ms),
        "rate_E_hz": float(res.counts[:, 0].sum() / ne / total),
        "rate_I_hz": float(res.counts[:, 1].sum() / max(ni, 1) / total),
    }
    attrs.update(attrs_volley)
    if deliv.size:  # measured: fraction of each kind's cells directly activated, mean over pulses
        sizes = np.bincount(np.asarray(res.built.kind), minlength=len(res.built.kind_names))
        for k, name in enumerate(res.built.kind_names):
            attrs[f"direct_measured_{name}"] = float(res.n_direct[:, k].mean() / max(sizes[k], 1))
    quiet = _spontaneous_rate(res.counts[:, 0] / ne / 1e-3, deliv)
    attrs["rate_E_spontaneous_hz"] = quiet
    attrs["runaway"] = int(quiet > RUNAWAY_RATE_HZ)
    if attrs["runaway"]:
        warnings.warn(f"network {spec.name!r} ran away: mean E rate {quiet:.0f} Hz "
                      f"(weight_scale_ee={w:g}); the model is valid below ~{RUNAWAY_RATE_HZ:g} Hz "
                      f"(cortex: weight_scale_ee <= 1.05)", RuntimeWarning, stacklevel=2)
    if want_drive:
        data.update(_drive_vars(res))
        attrs["drive_window_ms"] = win_len * dt
        attrs["n_sample_syn"] = int(res.syn_pre.size)
    return xr.Dataset(data, coords=coords, attrs=attrs)


def _direct_attrs(p_direct, spec, n_delivered) -> dict:
    """``p_direct_E``/``p_direct_I`` (for layered networks the size-weighted means over
    the excitatory / inhibitory cell types) and ``p_direct_<cell type>``."""
    types = getattr(spec, "cell_types", None)
    if not types:
        return {"p_direct_E": float(p_direct[0, 0]) if n_delivered else 0.0,
                "p_direct_I": float(p_direct[0, 1]) if n_delivered else 0.0}
    out = {f"p_direct_{t.name}": float(p_direct[0, i]) if n_delivered else 0.0 for i, t in enumerate(types)}
    for role in ("E", "I"):
        sel = [(t.fraction, out[f"p_direct_{t.name}"]) for t in types if (t.role == "E") == (role == "E")]
        out[f"p_direct_{role}"] = sum(f * q for f, q in sel) / sum(f for f, _ in sel)
    return out


def _check_volley(volley):
    from . import afferent

    if volley is None:
        return afferent.DEFAULT_VOLLEY
    if not isinstance(volley, afferent.AfferentVolley):
        raise ValueError(f"afferent must be a mechtms.network.afferent.AfferentVolley, got {volley!r}")
    return volley


def _spontaneous_rate(rate_e: np.ndarray, pulses_s: np.ndarray, settle_s: float = 0.5,
                      evoked_s: float = 0.2) -> float:
    """Mean E rate (Hz, 1 ms bins) away from pulses: after ``settle_s`` and more than
    ``evoked_s`` after the latest pulse (NaN if no such time)."""
    t = np.arange(rate_e.shape[0]) * 1e-3
    last = np.searchsorted(pulses_s, t, side="right") - 1
    since = np.where(last >= 0, t - pulses_s[np.clip(last, 0, None)] if pulses_s.size else 0.0, np.inf)
    mask = (t >= settle_s) & (since > evoked_s)
    return float(rate_e[mask].mean()) if mask.any() else float("nan")


def _drive_vars(res) -> dict:
    pre = res.fired[:, res.syn_pre].astype(float)
    post = res.fired[:, res.syn_post].astype(float)
    return {
        "pre_spike_prob": ("pulse", pre.mean(1), {"units": "1", "long_name":
                           "fraction of sampled presynaptic E cells firing in the window"}),
        "post_spike_prob": ("pulse", post.mean(1), {"units": "1", "long_name":
                            "fraction of sampled postsynaptic E cells firing in the window"}),
        "pair_prob": ("pulse", (pre * post).mean(1), {"units": "1", "long_name":
                      "fraction of sampled synapses whose pre and post cells both fire"}),
        "epsp_mV": ("pulse", res.epsp[:, res.syn_post].mean(1), {"units": "mV", "long_name":
                    "mean peak synaptic depolarisation of the postsynaptic cells (passive, tau_m)"}),
        "direct_frac": ("pulse", res.direct[:, res.syn_pre].mean(1), {"units": "1", "long_name":
                        "fraction of sampled presynaptic cells directly activated by the pulse"}),
    }


def session_drive(protocol, network: str = "cortex", weight_scale_ee: float = 1.0, seed: int = 0,
                  max_pulses: int | None = None, *, n_neurons: int | None = None,
                  dt_ms: float | None = None, window_ms: float = 15.0, n_sample_syn: int = 200,
                  baseline_s: float = 1.0, x_rmt: float | None = None) -> xr.Dataset:
    """Per-pulse synaptic drive of one session, for the plasticity layer.

    Runs the network once over the session (no raster kept, LFP not computed; iTBS 600
    on 1,000 cortex neurons, 193 s simulated, took 8–13 s of one core on the development
    machine) and, for a random sample of
    E→E synapses, reduces each pulse's window (``window_ms`` from the pulse, shortened
    to the shortest inter-pulse interval, e.g. 15 ms, or 20 ms → 15 ms for TBS) in the kernel.

    Parameters
    ----------
    protocol : Protocol
        A sham gives windows at the scheduled times with no direct activation: the
        drive is the network's baseline activity.
    network : {"cortex", "izhikevich2003"}
    weight_scale_ee : float
        E→E weight factor (the plasticity layer's W between sessions). Above ~1.05 the
        cortex network runs away (see :func:`simulate`): ``attrs["runaway"]`` is 1.
    max_pulses : int, optional
        Simulate only the first ``max_pulses`` pulses. Valid shortcut because the network
        has no plasticity within a session: after the first ~1 s the per-pulse drive is
        stationary over whole trains. Use a whole number of trains (iTBS: a multiple of
        30; tested: the means of the first 60 iTBS pulses are within 15 % of the full
        600-pulse session).

    Returns
    -------
    xarray.Dataset, dim ``pulse`` (length = pulses simulated):
        ``pulse_time_s`` (s from the session start), ``pre_spike_prob``,
        ``post_spike_prob``, ``pair_prob`` (1), ``epsp_mV`` (mV), ``direct_frac`` (1).
        Attrs: session means ``pre_spike_prob``, ``post_spike_prob``, ``pair_prob``,
        ``epsp_mV``, ``direct_frac``; ``rate_E_hz``, ``rate_I_hz`` (whole run, Hz);
        ``window_ms``, ``n_pulses_simulated``, ``n_pulses_session`` and provenance.
    """
    if protocol is None:
        raise ValueError("session_drive needs a protocol (use protocols.sham(p) for baseline drive)")
    ds = simulate(protocol=protocol, network=network, seed=seed, n_neurons=n_neurons, dt_ms=dt_ms,
                  weight_scale_ee=weight_scale_ee, record=("drive",), baseline_s=baseline_s,
                  post_s=0.05, x_rmt=x_rmt, drive_window_ms=window_ms, n_sample_syn=n_sample_syn,
                  max_pulses=max_pulses)
    ds["pulse_time_s"] = ("pulse", ds["pulse_time_s"].values - baseline_s,
                          {"units": "s", "long_name": "pulse time from the session start"})
    # epsp_mV is the peak of a passive (tau_m) membrane driven by current-based synapses:
    # it has no reversal potential, so near-synchronous drive (> 130 % RMT) gives tens of mV.
    for name in ("pre_spike_prob", "post_spike_prob", "pair_prob", "epsp_mV", "direct_frac"):
        ds.attrs[name] = float(ds[name].mean())
    ds.attrs["window_ms"] = ds.attrs.pop("drive_window_ms")
    ds.attrs["n_pulses_simulated"] = int(ds.sizes["pulse"])
    ds.attrs["n_pulses_session"] = int(protocol.n_pulses)
    return ds
