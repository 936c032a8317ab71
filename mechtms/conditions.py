"""Experimental conditions for the multiscale chain: who is stimulated, and what is read out.

A condition is a value: which pathway models run between sessions and with which
parameter changes, the default course length, and the read-outs it reports. Adding a
condition never touches the engine (:mod:`mechtms.coupling`)::

    from mechtms import conditions
    conditions.register(conditions.Condition(name="sci_contusion", ...))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from . import _checks

SCI_READOUTS = ("BMS", "MEP", "Cx43", "LC3II", "p62", "flux", "mTOR", "pmTOR", "p4EBP1",
                "BDNF", "pTrkB", "pERK", "pCREB")


@dataclass(frozen=True)
class Condition:
    """One experimental condition.

    Attributes
    ----------
    name : str
    description : str
    subject : {"mouse", "human"}
    pathway_models : tuple of str
        Models of ``models/`` run over the course, fed with the per-session doses.
    changes : mapping of model name -> mapping of parameter -> value
        E.g. ``{"cx43_autophagy_mtor": {"injury": 1}}``.
    days : int
        Default course length (days) when a single session protocol is given.
    start_day : int
        Day of the first session when a single session protocol is given.
    readouts : tuple of str
        Daily read-outs reported (pathway outputs and proxies).
    readout_clock_h : float
        Clock time of the daily read-outs (hours after midnight).
    source : str
        Where the condition comes from.
    """

    name: str
    description: str
    subject: str
    pathway_models: tuple[str, ...] = ()
    changes: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    days: int = 28
    start_day: int = 1
    readouts: tuple[str, ...] = ()
    readout_clock_h: float = 20.0
    source: str = ""

    def model_changes(self, model: str) -> dict[str, float]:
        return dict(self.changes.get(model, {}))


_REGISTRY: dict[str, Condition] = {}


def register(condition: Condition, *, replace: bool = False) -> Condition:
    """Add a condition to the registry (``replace=True`` to redefine one)."""
    if not isinstance(condition, Condition):
        raise ValueError(f"register() takes a Condition, got {type(condition).__name__}")
    if condition.name in _REGISTRY and not replace:
        raise ValueError(f"condition {condition.name!r} exists; pass replace=True to redefine it")
    _REGISTRY[condition.name] = condition
    return condition


def get(name: str | Condition) -> Condition:
    """The condition called ``name`` (``ValueError`` with close matches if unknown)."""
    if isinstance(name, Condition):
        return name
    if name not in _REGISTRY:
        raise _checks.unknown_name("condition", name, _REGISTRY, exc=ValueError)
    return _REGISTRY[name]


def names() -> list[str]:
    return list(_REGISTRY)


register(Condition(
    name="sci",
    description="mouse, complete T8 spinal cord transection on day 0; rTMS over the motor cortex",
    subject="mouse",
    pathway_models=("bdnf_trkb_erk", "cx43_autophagy_mtor"),
    changes={"cx43_autophagy_mtor": {"injury": 1.0}},
    days=28, start_day=1, readouts=SCI_READOUTS,
    source="Zhang et al. 2024, J Orthop Surg Res 19:387 (complete T8 transection, daily 15 Hz rTMS)",
))
register(Condition(
    name="uninjured",
    description="mouse, sham surgery (laminectomy without transection); rTMS over the motor cortex",
    subject="mouse",
    pathway_models=("bdnf_trkb_erk", "cx43_autophagy_mtor"),
    changes={"cx43_autophagy_mtor": {"injury": 0.0}},
    days=28, start_day=1, readouts=SCI_READOUTS,
    source="sham-operated group of Zhang et al. 2024",
))
register(Condition(
    name="healthy",
    description="human motor cortex, one session: MEP change only (no pathway models)",
    subject="human",
    pathway_models=(),
    days=1, start_day=0, readouts=("MEP",),
    # MEPs are measured within the after-effect window: 10:00 is 30-60 min after the end
    # of a 09:00 session of the TBS/1 Hz anchors (Wischnewski & Schutter 2015: up to 50-60 min)
    readout_clock_h=10.0,
    source="MEP after-effects: Wischnewski & Schutter 2015, Brain Stimul 8:685; Chen et al. 1997",
))
