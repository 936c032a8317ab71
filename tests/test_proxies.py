"""mechtms.proxies: the shared machinery (parameters, lag filter, placebo clock, errors).

Numerical tests measure error in units of the tolerance, e = (y - y_ref)/(atol + rtol |y_ref|).
"""

import math

import numpy as np
import pytest
import xarray as xr

from mechtms import protocols
from mechtms.proxies import Param, depression, lowpass, pain, placebo_fraction, rat, resolve, table


def _daily(**variables):
    days = np.arange(len(next(iter(variables.values()))))
    return xr.Dataset({k: ("day", np.asarray(v, dtype=float)) for k, v in variables.items()}, coords={"day": days})


# ---- the lag filter: closed forms -----------------------------------------------------------
def test_lowpass_step_response_is_the_closed_form():
    """Constant input 1 from y0 = 0: y(t) = 1 - exp(-t/tau) exactly (linear-between-samples solution)."""
    t = np.arange(0.0, 30.0)
    y = lowpass(t, np.ones_like(t), 7.0)
    ref = 1.0 - np.exp(-t / 7.0)
    e = np.abs(y - ref) / (1e-12 + 1e-9 * np.abs(ref))
    assert e.max() < 5


def test_lowpass_ramp_response_is_the_closed_form():
    """Ramp x = t from y0 = 0: y(t) = t - tau (1 - exp(-t/tau)), on an uneven grid."""
    t = np.array([0.0, 0.5, 1.0, 3.0, 3.5, 10.0, 21.0])
    y = lowpass(t, t, 4.0)
    ref = t - 4.0 * (1.0 - np.exp(-t / 4.0))
    e = np.abs(y - ref) / (1e-12 + 1e-9 * np.abs(ref))
    assert e.max() < 5


def test_lowpass_rows_are_independent_series():
    t = np.arange(10.0)
    x = np.vstack([np.ones(10), 2 * np.ones(10)])
    y = lowpass(t, x, 3.0)
    np.testing.assert_allclose(y[1], 2 * y[0], rtol=1e-12)
    np.testing.assert_array_equal(lowpass(t, x, 0.0), x)


# ---- placebo clock --------------------------------------------------------------------------
def test_placebo_starts_with_the_first_session_and_plateaus():
    c = protocols.course(protocols.preset("hf_rtms_10hz_depression"), weeks=2, days_per_week=5, start_day=3)
    days = np.arange(0.0, 40.0)
    pl = placebo_fraction(days, c, 0.2, 5.0)
    assert np.all(pl[:3] == 0)
    assert pl[3] == pytest.approx(0.2 * (1 - math.exp(-0.5 / 5.0)), rel=1e-12)
    assert np.all(np.diff(pl[3:]) > 0) and pl[-1] == pytest.approx(0.2, rel=1e-2)
    # no sessions, no ritual, no placebo; a sham course has the same clock as the active one
    assert np.all(placebo_fraction(days, None, 0.2, 5.0) == 0)
    sham = c.replace(protocol=c.protocol.as_sham())
    np.testing.assert_array_equal(placebo_fraction(days, sham, 0.2, 5.0), pl)


# ---- parameters and errors ------------------------------------------------------------------
def test_every_parameter_is_documented():
    for params in (depression.PARAMS, depression.COHORT, pain.PARAMS, pain.COHORT, rat.SUCROSE_PARAMS,
                   rat.PROLIFERATION_PARAMS):
        for row in table(params):
            assert row["status"] in ("SOURCE", "ASSUMED", "CALIBRATED", "DERIVED")
            assert len(row["source"]) > 20, row["name"]


def test_unknown_parameter_names_the_close_match():
    with pytest.raises(KeyError, match=r"unknown hamd17 parameter 'lag_day'.*Did you mean 'lag_days'"):
        resolve(depression.PARAMS, {"lag_day": 3}, "hamd17")


def test_bad_values_are_refused():
    with pytest.raises(ValueError, match=r"hamd17 parameter 'hemisphere' must be one of"):
        depression.hamd17(_daily(w_late=[0, 0.1]), None, {"hemisphere": "middle"})
    with pytest.raises(ValueError, match=r"vas parameter 'opioid_fraction' must be <= 1"):
        pain.vas(_daily(w_late=[0, 0.1]), None, {"opioid_fraction": 2})
    with pytest.raises(ValueError, match="unknown status .GUESSED.. Did you mean .ASSUMED."):
        Param(1.0, "-", "GUESSED", "nowhere")


def test_missing_upstream_variable_names_what_is_there():
    with pytest.raises(KeyError, match=r"unknown daily variable 'w_late'.*Known daily variables: W"):
        depression.hamd17(_daily(W=[1.0, 1.1]))


def test_proxies_return_labelled_data_over_day():
    daily = _daily(w_late=np.linspace(0, 0.2, 10), pTrkB_cortex=np.full(10, 0.04), pERK_cortex=np.full(10, 0.05))
    c = protocols.course(protocols.preset("hf_rtms_10hz_depression"), days=5, start_day=1)
    for da in (depression.hamd17(daily, c), pain.vas(daily, c), pain.ppr(daily, c), rat.sucrose_preference(daily),
               rat.proliferation(daily)):
        assert da.dims == ("day",) and da.sizes["day"] == 10
        assert da.attrs["units"] and da.attrs["description"]
        assert np.all(np.isfinite(da.values))
    # a resting rat is a control rat
    np.testing.assert_allclose(rat.sucrose_preference(daily).values, 0.80, rtol=1e-9)
    np.testing.assert_allclose(rat.proliferation(daily).values, 1.0, rtol=1e-9)
