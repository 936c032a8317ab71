"""How the chain runs its network: options that are values (hashable, recorded in provenance)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .. import _checks

#: The production network of the chain (docs/network.md): a layered M1 column that stays in its
#: resting state for E->E weight factors 0.7-1.3 (``cortex`` runs away from ~1.06).
DEFAULT_NETWORK = "m1_column"


@dataclass(frozen=True)
class NetworkOptions:
    """How the spiking network is run for each session of a course.

    Attributes
    ----------
    network : str or IzhNetwork
        The stimulated network (default ``"m1_column"``); a condition may give a spec value
        (e.g. a DLPFC-like column built with ``LayeredNetwork.replace``).
    n_neurons : int
        Network size.
    n_synapses : int
        Sampled E->E synapses of the plasticity population (``mechtms.plasticity``).
    max_periods : int or None
        The network simulates the first ``max_periods`` train periods of a session
        (continuous protocols: that many 60-s blocks) and repeats them over the session; the
        synapse population is integrated over the whole session (the shortcut of
        :class:`mechtms.plasticity.NetworkDrive`, tested against whole sessions). ``None``:
        the whole session in the network.
    max_pulses : int
        Pulses of a session simulated to measure its corticospinal volley per pulse.
    baseline_s : float
        Spontaneous activity before the first pulse (s).
    x_rmt : float or None
        Field at 100 % RMT in model units; ``None`` calibrates it on ``network``. A DLPFC
        network is dosed in % of the M1 motor threshold: give the M1 column's value.
    """

    network: Any = DEFAULT_NETWORK
    n_neurons: int = 1000
    n_synapses: int = 60
    max_periods: int | None = 2
    max_pulses: int = 60
    baseline_s: float = 4.0
    x_rmt: float | None = None

    def __post_init__(self) -> None:
        _checks.whole_number("n_neurons", self.n_neurons, low=50, high=200_000)
        _checks.whole_number("n_synapses", self.n_synapses, low=1, high=2000)
        if self.max_periods is not None:
            _checks.whole_number("max_periods", self.max_periods, low=1)
        _checks.whole_number("max_pulses", self.max_pulses, low=1)
        _checks.finite_number("baseline_s", self.baseline_s, low=1.0, high=60.0)
        if self.x_rmt is not None:
            _checks.finite_number("x_rmt", self.x_rmt, low=0, low_open=True)

    @property
    def network_name(self) -> str:
        return self.network if isinstance(self.network, str) else str(getattr(self.network, "name", "custom"))

    def summary(self) -> dict:
        out = asdict(self)
        out["network"] = self.network_name
        return out
