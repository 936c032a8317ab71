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
    """MEP anchors of session presets become PEtab conditions of the model file's regular pulse
    schedule (mechtms.plasticity.schedule_changes, with the row's protocol fields) measured 30 min
    after the session; direction-only rows and PAS are skipped; the problem lints and its objective
    equals a libroadrunner run of the model file. Values: Wischnewski & Schutter 2015 (iTBS 600:
    +35.5 +- 3.3 %), Chen et al. 1997 (0.9 Hz, 810 pulses: -19.5 %), used here only as rows to export."""
    import yaml as _yaml

    import mechtms as mt
    from mechtms import protocols

    rows = [{"anchor": "itbs", "readout": "dW_percent", "time": "30 min", "value": 35.5, "spread": 3.3,
             "spread_kind": "sem", "protocol": "itbs_600"},
            {"anchor": "chen", "readout": "dW_percent", "time": "15 min", "value": -19.5, "spread": math.nan,
             "spread_kind": "none", "protocol": "rtms_1hz_900; frequency_hz=0.9; pulses=810; intensity=115"},
            {"anchor": "maeda", "readout": "dW_percent", "time": "15 min", "value": 1.0, "criterion": "sign",
             "protocol": "rtms_20hz; pulses=240"},
            {"anchor": "stefan", "readout": "dW_percent", "time": "30 min", "value": 10.0, "protocol": "pas25"}]
    yaml = fit.to_petab("calcium_plasticity", _anchor_rows(rows), {"A_p": (0.1, 30)}, tmp_path)
    assert fit.lint(yaml) == []
    assert _yaml.safe_load(yaml.read_text())["mechtms_skipped"] == ["maeda", "stefan"]
    cond = pd.read_csv(tmp_path / "conditions.tsv", sep="\t").set_index("conditionId")
    assert cond.loc["itbs_600", "n_total"] == 600 and cond.loc["itbs_600", "train_period_s"] == 10
    chen = cond.loc["rtms_1hz_900_frequency_hz_0_9_intensity_115_pulses_810"]
    assert chen["n_total"] == 810 and chen["ibi_s"] == pytest.approx(1 / 0.9)
    meas = pd.read_csv(tmp_path / "measurements.tsv", sep="\t").set_index("replicateId")
    itbs = protocols.preset("itbs_600")
    assert meas.loc["itbs", "time"] == pytest.approx(itbs.duration_s + 1800)
    assert meas.loc["chen", "noiseParameters"] == "sigma_obs_dW_percent"  # no spread: an estimated sigma
    obj = fit.load_problem(yaml, rtol=mt.plasticity.RTOL, atol=mt.plasticity.ATOL)
    assert obj.x_ids == ["A_p", "sigma_obs_dW_percent"]
    sim = obj.simulate(obj.x_nominal)  # A_p at the model file's 3.05
    t = itbs.duration_s + 1800
    ref = mt.simulate_model("calcium_plasticity", changes=mt.plasticity.schedule_changes(itbs), t_end=t,
                            points=2, selections=["W"], rtol=mt.plasticity.RTOL, atol=mt.plasticity.ATOL)
    assert sim.set_index("replicateId").loc["itbs", "simulation"] == pytest.approx(
        100 * (float(ref.W.values[-1]) - 1), abs=1e-6 + 1e-4 * abs(100 * (float(ref.W.values[-1]) - 1)))


def test_plasticity_fit_recovers_known_parameters(tmp_path):
    """Synthetic data generated by the model file's representative synapse (1 Hz x 30 pulses: LTD;
    20 Hz x 20 pulses: LTP; two read-out times each; 0.5 % noise) at A_p = 2, A_d = 0.7: two random
    starts recover both within 5 % (the LTP and LTD amplitudes of Shouval et al. 2002's Omega)."""
    import mechtms as mt

    truth = {"A_p": 2.0, "A_d": 0.7}
    rows = [{"anchor": f"{label}_{t}", "readout": "dW_percent", "time": f"{t} s", "value": 0.0, "spread": 1.0,
             "spread_kind": "sd", "protocol": proto}
            for label, proto in (("ltd", "rtms_1hz_900; pulses=30"), ("ltp", "rtms_20hz; pulses=20"))
            for t in (5, 60)]
    pars = {"A_p": (0.3, 10), "A_d": (0.05, 3)}
    yaml = fit.to_petab("calcium_plasticity", _anchor_rows(rows), pars, tmp_path / "truth")
    obj = fit.load_problem(yaml, rtol=mt.plasticity.RTOL, atol=mt.plasticity.ATOL)
    clean = obj.simulate(np.log10([truth["A_p"], truth["A_d"]])).simulation.to_numpy()
    noisy = clean + 0.005 * np.abs(clean) * np.random.default_rng(1).standard_normal(clean.size)
    data = _anchor_rows([{**r, "value": v, "spread": max(0.005 * abs(v), 0.05)} for r, v in zip(rows, noisy, strict=True)])
    yaml = fit.to_petab("calcium_plasticity", data, pars, tmp_path / "fit")
    res = fit.calibrate(fit.load_problem(yaml, rtol=mt.plasticity.RTOL, atol=mt.plasticity.ATOL),
                        n_starts=2, seed=3, profile=False, max_iter=60)
    assert {k: round(v / truth[k], 2) for k, v in res.best.items()} == pytest.approx({"A_p": 1, "A_d": 1}, abs=0.05)
    assert res.starts.converged.all()


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


def test_population_objective_recovers_known_parameters():
    """The calibration route of the network-driven population (mechtms.plasticity.anchors.run_row with
    changes=), here on the slice drive (no network, 4 synapses, so it runs in seconds): 20 stimuli at
    1 Hz (LTD) and 30 at 50 Hz (LTP; Dudek & Bear 1992 protocol, shortened) generated at A_p = 2, A_d = 0.7 are
    recovered within 5 % by fit.calibrate from two random starts."""
    from mechtms.plasticity import NetworkDrive

    proto = {"ltd": "rtms_1hz_900; pulses=20", "ltp": "rtms_1hz_900; frequency_hz=50; pulses=30"}
    rows = _anchor_rows([{"anchor": a, "readout": "dW_percent", "time": "30 min", "value": 0.0, "spread": 0.2,
                          "protocol": p, "condition": "slice"} for a, p in proto.items()])
    pars = {"A_p": (0.3, 10), "A_d": (0.05, 3)}
    drive = NetworkDrive(n_synapses=4)
    truth = fit.PopulationObjective(rows, pars, drive=drive).simulate(np.log10([2.0, 0.7])).simulation.to_numpy()
    assert truth[0] < -5 and truth[1] > 5  # LTD at 1 Hz, LTP at 50 Hz
    obj = fit.PopulationObjective(rows.assign(value=truth), pars, drive=drive)
    res = fit.calibrate(obj, n_starts=2, seed=3, profile=False, max_iter=15)
    assert res.best == pytest.approx({"A_p": 2.0, "A_d": 0.7}, rel=0.05)
    with pytest.raises(ValueError, match=r"direction-only"):
        fit.PopulationObjective(rows.assign(criterion="sign", value=1.0), pars)
    with pytest.raises(ValueError, match=r"no spread: give default_sigma"):
        fit.PopulationObjective(rows.assign(spread=math.nan, spread_kind="none"), pars)
