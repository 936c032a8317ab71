"""The ``stroke`` condition: rTMS for balance after a hemispheric stroke (two M1s and the cerebellum).

Imported by :func:`mechtms.conditions.get` the first time ``"stroke"`` is asked for; then
``mt.simulate(course, condition="stroke", seed=..., target=..., settings=...)`` runs
:func:`mechtms.stroke.course.simulate` (the condition's own course runner: the chain's unit
step :func:`mechtms.coupling.session_step` for each session over an M1, the cerebellar rule for
cerebellar sessions, and daily probes of the two-hemisphere network). A stroke preset's name
brings its published course (target and 5-days-a-week calendar: ``mechtms.coupling.as_course``).
Every session is followed by rehabilitation (``StrokeSettings.rehabilitation``, behavioural
tagging; ``None`` for rTMS alone).

What the read-outs are (proxies included) is written in :mod:`mechtms.stroke.course` and
``docs/stroke.md``.
"""

from __future__ import annotations

from .. import conditions

#: Read-outs reported first (tables, the CLI); the Dataset has more (``docs/stroke.md``).
READOUTS = ("BBS", "MEP_ipsilesional", "MEP_contralesional", "MEP_present", "IHI", "asymmetry", "drive")

SOURCE = ("rTMS for post-stroke balance, systematic review of 18 RCTs (J Back Musculoskelet Rehabil 2026, "
          "doi:10.1177/10538127261416002); cerebellar TMS meta-analysis, BMC Neurol 2024;24:205 "
          "(doi:10.1186/s12883-024-03720-1); Bai, Zhang & Fong 2022, J NeuroEng Rehabil 19:24")

STROKE = conditions.register(conditions.Condition(
    name="stroke",
    description=("human, subacute hemispheric stroke (left M1: 20 % of cells lost, 40 % of the corticospinal tract "
                 "spared at onset, 30 days before the course): two M1 columns coupled by the corpus callosum and "
                 "the cerebellum -> dentate -> thalamus -> M1 path; rTMS over one target (contralesional_M1, "
                 "ipsilesional_M1 or cerebellum). Read-outs: MEPs of both hemispheres (probe through the "
                 "network and a motoneuron pool), IHI, a pdBSI-like asymmetry index and a Berg Balance Scale "
                 "proxy (documented, not a balance model)"),
    subject="human",
    proxies=(conditions.Proxy("BBS", "mechtms.stroke.proxies:bbs_proxy"),),
    days=14, start_day=1, readouts=READOUTS, readout_clock_h=20.0,
    source=SOURCE,
    engine="mechtms.stroke.course:simulate",
))
