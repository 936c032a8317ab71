"""The multiscale chain: protocol -> network -> synapses -> consolidation -> lesion / MEP -> proxies.

One course is the layers called in a loop, each arrow a named quantity (docs/chain.md):

1. **network -> synapses** (:mod:`._cortex`): each session runs the spiking network with its
   E->E weights scaled by the weight carried from earlier sessions; a random sample of its
   E->E synapses drives the calcium-plasticity population (:mod:`mechtms.plasticity`): the
   early change, its spread, the session's evoked activity.
2. **synapses -> consolidation** (:mod:`mechtms.consolidation`): the early change sets the
   tags; the session's evoked activity drives the cortical BDNF-TrkB-ERK instance, whose
   p-ERK makes the proteins that capture it. The late change persists for days and, with
   what is left of the early change, scales the network in the next session.
3. **cortex -> spinal cord** (:mod:`mechtms.lesion`, conditions with a lesion): the
   corticospinal volleys each session evokes and the tonic output under the day's weights
   are the descending drive; activity-dependent BDNF at the lesion, Cx43, autophagy, mTOR,
   the spared and sprouting tract (``CST``) and the BMS proxy follow.
4. **MEP** (:mod:`mechtms.mep`): a probe of single pulses through the network with the
   day's weights, the tract (``CST``) and a motoneuron pool, measured each day.
5. the condition's **proxies** (clinical scales) from the named quantities above.

Every conversion between layers is in :mod:`._convert`.
"""

from ._convert import (
           PLASTIC_FRACTION,
           SCALE_RANGE,
           early_change,
           hours_to_seconds,
           session_activity,
           weight_to_network_scale,
)
from ._cortex import REFERENCE_PRESET, CortexState, network_drive, reference_activity, session_step
from ._options import DEFAULT_NETWORK, NetworkOptions
from ._run import SESSION_VARS, as_course, chain_variables, compare, simulate

__all__ = ["CortexState", "DEFAULT_NETWORK", "PLASTIC_FRACTION", "NetworkOptions", "REFERENCE_PRESET", "SCALE_RANGE", "SESSION_VARS", "as_course",
           "chain_variables", "compare", "early_change", "hours_to_seconds", "network_drive",
           "reference_activity", "session_activity", "session_step", "simulate",
           "weight_to_network_scale"]
