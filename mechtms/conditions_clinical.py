"""Clinical conditions: depression (rat and human) and chronic pain.

Stage 1 holds what does not need the chain: the DLPFC-like network and the constants the
conditions share. The conditions themselves (``depression_rat``, ``depression``,
``chronic_pain``) are registered here once :mod:`mechtms.conditions` has the chain's fields.

The DLPFC-like network
----------------------
The chain stimulates the ``cortex`` network (M1-like). What differs in the dorsolateral
prefrontal cortex, and what the model does with it:

* **More recurrent synapses per neuron.** Layer-III pyramidal cells of granular prefrontal
  cortex carry many more dendritic spines (excitatory synapses) than those of sensory and motor
  areas, on larger, more branched dendritic trees (macaque: Elston GN 2003 Cereb Cortex 13:1124;
  Elston GN et al. 2011 Front Neuroanat 5:2; human prefrontal supragranular pyramids ~70 % more
  spines than primary areas: Jacobs B et al. 2001 Cereb Cortex 11:558 [recalled]). The model
  scales both E and I weights by ``recurrent_gain`` (more synapses of both kinds along longer
  dendrites: the mean input stays balanced, its fluctuations grow). The value, 1.05, is far
  below the anatomical ratio: the ``cortex`` network has no homeostasis and leaves its
  asynchronous ~8 Hz state for runaway firing once E->E weights rise by 6-8 % (measured in this
  module's tests), so a DLPFC with the anatomical surplus cannot be represented; ASSUMED.
* **Slow, NMDA-dominated recurrent excitation** sustains persistent activity in DLPFC (NR2B
  NMDA receptors: Wang M et al. 2013 Neuron 77:736). Not represented: the engine has one
  exponential excitatory time constant.
* **Intensity is referenced to the motor threshold measured over M1** (O'Reardon 2007: 120 % MT
  over the DLPFC), not to a DLPFC threshold (the DLPFC gives no MEP). The field reaching the
  DLPFC at the same stimulator output differs from M1's: at fixed output the E-field magnitude
  in a DLPFC region is lower than in M1 in head models of elderly adults (J Integr Neurosci 2026,
  doi:10.31083/JIN47371), scalp-to-DLPFC distance grows with age more than scalp-to-M1
  (J Alzheimers Dis 2018, doi:10.3233/JAD-180732), and each extra mm of coil-cortex distance
  needs ~3 % more stimulator output (Stokes MG et al. 2005 J Neurophysiol 94:4520; 2.8 %/mm:
  Stokes et al. 2007 Clin Neurophysiol 118:1617); but MT does not correlate with prefrontal
  distance across subjects (McConnell KA et al. 2001 Biol Psychiatry 49:454). The model gives the
  DLPFC ``field_ratio`` = 0.9 of the field M1 receives at the same % MT (ASSUMED: ~2 mm deeper at
  ~5 % of the threshold per mm): ``x_rmt_dlpfc = field_ratio * x_rmt(M1 cortex)``.
"""

from __future__ import annotations

from .network.networks import CORTEX, IzhNetwork

#: Balanced scale of E and I weights of the DLPFC-like network (see module docstring). ASSUMED.
DLPFC_RECURRENT_GAIN = 1.05
#: Field at the DLPFC relative to the field at M1 for the same stimulator output. ASSUMED.
DLPFC_FIELD_RATIO = 0.9


def dlpfc_network(recurrent_gain: float = DLPFC_RECURRENT_GAIN, base: IzhNetwork = CORTEX) -> IzhNetwork:
    """The DLPFC-like network: ``base`` (the M1-like ``cortex``) with E and I weights x ``recurrent_gain``.

    Parameters
    ----------
    recurrent_gain : float
        Balanced scale of recurrent E and I weights (more synapses per neuron), 0.5-2.
    base : IzhNetwork
    """
    from . import _checks

    g = _checks.finite_number("recurrent_gain", recurrent_gain, low=0.5, high=2.0)
    return base.replace(name="dlpfc", w_e=base.w_e * g, w_i=base.w_i * g,
                        source=f"{base.name} with E and I weights x {g:g}: more recurrent synapses per "
                               "prefrontal pyramidal cell (Elston 2003; Jacobs 2001); mechtms.conditions_clinical")


def dlpfc_x_rmt(field_ratio: float = DLPFC_FIELD_RATIO, *, n_neurons: int | None = None,
                dt_ms: float | None = None, seed: int = 0) -> float:
    """Field (model units) reaching the DLPFC at 100 % of the M1 motor threshold.

    ``field_ratio`` x the M1 ``cortex`` network's calibrated RMT field
    (:func:`mechtms.network.calibrate_rmt`, cached): the DLPFC is dosed in % of the motor
    threshold measured over M1.
    """
    from . import _checks
    from .network import calibrate_rmt

    r = _checks.finite_number("field_ratio", field_ratio, low=0.1, high=3.0)
    return r * calibrate_rmt(CORTEX, n_neurons=n_neurons, dt_ms=dt_ms, seed=seed)
