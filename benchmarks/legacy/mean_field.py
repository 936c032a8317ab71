"""The plasticity layer of mechtms 0.1 (commit 0b86610), kept as the speed baseline.

One representative synapse driven by three mean-field numbers per pulse
(``calcium_plasticity_v0_1.ant`` next to this file, the model as it was); no network.
Only what ``benchmarks/plasticity_speed.py`` needs: compile the model once and run one
session to 30 min after its last pulse, as ``mechtms.plasticity.after_effect`` did.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

MODEL_FILE = Path(__file__).with_name("calcium_plasticity_v0_1.ant")
DEFAULT_DRIVE = {"pre_prob": 1.0, "epsp_mV": 10.0, "bap_prob": 0.2, "bap_mV": 60.0}
RTOL, ATOL = 1e-6, 1e-9
AFTER_EFFECT_S = 1800.0


def load():
    """A RoadRunner of the 0.1 model (Antimony -> SBML -> roadrunner)."""
    import antimony
    import roadrunner

    antimony.clearPreviousLoads()
    if antimony.loadAntimonyString(MODEL_FILE.read_text()) < 0:
        raise ValueError(antimony.getLastError())
    rr = roadrunner.RoadRunner(antimony.getSBMLString(antimony.getMainModuleName()))
    rr.getIntegrator().setValue("relative_tolerance", RTOL)
    rr.getIntegrator().setValue("absolute_tolerance", ATOL)
    return rr


def schedule(protocol) -> dict[str, float]:
    continuous = protocol.train_s is None or protocol.n_trains == 1
    return {"isi_s": 1.0 / protocol.burst_frequency_hz, "ppb": float(protocol.pulses_per_burst),
            "ibi_s": 1.0 / protocol.frequency_hz,
            "bpt": float(protocol.n_bursts if continuous else protocol.bursts_per_train),
            "train_period_s": 0.0 if continuous else float(protocol.train_period_s),
            "n_total": float(protocol.n_delivered)}


def after_effect(rr, protocol) -> float:
    """% change of W 30 min after the session (mechtms 0.1 ``after_effect`` with the default drive)."""
    rr.resetAll()
    for key, value in {**schedule(protocol), **DEFAULT_DRIVE}.items():
        rr[key] = value
    rr.simulate(-1e-9, 0.0, 2)  # as mechtms 0.1's benchmark: the pulse at t = 0 is then delivered
    rr.timeCourseSelections = ["time", "W"]
    out = np.asarray(rr.simulate(0.0, protocol.duration_s + AFTER_EFFECT_S, 3))
    return float(100.0 * (out[-1, 1] - 1.0))
