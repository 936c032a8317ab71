"""Clinical conditions: depression (rat and human) and chronic pain.

Stage 1 holds what does not need the chain: the DLPFC-like network and the constants the
conditions share. The conditions themselves (``depression_rat``, ``depression``,
``chronic_pain``) are registered here once :mod:`mechtms.conditions` has the chain's fields.

The DLPFC-like network
----------------------
The chain stimulates the layered ``m1_column`` network (M1). What differs in the dorsolateral
prefrontal cortex, and what the model does with it:

* **More recurrent excitatory synapses on supragranular pyramidal cells.** Layer-III pyramids of
  granular prefrontal cortex carry many more dendritic spines (excitatory synapses) on larger,
  more branched basal dendrites than those of sensory and motor areas (macaque: Elston GN 2003
  Cereb Cortex 13:1124; Elston GN et al. 2011 Front Neuroanat 5:2). In humans, supragranular
  pyramids of primary areas (somatosensory BA3-1-2, motor BA4) are the least complex and those of
  frontopolar BA10 the most: 31 % more total dendritic length and ~70 % more spines than BA3-1-2
  (Jacobs B et al. 2001 Cereb Cortex 11:558; the dendritic length is read in the abstract, the
  spine figure recalled). The model multiplies the L2/3 -> L2/3 excitatory pathway by
  ``recurrent_gain`` = 1.7 (ASSUMED from that spine ratio; the DLPFC, BA9/46, lies between BA4 and
  BA10 in that hierarchy). The column stays in its asynchronous ~4-5 Hz state with it, also under
  the chain's E->E weight changes (tests).
* **Slow, NMDA-dominated recurrent excitation** sustains persistent activity in DLPFC (NR2B
  NMDA receptors: Wang M et al. 2013 Neuron 77:736). Not represented: the engine has one
  excitatory time constant.
* **Intensity is referenced to the motor threshold measured over M1** (O'Reardon 2007: 120 % MT
  over the DLPFC), not to a DLPFC threshold (the DLPFC gives no MEP). The field reaching the
  DLPFC at the same stimulator output differs from M1's: at fixed output the E-field magnitude
  in a DLPFC region is lower than in M1 in head models of elderly adults (J Integr Neurosci 2026,
  25(3), doi:10.31083/JIN47371), scalp-to-DLPFC distance grows with age more than scalp-to-M1
  (J Alzheimers Dis 2018, doi:10.3233/JAD-180732), and each extra mm of coil-cortex distance
  needs ~3 % more stimulator output (Stokes MG et al. 2005 J Neurophysiol 94:4520; 2.8 %/mm:
  Stokes et al. 2007 Clin Neurophysiol 118:1617); but MT does not correlate with prefrontal
  distance across subjects (McConnell KA et al. 2001 Biol Psychiatry 49:454). The model gives the
  DLPFC ``field_ratio`` = 0.9 of the field M1 receives at the same % MT (ASSUMED: ~2 mm deeper at
  ~5 % of the threshold per mm): ``x_rmt_dlpfc = field_ratio * x_rmt(m1_column)``, passed to the
  chain's network options so that the DLPFC's RMT is never recalibrated on the DLPFC itself.
* Not changed: cell-type fractions (the M1 column has a thick L5 and no L4; the granular DLPFC
  has a layer IV and thicker supragranular layers), which no source at hand quantifies for the
  model's four types.
"""

from __future__ import annotations

from . import _checks
from .network import networks as _nets

#: The M1 network the chain stimulates, from which the DLPFC-like network is derived.
M1_NETWORK = "m1_column"
#: Gain of the L2/3 -> L2/3 excitatory pathway of the DLPFC-like column (see module docstring). ASSUMED.
DLPFC_RECURRENT_GAIN = 1.7
#: Field at the DLPFC relative to the field at M1 for the same stimulator output. ASSUMED.
DLPFC_FIELD_RATIO = 0.9
RECURRENT_PATHWAY = ("L23_PC", "L23_PC")


def dlpfc_network(recurrent_gain: float = DLPFC_RECURRENT_GAIN, base=M1_NETWORK):
    """The DLPFC-like column: ``base`` (the layered M1 column) with L2/3 -> L2/3 excitation x ``recurrent_gain``.

    Parameters
    ----------
    recurrent_gain : float
        Factor on the L2/3 pyramidal -> L2/3 pyramidal pathway (more spines per cell), 0.5-3.
    base : str or LayeredNetwork
        A layered network of :mod:`mechtms.network` (default ``"m1_column"``).

    Returns
    -------
    mechtms.network.layered.LayeredNetwork named ``"dlpfc"``.
    """
    from .network.layered import LayeredNetwork

    g = _checks.finite_number("recurrent_gain", recurrent_gain, low=0.5, high=3.0)
    spec = _nets.get(base)
    if not isinstance(spec, LayeredNetwork):
        raise ValueError(f"base must be a layered network (e.g. 'm1_column') with an L2/3 population, "
                         f"got {spec.name!r}")
    gains = {(src, dst): v for src, dst, v in spec.pathway_gain}
    gains[RECURRENT_PATHWAY] = gains.get(RECURRENT_PATHWAY, 1.0) * g
    return spec.replace(name="dlpfc", pathway_gain=tuple((a, b, v) for (a, b), v in gains.items()),
                        source=f"{spec.name} with L2/3 -> L2/3 excitation x {g:g}: more spines on prefrontal "
                               "supragranular pyramids (Elston 2003; Jacobs 2001); mechtms.conditions_clinical")


def dlpfc_x_rmt(field_ratio: float = DLPFC_FIELD_RATIO, *, n_neurons: int | None = None,
                dt_ms: float | None = None, seed: int = 0) -> float:
    """Field (model units) reaching the DLPFC at 100 % of the M1 motor threshold.

    ``field_ratio`` x the M1 column's calibrated RMT field
    (:func:`mechtms.network.calibrate_rmt` of ``m1_column``, cached): the DLPFC is dosed in %
    of the motor threshold measured over M1.
    """
    from .network import calibrate_rmt

    r = _checks.finite_number("field_ratio", field_ratio, low=0.1, high=3.0)
    return r * calibrate_rmt(M1_NETWORK, n_neurons=n_neurons, dt_ms=dt_ms, seed=seed)


def condition_kwargs() -> dict[str, dict]:
    """The three conditions as keyword arguments of :class:`mechtms.conditions.Condition` (stage-2 wiring).

    Network options and proxies are filled in when the chain's ``Condition`` fields exist; the
    sources and the division of mechanism and proxy are final.
    """
    from .proxies import rat

    return {
        "depression_rat": dict(
            name="depression_rat", subject="rat",
            description=("rat, chronic unpredictable stress from day 0 (plasma corticosterone x2, ASSUMED), rTMS "
                         "from day 21. MECHANISM: corticosterone represses BDNF transcription and raises MKP-1 "
                         "(bdnf_trkb_erk cort_rel); the sessions' evoked activity drives BDNF; p-ERK and "
                         "corticosterone set dentate proliferation (hippocampal_proliferation). PROXY: sucrose "
                         "preference from lagged p-TrkB (two anchor points). The rat coil stimulates the "
                         "hippocampus directly: the stimulated tissue's BDNF instance is read as hippocampal."),
            models_changes={"bdnf_trkb_erk": {"cort_rel": rat.CORT_CUMS}},
            days=29, start_day=21,
            source=("Chen YH et al. 2015 Pharmacol Biochem Behav 136:39; Wang HN et al. 2014 J Psychiatr Res "
                    "51:79; Feng SF et al. 2012 Behav Brain Res 232:245 (Peng et al. review refs 50-53)")),
        "depression": dict(
            name="depression", subject="human",
            description=("major depression, rTMS of the left DLPFC (DLPFC-like column: more recurrent L2/3 "
                         "excitation than M1, dosed in % of the M1 motor threshold, 0.9 of M1's field). "
                         "MECHANISM: network -> plasticity -> consolidation (w_late). PROXY: HAMD-17 of the "
                         "median patient follows lagged w_late (gain calibrated on Berlim 2014's response rate); "
                         "response >= 50 %, remission <= 7 over a virtual cohort."),
            days=42, start_day=1,
            source="Berlim MT et al. 2014 Psychol Med 44:225; O'Reardon JP et al. 2007 Biol Psychiatry 62:1208"),
        "chronic_pain": dict(
            name="chronic_pain", subject="human",
            description=("chronic pain, rTMS of M1 (m1_column). MECHANISM: network -> plasticity -> "
                         "consolidation (w_late of M1). HYPOTHESIS: lasting M1 potentiation engages "
                         "cortico-thalamic and PAG-RVM descending modulation, partly opioid-mediated. PROXY: "
                         "VAS and PPR % of the median patient (gain calibrated on Thomas et al. 2025)."),
            days=14, start_day=1,
            source=("Lefaucheur JP et al. 2020 Clin Neurophysiol 131:474; Masoumbeigi M et al. 2022 J Med Biol "
                    "Eng; Thomas J et al. 2025 Eur J Pain 29:e4763")),
    }
