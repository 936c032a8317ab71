"""Intensity in physical units: cortical E-field (V/m) → direct activation of each cell type.

A user with a head model (e.g. SimNIBS) knows the macroscopic E-field magnitude at the
target, in V/m, and the pulse waveform; clinicians give % of the resting motor
threshold (RMT). Both reach the network through one threshold model:

1. **Macroscopic → microscopic field.** Head models resolve the field at millimetre
   scale. At the MEP threshold they give 50-70 V/m at the motor hotspot, while
   compartmental neuron models in a uniform field need 175-350 V/m to fire; cell
   membranes, vessels and other microstructure distort the field around neurons, and a
   single statistical scaling factor between microscopic and macroscopic field
   reconciles the two (Weise, Makaroff, Numssen, Bikson & Knösche 2025, Brain Stimul
   18:280). Here ``MICRO_OVER_MACRO`` = 4.4 is DERIVED from the two ranges quoted by
   Weise et al. (midpoints 262.5 / 60); their own fitted factor is not reproduced here.
2. **Per-cell-type thresholds** (uniform microscopic field, median over cell
   orientations and morphologies, and a log-normal spread): layer 5 pyramidal cells
   have the lowest thresholds, layer 2/3 pyramidal cells and basket cells are also
   activated at most intensities (Aberra, Wang, Grill & Peterchev 2020, Brain Stimul
   13:175). Values: ``CELL_THRESHOLD_VM`` places L5 PCs at the lower end (175 V/m) and
   L2/3 PCs and basket cells in the middle (263 V/m) of the 175-350 V/m range quoted by
   Weise et al. 2025; neurogliaform-type cells with small local axons at its upper end
   (350 V/m, ASSUMED). The log-normal spread of thresholds over the stimulated patch has
   two parts, combined in quadrature (independent log-normal factors):

   - ``SIGMA_CELL`` = 0.35, the spread between cells at one site (ASSUMED: thresholds
     over orientations and morphologies span about a factor of two in Aberra et al. 2020);
   - ``SIGMA_FIELD`` = 0.55, the spread of the local field over the patch that one
     network column stands for. In realistic head models the field magnitude on the
     gyral crown is about twice that in the sulcal walls and fundus under the same coil
     (Thielscher, Opitz & Windhoff 2011, NeuroImage 54:234), and the cells of a patch sit
     at every depth of the gyrus. The value is CALIBRATED (the only free number of this
     step): it is the spread at which iTBS 600 at 80 % AMT facilitates and cTBS 600
     depresses through the network-driven synapses (plasticity calibration anchors,
     ``docs/plasticity.md``); with the cell spread alone (0.35-0.5) a subthreshold
     train recruits almost no presynaptic axons and TBS at 80 % AMT changes nothing.

   Total ``sigma`` = hypot(0.35, 0.55) = 0.65 for every cell type (``CELL_SIGMA``).
3. **Waveform.** Thresholds differ between pulse waveforms (Aberra et al. 2020); in
   humans the biphasic pulse reaches the motor threshold with a weaker peak field than
   the monophasic one (Kammer et al. 2001, Clin Neurophysiol 112:250). ASSUMED: the
   monophasic thresholds are ``WAVEFORM_FACTOR["monophasic"]`` = 1.2 × the biphasic ones
   for every cell type, so the waveform changes the field at RMT but not which cells a
   given % RMT recruits.
4. **The model's own motor threshold.** ``calibrate_rmt`` finds the field (model units)
   at which half of single pulses evoke a population response; :func:`field_at_rmt`
   expresses it in V/m, and % RMT ↔ V/m conversions go through it. The E-field at RMT is
   therefore a model output, to be compared with the 50-70 V/m of head models (not an
   independent test: the scaling factor was derived from that range).

Which element the thresholds describe: in the compartmental models of Aberra et al.
2020 a neuron's threshold is that of its most excitable element, the axon terminals. In
the networks here the axon arbor of an excitatory cell is activated at
``axon_x50_ratio`` × its somatic threshold (``IzhNetwork.axon_x50_ratio``), so the
cell-type thresholds above are matched to the *axonal* activation: model unit ``x = 1`` is
the somatic median threshold of L2/3 pyramidal cells, and their axonal median,
``axon_x50_ratio`` model units, corresponds to ``CELL_THRESHOLD_VM["L23_PC"]`` /
``MICRO_OVER_MACRO`` V/m. (The ``cortex`` network's pyramidal cells take the L2/3
thresholds; its E and I cells keep their equal somatic thresholds and spread of 0.5.)
"""

from __future__ import annotations

import numpy as np

from .. import _checks

#: Microscopic / macroscopic field (DERIVED from the ranges in Weise et al. 2025).
MICRO_OVER_MACRO = 262.5 / 60.0
#: Median threshold (V/m, microscopic, biphasic pulse) per cell type.
CELL_THRESHOLD_VM = {"L5_PC": 175.0, "L23_PC": 262.5, "BC": 262.5, "NGF": 350.0}
#: Log-normal spread of thresholds between cells at one site (ASSUMED, Aberra et al. 2020).
SIGMA_CELL = 0.35
#: Log-normal spread of the local field over the patch (CALIBRATED on iTBS/cTBS 600, see 2.).
SIGMA_FIELD = 0.55
#: Total log-normal spread of thresholds within a cell type over the patch.
CELL_SIGMA = {name: float(np.hypot(SIGMA_CELL, SIGMA_FIELD)) for name in CELL_THRESHOLD_VM}
#: Threshold factor per waveform (relative to biphasic).
WAVEFORM_FACTOR = {"biphasic": 1.0, "monophasic": 1.2}
#: The cell type whose median threshold defines one model unit of field.
REFERENCE_TYPE = "L23_PC"


def check_waveform(waveform: str) -> str:
    return _checks.choice("waveform", waveform, tuple(WAVEFORM_FACTOR))


def _axon_ratio(network) -> float:
    from . import networks as nets

    return float(nets.get(network).axon_x50_ratio) if network is not None else 1.0


def field_unit_vm(waveform: str = "biphasic", network=None, micro_over_macro: float = MICRO_OVER_MACRO) -> float:
    """Macroscopic field (V/m) of one model unit of ``network``: the median L2/3 PC threshold
    over the scaling factor, divided by the network's ``axon_x50_ratio`` (the thresholds are
    those of the axon, the most excitable element; ``network=None``: ratio 1)."""
    waveform = check_waveform(waveform)
    return CELL_THRESHOLD_VM[REFERENCE_TYPE] * WAVEFORM_FACTOR[waveform] / micro_over_macro / _axon_ratio(network)


def x50_of(cell_type: str) -> float:
    """Median threshold of a cell type in model units (waveform-independent, see 3.)."""
    return CELL_THRESHOLD_VM[cell_type] / CELL_THRESHOLD_VM[REFERENCE_TYPE]


def vm_to_model(field_vm, waveform: str = "biphasic", network=None) -> np.ndarray:
    """Macroscopic field (V/m) → model units of ``network``."""
    return np.asarray(field_vm, dtype=float) / field_unit_vm(waveform, network)


def model_to_vm(x, waveform: str = "biphasic", network=None) -> np.ndarray:
    """Model units of ``network`` → macroscopic field (V/m)."""
    return np.asarray(x, dtype=float) * field_unit_vm(waveform, network)


def field_at_rmt(network="cortex", waveform: str = "biphasic", **calibrate_kw) -> float:
    """Macroscopic E-field (V/m) at the network's own resting motor threshold.

    Parameters
    ----------
    network : str or network definition
    waveform : {"biphasic", "monophasic"}
    **calibrate_kw
        Passed to :func:`mechtms.network.calibrate_rmt` (``n_neurons``, ``dt_ms``, ``seed``, ...).

    Examples
    --------
    >>> round(field_at_rmt("cortex"), 1)   # doctest: +SKIP
    33.8
    """
    from .stimulation import calibrate_rmt

    waveform = check_waveform(waveform)
    return float(model_to_vm(calibrate_rmt(network, **calibrate_kw), waveform, network))


def rmt_to_vm(intensity_rmt, network="cortex", waveform: str = "biphasic", **calibrate_kw) -> float:
    """% RMT → macroscopic field (V/m) through the model's motor threshold."""
    from .stimulation import check_intensity

    return check_intensity(intensity_rmt) / 100.0 * field_at_rmt(network, waveform, **calibrate_kw)


def vm_to_rmt(field_vm, network="cortex", waveform: str = "biphasic", **calibrate_kw) -> float:
    """Macroscopic field (V/m) → % RMT through the model's motor threshold."""
    field_vm = _checks.finite_number("field_vm (V/m)", field_vm, low=0.0, high=500.0)
    return 100.0 * field_vm / field_at_rmt(network, waveform, **calibrate_kw)
