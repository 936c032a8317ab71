"""The network -> synapse hand-off (mechtms.network.activity)."""

import numpy as np
import pytest

from mechtms import protocols
from mechtms.network.activity import SynapseActivity, synapse_activity


def test_from_trains_packs_sorted_csr():
    a = SynapseActivity.from_trains([[0.3, 0.1], []], [[0.2], [0.5, 0.4]], [([0.0], [5.0]), None])
    assert a.n_synapses == 2
    np.testing.assert_array_equal(a.pre(0), [0.1, 0.3])
    np.testing.assert_array_equal(a.post(1), [0.4, 0.5])
    assert a.depol(1)[0].size == 0 and a.depol(0)[1][0] == 5.0


def test_bad_csr_is_refused():
    with pytest.raises(ValueError, match="post_ptr must have shape"):
        SynapseActivity(np.array([0, 0]), np.zeros(0), np.array([0]), np.zeros(0), np.array([0, 0]),
                        np.zeros(0), np.zeros(0), np.zeros(1), np.zeros(0), np.zeros(0), 0.0, 1.0)


def test_presynaptic_recruitment_rises_with_intensity():
    # Aberra et al. 2020 / Weise et al. 2025: more cells are activated at higher field strength,
    # so more sampled synapses see a presynaptic spike right after each pulse.
    def fraction(intensity):
        a = synapse_activity(protocols.rtms(1, 10, intensity), seed=1, n_synapses=80)
        hits = [np.mean([np.any((a.pre(s) >= t) & (a.pre(s) < t + 0.01)) for s in range(a.n_synapses)])
                for t in a.pulse_times_s]
        return float(np.mean(hits))

    low, high = fraction(60), fraction(130)
    assert high > low + 0.1, (low, high)
