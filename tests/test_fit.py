"""mechtms.fit: PEtab export (linted), the objective, multi-start recovery, identifiability."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mechtms import fit
from mechtms.validation.anchors import REQUIRED, data_dir


def _anchor_rows(rows):
    """Anchor rows in the schema of data/README.md (defaults for the columns a test does not care about)."""
    base = {c: "" for c in REQUIRED}
    base.update(role="calibration", criterion="band", band_low=-1e9, band_high=1e9, condition="culture",
                spread_kind="sd", source="synthetic", figure_table="", how_read="", units="uM", table="synthetic.csv",
                runner="", cost="fast", ci_low=math.nan, ci_high=math.nan, n=math.nan, tolerance=math.nan)
    out = pd.DataFrame([{**base, **r} for r in rows])
    return out.set_index("anchor", drop=False)


def test_bdnf_problem_passes_the_petab_linter(tmp_path):
    """The Ji 2010 / Yuen & Mobley 1999 problem of data/bdnf_trkb_erk.csv is valid PEtab v1."""
    yaml = fit.to_petab("bdnf_trkb_erk", data_dir() / "bdnf_trkb_erk.csv",
                        {"kd_erk": (1, 100), "k_int": {"lower": 1, "upper": 100, "prior_sd": 0.5}}, tmp_path)
    assert fit.lint(yaml) == []
    meas = pd.read_csv(tmp_path / "measurements.tsv", sep="\t")
    # Ji 2010: six p-ERK points with their s.e.m. as sigma; times in hours (the model's unit)
    ji = meas[meas.observableId == "obs_pERK_fold"]
    assert ji.time.tolist() == [0.25, 0.5, 1.0, 2.0, 4.0, 8.0]
    assert ji.noiseParameters.astype(float).tolist() == [0.55, 0.4, 0.8, 0.5, 0.7, 0.2]
    # relative TrkB data get an estimated scaling factor; the prior is written on the log10 scale
    pars = pd.read_csv(tmp_path / "parameters.tsv", sep="\t").set_index("parameterId")
    assert "scale_pTrkB" in pars.index
    assert pars.loc["k_int", "objectivePriorType"] == "parameterScaleNormal"
    assert pars.loc["k_int", "objectivePriorParameters"] == f"{math.log10(9):.12g};0.5"


def test_objective_matches_the_model_at_nominal_values(tmp_path):
    """At the nominal parameters the objective's p-ERK fold equals simulate_model's (Ji 2010 protocol)."""
    import mechtms as mt

    yaml = fit.to_petab("bdnf_trkb_erk", data_dir() / "bdnf_trkb_erk.csv", {"kd_erk": (1, 100)}, tmp_path)
    obj = fit.load_problem(yaml)
    sim = obj.simulate(obj.x_nominal).set_index("replicateId")
    ds = mt.simulate_model("bdnf_trkb_erk", changes={"BDNF_ext_nM": 1.0}, t_end=8, points=33, selections=["pERK"])
    ref = ds.pERK.values / ds.pERK.values[0]
    for t_h, anchor in ((0.25, "ji2010_perk_15min"), (2.0, "ji2010_perk_120min"), (8.0, "ji2010_perk_480min")):
        y_ref = ref[int(round(t_h * 4))]
        e = abs(sim.loc[anchor, "simulation"] - y_ref) / (1e-8 + 1e-6 * abs(y_ref))
        assert e < 5, (anchor, e)


def test_multistart_recovers_known_parameters(tmp_path, closed_form_models):
    """Synthetic data from the closed-form model (X = exp(-k t); Kp relaxes to ka/(ka+kd)) with 1 %
    noise: L-BFGS-B from random starts recovers k, ka, kd within 5 % and all three are identifiable."""
    import mechtms as mt

    true = {"k": 0.5, "ka": 2.0, "kd": 1.0}
    times = np.array([0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0])
    ds = mt.simulate_model("closed_forms", changes=true, t_end=4.0, points=17, selections=["X", "Kp"])
    rng = np.random.default_rng(1)
    rows = []
    for var in ("X", "Kp"):
        for t in times:
            y = float(ds[var].sel(time=t, method="nearest")) * (1 + 0.01 * rng.standard_normal())
            rows.append({"anchor": f"syn_{var.lower()}_{int(t * 100)}", "readout": var, "time": f"{t} h",
                         "value": y, "spread": 0.01 * max(y, 0.05), "protocol": ""})
    yaml = fit.to_petab("closed_forms", _anchor_rows(rows), {k: (0.05, 20) for k in true}, tmp_path)
    assert fit.lint(yaml) == []
    res = fit.calibrate(yaml, n_starts=4, seed=3, profile=True)
    for k, v in true.items():
        assert res.best[k] == pytest.approx(v, rel=0.05), (k, res.best)
    assert (res.identifiability.verdict == "identifiable").all(), res.summary()
    # starts that converged reach the same optimum (a well-posed problem)
    assert res.starts.fval.iloc[:2].diff().abs().iloc[-1] < 1e-3


def test_unidentifiable_parameter_is_reported(tmp_path, closed_form_models):
    """Data on X alone say nothing about the kinase rates: ka is reported 'not identifiable'."""
    rows = [{"anchor": f"x_{i}", "readout": "X", "time": f"{t} h", "value": float(np.exp(-0.5 * t)),
             "spread": 0.01, "protocol": ""} for i, t in enumerate((0.5, 1.0, 2.0, 4.0))]
    yaml = fit.to_petab("closed_forms", _anchor_rows(rows), {"k": (0.05, 20), "ka": (0.1, 10)}, tmp_path)
    res = fit.calibrate(yaml, n_starts=2, seed=0)
    assert res.identifiability.loc["k", "verdict"] == "identifiable"
    assert res.identifiability.loc["ka", "verdict"] == "not identifiable"


def test_same_seed_same_fit(tmp_path, closed_form_models):
    rows = [{"anchor": f"x_{i}", "readout": "X", "time": f"{t} h", "value": float(np.exp(-0.7 * t)),
             "spread": 0.01, "protocol": ""} for i, t in enumerate((0.5, 1.0, 2.0))]
    yaml = fit.to_petab("closed_forms", _anchor_rows(rows), {"k": (0.05, 20)}, tmp_path)
    a = fit.calibrate(yaml, n_starts=3, seed=7, profile=False)
    b = fit.calibrate(yaml, n_starts=3, seed=7, profile=False)
    pd.testing.assert_frame_equal(a.starts, b.starts)


@pytest.mark.parametrize("parameters, match", [
    ({"kd_ekr": (1, 10)}, r"unknown parameter of bdnf_trkb_erk 'kd_ekr'.*Did you mean .*'kd_erk'"),
    ({"kd_erk": (10, 1)}, r"upper bound of kd_erk must be > 10"),
    ({"kd_erk": (-1, 10)}, r"lower bound of kd_erk must be > 0"),
    ({"kd_erk": (20, 100)}, r"nominal value of kd_erk \(10\) lies outside its bounds"),
    ({"k_mek": (1, 10)}, r"unknown parameter of bdnf_trkb_erk 'k_mek'"),  # an assignment rule, not estimable
    ({}, r"parameters must be a non-empty mapping"),
])
def test_bad_parameters_are_refused(tmp_path, parameters, match):
    with pytest.raises(ValueError, match=match):
        fit.to_petab("bdnf_trkb_erk", data_dir() / "bdnf_trkb_erk.csv", parameters, tmp_path)


def test_unknown_model_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"unknown model or condition 'bdnf_trkb'.*Did you mean 'bdnf_trkb_erk'"):
        fit.to_petab("bdnf_trkb", data_dir() / "bdnf_trkb_erk.csv", {"kd_erk": (1, 100)}, tmp_path)


def test_plasticity_problem_from_session_presets(tmp_path):
    """MEP anchors of session presets become PEtab conditions of the pulse schedule
    (mechtms.plasticity.schedule_changes) measured 30 min after the session; the problem lints and
    its objective reproduces mechtms.plasticity.after_effect. Values: Wischnewski & Schutter 2015
    (iTBS 600: +35.5 +- 3.3 %), used here only as a row to export."""
    import mechtms as mt
    from mechtms import protocols

    rows = [{"anchor": "itbs", "readout": "dW_percent", "time": "30 min", "value": 35.5, "spread": 3.3,
             "spread_kind": "sem", "protocol": "itbs_600"}]
    yaml = fit.to_petab("calcium_plasticity", _anchor_rows(rows), {"A_p": (0.1, 3)}, tmp_path)
    assert fit.lint(yaml) == []
    cond = pd.read_csv(tmp_path / "conditions.tsv", sep="\t").set_index("conditionId")
    assert cond.loc["itbs_600", "n_total"] == 600 and cond.loc["itbs_600", "train_period_s"] == 10
    meas = pd.read_csv(tmp_path / "measurements.tsv", sep="\t")
    assert meas.time.iloc[0] == pytest.approx(protocols.preset("itbs_600").duration_s + 1800)
    sim = fit.load_problem(yaml, rtol=mt.plasticity.RTOL, atol=mt.plasticity.ATOL).simulate(np.log10([0.75]))
    assert sim.simulation.iloc[0] == pytest.approx(mt.plasticity.after_effect(protocols.preset("itbs_600")), abs=0.05)


def test_cli_fit_writes_the_problem_and_results(tmp_path, closed_form_models, capsys):
    """`mechtms fit` on an anchor table: lints, fits, prints the identifiability table, writes results."""
    from mechtms.cli import main

    rows = [{"anchor": f"x_{i}", "readout": "X", "time": f"{t} h", "value": float(np.exp(-0.5 * t)),
             "spread": 0.01, "protocol": ""} for i, t in enumerate((0.5, 1.0, 2.0))]
    table = tmp_path / "x.csv"
    _anchor_rows(rows).drop(columns=["table"]).to_csv(table, index=False)
    with pytest.raises(SystemExit) as exc:
        main(["fit", "closed_forms", "--data", str(table), "--param", "k=0.05:20", "--starts", "2",
              "--out", str(tmp_path / "out")])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "passes petab lint" in out and "identifiable" in out
    assert {"starts.csv", "identifiability.csv", "fit.png", "profiles.png"} <= {p.name for p in (tmp_path / "out").iterdir()}
    with pytest.raises(SystemExit) as exc:
        main(["fit", "closed_forms", "--data", str(table), "--param", "k=0.05"])
    assert exc.value.code == 2
    assert "use name=lower:upper" in capsys.readouterr().err
