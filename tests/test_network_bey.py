"""Bey-style binary network (Bey, Leue & Wienbruch 2012, PLoS ONE 7:e49097): documented behaviour.

Public facts only (docs/network.md); the unknowns are parameters of
mechtms.network.bey. These tests pin what the mode does, not a literature figure.
"""

import pytest

import mechtms as mt
from mechtms import protocols as P
from mechtms.network import bey


def test_published_facts_alone_lock_into_all_active_state():
    """Without refractoriness, ±0.5 mV, 80:20, k = 120: a 10 Hz train at 100 % RMT (25 % of
    cells depolarised) leaves every neuron firing every step (≥ 990 Hz) after the train."""
    ds = bey.simulate(P.rtms(10, 10, 100), baseline_s=1, post_s=1, refractory_ms=0.0)
    assert float(ds["rate_E"].sel(time=slice(0.2, 0.95)).mean()) < 20  # sparse before
    assert float(ds["rate_E"].sel(time=slice(2.5, None)).mean()) >= 990


def test_with_refractoriness_activity_returns_to_baseline_and_bursts_grow_with_intensity():
    """Default 5 ms refractory period: the post-train rate is within 25 % of baseline, and the
    during-train rate rises from 60 to 100 % RMT (saturating above)."""
    rates = []
    for inten in (60, 100):
        ds = mt.network.simulate(P.rtms(10, 20, inten), network="bey", baseline_s=1, post_s=2)
        base = float(ds["rate_E"].sel(time=slice(0.2, 0.95)).mean())
        post = float(ds["rate_E"].sel(time=slice(3.5, None)).mean())
        assert post == pytest.approx(base, rel=0.25)
        rates.append(float(ds["rate_E"].sel(time=slice(1.0, 3.0)).mean()))
    assert rates[1] > 2 * rates[0]


def test_bey_bad_parameter_names_the_options():
    with pytest.raises(ValueError, match=r"unknown Bey parameter 'tau'.*Did you mean 'tau_ms'"):
        bey.simulate(None, 1.0, tau=3)
