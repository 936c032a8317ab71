"""rTMS protocols: sessions, courses, literature presets and safety limits.

>>> from mechtms import protocols
>>> p = protocols.itbs(pulses=600)
>>> p.n_pulses, round(p.duration_s, 2)
(600, 191.84)
"""

from ._course import TARGETS, Course, course
from ._protocol import (
    AMT_OVER_RMT,
    INTENSITY_CEILING,
    WAVEFORMS,
    Protocol,
    ctbs,
    imtbs,
    itbs,
    pas,
    rtms,
    single_pulses,
    theta_burst,
)
from .presets import PRESETS, Preset, preset, preset_course, preset_info, presets
from .safety import SafetyReport

__all__ = [
    "AMT_OVER_RMT", "INTENSITY_CEILING", "PRESETS", "Course", "Preset", "Protocol", "SafetyReport",
    "WAVEFORMS", "course", "ctbs", "imtbs", "itbs", "pas", "preset", "preset_course", "preset_info", "presets", "rtms",
    "single_pulses", "sham", "theta_burst", "TARGETS",
]


def sham(protocol: Protocol | str) -> Protocol:
    """The sham of a protocol (or of a preset, by name): same schedule, nothing delivered."""
    if isinstance(protocol, str):
        protocol = preset(protocol)
    return protocol.as_sham()
