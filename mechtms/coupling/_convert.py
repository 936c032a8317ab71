"""Every conversion between the layers of the chain, and only those.

Each function turns a named quantity of one layer into the named input of the next; the
layers themselves know nothing of each other.

================================  ======================================  ==========================
from                              to                                      function
================================  ======================================  ==========================
consolidated + early weight       network E->E weight factor              :func:`weight_to_network_scale`
plasticity session (population)   early weight change (tag)               :func:`early_change`
plasticity session (population)   activity signal of the BDNF model       :func:`session_activity`
network under the day's weights   tonic descending drive (lesion)         :func:`tonic_drive`
network during a session          evoked volley per pulse (lesion)        :func:`session_volley`
hours / seconds                   seconds / hours                         :func:`hours_to_seconds`
================================  ======================================  ==========================
"""

from __future__ import annotations

import numpy as np

from ._options import NetworkOptions

#: Share of the network's E->E synapses that carry the plastic change: all of them. The
#: plasticity population is a uniform random sample of the network's E->E synapses
#: (:func:`mechtms.network.synapse_activity`), so its mean change is the network's.
PLASTIC_FRACTION = 1.0

#: Range of E->E weight factors handed to the network. The M1 column keeps its resting state
#: over 0.7-1.3 (docs/network.md); a consolidated change beyond it is clipped and flagged
#: (``weight_clipped`` of a session). Consolidation bounds the late change to +-25 %.
SCALE_RANGE = (0.7, 1.3)
#: Weight factors handed to the network are rounded to this step: the caches of network runs
#: (synapse activity, volleys, MEP probes) are keyed by it. 1e-3 is far below the weight
#: noise of a session (population spread ~5 %).
SCALE_STEP = 1e-3


def hours_to_seconds(h):
    return np.asarray(h, dtype=float) * 3600.0


def weight_to_network_scale(w_total: float) -> tuple[float, bool]:
    """Change of the stimulated E->E weight (fraction of baseline) -> the network's E->E factor.

    The plasticity population is a random sample of the network's E->E synapses
    (:func:`mechtms.network.synapse_activity`), so its mean change is the network's mean
    change: factor ``1 + w_total``, rounded to :data:`SCALE_STEP` and clipped to
    :data:`SCALE_RANGE`. Returns ``(factor, clipped)``.
    """
    raw = 1.0 + PLASTIC_FRACTION * float(w_total)
    lo, hi = SCALE_RANGE
    clipped = not lo <= raw <= hi
    scale = min(max(raw, lo), hi)
    return round(round(scale / SCALE_STEP) * SCALE_STEP, 6), clipped


def early_change(result) -> float:
    """Session's early weight change handed to consolidation: the population mean 30 min after
    the last pulse minus at the start, as a fraction of the baseline weight (W0 = 1)."""
    return float(np.mean(result.W_after) - np.mean(result.W_start))


def session_activity(result) -> dict[str, float]:
    """Activity of a session as the BDNF model's named inputs (:mod:`mechtms.consolidation`).

    ``post_spikes_per_cell``: evoked postsynaptic spikes per excitatory cell over the session
    (spikes per pulse above the spontaneous expectation, summed over delivered pulses; the
    population mean). Activity-dependent BDNF transcription and release follow spike-driven
    Ca2+ entry (Tao et al. 1998; Hartmann et al. 2001). ``ca_integral_uM_s``: the
    population's evoked calcium integral (an alternative, same signal at the synapse).
    """
    pulses = int(result.meta.get("pulses_delivered", 0))
    post = max(float(np.mean(result.post_evoked)), 0.0) * pulses
    ca = max(float(np.mean(result.ca_evoked_uM_s)), 0.0)
    return {"post_spikes_per_cell": post, "ca_integral_uM_s": ca}


_VOLLEY: dict[tuple, float] = {}


def session_volley(protocol, scale: float, seed: int, opts: NetworkOptions, max_pulses: int = 60) -> float:
    """Mean corticospinal volley per pulse of a session at E->E factor ``scale`` (relative to one
    pulse at 100 % RMT in the baseline network: the ``volley`` of :class:`mechtms.lesion.DriveSession`).

    The first ``max_pulses`` pulses are simulated (the per-pulse volley is stationary after the
    first trains); cached by (protocol, scale, seed, options).
    """
    from .. import mep, network

    if not protocol.n_delivered:
        return 0.0
    key = (protocol, float(scale), int(seed), opts, int(max_pulses))
    if key not in _VOLLEY:
        ds = network.simulate(protocol=protocol, network=opts.network, seed=seed, n_neurons=opts.n_neurons,
                              weight_scale_ee=scale, record=("volley",), baseline_s=1.0, post_s=0.1,
                              max_pulses=max_pulses, x_rmt=opts.x_rmt)
        _VOLLEY[key] = float(np.mean(mep.session_volleys(ds, seed=seed, n_neurons=opts.n_neurons)))
    return _VOLLEY[key]


def tonic_drive(scales, seed: int, opts: NetworkOptions) -> np.ndarray:
    """Tonic corticospinal output on each day relative to the baseline network: the output
    cells' spontaneous rate under the day's E->E factor / under factor 1
    (:func:`mechtms.mep.tonic_drive`, cached on a weight grid)."""
    from .. import mep

    return np.asarray(mep.tonic_drive(np.asarray(scales, dtype=float), seed=seed, network=opts.network,
                                      n_neurons=opts.n_neurons), dtype=float)
