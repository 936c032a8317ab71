"""Named protocols from the literature, each with its source and its assumptions.

``preset(name)`` gives the session; ``preset_course(name)`` the course its source used.
Where a source does not report a parameter, the value chosen here is listed under
``assumptions`` and shown by ``mechtms protocol show NAME``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .. import _checks
from ._course import Course, course
from ._protocol import Protocol, ctbs, imtbs, itbs, pas, rtms


@dataclass(frozen=True)
class Preset:
    """A named protocol with its citation, the course its source used and stated assumptions."""

    name: str
    build: Callable[[], Protocol]
    citation: str
    course_kw: dict
    assumptions: tuple[str, ...] = ()
    purpose: str = ""
    short: str = ""  # short source label for tables

    def protocol(self) -> Protocol:
        return self.build().replace(name=self.name, description=self.purpose)

    def course(self) -> Course:
        return course(self.protocol(), name=self.name, **self.course_kw)


# Human MEP after-effect presets: a single session, measured the same day.
_SINGLE = {"days": 1, "start_day": 0}
# SCI (mouse) default: daily from day 1 after injury for 28 days (Zhang et al. 2024).
_SCI_DAILY_28 = {"days": 28, "start_day": 1, "days_per_week": 7}

_PRESETS: tuple[Preset, ...] = (
    Preset(
        "sci_15hz_mouse",
        lambda: rtms(15, 1500, 100, train_s=2.0, iti_s=10.0),
        "Zhang L, Xiao Z, Su Z, et al. (2024) High-frequency repetitive transcranial magnetic "
        "stimulation inhibits Cx43 and restores autophagic flux after spinal cord injury. "
        "J Orthop Surg Res 19:387, doi:10.1186/s13018-024-04879-6",
        _SCI_DAILY_28,
        ("15 Hz and once daily for 28 days after complete T8 transection are from the source",
         "intensity 100 % RMT: ASSUMED (not in any public text of the source)",
         "1500 pulses per session, 2 s trains with 10 s pauses: ASSUMED (not public); "
         "2 s at 15 Hz stays within the 20 Hz / 100 % MT single-train limit of Wassermann 1998"),
        "high-frequency rTMS after spinal cord injury (mouse)", short="Zhang 2024",
    ),
    Preset(
        "lf_rtms_1hz_stroke",
        lambda: rtms(1, 1200, 90),
        "The effect of repetitive transcranial magnetic stimulation on balance function in stroke "
        "patients: a systematic review of 18 RCTs. Front Neurol (2025/2026), "
        "doi:10.3389/fneur.2026.1704611: LF-rTMS over the unaffected M1 as a candidate protocol",
        {"weeks": 2, "days_per_week": 5, "start_day": 1, "target": "contralesional_M1"},
        ("1 Hz, 90 % RMT, 1200 pulses, 5 sessions a week for 2 weeks: the most common effective "
         "parameters summarised by the review; individual trials vary",),
        "post-stroke balance, contralesional M1 inhibition", short="balance review 2026",
    ),
    Preset(
        "cerebellar_itbs_stroke",
        lambda: itbs(1200, 80, intensity_ref="AMT"),
        "Same review (doi:10.3389/fneur.2026.1704611): cerebellar iTBS as the second candidate "
        "protocol for post-stroke balance",
        {"weeks": 2, "days_per_week": 5, "start_day": 1, "target": "cerebellum"},
        ("1200 pulses at 80 % AMT, 5 a week for 2 weeks: typical of the trials summarised",),
        "post-stroke balance, cerebellar facilitation", short="balance review 2026",
    ),
    Preset(
        "hf_rtms_10hz_stroke",
        lambda: rtms(10, 1200, 90, train_s=4.0, iti_s=26.0),
        "Same review (doi:10.3389/fneur.2026.1704611): 4 of its 18 trials used high-frequency rTMS "
        "(10, 10, 5 and 12 Hz); Wang et al. (2024) in it: HF-rTMS over M1 with a double-cone coil for "
        "2 weeks raised the MEP induction rate of the lesioned side. Lefaucheur JP et al. (2020) Clin "
        "Neurophysiol 131:474: HF-rTMS of the ipsilesional M1, level B for motor recovery",
        {"weeks": 2, "days_per_week": 5, "start_day": 1, "target": "ipsilesional_M1"},
        ("10 Hz is the most frequent HF rate of the review's trials; 90 % RMT and 1200 pulses are the "
         "review's recommended dose: ASSUMED for Wang et al. 2024, whose parameters are not public",
         "4 s trains with 26 s pauses: ASSUMED (a common HF-rTMS pattern; within the 10 Hz / 90 % MT "
         "single-train limit of Wassermann 1998)",
         "the course targets the ipsilesional M1 as the trials did; course.replace(target="
         "'contralesional_M1') gives the same protocol over the unaffected M1"),
        "post-stroke, HF-rTMS over M1 (ipsilesional in the trials)", short="balance review 2026",
    ),
    Preset(
        "m1_itbs_stroke",
        lambda: itbs(1200, 80, intensity_ref="AMT"),
        "Liao LY et al. (2024) Intermittent theta-burst stimulation for stroke: primary motor cortex "
        "versus cerebellar stimulation: a randomized sham-controlled trial. Stroke 55:156 (as reported "
        "by the balance review, doi:10.3389/fneur.2026.1704611: cerebellar iTBS improved FMA-LE more "
        "than M1 iTBS, P = 0.037)",
        {"weeks": 2, "days_per_week": 5, "start_day": 1, "target": "ipsilesional_M1"},
        ("the same dose as cerebellar_itbs_stroke (1200 pulses, 80 % AMT, 5 a week for 2 weeks): "
         "ASSUMED, as a head-to-head trial would use; the trial's own dose is not public here",),
        "post-stroke, iTBS over the ipsilesional M1 (comparison arm of cerebellar iTBS)",
        short="Liao 2024",
    ),
    Preset(
        "hf_rtms_10hz_depression",
        lambda: rtms(10, 3000, 120, train_s=4.0, iti_s=26.0),
        "O'Reardon JP et al. (2007) Biol Psychiatry 62:1208 (left DLPFC, 10 Hz, 120 % MT, "
        "4 s trains, 26 s inter-train interval, 3000 pulses, 5 sessions a week for 4-6 weeks)",
        {"weeks": 6, "days_per_week": 5, "start_day": 1},
        (),
        "major depression, left DLPFC", short="O'Reardon 2007",
    ),
    Preset(
        "rtms_20hz_lbp",
        lambda: rtms(20, 1600, 90, train_s=2.0, iti_s=28.0),
        "Masoumbeigi M et al. (2022) rTMS pain reduction effectiveness in non-specific chronic "
        "low back pain patients using rs-fMRI functional connectivity. J Med Biol Eng, "
        "doi:10.1007/s40846-022-00721-8 (20 Hz rTMS over the motor cortex, 15 patients)",
        {"weeks": 1, "days_per_week": 5, "start_day": 1},
        ("20 Hz over M1 is from the source",
         "90 % RMT, 1600 pulses in 2 s trains with 28 s pauses, 5 daily sessions: ASSUMED "
         "(the abstract gives no dose); typical of M1 pain protocols"),
        "chronic low back pain, M1", short="Masoumbeigi 2022",
    ),
    Preset(
        "lf_rtms_1hz_right_dlpfc_depression",
        lambda: rtms(1, 1200, 110),
        "Berlim MT, van den Eynde F, Daskalakis ZJ (2013) Clinically meaningful efficacy and "
        "acceptability of low-frequency rTMS for treating primary major depression: a meta-analysis. "
        "Neuropsychopharmacology 38:543-551, doi:10.1038/npp.2012.237 (8 RCTs, right DLPFC, "
        "12.6 +- 3.9 sessions; > 1,200 pulses in total associated with higher response); Level B: "
        "Lefaucheur JP et al. (2014) Clin Neurophysiol 125:2150",
        {"weeks": 3, "days_per_week": 5, "start_day": 1, "target": "right_DLPFC"},
        ("1 Hz over the right DLPFC and ~13-15 weekday sessions are from the source",
         "110 % MT and 1200 pulses per session (20 min continuous): ASSUMED, typical of the trials "
         "pooled (the meta-analysis gives no single dose)"),
        "major depression, right DLPFC (low frequency)", short="Berlim 2013",
    ),
    Preset(
        "itbs_600_dlpfc_depression",
        lambda: itbs(600, 120, intensity_ref="RMT"),
        "Blumberger DM et al. (2018) Effectiveness of theta burst versus high-frequency repetitive "
        "transcranial magnetic stimulation in patients with depression (THREE-D): a randomised "
        "non-inferiority trial. Lancet 391:1683-1692 (left DLPFC, iTBS 600 pulses at 120 % RMT, "
        "3 min, against 10 Hz 3000 pulses, 37.5 min; 5 sessions a week for 4-6 weeks; HRSD-17 "
        "23.6 -> 13.4 with iTBS, 23.5 -> 13.4 with 10 Hz)",
        {"weeks": 4, "days_per_week": 5, "start_day": 1},
        ("4 weeks (20 sessions): the trial's minimum course; it ran 4-6 weeks",
         "120 % RMT exceeds the 80 % AMT of Rossi et al. 2009 for theta bursts: safety() flags it; "
         "the trial's dose, delivered to 209 patients"),
        "major depression, left DLPFC (theta burst)", short="Blumberger 2018",
    ),
    Preset(
        "rtms_15hz_cums_rat",
        lambda: rtms(15, 1500, 100, train_s=2.0, iti_s=10.0),
        "Chen YH et al. (2015) Pharmacol Biochem Behav 136:39 and Wang HN et al. (2014) J Psychiatr "
        "Res 51:79 (rats under chronic unpredictable stress, 15 Hz rTMS for 7 consecutive days; "
        "read-outs 24 h after the last session)",
        {"days": 7, "days_per_week": 7, "start_day": 21},
        ("15 Hz, 7 consecutive days, after ~3 weeks of stress are from the sources",
         "1500 pulses in 2 s trains with 10 s pauses at 100 % RMT: ASSUMED (not in the public "
         "texts; the same dose as sci_15hz_mouse, the BDNF model's reference session)"),
        "rat chronic unpredictable stress (depression model)", short="Chen 2015; Wang 2014",
    ),
    Preset(
        "rtms_1hz_m1_pain",
        lambda: rtms(1, 1200, 90),
        "Andre-Obadia N et al. (2006) Clin Neurophysiol 117:1536 (20 Hz vs 1 Hz vs sham over M1 in "
        "neuropathic pain: 1 Hz ineffective); LF-rTMS of M1 probably ineffective (Level B): "
        "Lefaucheur JP et al. (2014) Clin Neurophysiol 125:2150",
        {"weeks": 1, "days_per_week": 5, "start_day": 1},
        ("1 Hz over M1 is from the sources",
         "90 % RMT, 1200 pulses, 5 daily sessions: ASSUMED (the comparison arm of rtms_20hz_lbp's "
         "course)"),
        "chronic pain, M1 (low frequency: expected ineffective)", short="Andre-Obadia 2006",
    ),
    Preset(
        "itbs_600",
        lambda: itbs(600, 80),
        "Huang YZ, Edwards MJ, Rounis E, Bhatia KP, Rothwell JC (2005) Theta burst stimulation "
        "of the human motor cortex. Neuron 45:201-206 (MEP +~35 % for up to 60 min: "
        "Wischnewski & Schutter 2015, Brain Stimul 8:685)",
        _SINGLE, (), "human M1 facilitation", short="Huang 2005",
    ),
    Preset(
        "ctbs_600",
        lambda: ctbs(600, 80),
        "Huang et al. 2005, Neuron 45:201 (40 s cTBS; MEP about -23 % for up to 50 min: "
        "Wischnewski & Schutter 2015)",
        _SINGLE, (), "human M1 depression", short="Huang 2005",
    ),
    Preset(
        "ctbs_300",
        lambda: ctbs(300, 80),
        "Huang et al. 2005, Neuron 45:201 (20 s cTBS; depression depends on prior muscle "
        "activity: Gentner et al. 2008, Cereb Cortex 18:2046)",
        _SINGLE, (), "human M1 depression (short)", short="Huang 2005; Gentner 2008",
    ),
    Preset(
        "imtbs_600",
        lambda: imtbs(600, 80),
        "Huang et al. 2005, Neuron 45:201 (5 s of TBS every 15 s; no lasting MEP change)",
        _SINGLE, (), "control pattern: same bursts, no net after-effect", short="Huang 2005",
    ),
    Preset(
        "rtms_1hz_900",
        lambda: rtms(1, 900, 90),
        "Chen R et al. (1997) Neurology 48:1398 (0.9 Hz, 810 pulses: MEP -19.5 %); "
        "Dudek & Bear 1992, PNAS 89:4363 (1 Hz x 900 in CA1: LTD)",
        _SINGLE, ("90 % RMT: ASSUMED (Chen et al. used 115 % MT at 0.9 Hz)",),
        "low-frequency depression", short="Chen 1997; Dudek 1992",
    ),
    Preset(
        "rtms_5hz",
        lambda: rtms(5, 1500, 90, train_s=10.0, iti_s=20.0),
        "Quartarone A et al. (2005) J Physiol 565:1035 (5 Hz rTMS over M1 increases MEPs); "
        "Peinemann A et al. (2004) Clin Neurophysiol 115:1519 (5 Hz, 1800 pulses: facilitation)",
        _SINGLE, ("1500 pulses at 90 % RMT in 10 s trains with 20 s pauses: ASSUMED "
                  "representative values",),
        "intermediate-frequency facilitation", short="Quartarone 2005",
    ),
    Preset(
        "rtms_20hz",
        lambda: rtms(20, 1600, 90, train_s=2.0, iti_s=28.0),
        "Maeda F et al. (2000) Clin Neurophysiol 111:800 (20 Hz facilitates, 1 Hz inhibits)",
        _SINGLE, ("90 % RMT, 1600 pulses, 2 s trains / 28 s pauses: ASSUMED representative values",),
        "high-frequency facilitation", short="Maeda 2000",
    ),
    Preset(
        "pas25",
        lambda: pas(isi_ms=25, pairs=90, frequency_hz=0.05, intensity=130),
        "Stefan K, Kunesch E, Cohen LG, Benecke R, Classen J (2000) Induction of plasticity in the "
        "human motor cortex by paired associative stimulation. Brain 123:572-584 (median nerve, "
        "then TMS 25 ms later, 90 pairs at 0.05 Hz: MEP facilitation for 30-60 min)",
        _SINGLE, ("130 % RMT: ASSUMED equivalent of the source's '~1 mV MEP' intensity",),
        "associative facilitation (afferent volley arrives just before the pulse)", short="Stefan 2000",
    ),
    Preset(
        "pas10",
        lambda: pas(isi_ms=10, pairs=90, frequency_hz=0.05, intensity=130),
        "Wolters A, Sandbrink F, Schlottmann A, et al. (2003) A temporally asymmetric Hebbian rule "
        "governing plasticity in the human motor cortex. J Neurophysiol 89:2339-2345 (ISI 10 ms: "
        "MEP depression)",
        _SINGLE, ("130 % RMT: ASSUMED equivalent of the source's '~1 mV MEP' intensity",),
        "associative depression (the pulse precedes the afferent volley)", short="Wolters 2003",
    ),
    Preset(
        "sham",
        lambda: rtms(15, 1500, 100, train_s=2.0, iti_s=10.0, sham=True),
        "Sham of sci_15hz_mouse: the same schedule and handling, no pulse delivered "
        "(Zhang et al. 2024 sham group)",
        _SCI_DAILY_28, (), "control", short="Zhang 2024 (sham)",
    ),
)

PRESETS: dict[str, Preset] = {p.name: p for p in _PRESETS}


def presets() -> list[str]:
    """Names of all presets, in display order."""
    return list(PRESETS)


def _lookup(name: str) -> Preset:
    if not isinstance(name, str) or name not in PRESETS:
        raise _checks.unknown_name("preset", name, PRESETS, exc=ValueError)
    return PRESETS[name]


def preset(name: str) -> Protocol:
    """The session :class:`Protocol` of preset ``name`` (see :func:`presets`)."""
    return _lookup(name).protocol()


def preset_course(name: str) -> Course:
    """The course (sessions over days) that the preset's source used."""
    return _lookup(name).course()


def preset_info(name: str) -> Preset:
    """The preset record: citation, assumptions, purpose."""
    return _lookup(name)
