"""The afferent volley of paired associative stimulation (PAS): a nerve stimulus reaching the cortex.

In PAS a peripheral (median) nerve stimulus precedes each TMS pulse by ``pas_isi_ms``
(Stefan et al. 2000, Brain 123:572: 25 ms facilitates; Wolters et al. 2003,
J Neurophysiol 89:2339: 10 ms depresses). The nerve stimulus is not a TMS pulse: it
reaches the network as synaptic input, after the conduction time from the wrist to the
cortex, to the cells that receive somatosensory afferents. Each volley is delivered as

* **latency** ``latency_ms`` (default 20 ms): the first afferent input reaches the
  cortex this long after the nerve stimulus. The cortical somatosensory evoked potential
  to median-nerve stimulation at the wrist, the N20, peaks about 20 ms after the stimulus
  in adults (named for that latency; 18-21 ms depending on arm length, Cruccu et al.
  2008, Clin Neurophysiol 119:1705, IFCN recommendations). PAS25 was designed so that
  the volley reaches the motor cortex just before the pulse, PAS10 so that it arrives
  after it (Stefan 2000; Wolters 2003).
* **spread** ``spread_ms`` (ASSUMED 3 ms): arrival times of the individual afferent
  inputs are spread uniformly over this span after the onset (the N20 is a wave of a
  few ms; thalamocortical volleys are dispersed by fibre conduction velocities).
* **targets** ``fraction_e`` (ASSUMED 0.3): the fraction of excitatory cells that
  receive the volley, drawn once per network instance (the anatomy). In the motor
  cortex somatosensory input (from S1 and thalamus) lands mainly on layer 2/3 and
  upper layer 5 pyramidal cells (Mao et al. 2011, Neuron 72:111; Hooks et al. 2013,
  J Neurosci 33:748); networks with layers draw the targets from those cells.
* **strength** ``inputs_per_cell`` × ``weight`` (ASSUMED 8 × 0.75): each target cell
  receives this many excitatory inputs of this charge (in the reference weight units
  of :mod:`mechtms.network.networks`, about the EPSP in mV; the network's E→E synapses
  are 0–0.5, mean 0.25), about 6 mV in all. Chosen so that a volley alone depolarises
  its targets by a few mV and fires a minority of them without evoking a population
  response, because median-nerve stimulation at PAS intensity evokes no MEP on its own.
  Measured on the 1,000-neuron ``cortex`` network (seed 0, 150 volleys alone): 14.5 %
  of the targets fire within 10 ms of the onset (7 % in a quiet 10 ms), and 3 % of the
  volleys reach the population-response criterion of :mod:`mechtms.network.stimulation`
  (1 % with 0.5 per input, 11 % of targets firing). Tested in
  ``tests/test_network_activity.py``.

All values are exposed as fields of :class:`AfferentVolley` (pass ``volley=`` to
:func:`mechtms.network.simulate` or :func:`mechtms.network.activity.synapse_activity`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _checks


@dataclass(frozen=True)
class AfferentVolley:
    """How a peripheral nerve stimulus reaches the network (see the module docstring).

    Attributes
    ----------
    latency_ms : float
        Nerve stimulus to the first afferent input at the cortex, ms (N20, ~20 ms).
    spread_ms : float
        Inputs arrive uniformly over ``[latency, latency + spread)``, ms (ASSUMED 3).
    fraction_e : float
        Fraction of the candidate excitatory cells that receive the volley (ASSUMED 0.3).
    inputs_per_cell : int
        Afferent inputs per target cell per volley (ASSUMED 8).
    weight : float
        Charge of one input in reference weight units (≈ mV of EPSP; ASSUMED 0.75).
    """

    latency_ms: float = 20.0
    spread_ms: float = 3.0
    fraction_e: float = 0.3
    inputs_per_cell: int = 8
    weight: float = 0.75

    def __post_init__(self) -> None:
        _checks.finite_number("latency_ms", self.latency_ms, low=0.0, high=200.0)
        _checks.finite_number("spread_ms", self.spread_ms, low=0.0, high=50.0)
        _checks.finite_number("fraction_e", self.fraction_e, low=0.0, high=1.0)
        _checks.whole_number("inputs_per_cell", self.inputs_per_cell, low=0, high=1000)
        _checks.finite_number("weight", self.weight, low=0.0, high=100.0)

    def replace(self, **changes) -> AfferentVolley:
        """A copy with fields changed."""
        return _checks.replace_fields(self, "volley field", changes)


DEFAULT_VOLLEY = AfferentVolley()


def arrival_onsets_s(nerve_times_s, volley: AfferentVolley = DEFAULT_VOLLEY) -> np.ndarray:
    """Onsets of the volleys at the cortex, s: nerve stimulus times + ``latency_ms``."""
    return np.asarray(nerve_times_s, dtype=float) + volley.latency_ms / 1000.0


def target_cells(volley: AfferentVolley, built, rng: np.random.Generator) -> np.ndarray:
    """The cells receiving the volley: ``fraction_e`` of ``built.afferent_candidates``, sorted int32."""
    cand = np.asarray(built.afferent_candidates, dtype=np.int64)
    k = int(round(volley.fraction_e * cand.shape[0]))
    return np.sort(rng.choice(cand, k, replace=False)).astype(np.int32)


def no_events():
    """Kernel arrays for a run without afferent input."""
    return (np.zeros(0, np.int64), np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0))


def events(volley: AfferentVolley, onsets_ms: np.ndarray, cells: np.ndarray, built,
           rng: np.random.Generator):
    """Kernel arrays of all volleys of a run: per step, which cells get which current jump.

    Parameters
    ----------
    onsets_ms : (A,) float
        Volley onsets at the cortex, ms from the run start.
    cells : (K,) int32
        Target cells (:func:`target_cells`).
    built : mechtms.network.networks.Built
        For ``dt_ms`` and ``scale_e`` (reference weight → current jump).

    Returns
    -------
    (aff_step (U,) int64, aff_ptr (U+1,) int64, aff_idx (Q,) int32, aff_w (Q,) float64),
    grouped by step (sorted); inputs to one cell in one step are summed.
    """
    dt = built.dt_ms
    onsets_ms = np.asarray(onsets_ms, dtype=float)
    m = volley.inputs_per_cell
    if cells.size == 0 or m == 0 or onsets_ms.size == 0:
        return no_events()
    # arrival of every input: volley a, cell c, input i (drawn in that order)
    arr_ms = onsets_ms[:, None, None] + volley.spread_ms * rng.random((onsets_ms.size, cells.size, m))
    steps = np.floor(arr_ms / dt + 1e-9).astype(np.int64).ravel()
    who = np.broadcast_to(cells[None, :, None], arr_ms.shape).ravel().astype(np.int64)
    # sum inputs that fall in the same step for the same cell
    key = steps * (int(built.n) + 1) + who
    uniq, count = np.unique(key, return_counts=True)
    u_step, u_cell = uniq // (built.n + 1), uniq % (built.n + 1)
    step_vals, starts = np.unique(u_step, return_index=True)
    ptr = np.r_[starts, u_step.size].astype(np.int64)
    w = count * volley.weight * built.scale_e
    return step_vals.astype(np.int64), ptr, u_cell.astype(np.int32), w.astype(np.float64)
