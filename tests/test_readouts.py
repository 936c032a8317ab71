"""mechtms.readouts (MEP proxy, fold changes) and mechtms.pathways (daily sampling, study runner)."""

import numpy as np
import pytest
import xarray as xr

from mechtms import ode, pathways, protocols, readouts


# ---- MEP proxy ---------------------------------------------------------------------------
def test_mep_is_excitability_times_corticospinal_transmission():
    assert readouts.mep(1.0) == 1.0
    assert readouts.mep(0.2, excitability=1.5) == pytest.approx(0.3)
    assert readouts.mep(0.5, 2.0, mep_uninjured=3.0) == pytest.approx(3.0)
    np.testing.assert_allclose(readouts.mep(np.array([1.0, 0.5]), np.array([1.0, 1.2])), [1.0, 0.6])


def test_transection_loses_most_of_the_mep():
    """Kim et al. 2009: the MEP falls steeply with SCI severity (~10-fold at a moderate
    contusion); after complete transection the proxy keeps <= 10 % on day 1 and rTMS-free
    recovery leaves it < 25 % on day 28."""
    ds = pathways.run_course("cx43_autophagy_mtor", "sham", {"injury": 1.0})
    assert readouts.mep(float(ds.CST.sel(day=1))) <= 0.10
    assert readouts.mep(float(ds.CST.sel(day=28))) < 0.25


@pytest.mark.parametrize("bad, match", [(-0.1, "excitability must be finite and >= 0"),
                                        (float("nan"), "excitability must be finite")])
def test_mep_rejects_bad_excitability(bad, match):
    with pytest.raises(ValueError, match=match):
        readouts.mep(1.0, excitability=bad)


def test_mep_rejects_bad_scale_and_cst():
    with pytest.raises(ValueError, match="mep_uninjured must be > 0"):
        readouts.mep(1.0, mep_uninjured=0)
    with pytest.raises(ValueError, match="cst must be finite and >= 0"):
        readouts.mep(-1.0)


def test_add_mep_with_scalar_and_daily_excitability():
    ds = pathways.run_course("cx43_autophagy_mtor", "sci_15hz_mouse", {"injury": 1.0})
    out = readouts.add_mep(ds)
    np.testing.assert_allclose(out.MEP.values, ds.CST.values)
    assert out.MEP.attrs["units"] == "relative to uninjured"
    w = xr.DataArray(np.linspace(1.0, 1.3, ds.sizes["day"]), dims="day", coords={"day": ds.day})
    out = readouts.add_mep(ds, excitability=w)
    np.testing.assert_allclose(out.MEP.values, ds.CST.values * w.values)
    assert "MEP" not in ds  # the input is not modified


def test_add_mep_needs_cst():
    ds = xr.Dataset({"BDNF": ("time", [1.0, 2.0])})
    with pytest.raises(KeyError, match="add_mep needs a 'CST' variable"):
        readouts.add_mep(ds)


def test_fold_change_over_baseline_and_reference():
    ds = xr.Dataset({"x": ("time", [2.0, 4.0, 6.0])}, coords={"time": [0, 1, 2]})
    np.testing.assert_allclose(readouts.fold_change(ds).x.values, [1, 2, 3])
    ref = xr.Dataset({"x": ("time", [1.0, 2.0, 3.0])}, coords={"time": [0, 1, 2]})
    np.testing.assert_allclose(readouts.fold_change(ds, ref).x.values, [2, 2, 2])
    with pytest.raises(KeyError, match="unknown variable 'y'"):
        readouts.fold_change(ds, variables=["y"])


def test_last_day_mean():
    ds = ode.simulate_model("cx43_autophagy_mtor", changes={"injury": 0.0}, t_end=72, points=73)
    m = readouts.last_day_mean(ds, ["Cx43"])
    assert float(m.Cx43) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="day 9 is not covered"):
        readouts.last_day_mean(ds, day=9)


# ---- pathways helpers --------------------------------------------------------------------
def test_daily_at_samples_the_hour_and_mean_averages_the_day():
    t = np.arange(0, 73.0)
    ds = xr.Dataset({"x": ("time", t, {"units": "h"})}, coords={"time": t}, attrs={"time_unit": "hour"})
    at8 = pathways.daily(ds, how="at", hour=8.0)
    assert list(at8.day.values) == [0, 1, 2]
    np.testing.assert_allclose(at8.x.values, [8, 32, 56])
    assert at8.x.attrs["units"] == "h"
    mean = pathways.daily(ds, how="mean")
    np.testing.assert_allclose(mean.x.values, [11.5, 35.5, 59.5])


def test_daily_rejects_bad_options():
    ds = xr.Dataset({"x": ("time", [0.0, 1.0])}, coords={"time": [0.0, 48.0]}, attrs={"time_unit": "hour"})
    with pytest.raises(ValueError, match="unknown how 'median'"):
        pathways.daily(ds, how="median")
    with pytest.raises(ValueError, match="hour must be < 24"):
        pathways.daily(ds, hour=24)
    with pytest.raises(ValueError, match="needs an hour-based model run"):
        pathways.daily(ds.assign_attrs(time_unit="second"))


def test_sci_study_has_arm_and_day_dims():
    ds = pathways.sci_study("cx43_autophagy_mtor", days=7)
    assert list(ds.arm.values) == ["sham", "sci", "sci_rtms"]
    assert ds.BMS.dims == ("arm", "day") and int(ds.day.max()) == 7
    assert ds.Cx43.attrs["units"] == "dimensionless"
    with pytest.raises(ValueError, match="unknown arm 'scii'. Did you mean 'sci'"):
        pathways.sci_study("cx43_autophagy_mtor", arms=["scii"])


def test_sci_study_runs_the_bdnf_model_without_injury():
    ds = pathways.sci_study("bdnf_trkb_erk", arms=["sham", "sci_rtms"], days=3, how="mean")
    assert float(ds.BDNF.sel(arm="sci_rtms", day=2)) > float(ds.BDNF.sel(arm="sham", day=2))


def test_run_course_matches_simulate_model():
    course = protocols.preset_course("sci_15hz_mouse")
    full = ode.simulate_model("cx43_autophagy_mtor", course=course, changes={"injury": 1.0})
    daily = pathways.run_course("cx43_autophagy_mtor", course, {"injury": 1.0})
    assert float(daily.Cx43.sel(day=10)) == pytest.approx(float(full.Cx43.sel(time=10 * 24 + 8)), rel=1e-12)


def test_acute_bdnf_has_minutes_and_dose_response_validates():
    ds = pathways.acute_bdnf(1.0, minutes=10)
    assert ds.minute.values[-1] == pytest.approx(10.0)
    with pytest.raises(ValueError, match="doses_nM must be a non-empty"):
        pathways.dose_response([])
    with pytest.raises(ValueError, match="bdnf_nM must be >= 0"):
        pathways.acute_bdnf(-1.0)


def test_fit_hill_recovers_known_parameters():
    d = np.array([0.0, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0])
    y = 1.0 + 5.0 * d**1.5 / (d**1.5 + 0.2**1.5)
    fit = pathways.fit_hill(d, y)
    assert fit["ec50"] == pytest.approx(0.2, rel=1e-4)
    assert fit["n"] == pytest.approx(1.5, rel=1e-4)
    assert fit["r2"] > 0.999999
