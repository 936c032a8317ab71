"""Between-subject variability: the distributions virtual subjects are drawn from.

Each entry names a quantity, its distribution, what it acts on and where its numbers come
from (ASSUMED / CALIBRATED, with the source). A subject is drawn from ``(cohort seed,
subject index)`` alone, so subject 7 is the same person in every arm, on every engine,
in a cohort of 10 or of 1000.

Acts on:

``plasticity``
    A parameter of the synapse model (``models/calcium_plasticity.ant``: ``theta_p0``,
    ``Ca_h``, ``A_p``, ``A_d``, ``tau_M``...), passed as ``changes=`` to the subject's
    session (:func:`mechtms.plasticity.run_session`). With ``relative=True`` the drawn
    value is a factor on the model file's value (so the distribution follows a
    recalibration of the model).
``mep``
    The measurement: baseline MEP amplitude, which sets the trial-to-trial noise of a
    measured change (:func:`measurement_sd`).
``proxy``
    A parameter of the condition's outcome function (a clinical proxy: responsiveness,
    baseline severity, rating noise...), handed to it per subject (see ``outcome=`` of
    :func:`mechtms.cohort`).

Besides these, every subject has a network instance (``network_seed``: the spiking
network's connectivity, cell parameters, recruitment and the sample of synapses): for
session arms one of ``network_instances`` instances (each instance runs the network once
per protocol, cached), for course arms its own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from .. import _checks

KINDS = ("lognormal", "normal", "fixed")
ACTS_ON = ("plasticity", "mep", "proxy")


@dataclass(frozen=True)
class Dist:
    """A distribution of one subject quantity.

    Attributes
    ----------
    kind : {"lognormal", "normal", "fixed"}
    center : float
        Median (lognormal), mean (normal) or the value (fixed).
    spread : float
        SD of the natural log (lognormal) or SD (normal); ignored for fixed.
    acts_on : {"plasticity", "mep", "proxy"}
    status : str
        ``ASSUMED`` or ``CALIBRATED``.
    source : str
    relative : bool
        ``plasticity`` only: the drawn value multiplies the model file's value of the parameter.
    """

    kind: str
    center: float
    spread: float
    acts_on: str
    status: str = "ASSUMED"
    source: str = ""
    relative: bool = False

    def __post_init__(self):
        _checks.choice("kind", self.kind, KINDS)
        if self.acts_on == "drive":
            raise ValueError("acts_on='drive' (a gain on the mean-field drive of mechtms 0.1) no longer exists: the "
                             "synapses are driven by the network; subjects differ by network instance "
                             "(network_instances= of mechtms.cohort) and synapse parameters (acts_on='plasticity')")
        _checks.choice("acts_on", self.acts_on, ACTS_ON)
        if self.relative and self.acts_on != "plasticity":
            raise ValueError(f"relative=True is for acts_on='plasticity' (a factor on the model file's value), "
                             f"got acts_on={self.acts_on!r}")
        _checks.finite_number("center", self.center, low=0 if self.kind == "lognormal" else None,
                              low_open=self.kind == "lognormal")
        _checks.finite_number("spread", self.spread, low=0)

    def draw(self, rng: np.random.Generator) -> float:
        z = float(rng.standard_normal())  # one draw per entry whatever the kind: fixed order of the stream
        if self.kind == "lognormal":
            return self.center * math.exp(self.spread * z)
        if self.kind == "normal":
            return self.center + self.spread * z
        return self.center


#: Default variability of healthy adults under single-session TBS (network-driven synapses;
#: calibration in docs/fitting.md, "Virtual cohorts"; redo it with :func:`mechtms.cohorts.calibration_table`
#: whenever the synapse model or the network is recalibrated).
DEFAULT: dict[str, Dist] = {
    "theta_p0": Dist("lognormal", 1.0, 0.3, "plasticity", "ASSUMED",
                     "factor on the LTP threshold theta_p0 of calcium_plasticity.ant (the rise of the integrated "
                     "calcium K above its running mean that switches a synapse to LTP): whether a subject's TBS "
                     "gives LTP or LTD. Between-subject differences of the LTP/LTD balance are documented "
                     "(BDNF Val66Met carriers respond less to TBS, Cheeran et al. 2008, J Physiol 586:5717; "
                     "prior activity shifts the threshold, Huang et al. 2011) but not measured as a threshold. "
                     "sd_log 0.3 is ASSUMED: on the m1_column layer the responder fractions of Hamada et al. 2013 "
                     "do not constrain it (sd_log 0 to 1.2 all give 0.42-0.60) and the between-subject SD band of "
                     "Corp et al. 2020 is not reached at any of them (docs/fitting.md)", relative=True),
    "baseline_mep_mV": Dist("lognormal", 1.0, 0.5, "mep", "ASSUMED",
                            "peak-to-peak MEP at the test intensity; healthy adults ~0.4-2.7 mV (95 %); baseline "
                            "MEP amplitude predicts the measured TBS response (Corp et al. 2020, Brain Stimul "
                            "13:1476)"),
}
#: Network instances the subjects of a session cohort are spread over (each runs the network
#: once per protocol: the dominant cost). ASSUMED: 4 instances sample the network-level
#: variability (recruitment, connectivity, which synapses are sampled) at a bearable cost.
NETWORK_INSTANCES = 4
#: MEPs averaged before and after the session (ASSUMED: 20 per block is common practice).
MEP_TRIALS = 20
#: Trial-to-trial coefficient of variation of single MEPs at a 1 mV baseline (ASSUMED; large and
#: larger for small MEPs, which is why baseline amplitude predicts the measured response, Corp 2020).
MEP_TRIAL_CV_1MV = 0.5


def variability(spec=None, **overrides) -> dict[str, Dist]:
    """The variability to draw from: :data:`DEFAULT`, a mapping of :class:`Dist`, ``"none"`` (every
    quantity fixed at its center: identical subjects), with ``overrides`` (name -> Dist, or a number
    replacing the spread of a default entry)."""
    if spec is None or spec == "default":
        out = dict(DEFAULT)
    elif spec == "none":
        out = {k: replace(d, kind="fixed") for k, d in DEFAULT.items()}
    elif isinstance(spec, Mapping):
        out = {}
        for k, d in spec.items():
            if not isinstance(d, Dist):
                raise ValueError(f"variability[{k!r}] must be a mechtms.cohorts.Dist, got {d!r}")
            out[str(k)] = d
    else:
        raise ValueError(f"variability must be 'default', 'none' or a mapping name -> Dist, got {spec!r}")
    for k, v in overrides.items():
        if isinstance(v, Dist):
            out[k] = v
        elif k in out:
            out[k] = replace(out[k], spread=_checks.finite_number(f"spread of {k}", v, low=0))
        else:
            raise _checks.unknown_name("variability entry", k, out, exc=ValueError)
    return out


def draw_subject(seed: int, index: int, dists: Mapping[str, Dist], network_instances: int | None = None
                 ) -> dict[str, float]:
    """Subject ``index`` of a cohort with ``seed``: one value per entry (sorted names) and its
    ``network_seed``: one of ``range(network_instances)``, or (None) its own instance."""
    rng = np.random.default_rng([int(seed), int(index)])
    out = {name: dists[name].draw(rng) for name in sorted(dists)}
    out["network_seed"] = int(rng.integers(0, network_instances or 2**31 - 1))
    return out


def plasticity_changes(subject: Mapping[str, float], dists: Mapping[str, Dist]) -> dict[str, float]:
    """The subject's synapse-model parameters (``changes=`` of the session), model names."""
    from ..plasticity.model import model_values

    base = model_values()
    out = {}
    for name, d in dists.items():
        if d.acts_on != "plasticity":
            continue
        if name not in base:
            raise _checks.unknown_name("calcium_plasticity parameter (variability entry)", name, base, exc=ValueError)
        out[name] = float(subject[name]) * (base[name] if d.relative else 1.0)
    return out


def measurement_sd(baseline_mep_mV: float, trials: int = MEP_TRIALS) -> float:
    """SD of ln(measured/true MEP ratio) after averaging ``trials`` MEPs before and after.

    The single-MEP CV scales as baseline^-1/2 around :data:`MEP_TRIAL_CV_1MV` (ASSUMED form: smaller
    MEPs are relatively noisier); the log ratio of two block means has SD sqrt(2) CV / sqrt(trials).
    """
    cv = MEP_TRIAL_CV_1MV / math.sqrt(max(baseline_mep_mV, 1e-3))
    return math.sqrt(2.0) * cv / math.sqrt(trials)
