"""Experimental and clinical conditions: who is stimulated, with what, and what is read out.

A condition is a value. It says which network is stimulated, which parameter changes the
SBML models of the chain get (a stress input, a drug), whether there is a spinal lesion and
an MEP probe, and which proxies turn the chain's named quantities into the scales of the
field (BMS, HAMD-17, VAS, ...). Adding a condition never touches the engine
(:mod:`mechtms.coupling`)::

    from mechtms import conditions
    conditions.register(conditions.Condition(name="sci_contusion", ...))

A condition whose structure differs from "one stimulated cortex" (two hemispheres and the
cerebellum after stroke) names its own course runner in ``engine``; ``mt.simulate``
dispatches to it, so scans, cohorts and the CLI work unchanged.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from . import _checks

SCI_READOUTS = ("BMS", "MEP", "Cx43", "LC3II", "p62", "flux", "mTOR", "pmTOR", "p4EBP1",
                "BDNF", "pTrkB", "pERK", "CST", "W")
#: The chain's models whose parameters a condition may change (see ``model_changes``).
CHAIN_MODELS = ("calcium_plasticity", "bdnf_trkb_erk", "synaptic_consolidation", "spinal_lesion",
                "bdnf_trkb_erk@spinal")


@dataclass(frozen=True)
class LesionSpec:
    """A spinal cord injury (:mod:`mechtms.lesion`): severity and knock-outs.

    ``injury``: 0 sham surgery, 1 complete transection. ``knockouts``: names of
    :data:`mechtms.lesion.KNOCKOUTS` (``"Cx43"`` clamp, ``"TrkB"`` block in the spinal BDNF
    instance).
    """

    injury: float = 1.0
    knockouts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _checks.finite_number("injury", self.injury, low=0, high=1)


@dataclass(frozen=True)
class MepSpec:
    """The daily MEP probe (:mod:`mechtms.mep`): test intensity (% RMT) and trials per day."""

    intensity: float = 120.0
    n_trials: int = 10

    def __post_init__(self) -> None:
        _checks.finite_number("intensity", self.intensity, low=0, low_open=True, high=250)
        _checks.whole_number("n_trials", self.n_trials, low=2, high=1000)


@dataclass(frozen=True)
class Proxy:
    """A documented map from named upstream quantities to a clinical or behavioural scale.

    ``function`` is ``"module:function"`` called as ``f(daily, course, params)`` and returning
    an ``xarray.DataArray`` over ``day``; its module says what the proxy is and is not.
    """

    name: str
    function: str
    params: Mapping[str, float] = field(default_factory=dict)

    def resolve(self) -> Callable:
        return _import(self.function, f"proxy {self.name!r}")


@dataclass(frozen=True)
class Condition:
    """One condition.

    Attributes
    ----------
    name, description, source : str
    subject : {"mouse", "rat", "human"}
    network : mechtms.coupling.NetworkOptions or None
        The stimulated network (None: the chain's default, the M1 column).
    changes : mapping of model -> mapping of parameter -> value
        Parameter changes of the chain's SBML models (:data:`CHAIN_MODELS`;
        ``"bdnf_trkb_erk"`` is the cortical instance, ``"bdnf_trkb_erk@spinal"`` the spinal one).
    lesion : LesionSpec or None
        A spinal cord injury fed by the cortex's descending drive.
    mep : MepSpec or None
        The daily MEP probe.
    proxies : tuple of Proxy
        Scales computed from the daily read-outs.
    days, start_day : int
        Course length and first session day when a single session protocol is given.
    readouts : tuple of str
        The read-outs the condition reports first (tables, the CLI).
    readout_clock_h : float
        Clock time of the daily read-outs (hours after midnight).
    engine : str or None
        ``"module:function"`` of a course runner of its own (``f(course, condition, seed,
        **options) -> xarray.Dataset``); None: the cortex chain of :mod:`mechtms.coupling`.
    cohort : mapping or None
        How :func:`mechtms.cohort` reads this condition (outcome function, per-subject
        variability, placebo note).
    """

    name: str
    description: str
    subject: str
    network: object | None = None
    changes: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    lesion: LesionSpec | None = None
    mep: MepSpec | None = None
    proxies: tuple[Proxy, ...] = ()
    days: int = 28
    start_day: int = 1
    readouts: tuple[str, ...] = ()
    readout_clock_h: float = 20.0
    source: str = ""
    engine: str | None = None
    cohort: Mapping | None = None

    def __post_init__(self) -> None:
        _checks.choice("subject", self.subject, ("mouse", "rat", "human"))
        for model in self.changes:
            if model not in CHAIN_MODELS:
                raise _checks.unknown_name("model of the chain", model, CHAIN_MODELS, exc=ValueError)

    @property
    def pathway_models(self) -> tuple[str, ...]:
        """The SBML pathway models the chain runs for this condition (the cortical BDNF-TrkB-ERK
        instance of consolidation; the spinal lesion model when there is a lesion)."""
        return ("bdnf_trkb_erk", "spinal_lesion") if self.lesion is not None else ("bdnf_trkb_erk",)

    def model_changes(self, model: str) -> dict[str, float]:
        return dict(self.changes.get(model, {}))

    def run_engine(self) -> Callable | None:
        return None if self.engine is None else _import(self.engine, f"engine of condition {self.name!r}")


def _import(path: str, what: str) -> Callable:
    module, _, attr = str(path).partition(":")
    if not module or not attr:
        raise ValueError(f"{what} must be 'module:function', got {path!r}")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"{what}: cannot import {path!r} ({exc})") from None


_REGISTRY: dict[str, Condition] = {}
_LAZY: dict[str, str] = {}


def register(condition: Condition, *, replace: bool = False) -> Condition:
    """Add a condition to the registry (``replace=True`` to redefine one)."""
    if not isinstance(condition, Condition):
        raise ValueError(f"register() takes a Condition, got {type(condition).__name__}")
    if condition.name in _REGISTRY and not replace:
        raise ValueError(f"condition {condition.name!r} exists; pass replace=True to redefine it")
    _REGISTRY[condition.name] = condition
    return condition


def register_lazy(name: str, module: str) -> None:
    """Declare that importing ``module`` registers condition ``name`` (imported on first use)."""
    _LAZY[name] = module


def get(name: str | Condition) -> Condition:
    """The condition called ``name`` (``ValueError`` with close matches if unknown)."""
    if isinstance(name, Condition):
        return name
    if name not in _REGISTRY and name in _LAZY:
        importlib.import_module(_LAZY[name])
    if name not in _REGISTRY:
        raise _checks.unknown_name("condition", name, names(), exc=ValueError)
    return _REGISTRY[name]


def names() -> list[str]:
    return list(dict.fromkeys([*_REGISTRY, *_LAZY]))


def _mouse_sci(name: str, injury: float, description: str, source: str) -> Condition:
    """A mouse spinal-cord condition of the chain: daily sessions from day 1 for 28 days, the
    lesion of severity ``injury`` fed by the cortex, the MEP probe at 150 % RMT (120 % loses the
    MEP below a spared tract of ~0.3: docs/mep.md), read-outs at 20:00."""
    return register(Condition(name=name, description=description, subject="mouse",
                              lesion=LesionSpec(injury=injury), mep=MepSpec(intensity=150.0), days=28,
                              start_day=1, readouts=SCI_READOUTS, readout_clock_h=20.0, source=source))


_mouse_sci("sci", 1.0,
           "mouse, complete T8 spinal cord transection on day 0; rTMS over the motor cortex. Mechanism: "
           "network -> synapses -> consolidation -> descending drive -> spinal lesion model; "
           "BMS is a documented proxy (mechtms.lesion), the MEP is measured by the probe",
           "Zhang et al. 2024, J Orthop Surg Res 19:387 (complete T8 transection, daily 15 Hz rTMS)")
_mouse_sci("sci_incomplete", 0.6,
           "mouse, incomplete thoracic injury sparing ~40 % of the corticospinal tract (contusion-like "
           "severity 0.6); the same chain as 'sci', with MEPs that the spared tract can carry",
           "severity scale of mechtms.lesion (Basso et al. 2006 for BMS; Kim et al. 2009 for MEP loss)")
_mouse_sci("uninjured", 0.0,
           "mouse, sham surgery (laminectomy without transection); rTMS over the motor cortex",
           "sham-operated group of Zhang et al. 2024")
register(Condition(
    name="healthy",
    description=("human motor cortex: MEP at 120 % RMT measured by the probe before and after the course "
                 "(no lesion); the cortical BDNF-TrkB-ERK instance and consolidation run"),
    subject="human",
    mep=MepSpec(intensity=120.0, n_trials=20),
    days=1, start_day=0, readouts=("MEP", "MEP_change_percent", "W"),
    # MEPs are measured within the after-effect window: 09:45 is 30-45 min after the end of a
    # 09:00 session of the TBS / 1 Hz anchors (Wischnewski & Schutter 2015: up to 50-60 min)
    readout_clock_h=9.75,
    source="MEP after-effects: Wischnewski & Schutter 2015, Brain Stimul 8:685; Chen et al. 1997",
))

# Conditions defined next to their proxies and runners (imported on first use).
for _name in ("depression", "depression_rat", "chronic_pain"):
    register_lazy(_name, "mechtms.conditions_clinical")
register_lazy("stroke", "mechtms.stroke.condition")
