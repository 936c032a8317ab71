"""A layered motor-cortex column with an alpha rhythm and slow processes (network ``"m1_column"``).

Why a second production network: the ``cortex`` network (Izhikevich 2003 neurons, 1 ms
synapses) has no process slower than the recovery variable ``u`` (~50 ms) and an LFP
proxy dominated by fast synaptic currents, so nothing in it can outlast a pulse or
desynchronise a resting rhythm. This column adds what event-related desynchronisation
needs, each element with its source; ``cortex`` stays unchanged for calibration.

Cell types (order of the neuron index; 1,000 cells by default, 80 % excitatory)
------------------------------------------------------------------------------
``L23_PC``  layer 2/3 pyramidal cells, regular spiking (Izhikevich 2003 RS/CH variety), 45 %.
``L5_PC``   layer 5 pyramidal cells, the corticospinal output; intrinsically bursting
            (Izhikevich 2003 "IB", c = -55, d = 4; thick-tufted L5 cells burst and
            pace 5-12 Hz rhythms: Silva, Amitai & Connors 1991, Science 251:432), 35 %.
``BC``      basket cells, fast spiking, fast GABA_A (Izhikevich 2003 FS), 15 %.
``NGF``     neurogliaform-type slow interneurons (Izhikevich 2003 LTS parameters) whose
            synapses are GABA_B (slow: Tamás et al. 2003, Science 299:1902), 5 %.

Connectivity: each cell receives ``k_in`` inputs drawn from the four types in proportion
to their size, with the weights of the Izhikevich 2003 reference (E: 0.5·U(0,1),
I: -U(0,1)) scaled as in ``cortex`` and a factor per pathway (``pathway_gain``): the
descending L2/3 → L5 projection is the strongest excitatory pathway of motor cortex and
the ascending L5 → L2/3 one weak (Weiler et al. 2008, Nat Neurosci 11:360; Anderson et
al. 2010, Nat Neurosci 13:739); gains ASSUMED 1.5 and 0.5. Excitation onto basket cells
×2 (ASSUMED: strong E → fast-spiking connections; without it the basket cells stay
silent), L5 → GABA_B cells ×3 and L2/3 → GABA_B cells ×0.3 (ASSUMED: the GABA_B loop is
driven by the deep layer), GABA_B weights ``w_b`` = 2 × the GABA_A scale (ASSUMED).

Slow processes (all ASSUMED within the cited ranges; each can be switched off by its
field for tests of what it does)
-----------------------------------------------------------------------------
* synapses: AMPA decay ``tau_e_ms`` = 2 ms, GABA_A ``tau_i_ms`` = 6 ms (cortical IPSCs
  from basket cells decay in 5-10 ms), GABA_B rise ``tau_b_rise_ms`` = 40 ms and decay
  ``tau_b_decay_ms`` = 150 ms (Otis, De Koninck & Mody 1993, J Physiol 463:391; the
  long-interval cortical inhibition of paired-pulse TMS, 50-200 ms, is GABA_B-mediated:
  McDonnell, Orekhov & Ziemann 2006, Exp Brain Res 173:86).
* spike-frequency adaptation of L5 pyramidal cells slower than ``u``: a current jumping
  by ``adapt_jump`` × ``CellType.adapt`` (1 for L5, 0 for L2/3) per spike and decaying
  with ``tau_adapt_ms`` = 500 ms (medium/slow afterhyperpolarisation, Ca²⁺-activated K⁺
  currents lasting hundreds of ms to seconds: Sah & Faber 2002, Prog Neurobiol 66:345;
  magnitude ASSUMED). This is what desynchronises the alpha rhythm after a train
  (``docs/network.md``).
* short-term depression of excitatory synapses (Tsodyks & Markram 1997, PNAS 94:719:
  U ~ 0.5, recovery ~ 800 ms at neocortical pyramidal synapses): every spike (or axonal
  activation) of an excitatory cell uses the fraction ``std_use`` = 0.2 (ASSUMED, to keep
  the resting rates) of its resources, which recover with ``tau_rec_ms``; all its
  synapses are scaled by the resources left.

What is in the LFP proxy: the mean AMPA, GABA_A and GABA_B currents onto pyramidal
cells (:mod:`mechtms.network.lfp`). Recruitment by TMS per cell type:
:mod:`mechtms.network.efield`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import efield
from .networks import NETWORKS, Built, IzhNetwork


@dataclass(frozen=True)
class CellType:
    """One population of the column: Izhikevich (2003) parameters and its role.

    ``c = c0 + c_r·r²``, ``d = d0 + d_r·r²``, ``a = a0 + a_r·r``, ``b = b0 + b_r·r`` with
    r ~ U(0, 1) per cell (the 2003 recipe for heterogeneity); ``role`` is "E", "I" (fast
    GABA_A) or "B" (GABA_B); ``noise`` the SD of the thalamic input; ``x50``, ``sigma``
    the median and log-normal spread of the TMS activation threshold in model units
    (:mod:`mechtms.network.efield`).
    """

    name: str
    fraction: float
    role: str
    a0: float
    b0: float
    c0: float
    d0: float
    a_r: float = 0.0
    b_r: float = 0.0
    c_r: float = 0.0
    d_r: float = 0.0
    noise: float = 5.0
    x50: float = 1.0
    sigma: float = 0.35
    adapt: float = 0.0
    depression: float = 1.0


def _tms(name: str) -> dict:
    return {"x50": efield.x50_of(name), "sigma": efield.CELL_SIGMA[name]}


M1_CELL_TYPES = (
    CellType("L23_PC", 0.45, "E", 0.02, 0.2, -65.0, 8.0, c_r=15.0, d_r=-6.0, adapt=0.0, **_tms("L23_PC")),
    CellType("L5_PC", 0.35, "E", 0.02, 0.2, -55.0, 4.0, c_r=-5.0, d_r=2.0, adapt=1.0, **_tms("L5_PC")),
    CellType("BC", 0.15, "I", 0.10, 0.2, -65.0, 2.0, noise=3.0, **_tms("BC")),
    CellType("NGF", 0.05, "B", 0.02, 0.25, -65.0, 2.0, noise=1.0, **_tms("NGF")),
)


@dataclass(frozen=True)
class LayeredNetwork(IzhNetwork):
    """A column of several cell types (see the module docstring); a value like IzhNetwork.

    Additional attributes
    ---------------------
    cell_types : tuple of CellType
        In neuron-index order: excitatory types first, then "I", then "B".
    pathway_gain : tuple of (pre, post, gain)
        Weight factors of pathways between cell types (default 1).
    w_b : float
        GABA_B weights are ``-w_b·U(0,1)`` scaled like the GABA_A ones.
    tau_b_rise_ms, tau_b_decay_ms : float
        GABA_B kinetics.
    tau_adapt_ms, adapt_jump : float
        Slow adaptation of excitatory cells (jump per spike in current units; 0 = off).
    std_use, tau_rec_ms : float
        Short-term depression of excitatory synapses (0 = off).
    output_type : str
        The corticospinal output population.
    afferent_types : tuple of str
        Cell types that may receive PAS afferent volleys.
    """

    cell_types: tuple = M1_CELL_TYPES
    pathway_gain: tuple = (("L23_PC", "L5_PC", 1.5), ("L5_PC", "L23_PC", 0.5), ("L23_PC", "BC", 2.0),
                           ("L5_PC", "BC", 2.0), ("L5_PC", "NGF", 3.0), ("L23_PC", "NGF", 0.3))
    w_b: float = 2.0
    tau_b_rise_ms: float = 40.0
    tau_b_decay_ms: float = 150.0
    tau_adapt_ms: float = 500.0
    adapt_jump: float = 1.0
    std_use: float = 0.2
    tau_rec_ms: float = 800.0
    output_type: str = "L5_PC"
    afferent_types: tuple = ("L23_PC", "L5_PC")


@dataclass
class LayeredBuilt(Built):
    """Arrays of one layered column (adds the slow processes to :class:`Built`)."""

    decay_br: float = 0.0
    decay_bd: float = 0.0
    decay_w: float = 0.0
    decay_rec: float = 0.0
    n_slow_start: int = 0
    d_adapt: np.ndarray | None = None
    use: np.ndarray | None = None

    def slow_params(self, dt_ms: float) -> dict:
        return {"ext": 1, "n_slow_start": int(self.n_slow_start), "decay_br": self.decay_br,
                "decay_bd": self.decay_bd, "decay_w": self.decay_w, "decay_rec": self.decay_rec}

    def slow_state(self, n_slots: int) -> tuple:
        n = self.n
        return (np.zeros(n), np.zeros(n), np.zeros((n_slots, n)), np.zeros(n),
                self.d_adapt, np.ones(n), self.use)


def _decay(tau_ms: float | None, dt_ms: float) -> float:
    return 0.0 if not tau_ms else float(np.exp(-dt_ms / tau_ms))


def build(spec: LayeredNetwork, n_neurons: int, dt_ms: float, rng: np.random.Generator,
          weight_scale_ee: float = 1.0) -> LayeredBuilt:
    """Draw one instance of the column: cell parameters, then connectivity and weights."""
    types = spec.cell_types
    names = [t.name for t in types]
    sizes = np.floor(np.array([t.fraction for t in types]) * n_neurons).astype(int)
    sizes[0] += n_neurons - sizes.sum()
    n = int(sizes.sum())
    kind = np.repeat(np.arange(len(types), dtype=np.int8), sizes)
    role = np.array([t.role for t in types])[kind]
    ne = int(np.count_nonzero(role == "E"))
    n_slow_start = int(ne + np.count_nonzero(role == "I"))
    if not (np.all(role[:ne] == "E") and np.all(role[ne:n_slow_start] == "I") and np.all(role[n_slow_start:] == "B")):
        raise ValueError("cell_types must list excitatory types first, then 'I', then 'B'")
    r = rng.random(n)
    par = {k: np.array([getattr(t, k) for t in types])[kind] for k in
           ("a0", "b0", "c0", "d0", "a_r", "b_r", "c_r", "d_r", "noise")}
    a = par["a0"] + par["a_r"] * r
    b = par["b0"] + par["b_r"] * r
    c = par["c0"] + par["c_r"] * r**2
    d = par["d0"] + par["d_r"] * r**2

    k_in = min(spec.k_in or n, n)
    frac = sizes / n
    k_from = np.floor(frac * k_in).astype(int)
    k_from[0] += k_in - k_from.sum()
    starts = np.r_[0, np.cumsum(sizes)]
    pre_all = np.concatenate([starts[i] + np.stack([rng.choice(sizes[i], k_from[i], replace=False)
                                                    for _ in range(n)]) for i in range(len(types))], axis=1)
    post_all = np.repeat(np.arange(n, dtype=np.int64)[:, None], k_in, axis=1)
    order = np.argsort(pre_all.ravel(), kind="stable")
    pre, post = pre_all.ravel()[order], post_all.ravel()[order]
    w_raw = rng.random(pre.shape[0])
    pre_role = role[pre]
    k_e = int(k_from[[i for i, t in enumerate(types) if t.role == "E"]].sum())
    k_i = int(k_from[[i for i, t in enumerate(types) if t.role != "E"]].sum())
    ref_e, ref_i = 800.0, 200.0
    weights = np.where(pre_role == "E", spec.w_e * w_raw * ref_e / max(k_e, 1),
                       np.where(pre_role == "I", -spec.w_i, -spec.w_b) * w_raw * ref_i / max(k_i, 1))
    gain = np.ones((len(types), len(types)))
    for src, dst, g in spec.pathway_gain:
        gain[names.index(src), names.index(dst)] = g
    weights = weights * gain[kind[pre], kind[post]]
    if weight_scale_ee != 1.0:
        weights = np.where((pre < ne) & (post < ne), weights * weight_scale_ee, weights)
    dec_e, dec_i = _decay(spec.tau_e_ms, dt_ms), _decay(spec.tau_i_ms, dt_ms)
    dec_br = _decay(spec.tau_b_rise_ms, dt_ms)
    scale = {"E": (1.0 - dec_e) / dt_ms, "I": (1.0 - dec_i) / dt_ms, "B": (1.0 - dec_br) / dt_ms}
    weights = weights * np.select([pre_role == "E", pre_role == "I"], [scale["E"], scale["I"]], scale["B"])
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(pre, minlength=n), out=indptr[1:])
    delay_steps = int(round(spec.delay_ms / dt_ms))
    out = names.index(spec.output_type)
    aff_cells = np.flatnonzero(np.isin(kind, [names.index(t) for t in spec.afferent_types])).astype(np.int32)
    return LayeredBuilt(
        spec=spec, n=n, n_exc=ne, a=a, b=b, c=c, d=d, indptr=indptr, indices=post.astype(np.int32),
        weights=weights.astype(np.float64), delays=np.full(pre.shape[0], delay_steps, dtype=np.int32),
        dt_ms=dt_ms, decay_e=dec_e, decay_i=dec_i, noise_sd=par["noise"], scale_e=scale["E"],
        afferent_candidates=aff_cells, kind=kind, kind_names=tuple(names),
        output_range=(int(starts[out]), int(starts[out + 1])), output_name=spec.output_type,
        decay_br=dec_br, decay_bd=_decay(spec.tau_b_decay_ms, dt_ms), decay_w=_decay(spec.tau_adapt_ms, dt_ms),
        decay_rec=_decay(spec.tau_rec_ms, dt_ms), n_slow_start=n_slow_start,
        weight_scale_ee=float(weight_scale_ee),
        d_adapt=spec.adapt_jump * np.array([t.adapt for t in types])[kind],
        use=np.where(role == "E", spec.std_use * np.array([t.depression for t in types])[kind], 0.0))


M1_COLUMN = LayeredNetwork(
    name="m1_column", k_in=1000, dt_ms=0.1, n_sub=1, tau_e_ms=2.0, tau_i_ms=6.0, delay_ms=1.0,
    source="layered M1 column: Izhikevich 2003 cell types (RS, IB, FS, LTS), GABA_B, slow adaptation, "
           "short-term depression (mechtms.network.layered)")

NETWORKS["m1_column"] = M1_COLUMN
