"""The multiscale chain: causality, invariances, reproducibility, the main job's CLI.

Directions come from Zhang et al. 2024 (J Orthop Surg Res 19:387: high-frequency rTMS
after SCI lowers Cx43, raises LC3-II, lowers p62, raises mTOR/p-mTOR/p-4EBP1 and BMS),
and the human MEP anchors (Huang et al. 2005, Chen et
al. 1997, Maeda et al. 2000, Wischnewski & Schutter 2015).
"""

import os
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

import mechtms as mt
from mechtms import coupling, pathways, protocols

FAST = os.environ.get("MECHTMS_FAST") == "1"
DAYS = 5 if FAST else 14


@pytest.fixture(scope="module")
def runs():
    names = ("sham", "sci_15hz_mouse", "itbs_600", "rtms_1hz_900", "ctbs_600")
    return {n: mt.simulate(n, condition="sci", seed=0, days=DAYS) for n in names}


def test_sham_gives_the_sci_alone_trajectory(runs):
    """Sham: nothing delivered, dose 0, and the pathway read-outs equal the SCI model run
    alone without sessions (to the solver tolerance)."""
    sham = runs["sham"]
    assert np.all(sham.pulses_delivered == 0) and np.all(sham.dose == 0)
    # issue 11: the network's background activity alone moves the synapses' weight < 2 %
    assert np.all(np.abs(sham.dW_percent) < 2.0)
    alone = pathways.run_course("cx43_autophagy_mtor", protocols.course(protocols.preset("sham"), days=DAYS),
                                changes={"injury": 1.0}, hour=20.0)
    for name in ("Cx43", "LC3II", "p62", "pmTOR", "BMS"):
        np.testing.assert_allclose(sham[name].values, alone[name].sel(day=sham.day).values, rtol=1e-6)


def test_potentiating_and_depressing_protocols_give_opposite_dW(runs):
    """iTBS and 15 Hz potentiate, 1 Hz and cTBS depress (Huang 2005; Maeda 2000; Chen 1997)."""
    assert runs["itbs_600"].dW_percent.min() > 5 and runs["sci_15hz_mouse"].dW_percent.min() > 5
    assert runs["rtms_1hz_900"].dW_percent.max() < -5 and runs["ctbs_600"].dW_percent.max() < -5


def test_protocols_give_distinct_molecular_outcomes(runs):
    last = {n: r.sel(day=DAYS) for n, r in runs.items()}
    for a, b in (("sci_15hz_mouse", "rtms_1hz_900"), ("itbs_600", "ctbs_600"), ("sci_15hz_mouse", "itbs_600")):
        # 0.2 % (was 0.5 % with the mean-field plasticity of mechtms 0.1: TBS doses are now the
        # supra-threshold calcium of the network-driven synapses, small against the 15 Hz reference)
        assert abs(float(last[a].LC3II) / float(last[b].LC3II) - 1) > 0.002, (a, b)


def test_15hz_course_moves_every_readout_in_the_documented_direction(runs):
    """Zhang et al. 2024: against SCI alone, Cx43 down, LC3-II up, p62 down, p-mTOR,
    p-4EBP1 up, BMS and MEP higher."""
    rtms, sham = runs["sci_15hz_mouse"].sel(day=DAYS), runs["sham"].sel(day=DAYS)
    assert rtms.Cx43 < sham.Cx43 and rtms.p62 < sham.p62
    for name in ("LC3II", "flux", "mTOR", "pmTOR", "p4EBP1", "BMS", "MEP", "BDNF", "pERK"):
        assert rtms[name] > sham[name], name


def test_raising_intensity_raises_the_drive_and_moves_the_readouts():
    """Causality: intensity -> network drive -> calcium -> dose -> pathways (directions of
    Zhang et al. 2024), monotonic over 80, 100, 120 % RMT."""
    p = protocols.preset("sci_15hz_mouse")
    res = [mt.simulate(p.replace(intensity=i), condition="sci", days=3) for i in (80, 100, 120)]
    for name in ("pre_evoked", "post_evoked", "ca_supra_uM_s", "dose"):
        values = [float(r[name].isel(session=0)) for r in res]
        assert values[0] < values[1] < values[2], (name, values)
    end = [r.sel(day=3) for r in res]
    for name, sign in (("Cx43", -1), ("p62", -1), ("LC3II", 1), ("pmTOR", 1), ("BMS", 1), ("BDNF", 1)):
        values = [sign * float(e[name]) for e in end]
        assert values[0] < values[1] < values[2], (name, values)


def test_weight_feeds_back_into_the_network():
    """The weight reached after a session scales the next session's E->E weights, and a
    larger E->E weight gives a larger network drive. With daily sessions W is back at
    baseline by the next day (Shouval 2002: tau_W ~ 2.8 h at rest), so the feedback is
    shown with two sessions an hour apart (iTBS 600: the 15 Hz SCI session of mechtms 0.1
    now potentiates the synapses so much that 20 % of it drives the network past its range)."""
    twice = protocols.course(protocols.preset("itbs_600"), sessions_per_day=2, days=1, clock_h=[9, 10])
    r = mt.simulate(twice, condition="sci")
    # W ~ 1.4 an hour after the first session; 20 % of E->E synapses share it (PLASTIC_FRACTION)
    assert r.weight_scale.values[0] == 1.0 and 1.02 < r.weight_scale.values[1] <= 1.1
    assert r.net_epsp_mV.values[1] > r.net_epsp_mV.values[0]
    assert r.net_rate_E_hz.values[1] < 50  # inside the network's valid range (no runaway)
    off = mt.simulate(twice, condition="sci", coupling=False)
    assert np.all(off.weight_scale.values == 1.0) and np.all(off.dose.values == 1.0)


def test_uncoupled_daily_pathway_run_equals_one_continuous_run():
    """Invariance (STYLE.md §7): with coupling off the pathway models run day by day,
    each day starting from the previous day's state, equal one continuous run; the error
    is measured in units of the solver tolerance (ode defaults rtol 1e-8, atol 1e-10)."""
    daily = mt.simulate("sci_15hz_mouse", condition="sci", days=4, coupling=False, pathway_mode="daily")
    whole = mt.simulate("sci_15hz_mouse", condition="sci", days=4, coupling=False, pathway_mode="continuous")
    for name in ("Cx43", "LC3II", "p62", "flux", "pmTOR", "p4EBP1", "BMS"):
        a, b = daily[name].values, whole[name].values
        assert np.max(np.abs(a - b) / (1e-10 + 1e-8 * np.abs(b))) < 100, name


def test_network_cache_equals_the_full_computation():
    """The shortcut (network run once per distinct protocol/weight/seed) is exact."""
    coupling._NETWORK_CACHE.clear()
    cached = mt.simulate("itbs_600", condition="sci", days=3, cache=True)
    full = mt.simulate("itbs_600", condition="sci", days=3, cache=False)
    xr.testing.assert_identical(cached, full)


def test_same_seed_same_numbers_different_seed_different_noise():
    a = mt.simulate("itbs_600", condition="sci", days=2, seed=3)
    coupling._NETWORK_CACHE.clear()
    coupling._REFERENCE_CA.clear()
    b = mt.simulate("itbs_600", condition="sci", days=2, seed=3)  # recomputed from scratch
    c = mt.simulate("itbs_600", condition="sci", days=2, seed=4)
    xr.testing.assert_identical(a, b)
    assert not np.allclose(a.net_epsp_mV.values, c.net_epsp_mV.values)


def test_healthy_condition_reproduces_human_mep_anchors():
    """Human M1, one session, MEP 30-60 min later: iTBS +15..+45 %, cTBS -10..-35 %
    (Wischnewski & Schutter 2015), 1 Hz x 900 at 90 % RMT -10..-40 % (Chen et al. 1997:
    -19.5 % after 0.9 Hz x 810 at 115 %) — through the network. Bands widened in issue 11
    (the plasticity layer's own bands, data/mep_after_effects.csv; 1 Hz at 90 % RMT depresses
    more than Chen's anchor in the network-driven model, docs/plasticity.md)."""
    mep = {n: float(mt.simulate(n, condition="healthy").MEP.values[-1]) for n in ("itbs_600", "ctbs_600", "rtms_1hz_900")}
    assert 1.15 <= mep["itbs_600"] <= 1.45
    assert 0.65 <= mep["ctbs_600"] <= 0.90
    assert 0.60 <= mep["rtms_1hz_900"] <= 0.90


def test_result_layout_units_provenance_and_netcdf(runs, tmp_path):
    r = runs["itbs_600"]
    assert r.BMS.dims == ("day",) and r.dW_percent.dims == ("session",) and r.band_power.dims == ("session", "band")
    for name in r.data_vars:
        assert "units" in r[name].attrs, name
    for key in ("mechtms_version", "condition", "protocol", "course", "seed", "models_sbml_sha256"):
        assert key in r.attrs
    r.to_netcdf(tmp_path / "r.nc", engine="h5netcdf")
    xr.testing.assert_identical(r, xr.load_dataset(tmp_path / "r.nc", engine="h5netcdf"))


def test_compare_stacks_protocols():
    res = coupling.compare({"sham": "sham", "itbs": protocols.itbs(600)}, days=2)
    assert list(res.protocol.values) == ["sham", "itbs"] and res.BMS.dims == ("protocol", "day")


def test_bad_input():
    with pytest.raises(ValueError, match=r"unknown condition 'scii'. Did you mean 'sci'"):
        mt.simulate("itbs_600", condition="scii")
    with pytest.raises(ValueError, match=r"days must be >= 1, got 0"):
        mt.simulate("itbs_600", days=0)
    with pytest.raises(ValueError, match=r"unknown preset 'itbs'"):
        mt.simulate("itbs")
    with pytest.raises(ValueError, match=r"pathway_mode='continuous' needs coupling=False"):
        mt.simulate("itbs_600", days=1, pathway_mode="continuous")


# ---- the main job ---------------------------------------------------------------------
def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "mechtms", *args], capture_output=True, encoding="utf-8",
                          timeout=600, cwd=cwd)


def test_run_writes_results_and_prints_the_table(tmp_path):
    out = tmp_path / "res"
    r = cli("run", "-p", "sham", "-p", "itbs_600", "--days", "2", "--out", str(out), "-q")
    assert r.returncode == 0, r.stderr
    assert "Day-2 read-outs" in r.stdout and "itbs_600" in r.stdout and "BMS" in r.stdout
    names = {p.name for p in out.iterdir()}
    assert {"result.nc", "daily.csv", "sessions.csv", "bms.png", "readouts.png", "band_powers.png"} <= names
    assert not any(n.startswith(".mechtms-run-") for n in names)  # no temporary folder left
    res = xr.load_dataset(out / "result.nc", engine="h5netcdf")
    assert list(res.protocol.values) == ["sham", "itbs_600"]


@pytest.mark.parametrize("args, pattern", [
    (("-p", "itbs"), "unknown preset 'itbs'. Did you mean 'itbs_600'"),
    (("-c", "spinal"), "unknown condition 'spinal'"),
    (("--days", "0"), "--days must be >= 1, got 0"),
    (("--out", "/proc/mechtms-results"), "cannot write the output folder"),
])
def test_run_bad_input_one_line_exit_2(args, pattern, tmp_path):
    r = cli("run", *args, "-q", cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and pattern in lines[0] and "Traceback" not in r.stderr
    assert not (tmp_path / "results").exists()  # nothing half-written


def test_run_into_a_file_path_fails_cleanly(tmp_path):
    target = tmp_path / "afile"
    target.write_text("x")
    r = cli("run", "-p", "sham", "--days", "1", "--out", str(target), "-q")
    assert r.returncode == 2 and "is not a folder" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_first_pulses_shortcut_against_whole_sessions():
    """The network runs the first 60 pulses of a session for the band powers and the first two
    train periods for the synapses (repeated over the session; mechtms.plasticity.drive).
    Against whole sessions the after-effect differs by < 3 percentage points and the pathway
    dose by < 10 % (plasticity-layer numbers changed in issue 11: the synapses now see the
    network's spikes)."""
    name = "ctbs_300" if FAST else "itbs_600"
    short = mt.simulate(name, condition="sci", days=1)
    full = mt.simulate(name, condition="sci", days=1,
                       network=coupling.NetworkOptions(max_pulses=None, plasticity_periods=None))
    assert abs(float(short.dW_percent[0]) - float(full.dW_percent[0])) < 3.0
    assert abs(float(short.dose[0]) / float(full.dose[0]) - 1) < 0.10


def test_constants_agree_with_the_layers():
    from mechtms import network, plasticity

    assert coupling.AFTER_EFFECT_S == plasticity.AFTER_EFFECT_S
    assert coupling.BANDS == tuple(network.BANDS)
