"""Spiking-network layer: Izhikevich networks in numba under rTMS pulses.

Public API::

    simulate(protocol=None, network="izhikevich2003", duration_s=None, seed=0, ...)
    session_drive(protocol, network="cortex", weight_scale_ee=1.0, seed=0, max_pulses=None)
    band_powers(ds, window="post", relative=False), band_power_change(ds, window), spectrum(ds, window), BANDS
    field_at_rmt(network, waveform), rmt_to_vm(...), vm_to_rmt(...)   (intensity in V/m)
    pattern_intensity_scan(...), variance_shares(scan), intensity_trends(scan)
    calibrate_rmt(network="cortex", ...), recruitment(intensity_rmt, network="cortex")
    NETWORKS, IzhNetwork
    synapse_activity(protocol, ...) -> SynapseActivity (the network -> synapse hand-off)
    AfferentVolley (how PAS nerve stimuli reach the cortex)

Facts and sources: ``docs/network.md``; kernels in ``_kernels.py``.
"""

from .activity import SynapseActivity, synapse_activity
from .afferent import DEFAULT_VOLLEY, AfferentVolley
from .analysis import (
    PATTERNS,
    finer_claims,
    intensity_trends,
    pattern_intensity_scan,
    variance_shares,
)
from .efield import field_at_rmt, rmt_to_vm, vm_to_rmt
from .lfp import (
    BANDS,
    band_power_change,
    band_powers,
    peak_frequencies,
    rws_proxy,
    spectrum,
    window_mask,
)
from .networks import ALL_NETWORKS, CORTEX, IZHIKEVICH2003, NETWORKS, IzhNetwork, build_instance
from .simulate import session_drive, simulate
from .stimulation import calibrate_rmt, direct_probability, recruitment

__all__ = [
    "ALL_NETWORKS", "BANDS", "CORTEX", "DEFAULT_VOLLEY", "IZHIKEVICH2003", "NETWORKS", "PATTERNS",
    "AfferentVolley", "IzhNetwork", "SynapseActivity", "band_power_change", "band_powers", "build_instance",
    "calibrate_rmt",
    "direct_probability", "field_at_rmt", "finer_claims", "intensity_trends", "pattern_intensity_scan",
    "peak_frequencies", "recruitment", "rmt_to_vm", "rws_proxy", "session_drive", "simulate", "spectrum",
    "synapse_activity", "variance_shares", "vm_to_rmt", "window_mask",
]
