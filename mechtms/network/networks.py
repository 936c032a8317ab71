"""Network definitions as values, and the arrays built from them.

Two Izhikevich networks share one engine (:func:`mechtms.network._kernels.izh_run`):

``izhikevich2003``
    The reference network of Izhikevich 2003 (IEEE Trans Neural Netw 14:1569, Fig. 3
    and its MATLAB listing), as published: 800 E + 200 I, all-to-all, weights
    0.5·U(0,1) from E and −U(0,1) from I, thalamic input 5·N(0,1) (E) and 2·N(0,1) (I)
    redrawn each 1 ms, v integrated in two 0.5 ms Euler half-steps per 1 ms step,
    a synaptic input lasting one step. Other sizes keep the per-neuron input statistics
    (in-degree fixed at 1,000 if N > 1,000).
``cortex``
    The production network: the same neurons and thalamic input (held for 1 ms, so it
    is independent of ``dt_ms``), a fixed in-degree (~1,000 inputs, 80 % E) with the
    reference's mean input per neuron, current-based exponential synapses
    (tau_e = tau_i = 1 ms, charge per spike equal to the reference's), 1 ms axonal
    delay, dt 0.1 ms. Sizes 1,000 to 10,000+. Calibrated against the reference: with
    1 ms synapses and delay the rate and the alpha/gamma peaks match (9 and 33 Hz);
    2 ms synapses move the fast rhythm down to 24-32 Hz, a slower GABA (2 ms, with a
    0.5 ms delay) makes the fast rhythm the largest peak.

The Bey et al. 2012 binary network is in :mod:`mechtms.network.bey`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _checks


@dataclass(frozen=True)
class IzhNetwork:
    """An Izhikevich network definition (a value: nothing is built until :func:`build`).

    Attributes
    ----------
    name : str
    n_neurons : int
        Default size.
    frac_exc : float
        Excitatory fraction (0.8, Izhikevich 2003).
    k_in : int or None
        Inputs per neuron (None: all-to-all, incl. self-connections as in the 2003 code).
    dt_ms : float
        Default time step, ms.
    n_sub : int
        Euler sub-steps of v per step.
    tau_e_ms, tau_i_ms : float or None
        Synaptic decay times, ms; None = the input lasts one step (reference).
    delay_ms : float
        Axonal delay, ms (0 in the reference: a spike acts in the next step).
    w_e, w_i : float
        Weights from E are ``w_e·U(0,1)``, from I ``−w_i·U(0,1)`` (reference: 0.5, 1),
        scaled by ``800/K_E`` and ``200/K_I`` so the mean input per neuron is the
        reference's; in current-jump units they are divided by the synaptic time
        constant so one spike carries the same charge as in the reference.
    noise_e, noise_i : float
        Standard deviation of the thalamic current (5 and 2, Izhikevich 2003).
    noise_hold_ms : float
        The thalamic current is redrawn every this many ms.
    tau_m_ms : float
        Time constant of the passive tracer that measures synaptic depolarisation (mV)
        for the plasticity drive (assumption: 10 ms, a typical cortical membrane).
    x50_e, x50_i, sigma_e, sigma_i, pmax_e, pmax_i : float
        Direct TMS recruitment ``pmax·Φ(ln(x/x50)/sigma)`` of each population at field
        strength x (model units; 100 % RMT is calibrated by
        :func:`mechtms.network.calibrate_rmt`). Assumption: equal thresholds for E and
        I. Lower I thresholds (basket cells, Aberra et al. 2020; x50_i = 0.7 tried) make
        direct inhibition veto the response until ~50 % of E cells are activated
        directly, at odds with the small fraction activated at threshold.
    axon_x50_ratio : float
        Axonal activation: each pulse activates an excitatory cell's axon arbor at
        ``axon_x50_ratio`` × its somatic median threshold (same spread, same draw, so a
        cell whose soma fires also has its axon activated). ASSUMED 0.6: I-waves
        (trans-synaptic, from activated intracortical axons) appear at the MEP threshold,
        while the D-wave (the corticospinal axon activated near the soma) needs much
        stronger pulses (Kaneko et al. 1996, J Neurol Sci 139:131: ~80 % MSO; Di Lazzaro et
        al. 1998, J Physiol 508:625); axon terminals have the lowest thresholds (Aberra et
        al. 2020). An arbor releases at all its synapses (all-or-none; a partial arbor is
        the alternative not modelled) and the soma does not fire (antidromic invasion
        fails; the alternative is the full-cell firing of ``activation="soma"``).
        1.0 switches axon-only activation off.
    cap_v : bool
        Cap v at 30 mV before the u update. The 2003 listing does not (a spiking cell's
        v reaches ~10³ mV there, so u jumps more and adaptation is stronger): as
        published the network fires at 7.1 Hz; capped, at 7.8 Hz (seed 5, 5 s). The
        variant ``izhikevich2003_capped`` has it.
    """

    name: str
    n_neurons: int = 1000
    frac_exc: float = 0.8
    k_in: int | None = None
    dt_ms: float = 1.0
    n_sub: int = 2
    tau_e_ms: float | None = None
    tau_i_ms: float | None = None
    delay_ms: float = 0.0
    w_e: float = 0.5
    w_i: float = 1.0
    noise_e: float = 5.0
    noise_i: float = 2.0
    noise_hold_ms: float = 1.0
    tau_m_ms: float = 10.0
    x50_e: float = 1.0
    x50_i: float = 1.0
    sigma_e: float = 0.5
    sigma_i: float = 0.5
    pmax_e: float = 1.0
    pmax_i: float = 1.0
    axon_x50_ratio: float = 0.6
    cap_v: bool = False
    source: str = ""

    def replace(self, **changes) -> IzhNetwork:
        """A copy with fields changed."""
        return _checks.replace_fields(self, "network field", changes)


IZHIKEVICH2003 = IzhNetwork(
    name="izhikevich2003", source="Izhikevich 2003, IEEE Trans Neural Netw 14:1569 (MATLAB listing)")

IZHIKEVICH2003_CAPPED = IZHIKEVICH2003.replace(
    name="izhikevich2003_capped", cap_v=True,
    source="Izhikevich 2003 listing with v capped at 30 mV before the u update (common ports)")

CORTEX = IzhNetwork(
    name="cortex", k_in=1000, dt_ms=0.1, n_sub=1, tau_e_ms=1.0, tau_i_ms=1.0, delay_ms=1.0,
    source="Izhikevich 2003 neurons and input statistics; exponential current synapses, 1 ms delay")

#: Network name -> definition. ``bey`` is the binary network of :mod:`mechtms.network.bey`;
#: ``m1_column`` the layered column of :mod:`mechtms.network.layered` (added there).
NETWORKS: dict[str, IzhNetwork] = {"izhikevich2003": IZHIKEVICH2003,
                                   "izhikevich2003_capped": IZHIKEVICH2003_CAPPED, "cortex": CORTEX}
ALL_NETWORKS = ("izhikevich2003", "izhikevich2003_capped", "cortex", "m1_column", "bey")


def get(network) -> IzhNetwork:
    """The definition of an Izhikevich network, by name or as a value."""
    if isinstance(network, IzhNetwork):
        return network
    name = _checks.choice("network", network, ALL_NETWORKS)
    if name == "bey":
        raise ValueError("network 'bey' is a binary network: use mechtms.network.bey.simulate")
    if name not in NETWORKS:
        from . import layered  # noqa: F401  (registers m1_column)
    return NETWORKS[name]


@dataclass
class Built:
    """Arrays of one network instance (what the kernel consumes)."""

    spec: IzhNetwork
    n: int
    n_exc: int
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    d: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray
    delays: np.ndarray
    dt_ms: float
    decay_e: float
    decay_i: float
    noise_sd: np.ndarray
    scale_e: float = 1.0            # reference weight -> excitatory current jump
    afferent_candidates: np.ndarray | None = None  # cells that may receive PAS volleys
    kind: np.ndarray | None = None  # (N,) int8 recruitment kind of each cell (index into kind_names)
    kind_names: tuple = ("E", "I")
    output_range: tuple = (0, 0)    # the output (corticospinal) cells are output_range[0]..[1]-1
    output_name: str = "all excitatory cells"
    weight_scale_ee: float = 1.0    # the E->E factor applied when the instance was built

    def __post_init__(self) -> None:
        if self.kind is None:
            self.kind = np.r_[np.zeros(self.n_exc, np.int8), np.ones(self.n - self.n_exc, np.int8)]
        if self.output_range == (0, 0):
            self.output_range = (0, self.n_exc)

    @property
    def n_synapses(self) -> int:
        return int(self.indices.shape[0])

    def slow_params(self, dt_ms: float) -> dict:
        """IzhParams fields of the slow processes (none in the Izhikevich networks)."""
        return {}

    def slow_state(self, n_slots: int) -> tuple:
        """Kernel ``slow`` tuple (unused arrays of length 0 in the Izhikevich networks)."""
        z = np.zeros(0)
        return (z, z, np.zeros((n_slots, 0)), z, z, z, z)


def build(spec: IzhNetwork, n_neurons: int, dt_ms: float, rng: np.random.Generator,
          weight_scale_ee: float = 1.0) -> Built:
    """Draw neuron parameters and connectivity of one instance.

    Parameters
    ----------
    spec : IzhNetwork
    n_neurons : int
    dt_ms : float
    rng : numpy.random.Generator
        Used in a fixed order: neuron parameters, then connectivity and weights.
    weight_scale_ee : float
        Factor on E→E weights (plasticity feedback between sessions).
    """
    if type(spec) is not IzhNetwork:
        from . import layered

        if isinstance(spec, layered.LayeredNetwork):
            return layered.build(spec, n_neurons, dt_ms, rng, weight_scale_ee)
    n = n_neurons
    ne = int(round(spec.frac_exc * n))
    ni = n - ne
    re = rng.random(ne)
    ri = rng.random(ni)
    # Izhikevich 2003: RS..chattering excitatory, FS..LTS inhibitory.
    a = np.concatenate([np.full(ne, 0.02), 0.02 + 0.08 * ri])
    b = np.concatenate([np.full(ne, 0.2), 0.25 - 0.05 * ri])
    c = np.concatenate([-65.0 + 15.0 * re**2, np.full(ni, -65.0)])
    d = np.concatenate([8.0 - 6.0 * re**2, np.full(ni, 2.0)])

    k_in = spec.k_in if spec.k_in is not None else n
    k_in = min(k_in, n)
    if k_in >= n:  # all-to-all, including self (as the 2003 listing)
        pre = np.repeat(np.arange(n, dtype=np.int64), n)
        post = np.tile(np.arange(n, dtype=np.int64), n)
        k_e, k_i = ne, ni
    else:
        k_e = int(round(spec.frac_exc * k_in))
        k_i = k_in - k_e
        pre_e = np.stack([rng.choice(ne, k_e, replace=False) for _ in range(n)])
        pre_i = np.stack([ne + rng.choice(ni, k_i, replace=False) for _ in range(n)])
        pre_all = np.concatenate([pre_e, pre_i], axis=1)  # (n, k_in)
        post_all = np.repeat(np.arange(n, dtype=np.int64)[:, None], k_in, axis=1)
        order = np.argsort(pre_all.ravel(), kind="stable")
        pre = pre_all.ravel()[order]
        post = post_all.ravel()[order]
    w_raw = rng.random(pre.shape[0])
    from_e = pre < ne
    ref_e, ref_i = 800.0 * spec.frac_exc / 0.8, 200.0 * (1 - spec.frac_exc) / 0.2
    weights = np.where(from_e, spec.w_e * w_raw * (ref_e / max(k_e, 1)),
                       -spec.w_i * w_raw * (ref_i / max(k_i, 1)))
    if weight_scale_ee != 1.0:
        weights = np.where(from_e & (post < ne), weights * weight_scale_ee, weights)

    def jump(tau_ms):
        # Current jump giving the reference's charge (w × 1 ms) summed over the steps.
        if tau_ms is None:
            return 0.0, 1.0 / dt_ms
        decay = float(np.exp(-dt_ms / tau_ms))
        return decay, (1.0 - decay) / dt_ms

    decay_e, scale_e = jump(spec.tau_e_ms)
    decay_i, scale_i = jump(spec.tau_i_ms)
    weights = np.where(from_e, weights * scale_e, weights * scale_i)
    # A threshold crossing at the end of step t-1 is detected at step t and acts from
    # step t + delay_steps.
    delay_steps = int(round(spec.delay_ms / dt_ms))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(pre, minlength=n), out=indptr[1:])
    noise_sd = np.concatenate([np.full(ne, spec.noise_e), np.full(ni, spec.noise_i)])
    return Built(spec=spec, n=n, n_exc=ne, a=a, b=b, c=c, d=d, indptr=indptr,
                 indices=post.astype(np.int32), weights=weights.astype(np.float64),
                 delays=np.full(pre.shape[0], delay_steps, dtype=np.int32), dt_ms=dt_ms,
                 decay_e=decay_e, decay_i=decay_i, noise_sd=noise_sd, scale_e=scale_e,
                 afferent_candidates=np.arange(ne, dtype=np.int32), weight_scale_ee=float(weight_scale_ee))


def build_instance(network="cortex", *, n_neurons: int | None = None, dt_ms: float | None = None, seed: int = 0,
                   weight_scale_ee: float = 1.0) -> Built:
    """The network instance that ``simulate(..., seed=seed)`` would build, to reuse across runs.

    Pass it as ``simulate(..., built=...)`` or ``synapse_activity(..., built=...)``: the
    results are the same as without it (the instance is drawn from the seed's network
    stream), minus the build time (~0.17 s for 1,000 ``cortex`` neurons). Validated like
    :func:`mechtms.network.simulate`.
    """
    from ._engine import streams
    from .simulate import _check_common

    spec, n, dt, seed, w = _check_common(network, n_neurons, dt_ms, seed, weight_scale_ee)
    return build(spec, n, dt, streams(seed)[0], w)
