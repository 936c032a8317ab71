"""Two motor cortices coupled by transcallosal projections, and a stroke lesion of one of them.

Each hemisphere is a block of one of the package's Izhikevich networks (``cortex`` by
default), drawn with :func:`mechtms.network.networks.build`. The two blocks are stitched
into one :class:`mechtms.network.networks.Built` and run by the package's engine
(:func:`mechtms.network._engine.run`), so the neurons, synapses, thalamic input and TMS
recruitment are exactly those of the single-hemisphere network. What this module adds:

* **callosal projections** (:class:`Callosum`): excitatory axons of each hemisphere's E
  cells onto E and I cells of the other hemisphere, after a conduction delay.
  Interhemispheric inhibition (IHI) is what a conditioning pulse over one M1 does to the
  MEP evoked from the other 6-30 ms later (maximal near 10 ms; Ferbert et al. 1992, J
  Physiol 453:525; a second, long-latency phase near 40-50 ms: Ni et al. 2009, Cereb
  Cortex 19:1654). Callosal fibres are excitatory and IHI is relayed by inhibitory
  interneurons of the receiving M1 (Lee, Gunraj & Chen 2007, J Physiol 580:1021: SICI and
  LICI circuits interact with IHI), so the projection onto I cells is stronger than onto
  E cells; its strength is calibrated to the IHI magnitude (``docs/stroke.md``).
* **a lesion** (:class:`Lesion`) of one hemisphere: a fraction of its neurons is lost
  (cortical infarct: their synapses, including their callosal axons, are gone), part of
  its descending output no longer reaches the spinal cord (``cst_spared``, the MEP
  probe's conducting fraction; subcortical damage leaves the cortex itself intact) and,
  optionally, more of its callosal axons are cut. Whether the other hemisphere becomes
  hyperexcitable is not imposed: it would follow from the loss of callosal drive onto its
  inhibitory cells (interhemispheric competition, Murase et al. 2004, Ann Neurol 55:400);
  in this network that effect is small (``docs/stroke.md``).
  ``contralesional_disinhibition`` weakens the contralesional M1's intracortical inhibition
  onto its pyramidal cells, for those who hold that it is hyperexcitable after a stroke
  (reduced SICI on both sides: Neurorehabil Neural Repair 2024 meta-analysis; no consistent
  contralesional hyperexcitability: McDonnell & Stinear 2017, Brain Stimul 10:721); default
  0 = none. (Raising its thalamic input instead would raise its resting rate but shrink its
  evoked response in these networks, so it is not offered.)
* **per-pulse targeting**: a pulse activates cells (somata or axons) of one hemisphere only
  (the engine's ``stim_mask``; runs that aim pulses at both sides, as the paired-pulse IHI
  probe does, mask each pulse's draws: :mod:`mechtms.stroke._fallback`), and spikes are read
  out per hemisphere.

Intensities are in % of the RMT of a hemisphere of the healthy coupled network
(:func:`calibrate_x_rmt`, the package's procedure and criterion applied to one side): the
RMT of the healthy (or unaffected) hemisphere, as clinical trials dose both M1s by the
unaffected side's threshold when the lesioned side has none. The callosal input to the
interneurons makes a coupled hemisphere less excitable than an isolated one, so the
isolated column's RMT would not do. Facts and sources: ``docs/stroke.md``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _checks
from ..network import _engine, layered, stimulation
from ..network import networks as nets

SIDES = ("left", "right")
#: Seed stream of this module (kept apart from the engine's own five streams).
_STREAM = 16


@dataclass(frozen=True)
class Callosum:
    """Transcallosal projections, the same in both directions.

    Attributes
    ----------
    strength_to_e, strength_to_i : float
        Summed callosal weight onto one E (fast I) cell relative to the reference's summed
        excitatory input per cell (both populations fire at similar rates at rest, so this
        is also about the ratio of their drives). strength_to_e ASSUMED small (0.05: callosal
        input is a few % of a cell's synapses); strength_to_i CALIBRATED by hand on one point:
        IHI at 10 ms of ~0.5 (conditioned / unconditioned evoked volley) with a 130 % RMT
        conditioning pulse (Ferbert et al. 1992, J Physiol 453:525: 40-70 % inhibition at
        10 ms with suprathreshold conditioning pulses). On ``m1_column`` with the threshold
        spread of :mod:`mechtms.network.efield` (1,000 neurons per side, seed 5, 8 trials):
        0.35 gives 0.69, 0.40 0.57, 0.42 0.52, 0.45 0.45, 0.5 0.36; 0.42 is kept
        (tests/test_stroke_network.py; docs/stroke.md).
    strength_to_b : float
        The same onto slow (GABA_B) inhibitory cells, in networks that have them
        (``m1_column``): long-latency IHI near 50 ms is relayed by other neurons than the
        10 ms phase (Ni et al. 2009, Cereb Cortex 19:1654) and is thought GABA_B-mediated.
        ASSUMED 1.0: it gives IHI of ~0.6 at 20 ms but none at 50 ms (not reproduced; even
        driving these cells to burst gives only ~0.9 there, docs/stroke.md).
    k_in : int
        Callosal synapses per receiving cell (presynaptic E cells drawn with replacement).
        ASSUMED 50: a few % of a cortical cell's ~1,000 inputs (callosal axons are about
        2 x 10^8 of ~10^10 neocortical neurons; Aboitiz et al. 1992, Brain Res 598:143).
    delay_ms : float
        Shortest conduction delay from a spike to its effect in the other hemisphere.
        ASSUMED 6 ms: IHI appears from interstimulus intervals of 6-8 ms (Ferbert et al.
        1992), and the response to the conditioning pulse lasts the first few ms after it.
    delay_spread_ms : float
        Delays are uniform in ``[delay_ms, delay_ms + delay_spread_ms]`` (callosal axons
        differ in diameter and conduction time, Aboitiz et al. 1992). ASSUMED 0: with
        a spread of 2 ms IHI at 10 ms weakens to 0.64 and with 10 ms it vanishes at these
        strengths (measured; ``docs/stroke.md``), so one delay is kept and the model's IHI
        is confined to intervals near 10 ms rather than Ferbert's 6-30 ms.
    """

    strength_to_e: float = 0.05
    strength_to_i: float = 0.42
    strength_to_b: float = 1.0
    k_in: int = 50
    delay_ms: float = 6.0
    delay_spread_ms: float = 0.0

    def __post_init__(self) -> None:
        _checks.finite_number("strength_to_e", self.strength_to_e, low=0.0, high=50.0)
        _checks.finite_number("strength_to_i", self.strength_to_i, low=0.0, high=50.0)
        _checks.finite_number("strength_to_b", self.strength_to_b, low=0.0, high=50.0)
        _checks.whole_number("k_in", self.k_in, low=1, high=2000)
        _checks.finite_number("delay_ms", self.delay_ms, low=0.0, low_open=True, high=50.0)
        _checks.finite_number("delay_spread_ms", self.delay_spread_ms, low=0.0, high=50.0)


@dataclass(frozen=True)
class Lesion:
    """A stroke of one hemisphere.

    Attributes
    ----------
    side : {"left", "right"}
        The lesioned hemisphere (ipsilesional); the other is contralesional.
    cortical_loss : float
        Fraction of the ipsilesional neurons (E and I alike) lost, 0-0.9. Their synapses
        (incoming, outgoing and callosal) are removed. 0 for a purely subcortical stroke.
    cst_spared : float
        Fraction of the ipsilesional corticospinal output that still reaches the spinal
        cord at stroke onset, 0-1 (the ``cst`` of the MEP probe). Spontaneous recovery of
        this fraction over time is :func:`mechtms.stroke.proxies.spared_output`.
    callosal_loss : float
        Fraction of the surviving ipsilesional E cells whose callosal axons are cut (white
        matter damage), 0-1.
    contralesional_disinhibition : float
        Fraction by which the contralesional hemisphere's inhibitory synapses onto its E cells
        are weakened, 0-0.5. ASSUMED 0 (no intrinsic hyperexcitability; see the module
        docstring for the dispute).
    """

    side: str = "left"
    cortical_loss: float = 0.0
    cst_spared: float = 1.0
    callosal_loss: float = 0.0
    contralesional_disinhibition: float = 0.0

    def __post_init__(self) -> None:
        _checks.choice("side", self.side, SIDES)
        _checks.finite_number("cortical_loss", self.cortical_loss, low=0.0, high=0.9)
        _checks.finite_number("cst_spared", self.cst_spared, low=0.0, high=1.0)
        _checks.finite_number("callosal_loss", self.callosal_loss, low=0.0, high=1.0)
        _checks.finite_number("contralesional_disinhibition", self.contralesional_disinhibition, low=0.0, high=0.5)

    @property
    def contralesional(self) -> str:
        return SIDES[1 - SIDES.index(self.side)]

    def replace(self, **changes) -> Lesion:
        return dataclasses.replace(self, **changes)


#: No lesion (both hemispheres intact).
HEALTHY = None


@dataclass(frozen=True)
class Hemispheres:
    """Two hemispheres of one network definition, coupled by a :class:`Callosum`.

    Attributes
    ----------
    network : str or IzhNetwork
        Definition of each hemisphere (default the package's ``cortex``).
    n_per_side : int
        Neurons per hemisphere (1,000 as the single-hemisphere chain; tests use fewer).
    dt_ms : float, optional
        Time step (default the network's).
    callosum : Callosum
    """

    network: str | nets.IzhNetwork = "m1_column"
    n_per_side: int = 1000
    dt_ms: float | None = None
    callosum: Callosum = Callosum()

    def __post_init__(self) -> None:
        spec = nets.get(self.network)
        object.__setattr__(self, "network", spec)
        _checks.whole_number("n_per_side", self.n_per_side, low=50, high=20_000)
        dt = spec.dt_ms if self.dt_ms is None else _checks.finite_number(
            "dt_ms", self.dt_ms, low=0.0, low_open=True, high=0.25)
        object.__setattr__(self, "dt_ms", float(dt))
        if not isinstance(self.callosum, Callosum):
            raise ValueError(f"callosum must be a Callosum, got {type(self.callosum).__name__}")

    @property
    def spec(self) -> nets.IzhNetwork:
        return self.network  # type: ignore[return-value]

    def replace(self, **changes) -> Hemispheres:
        return dataclasses.replace(self, **changes)

    def x_rmt(self, seed: int = 0) -> float:
        """Field (model units) at 100 % RMT of a hemisphere of the healthy coupled network
        (:func:`calibrate_x_rmt`, cached)."""
        return calibrate_x_rmt(self, seed)


@dataclass
class Stitched:
    """One instance of the two-hemisphere network.

    Attributes
    ----------
    built : mechtms.network.networks.Built
        Neurons ordered E(left), E(right), I(left), I(right) (the engine needs the E cells first).
    side : (N,) int8
        0 = left, 1 = right.
    alive : (N,) bool
        False for neurons lost to the lesion.
    lesion : Lesion or None
    weight_scale_ee, thalamic_gain, callosal_scale : dict side -> float
        The settings it was built with.
    role : (N,) int
        0 excitatory, 1 fast inhibitory, 2 slow (GABA_B) inhibitory.
    is_output : (N,) bool
        The corticospinal output population (all E cells in ``cortex``, L5 pyramidal cells
        in ``m1_column``).
    """

    built: nets.Built
    side: np.ndarray
    alive: np.ndarray
    lesion: Lesion | None
    weight_scale_ee: dict
    thalamic_gain: dict
    callosal_scale: dict
    role: np.ndarray
    is_output: np.ndarray

    @property
    def is_exc(self) -> np.ndarray:
        return np.arange(self.built.n) < self.built.n_exc

    def output_cells(self, side: str) -> np.ndarray:
        """Indices of the corticospinal output population of ``side``, lost cells included (the MEP is
        normalised by the intact population, so cell loss shrinks it)."""
        s = SIDES.index(_checks.choice("side", side, SIDES))
        return np.flatnonzero(self.is_output & (self.side == s))

    def cells(self, side: str, role: int = 0) -> np.ndarray:
        """Indices of the cells of ``side`` with ``role`` (0 E, 1 fast I, 2 GABA_B), lost ones included."""
        s = SIDES.index(_checks.choice("side", side, SIDES))
        return np.flatnonzero((self.role == role) & (self.side == s))


def _per_side(name: str, value, low: float, high: float) -> dict:
    if isinstance(value, Mapping):
        unknown = set(value) - set(SIDES)
        if unknown:
            raise _checks.unknown_name(f"{name} side", sorted(unknown)[0], SIDES, exc=ValueError)
        out = {s: float(value.get(s, 1.0)) for s in SIDES}
    elif isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) != 2:
            raise ValueError(f"{name} needs one value per side (left, right), got {value!r}")
        out = dict(zip(SIDES, (float(v) for v in value), strict=True))
    else:
        out = {s: value for s in SIDES}
    return {s: _checks.finite_number(f"{name}[{s}]", v, low=low, high=high) for s, v in out.items()}


def _roles(blk: nets.Built) -> np.ndarray:
    """Role of each cell of one block: 0 excitatory, 1 fast inhibitory, 2 slow (GABA_B) inhibitory."""
    role = np.where(np.arange(blk.n) < blk.n_exc, 0, 1)
    slow_start = getattr(blk, "n_slow_start", 0)
    if slow_start:
        role[slow_start:] = 2
    return role


def build(hemis: Hemispheres, seed: int = 0, *, lesion: Lesion | None = None,
          weight_scale_ee=1.0, thalamic_gain=1.0, callosal_scale=1.0) -> Stitched:
    """Draw one instance of the two-hemisphere network.

    Each side is one block of ``hemis.network`` (:func:`mechtms.network.networks.build`, which
    also builds layered columns); the blocks are interleaved by cell type, left before
    right within each type (E types first, then fast and slow inhibitory types, as the
    engine requires; in ``m1_column`` the L5 output cells of both sides are contiguous).

    Parameters
    ----------
    hemis : Hemispheres
    seed : int
        Fixes both hemispheres' instances, the callosal wiring and which cells the lesion
        removes (the engine's noise and TMS draws come from the run's seed).
    lesion : Lesion, optional
    weight_scale_ee : float, (left, right) or {side: float}
        Factor on each hemisphere's intracortical E->E weights (the plasticity layer's
        consolidated weight); 0-10.
    thalamic_gain : float, (left, right) or {side: float}
        Factor on each hemisphere's thalamic input (the cerebello-thalamic drive of
        :mod:`mechtms.stroke.cerebellum`); 0.25-4.
    callosal_scale : float, (left, right) or {side: float}
        Factor on the callosal synapses made by each side's axons (e.g. the stimulated
        side's plasticity, when its callosal outputs share it); 0-10.
    """
    seed = _checks.whole_number("seed", seed, low=0)
    if lesion is not None and not isinstance(lesion, Lesion):
        raise ValueError(f"lesion must be a Lesion or None, got {type(lesion).__name__}")
    w_scale = _per_side("weight_scale_ee", weight_scale_ee, 0.0, 10.0)
    gain = _per_side("thalamic_gain", thalamic_gain, 0.25, 4.0)
    cc_scale = _per_side("callosal_scale", callosal_scale, 0.0, 10.0)
    spec, n_req, dt = hemis.spec, hemis.n_per_side, float(hemis.dt_ms)  # type: ignore[arg-type]
    g_left, g_right, g_cc, g_lesion = (np.random.default_rng(s) for s in
                                       np.random.SeedSequence([seed, _STREAM]).spawn(4))
    blocks = [nets.build(spec, n_req, dt, g, w_scale[s]) for g, s in ((g_left, "left"), (g_right, "right"))]
    n = blocks[0].n
    kind_local = np.asarray(blocks[0].kind)
    role_local = _roles(blocks[0])
    out_local = np.zeros(n, dtype=bool)
    out_local[blocks[0].output_range[0]:blocks[0].output_range[1]] = True
    # global order: by cell type, left before right
    key = np.concatenate([2 * kind_local.astype(np.int64), 2 * kind_local.astype(np.int64) + 1])
    to_global = np.empty(2 * n, dtype=np.int64)
    to_global[np.argsort(key, kind="stable")] = np.arange(2 * n)
    index = [to_global[:n], to_global[n:]]
    n_all = 2 * n

    def place(values_left, values_right, dtype=float):
        out = np.empty(n_all, dtype=dtype)
        out[index[0]] = values_left
        out[index[1]] = values_right
        return out

    side = place(np.zeros(n), np.ones(n), np.int8)
    role = place(role_local, role_local, np.int64)
    is_out = place(out_local, out_local, bool)
    local = np.arange(n)
    pre, post, w, delay = [], [], [], []
    for s, blk in enumerate(blocks):
        pre.append(index[s][np.repeat(local, np.diff(blk.indptr))])
        post.append(index[s][blk.indices])
        w.append(blk.weights)
        delay.append(blk.delays)
    # callosal projections: E cells of the source side onto E, fast I and GABA_B cells of the other
    cc = hemis.callosum
    mean_e_input = 0.5 * spec.w_e * 800.0  # summed intracortical E weight per cell (reference units)
    lo_steps = int(round(cc.delay_ms / dt))
    hi_steps = int(round((cc.delay_ms + cc.delay_spread_ms) / dt))
    for s in (0, 1):
        src = index[s][role_local == 0]
        for r, strength in ((0, cc.strength_to_e), (1, cc.strength_to_i), (2, cc.strength_to_b)):
            targets = index[1 - s][role_local == r]
            if strength == 0.0 or targets.size == 0:
                continue
            k = cc.k_in
            pre.append(src[g_cc.integers(0, src.size, size=(targets.size, k))].ravel())
            post.append(np.repeat(targets, k))
            w.append(strength * mean_e_input * 2.0 / k * g_cc.random(targets.size * k) * blocks[0].scale_e
                     * cc_scale[SIDES[s]])
            delay.append(g_cc.integers(lo_steps, hi_steps + 1, size=targets.size * k).astype(np.int32))
    pre_a, post_a = np.concatenate(pre), np.concatenate(post)
    w_a, delay_a = np.concatenate(w), np.concatenate(delay).astype(np.int32)

    noise = place(blocks[0].noise_sd, blocks[1].noise_sd)
    for s, name in enumerate(SIDES):
        noise[side == s] *= gain[name]
    alive = np.ones(n_all, dtype=bool)
    if lesion is not None:
        ls = SIDES.index(lesion.side)
        cells = np.flatnonzero(side == ls)
        lost = g_lesion.choice(cells, int(round(lesion.cortical_loss * cells.size)), replace=False)
        alive[lost] = False
        noise[lost] = 0.0
        survivors_e = np.flatnonzero((side == ls) & alive & (role == 0))
        cut = g_lesion.choice(survivors_e, int(round(lesion.callosal_loss * survivors_e.size)), replace=False)
        cut_mask = np.zeros(n_all, dtype=bool)
        cut_mask[cut] = True
        callosal = side[pre_a] != side[post_a]
        inhib_contra = (side[pre_a] == 1 - ls) & (side[post_a] == 1 - ls) & (role[pre_a] > 0) & (role[post_a] == 0)
        w_a = np.where(inhib_contra, w_a * (1.0 - lesion.contralesional_disinhibition), w_a)
        keep = alive[pre_a] & alive[post_a] & ~(callosal & cut_mask[pre_a])
        pre_a, post_a, w_a, delay_a = pre_a[keep], post_a[keep], w_a[keep], delay_a[keep]

    order = np.argsort(pre_a, kind="stable")
    indptr = np.zeros(n_all + 1, dtype=np.int64)
    np.cumsum(np.bincount(pre_a, minlength=n_all), out=indptr[1:])
    out_idx = np.flatnonzero(is_out)
    if out_idx.size and out_idx[-1] - out_idx[0] + 1 != out_idx.size:
        raise RuntimeError("the output cells of the two sides are not contiguous")  # by construction they are
    aff_ok = [np.isin(local, local if blk.afferent_candidates is None else blk.afferent_candidates)
              for blk in blocks]
    fields: dict[str, Any] = dict(
        n=n_all, n_exc=int(np.count_nonzero(role == 0)), a=place(blocks[0].a, blocks[1].a),
        b=place(blocks[0].b, blocks[1].b), c=place(blocks[0].c, blocks[1].c), d=place(blocks[0].d, blocks[1].d),
        indptr=indptr, indices=post_a[order].astype(np.int32), weights=w_a[order].astype(np.float64),
        delays=delay_a[order], noise_sd=noise, kind=place(kind_local, kind_local, np.int8),
        output_range=(int(out_idx[0]), int(out_idx[-1]) + 1) if out_idx.size else (0, 0),
        afferent_candidates=np.flatnonzero(alive & place(aff_ok[0], aff_ok[1], bool)).astype(np.int32))
    layered_blocks = [blk for blk in blocks if isinstance(blk, layered.LayeredBuilt)]
    if len(layered_blocks) == 2:  # a layered column: its slow processes per cell
        fields["n_slow_start"] = int(np.count_nonzero(role < 2))
        fields["d_adapt"] = place(layered_blocks[0].d_adapt, layered_blocks[1].d_adapt)
        fields["use"] = place(layered_blocks[0].use, layered_blocks[1].use)
    built = dataclasses.replace(blocks[0], **fields)
    return Stitched(built=built, side=side, alive=alive, lesion=lesion, weight_scale_ee=w_scale,
                    thalamic_gain=gain, callosal_scale=cc_scale, role=role, is_output=is_out)


# ---- the motor threshold of a coupled hemisphere -----------------------------------------------
_RMT_MEMORY: dict[str, float] = {}


def calibrate_x_rmt(hemis: Hemispheres, seed: int = 0, *, n_pulses: int = 300, cache: bool = True) -> float:
    """Field (model units) at which half of single pulses over the left hemisphere of the healthy
    coupled network evoke a population response there.

    The procedure and criterion of :func:`mechtms.network.calibrate_rmt` (pulses every
    ``CALIBRATION_ISI_MS``; at least ``RESPONSE_SPIKES_PER_CELL`` spikes per E cell of the
    stimulated side 1-11 ms after the pulse; a third of the pulses at log-uniform fields in
    [0.1, 2.5], the rest around the first estimate capped at 2.5; maximum-likelihood probit in
    ln x: :func:`mechtms.network.stimulation.two_stage_threshold`), with
    300 pulses. Cached in memory and in ``$MECHTMS_CACHE_DIR/stroke_rmt.json``.
    """
    import hashlib

    from .. import __version__

    n_pulses = _checks.whole_number("n_pulses", n_pulses, low=30)
    key = hashlib.sha256(repr((__version__, stimulation.ENGINE_REVISION, hemis, seed, n_pulses,
                               stimulation.RESPONSE_SPIKES_PER_CELL, stimulation.RESPONSE_WINDOW_MS,
                               stimulation.CALIBRATION_ISI_MS)).encode()).hexdigest()[:20]
    path = stimulation._cache_path().with_name("stroke_rmt.json")
    x_ref = 1.0  # intensities are passed as 100 * x so that x_rmt * intensity / 100 = x

    def compute() -> float:
        net = build(hemis, seed)
        n_left = net.cells("left", 0).size
        isi_s = stimulation.CALIBRATION_ISI_MS * 1e-3

        def responses(x, run_seed):
            t = 1.0 + np.arange(x.size) * isi_s
            r = run(net, float(t[-1] + isi_s), seed=seed, run_seed=run_seed, pulse_times_s=t,
                    pulse_side=np.zeros(x.size, dtype=int), intensity_rmt=100.0 * x / x_ref, x_rmt=x_ref)
            counts = r.counts[0][:, :2].copy()        # left side: E and I spikes per 1 ms bin
            ev = stimulation.evoked_spikes_per_cell(counts, r.pulse_bins, n_left)
            return x, ev >= stimulation.RESPONSE_SPIKES_PER_CELL

        return stimulation.two_stage_threshold(responses, seed, n_pulses, x_high=2.5, clip_high=True)

    return stimulation.cached_threshold(path, key, _RMT_MEMORY, cache, compute)


# ---- running it ---------------------------------------------------------------------------
@dataclass
class Run:
    """Spikes of one run, per hemisphere.

    Attributes
    ----------
    counts : (2, n_bins, 3) int
        Spikes per 1 ms bin of each side's (left, right) E cells, inhibitory cells (fast and
        slow) and output cells.
    spikes : (n_spikes,) int64 step and (n_spikes,) int32 neuron, the whole raster.
    pulse_bins : (P,) int
        1 ms bin of each pulse.
    n_direct : (P, 2) directly activated E and I cells per pulse.
    """

    counts: np.ndarray
    spike_step: np.ndarray
    spike_idx: np.ndarray
    pulse_bins: np.ndarray
    n_direct: np.ndarray
    dt_ms: float


def run(net: Stitched, duration_s: float, *, seed: int = 0, pulse_times_s=(), pulse_side=(),
        intensity_rmt=(), x_rmt: float, run_seed: int | None = None) -> Run:
    """Simulate the two hemispheres, with pulses aimed at one side each.

    Parameters
    ----------
    net : Stitched
    duration_s : float
    seed : int
        Noise and TMS recruitment (with ``run_seed``: repeated trials on one instance).
    pulse_times_s : (P,) float
    pulse_side : (P,) str or int
        Hemisphere each pulse is aimed at (``"left"``/``"right"`` or 0/1): only its
        surviving cells can be recruited.
    intensity_rmt : (P,) float or float
        % RMT of each pulse (see the module docstring), 0-250.
    x_rmt : float
        Field at 100 % RMT (:meth:`Hemispheres.x_rmt`).
    """
    duration_s = _checks.finite_number("duration_s", duration_s, low=0.0, low_open=True, high=1e5)
    times = np.atleast_1d(np.asarray(pulse_times_s, dtype=float))
    n_p = times.size
    sides = np.atleast_1d(np.asarray(pulse_side, dtype=object)) if n_p else np.zeros(0, dtype=object)
    if sides.size != n_p:
        raise ValueError(f"pulse_side has {sides.size} entries for {n_p} pulses")
    side_idx = np.array([SIDES.index(_checks.choice("pulse_side", s, SIDES)) if isinstance(s, str)
                         else _checks.whole_number("pulse_side", s, low=0, high=1) for s in sides], dtype=np.int64)
    intens = np.broadcast_to(np.asarray(intensity_rmt, dtype=float), (n_p,)) if n_p else np.zeros(0)
    for i in intens:
        stimulation.check_intensity(i)
    if n_p and (np.any(np.diff(times) <= 0) or times[0] < 0 or times[-1] * 1000.0 >= duration_s * 1000.0):
        raise ValueError("pulse_times_s must be increasing and within [0, duration_s)")
    built = net.built
    dt = built.dt_ms
    steps_per_ms = int(round(1.0 / dt))
    n_steps = int(round(duration_s * 1000.0 * steps_per_ms))
    pulse_steps = np.round(times * 1000.0 * steps_per_ms).astype(np.int64)
    n_kinds = len(built.kind_names)
    x = x_rmt * intens / 100.0
    p_direct = stimulation.direct_probability(x, built.spec).reshape(n_p, n_kinds)
    p_axon = stimulation.axonal_probability(x, built.spec).reshape(n_p, n_kinds)
    masks = (net.side[None, :] == side_idx[:, None]) & net.alive[None, :]
    kw: dict[str, Any] = dict(n_neurons=built.n, dt_ms=dt, n_steps=n_steps, seed=seed, run_seed=run_seed,
                              pulse_steps=pulse_steps, p_direct=p_direct, p_axon=p_axon, record_raster=True,
                              record_lfp=False, built=built)
    if n_p == 0 or np.all(masks == masks[0]):
        res = _engine.run(built.spec, stim_mask=masks[0] if n_p else None, **kw)
    else:  # pulses aimed at different sides in one run: the engine's mask is one per run
        from ._fallback import masked_recruitment

        with masked_recruitment(masks):
            res = _engine.run(built.spec, **kw)
    n_bins = res.counts.shape[0]
    counts = np.zeros((2, n_bins, 3), dtype=np.int64)
    bins = res.spk_step // steps_per_ms
    sd = net.side[res.spk_idx].astype(np.int64)
    keep = sd < 2
    sd, bins, idx = sd[keep], bins[keep], res.spk_idx[keep]
    np.add.at(counts, (sd, bins, np.minimum(net.role[idx], 1)), 1)
    out = net.is_output[idx]
    np.add.at(counts, (sd[out], bins[out], 2), 1)
    return Run(counts=counts, spike_step=res.spk_step, spike_idx=res.spk_idx,
               pulse_bins=np.round(times * 1000.0).astype(np.int64), n_direct=res.n_direct, dt_ms=dt)
