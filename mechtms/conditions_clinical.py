"""Clinical conditions: depression (rat and human) and chronic pain.

Importing this module registers ``depression`` (human, DLPFC), ``depression_rat`` (chronic
unpredictable stress) and ``chronic_pain`` (human, M1) in :mod:`mechtms.conditions` (they are
declared lazily there: ``mt.simulate(course, condition="depression")`` imports it). Each is
built by a function of the same name whose arguments are the condition's documented choices
(the rat's corticosterone, a TrkB block, a network size for short runs).

What is mechanism and what is a proxy (docs/depression.md, docs/pain.md):

* mechanism, run by the chain: network -> synapse population -> consolidation (``w_late``) and
  the cortical BDNF-TrkB-ERK instance (``pTrkB_cortex``, ``pERK_cortex``), with a stress input
  (``cort_rel``) and a TrkB block (``trk_inhib``) as parameters of that SBML model; dentate
  proliferation is an SBML model of its own (``hippocampal_proliferation``) driven by p-ERK;
* proxies (:mod:`mechtms.proxies`): HAMD-17 from the DLPFC's ``w_late``, VAS/PPR from M1's
  ``w_late``, sucrose preference from p-TrkB. Their gains are calibrated on one clinical
  figure each; everything else they predict is validation.

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



def dlpfc_options(n_neurons: int = 1000, **options):
    """Network options of the ``depression`` condition: the DLPFC-like column dosed in % of the M1 threshold.

    ``x_rmt`` is the M1 column's RMT field at the same ``n_neurons`` times :data:`DLPFC_FIELD_RATIO`
    (:func:`dlpfc_x_rmt`). ``options``: other fields of :class:`mechtms.coupling.NetworkOptions`
    (``n_synapses``, ``max_periods``, ...), e.g. for short runs in tests and notebooks.
    """
    from .coupling import NetworkOptions

    n = _checks.whole_number("n_neurons", n_neurons, low=50, high=200_000)
    return NetworkOptions(network=dlpfc_network(), n_neurons=n, x_rmt=dlpfc_x_rmt(n_neurons=n), **options)


def small_options(network: str = "dlpfc", n_neurons: int = 300, n_synapses: int = 20, **options):
    """Short-run network options (tests, FAST notebooks): 300 neurons, 20 sampled synapses, one
    simulated train period per session. A 3-session 10 Hz DLPFC course gives the same ``w_late``
    as 1,000 neurons and 60 synapses to 1e-3 (docs/depression.md). ``network``: ``"dlpfc"``
    (:func:`dlpfc_options`) or a network name (``"m1_column"``)."""
    from .coupling import NetworkOptions

    options = {"n_synapses": n_synapses, "max_periods": 1, "max_pulses": 20, **options}
    if network == "dlpfc":
        return dlpfc_options(n_neurons, **options)
    return NetworkOptions(network=network, n_neurons=n_neurons, **options)


DEPRESSION_DESCRIPTION = (
    "major depression, rTMS of the DLPFC (left 10 Hz; right 1 Hz with course.target='right_DLPFC'). "
    "Network: the DLPFC-like column (m1_column with L2/3 -> L2/3 excitation x 1.7, dosed in % of the M1 "
    "motor threshold at 0.9 of M1's field). MECHANISM: network -> plasticity -> consolidation (w_late) "
    "and the cortical BDNF-TrkB-ERK instance. PROXY: HAMD-17 of the median patient follows lagged w_late "
    "(frontal-asymmetry sign; gain calibrated on one response rate, Berlim 2014); response >= 50 %, "
    "remission <= 7 over a virtual cohort (mt.cohort, Condition.cohort). Pass protocols.preset_course("
    "'hf_rtms_10hz_depression') for the weekday calendar; a bare protocol runs daily for `days`.")


def depression(network=None):
    """The ``depression`` condition (human, DLPFC); ``network``: NetworkOptions (default :func:`dlpfc_options`)."""
    from .cohorts import Dist
    from .conditions import Condition, Proxy

    return Condition(
        name="depression", subject="human", description=DEPRESSION_DESCRIPTION,
        network=dlpfc_options() if network is None else network,
        proxies=(Proxy("HAMD17", "mechtms.proxies.depression:hamd17"),),
        days=20, start_day=1, readout_clock_h=20.0,
        readouts=("HAMD17", "w_late", "trophic_cortex", "pERK_cortex", "W"),
        cohort={
            "outcome": "mechtms.proxies.depression:cohort_outcome",
            "variability": {
                "hamd_z": Dist("normal", 0.0, 1.0, "proxy", "ASSUMED",
                               "responsiveness z on the HAMD proxy's logit scale (standard normal; its spread is "
                               "logit_sd, CALIBRATED on the sham arms of Berlim 2014)"),
                "hamd_severity": Dist("normal", 24.3, 3.3, "proxy", "DERIVED",
                                      "true HAMD-17 severity of included patients: screened N(22, 4.5) with a measured "
                                      "baseline >= 20 (mechtms.proxies.depression.draw_patients, n = 100000)"),
            },
            "readout": "HAMD17",
            "placebo": ("the HAMD proxy's placebo response (expectation and care) starts with the first session, "
                        "sham or active: logit_mean/logit_sd CALIBRATED on Berlim 2014's sham arms (10.4 % "
                        "responders, 5 % remitters); regression to the mean from rating noise at inclusion"),
        },
        source=("Berlim MT et al. 2014 Psychol Med 44:225 (29 RCTs); O'Reardon JP et al. 2007 Biol Psychiatry "
                "62:1208; Teng S et al. 2017 J Psychiatr Res 85:58; Lefaucheur JP et al. 2020 Clin Neurophysiol "
                "131:474"),
    )


def depression_rat(cort_rel: float | None = None, trk_inhib: float = 0.0, network=None):
    """The ``depression_rat`` condition: chronic unpredictable stress, rTMS from day 21.

    Parameters
    ----------
    cort_rel : float, optional
        Plasma corticosterone relative to unstressed controls from day 0 (default
        :data:`mechtms.proxies.rat.CORT_CUMS` = 2; 1 = the unstressed control group).
    trk_inhib : float
        TrkB kinase block of ``bdnf_trkb_erk`` (0 none, 1 complete; e.g. K252a / ANA-12 in the
        rat studies' design), from day 0.
    network : NetworkOptions, optional
        Default: the chain's (the M1 column stands for the stimulated rat tissue).
    """
    from .conditions import Condition, Proxy
    from .proxies import rat

    cort = rat.CORT_CUMS if cort_rel is None else _checks.finite_number("cort_rel", cort_rel, low=0, high=4)
    trk = _checks.finite_number("trk_inhib", trk_inhib, low=0, high=1)
    bdnf = {"cort_rel": cort, **({"trk_inhib": trk} if trk else {})}
    label = "" if (cort == rat.CORT_CUMS and not trk) else f" (cort_rel {cort:g}, trk_inhib {trk:g})"
    return Condition(
        name="depression_rat", subject="rat", network=network,
        description=("rat, chronic unpredictable stress from day 0 (plasma corticosterone x2, ASSUMED), rTMS "
                     "from day 21" + label + ". MECHANISM: corticosterone represses BDNF transcription and "
                     "raises MKP-1 (bdnf_trkb_erk cort_rel); the sessions' evoked activity drives BDNF; p-ERK "
                     "and corticosterone set dentate proliferation (hippocampal_proliferation, SBML). PROXY: "
                     "sucrose preference from lagged p-TrkB (two anchor points). The rat coil stimulates the "
                     "hippocampus directly: the stimulated tissue's BDNF instance (*_cortex) is read as "
                     "hippocampal, its network is the M1 column (no hippocampal network in the package)."),
        changes={"bdnf_trkb_erk": bdnf},
        proxies=(Proxy("proliferation", "mechtms.proxies.rat:proliferation"),  # cort_rel from ds.attrs["changes"]
                 Proxy("sucrose_preference", "mechtms.proxies.rat:sucrose_preference")),
        days=7, start_day=21, readout_clock_h=20.0,
        readouts=("BDNF_cortex", "pERK_cortex", "pTrkB_cortex", "proliferation", "sucrose_preference"),
        source=("Chen YH et al. 2015 Pharmacol Biochem Behav 136:39; Wang HN et al. 2014 J Psychiatr Res 51:79; "
                "Feng SF et al. 2012 Behav Brain Res 232:245 (Peng et al. review refs 50-53)"),
    )


def chronic_pain(network=None):
    """The ``chronic_pain`` condition (human, M1 20 Hz; Masoumbeigi 2022)."""
    from .cohorts import Dist
    from .conditions import Condition, Proxy

    return Condition(
        name="chronic_pain", subject="human", network=network,
        description=("chronic pain, rTMS of M1 (m1_column). MECHANISM: network -> plasticity -> consolidation "
                     "(w_late of M1). HYPOTHESIS: lasting M1 potentiation engages cortico-thalamic and PAG-RVM "
                     "descending modulation, partly opioid-mediated (not modelled as such). PROXY: VAS and PPR % "
                     "of the median patient from lagged w_late (gain calibrated on one responder rate, Thomas "
                     "2025); responders >= 30 % / >= 50 % relief over a virtual cohort."),
        proxies=(Proxy("VAS", "mechtms.proxies.pain:vas"), Proxy("PPR", "mechtms.proxies.pain:ppr")),
        days=5, start_day=1, readout_clock_h=20.0,
        readouts=("VAS", "PPR", "w_late", "W"),
        cohort={
            "outcome": "mechtms.proxies.pain:cohort_outcome",
            "variability": {
                "pain_z": Dist("normal", 0.0, 1.0, "proxy", "ASSUMED",
                               "responsiveness z on the pain proxy's logit scale (spread logit_sd, ASSUMED)"),
                "pain_baseline": Dist("normal", 6.7, 1.3, "proxy", "DERIVED",
                                      "true baseline VAS of included patients: screened N(6.5, 1.5) with a measured "
                                      "VAS >= 4 (mechtms.proxies.pain.draw_patients)"),
            },
            "readout": "PPR",
            "placebo": ("the pain proxy's placebo relief starts with the first session, sham or active "
                        "(logit_mean ASSUMED: sham arms relieve ~5-15 %)"),
        },
        source=("Masoumbeigi M et al. 2022 J Med Biol Eng doi:10.1007/s40846-022-00721-8; Lefaucheur JP et al. "
                "2020 Clin Neurophysiol 131:474; Andre-Obadia N et al. 2006 Clin Neurophysiol 117:1536; Thomas J "
                "et al. 2025 Eur J Pain 29:e4763"),
    )


def _register() -> None:
    from . import conditions

    for build in (depression, depression_rat, chronic_pain):
        conditions.register(build(), replace=True)


_register()
