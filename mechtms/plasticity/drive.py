"""What drives the synapse population in a session: the network's sampled synapses, or a slice.

:func:`network_activity` runs the spiking network over the whole session
(:func:`mechtms.network.activity.synapse_activity`) and keeps the result in memory and,
when ``MECHTMS_CACHE_DIR`` is set, on disk, keyed by everything that changes it
(protocol, seed, network options, E->E weight scale, the network code), so calibration
loops and repeated calls do not rerun the network.

Presynaptic axons activated by the pulse
----------------------------------------
A TMS pulse activates axons at lower field strengths than it makes somata fire
(axon terminals and bends have the lowest thresholds; Aberra et al. 2020, Brain Stimul
13:175). From ``ENGINE_REVISION`` 3 the network does this itself: each cell's axon has a
threshold ``axon_x50_ratio`` (0.6) x its somatic one, an activated axon delivers a
presynaptic arrival (flagged in ``SynapseActivity.pre_axonal``) to its targets whether or
not the soma fires, and the record's meta holds ``pre_axon_frac_mean`` (on m1_column:
5 % of the sampled presynaptic axons per pulse at iTBS's 80 % AMT, 40 % at 115 % RMT).
Nothing is added then.

Stand-in, for records without it (an activity built elsewhere, a network or cache from
before revision 3; recognised by the absence of ``pre_axon_frac`` in the meta):
:func:`add_axonal_arrivals` adds, at every delivered pulse, to each sampled synapse whose
presynaptic cell has no arrival in the next ``AXON_WINDOW_MS``, one arrival
``axonal_delay_ms`` after the pulse with probability
``Φ(ln(x/(AXON_THRESHOLD_RATIO·x50_E))/sigma_E)`` — the network's somatic recruitment
curve with the threshold lowered by ``AXON_THRESHOLD_RATIO`` (ASSUMED 0.5). These arrivals
release transmitter at the sampled synapse only; the compound depolarisation they would
cause is missing. ``NetworkDrive(axonal_standin=False)`` turns it off.

Repeated blocks (the chain's shortcut)
--------------------------------------
The network has no plasticity within a session and its response to a pulse train is
stationary after the first trains, so with ``NetworkDrive(max_periods=K)`` only the
first 2K train periods (train plus pause; continuous protocols: 2K x ``BLOCK_S`` s, a
whole number of bursts) are simulated, with the pause after the last simulated train
recorded: the first K periods (the network's response from rest) are kept and every
synapse's events of the next K periods (stationary) are repeated to the end of the
session. The synapses are still integrated over the whole session. Checked against
the full network run in ``tests/test_plasticity_session.py``.

The slice's drive
-----------------
Dudek & Bear (1992, PNAS 89:4363) stimulated Schaffer collaterals of rat CA1 slices
900 times at 1-50 Hz. :func:`slice_activity` builds that drive: every stimulus reaches
every sampled synapse of the stimulated pathway as a presynaptic arrival (the electrode
activates the fibres, 1 ms conduction), and the postsynaptic cell gets a compound EPSP
of ``depol_mV`` (ASSUMED 10 mV, Shouval et al. 2002's rate protocol; lognormal spread
between cells, CV 0.3); there is no spontaneous activity and the cell does not fire
(the test EPSPs are subthreshold). Nothing of the network or of TMS recruitment enters.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__, _checks
from ..protocols import Protocol

#: Sampled E->E synapses per session. 100: the standard error of the population mean is
#: below 1 percentage point for the after-effects here (spread 3-10 points), the network
#: costs the same for 10 or 200 synapses and the synapse integration grows linearly.
N_SYNAPSES = 100
#: Spontaneous activity recorded before the first pulse: each synapse's background
#: calcium (the start of K and M) is its mean over the second half of this span.
BASELINE_S = 4.0
#: Recorded after the last pulse (the calcium of the last pulse is over within 0.5 s).
POST_S = 0.5
#: Threshold of presynaptic axons relative to somatic firing (ASSUMED; module docstring).
AXON_THRESHOLD_RATIO = 0.5
#: A presynaptic arrival within this window after a pulse counts as the pulse's own.
AXON_WINDOW_MS = 3.0
#: Block of a continuous protocol repeated by the shortcut, s (times ``max_periods``).
BLOCK_S = 30.0
#: Compound EPSP of the slice protocol (mV) and its spread between cells (CV).
SLICE_DEPOL_MV = 10.0
SLICE_DEPOL_CV = 0.3

_MEMORY: OrderedDict[str, Any] = OrderedDict()
_MEMORY_SIZE = 24


@dataclass(frozen=True)
class NetworkDrive:
    """How the network that drives the synapses is run.

    Attributes
    ----------
    network : str
        Network of :mod:`mechtms.network` (``"m1_column"``, the production network; ``"cortex"`` works through the same code).
    n_neurons : int or None
        Network size (None: the network's default, 1,000).
    n_synapses : int
        Sampled E->E synapses (:data:`N_SYNAPSES`).
    baseline_s, post_s : float
        Spontaneous activity before the first and after the last pulse, s.
    axonal_standin : bool
        Add the stand-in's pulse-locked presynaptic arrivals (module docstring) to records
        whose network did not deliver axonal activation itself; never added on top of the
        network's own (``ENGINE_REVISION`` >= 3, e.g. m1_column).
    max_periods : int or None
        The chain's shortcut (module docstring, "Repeated blocks"): simulate only the first
        2 x ``max_periods`` train periods (continuous protocols: blocks of :data:`BLOCK_S`
        s) in the network, keep the first half and repeat the second over the session.
        None: the whole session (the default, what ``after_effect`` uses).
    shortcut_min_s : float
        Sessions shorter than this (s) always run whole.
    x_rmt : float or None
        Field at 100 % RMT in model units (:func:`mechtms.network.calibrate_rmt`); None
        calibrates it on ``network``. A non-motor network dosed in % of the motor threshold
        (a DLPFC column) is given the M1 value.
    """

    network: str = "m1_column"
    n_neurons: int | None = None
    n_synapses: int = N_SYNAPSES
    baseline_s: float = BASELINE_S
    post_s: float = POST_S
    axonal_standin: bool = True
    max_periods: int | None = None
    shortcut_min_s: float = 0.0
    x_rmt: float | None = None

    def __post_init__(self) -> None:
        if self.max_periods is not None:
            _checks.whole_number("max_periods", self.max_periods, low=1)
        _checks.whole_number("n_synapses", self.n_synapses, low=1, high=2000)
        _checks.finite_number("baseline_s", self.baseline_s, low=1.0, high=60.0)
        _checks.finite_number("post_s", self.post_s, low=0.0, high=60.0)
        if self.x_rmt is not None:
            _checks.finite_number("x_rmt", self.x_rmt, low=0.0, low_open=True)


def _network_code_digest() -> str:
    """Digest of the network package's source: cached activity is stale when it changes."""
    import mechtms.network as net

    folder = Path(net.__file__).parent
    h = hashlib.sha256()
    for path in sorted(folder.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _key(protocol: Protocol, seed: int, drive: NetworkDrive, weight_scale_ee: float) -> str:
    text = json.dumps({
        "version": __version__, "network_code": _network_code_digest(), "protocol": repr(protocol),
        "seed": int(seed), "drive": {f.name: (getattr(drive, f.name) if f.name != "network" or isinstance(drive.network, str)
                          else repr(drive.network)) for f in dataclasses.fields(drive) if f.name != "axonal_standin"},
        "weight_scale_ee": round(float(weight_scale_ee), 9)}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _disk_dir() -> Path | None:
    root = os.environ.get("MECHTMS_CACHE_DIR")
    return Path(root) / "synapse_activity" if root else None


_ARRAYS = ("pre_ptr", "pre_times_s", "post_ptr", "post_times_s", "depol_ptr", "depol_times_s", "depol_mV",
           "weight_mV", "pulse_times_s", "afferent_times_s")


def _save(path: Path, activity) -> None:
    arrays = {name: getattr(activity, name) for name in _ARRAYS}
    extra = {f.name: getattr(activity, f.name) for f in dataclasses.fields(activity)
             if f.name not in _ARRAYS and f.name not in ("t_start_s", "t_end_s", "meta")}
    for name, value in extra.items():
        if isinstance(value, np.ndarray):
            arrays[f"extra__{name}"] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **arrays, t_span=np.array([activity.t_start_s, activity.t_end_s]),
             meta=np.array(json.dumps(activity.meta, default=_jsonable)))
    os.replace(tmp, path)


def _jsonable(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def _load(path: Path):
    from ..network.activity import SynapseActivity

    with np.load(path, allow_pickle=False) as f:
        kw = {name: f[name] for name in _ARRAYS}
        names = {fl.name for fl in dataclasses.fields(SynapseActivity)}
        for key in f.files:
            if key.startswith("extra__") and key[7:] in names:
                kw[key[7:]] = f[key]
        t0, t1 = (float(v) for v in f["t_span"])
        meta = json.loads(str(f["meta"]))
    return SynapseActivity(**kw, t_start_s=t0, t_end_s=t1, meta=meta)


def network_activity(protocol: Protocol, *, seed: int = 0, drive: NetworkDrive | None = None,
                     weight_scale_ee: float = 1.0, cache: bool = True):
    """What the sampled synapses see in one session (network run over the whole session).

    Parameters
    ----------
    protocol : Protocol
    seed : int
        Network instance, noise, recruitment, synapse sample, and the axonal stand-in.
    drive : NetworkDrive, optional
    weight_scale_ee : float
        E->E weight factor of the network (the plasticity state carried by the chain).
    cache : bool
        Reuse an identical earlier run (memory; disk under ``MECHTMS_CACHE_DIR``).

    Returns
    -------
    mechtms.network.activity.SynapseActivity
        With the axonal stand-in added when ``drive.axonal_standin`` (meta
        ``axonal_standin`` says how many arrivals were added).
    """
    from ..network.activity import synapse_activity

    drive = drive or NetworkDrive()
    if not isinstance(protocol, Protocol):
        raise ValueError(f"protocol must be a mechtms.protocols.Protocol, got {type(protocol).__name__}")
    seed = _checks.whole_number("seed", seed, low=0)
    key = _key(protocol, seed, drive, weight_scale_ee)
    activity = _MEMORY.get(key) if cache else None
    disk = _disk_dir()
    path = disk / f"{key}.npz" if disk is not None else None
    if activity is None and cache and path is not None and path.exists():
        try:
            activity = _load(path)
        except (OSError, ValueError, KeyError):
            activity = None
    if activity is None:
        block = _block(protocol, drive.max_periods) if protocol.duration_s >= drive.shortcut_min_s else None
        if block is None:
            activity = synapse_activity(protocol, drive.network, seed=seed, n_synapses=drive.n_synapses,
                                        weight_scale_ee=weight_scale_ee, baseline_s=drive.baseline_s,
                                        post_s=drive.post_s, n_neurons=drive.n_neurons, x_rmt=drive.x_rmt)
        else:
            n_block, period_s = block
            n_run = min(2 * n_block, protocol.n_pulses)
            last = float(protocol.pulse_times_s()[n_run - 1])
            part = synapse_activity(protocol, drive.network, seed=seed, n_synapses=drive.n_synapses,
                                    weight_scale_ee=weight_scale_ee, baseline_s=drive.baseline_s,
                                    post_s=max(2 * period_s - last, drive.post_s), n_neurons=drive.n_neurons,
                                    max_pulses=n_run, x_rmt=drive.x_rmt)
            activity = repeat_blocks(part, protocol, period_s, drive.post_s)
        if cache and path is not None:
            try:
                _save(path, activity)
            except OSError:
                pass
    if cache:
        _MEMORY[key] = activity
        _MEMORY.move_to_end(key)
        while len(_MEMORY) > _MEMORY_SIZE:
            _MEMORY.popitem(last=False)
    if drive.axonal_standin and not _network_has_axons(activity):
        activity = add_axonal_arrivals(activity, seed=seed)
    return activity


def _network_has_axons(activity) -> bool:
    """Whether the network itself delivered axonal activation (ENGINE_REVISION >= 3 records
    ``pre_axon_frac``): then the stand-in is not added on top of it."""
    return "p_axonal" in activity.meta or "pre_axon_frac" in activity.meta


def _block(protocol: Protocol, max_periods: int | None):
    """(pulses per block, block period s) of the shortcut, or None to run the whole session."""
    if max_periods is None or protocol.sham:
        return None
    if protocol.train_s is not None and protocol.n_trains > 1:
        n_block = max_periods * protocol.bursts_per_train * protocol.pulses_per_burst
        period = max_periods * protocol.train_period_s
    else:
        bursts = max(1, int(round(max_periods * BLOCK_S * protocol.frequency_hz)))
        n_block = bursts * protocol.pulses_per_burst
        period = bursts / protocol.frequency_hz
    if 2 * n_block >= protocol.n_pulses:
        return None
    return n_block, float(period)


def repeat_blocks(part, protocol: Protocol, period_s: float, post_s: float):
    """The session from ``part``, a network run of its first two blocks of ``period_s``.

    The first block (the network's response from rest) is kept; the second, where the
    response is stationary, is repeated block after block to the end of the session.
    """
    t_last = float(protocol.pulse_times_s()[-1])
    t_end = t_last + post_s
    n_copies = max(1, int(np.ceil((t_end - period_s) / period_s)))
    offsets = np.arange(n_copies) * period_s

    def tile(ptr, times, values=None):
        new_t, new_v, counts = [], [], []
        for s in range(ptr.shape[0] - 1):
            t = times[ptr[s]:ptr[s + 1]]
            v = values[ptr[s]:ptr[s + 1]] if values is not None else None
            head = t < period_s
            second = (t >= period_s) & (t < 2 * period_s)
            reps = (t[second][None, :] + offsets[:, None]).ravel()
            keep = reps < t_end
            ts = np.concatenate([t[head & (t < t_end)], reps[keep]])
            new_t.append(ts)
            counts.append(ts.size)
            if v is not None:
                new_v.append(np.concatenate([v[head & (t < t_end)], np.tile(v[second], n_copies)[keep]]))
        out_ptr = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=out_ptr[1:])
        cat = (lambda xs: np.concatenate(xs) if xs else np.zeros(0))  # noqa: E731
        return out_ptr, cat(new_t), (cat(new_v) if values is not None else None)

    pre_ptr, pre_t, pre_ax = tile(part.pre_ptr, part.pre_times_s, np.asarray(part.pre_axonal))
    post_ptr, post_t, _ = tile(part.post_ptr, part.post_times_s)
    d_ptr, d_t, d_v = tile(part.depol_ptr, part.depol_times_s, part.depol_mV)
    meta = {**part.meta, "network_blocks": n_copies + 1, "block_s": period_s,
            "n_pulses_simulated": int(part.pulse_times_s.size), "n_pulses_session": int(protocol.n_pulses)}
    return dataclasses.replace(part, pre_ptr=pre_ptr, pre_times_s=pre_t, pre_axonal=pre_ax.astype(bool),
                               post_ptr=post_ptr, post_times_s=post_t,
                               depol_ptr=d_ptr, depol_times_s=d_t, depol_mV=d_v,
                               pulse_times_s=protocol.delivered_pulse_times_s().astype(float),
                               afferent_times_s=_tiled_afferent(part, protocol), t_end_s=t_end, meta=meta)


def _tiled_afferent(part, protocol: Protocol) -> np.ndarray:
    if not part.afferent_times_s.size:
        return part.afferent_times_s
    latency = float(part.afferent_times_s[0] - protocol.delivered_afferent_times_s()[0])
    return protocol.delivered_afferent_times_s().astype(float) + latency


def clear_cache() -> None:
    """Forget network activity kept in memory (the disk cache stays)."""
    _MEMORY.clear()


def axonal_probability(activity, ratio: float = AXON_THRESHOLD_RATIO) -> float:
    """Probability that a delivered pulse activates a presynaptic axon (module docstring).

    ``ratio``: axonal over somatic threshold (:data:`AXON_THRESHOLD_RATIO`).
    """
    from scipy.stats import norm

    from ..network import networks

    meta = activity.meta
    if not activity.pulse_times_s.size:
        return 0.0
    spec = networks.get(meta["network"])
    x = float(meta["x_rmt"]) * float(meta["intensity_rmt"]) / 100.0
    if x <= 0:
        return 0.0
    return float(spec.pmax_e * norm.cdf(np.log(x / (ratio * spec.x50_e)) / spec.sigma_e))


def add_axonal_arrivals(activity, *, seed: int = 0, ratio: float = AXON_THRESHOLD_RATIO):
    """``activity`` with pulse-locked arrivals of activated presynaptic axons added (stand-in)."""
    a = activity
    pulses = a.pulse_times_s
    if not pulses.size:
        return dataclasses.replace(a, meta={**a.meta, "axonal_standin": 0, "p_axonal_standin": 0.0})
    p_ax = axonal_probability(a, _checks.finite_number("ratio", ratio, low=0, low_open=True))
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 11]))
    delay_s = float(a.meta.get("axonal_delay_ms", 1.0)) * 1e-3
    window = AXON_WINDOW_MS * 1e-3
    draws = rng.random((a.n_synapses, pulses.size))
    trains, flags, added = [], [], 0
    for s in range(a.n_synapses):
        pre = a.pre(s)
        lo = np.searchsorted(pre, pulses)
        hi = np.searchsorted(pre, pulses + window)
        new = pulses[(draws[s] < p_ax) & (hi == lo)] + delay_s
        added += new.size
        times_s = np.concatenate([pre, new])
        order = np.argsort(times_s, kind="stable")
        trains.append(times_s[order])
        flags.append(np.concatenate([a.pre_axonal[a.pre_ptr[s]:a.pre_ptr[s + 1]], np.ones(new.size, bool)])[order])
    ptr = np.zeros(a.n_synapses + 1, dtype=np.int64)
    np.cumsum([t.size for t in trains], out=ptr[1:])
    times = np.concatenate(trains) if trains else np.zeros(0)
    axonal = np.concatenate(flags) if flags else np.zeros(0, bool)
    meta = {**a.meta, "axonal_standin": int(added), "p_axonal_standin": p_ax}
    return dataclasses.replace(a, pre_ptr=ptr, pre_times_s=times, pre_axonal=axonal, meta=meta)


def slice_activity(frequency_hz: float, pulses: int = 900, *, n_synapses: int = N_SYNAPSES, seed: int = 0,
                   depol_mV: float = SLICE_DEPOL_MV, depol_cv: float = SLICE_DEPOL_CV, baseline_s: float = 1.0,
                   post_s: float = POST_S):
    """The slice's drive: Schaffer-collateral stimulation of CA1 (module docstring).

    Parameters
    ----------
    frequency_hz : float
        Stimulus rate, Hz (Dudek & Bear 1992: 0.5-50 Hz).
    pulses : int
        Stimuli (900 in Dudek & Bear).
    depol_mV, depol_cv : float
        Mean compound EPSP (mV) and its coefficient of variation between cells.

    Returns
    -------
    SynapseActivity
        Presynaptic arrivals 1 ms after each stimulus, one compound depolarisation per
        stimulus, no postsynaptic spikes, no spontaneous activity.
    """
    from ..network.activity import SynapseActivity

    f = _checks.finite_number("frequency_hz", frequency_hz, low=0, low_open=True, high=200)
    n = _checks.whole_number("pulses", pulses, low=1, high=100_000)
    n_syn = _checks.whole_number("n_synapses", n_synapses, low=1, high=2000)
    mean = _checks.finite_number("depol_mV", depol_mV, low=0.0, high=40.0)
    cv = _checks.finite_number("depol_cv", depol_cv, low=0.0, high=2.0)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 13]))
    sigma = np.sqrt(np.log(1.0 + cv * cv))
    per_cell = mean * np.exp(rng.normal(-0.5 * sigma * sigma, sigma, n_syn)) if mean > 0 else np.zeros(n_syn)
    stim = np.arange(n, dtype=float) / f
    pre = [stim + 1e-3 for _ in range(n_syn)]
    depol = [(stim, np.full(n, per_cell[s])) for s in range(n_syn)]
    return SynapseActivity.from_trains(pre, [np.zeros(0)] * n_syn, depol, weight_mV=np.full(n_syn, 0.25),
                                       pulse_times_s=stim, t_start_s=-baseline_s,
                                       t_end_s=float(stim[-1]) + post_s,
                                       meta={"network": "slice", "seed": int(seed), "frequency_hz": f,
                                             "pulses": n, "depol_mV": mean, "depol_cv": cv,
                                             "source": "Dudek & Bear 1992 (PNAS 89:4363) protocol"})
