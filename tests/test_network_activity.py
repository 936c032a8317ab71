"""The network -> synapse hand-off (mechtms.network.activity) and the PAS afferent volley.

Sources: Stefan et al. 2000 (Brain 123:572) and Wolters et al. 2003 (J Neurophysiol
89:2339) for the PAS design (nerve stimulus 25 ms / 10 ms before the pulse); the N20
latency of the median-nerve SEP (~20 ms; Cruccu et al. 2008, Clin Neurophysiol
119:1705) for the arrival at the cortex; Aberra et al. 2020 / Weise et al. 2025 for
recruitment rising with field strength.
"""

import numpy as np
import pytest

import mechtms as mt
from mechtms import protocols
from mechtms.network import _engine, afferent
from mechtms.network import networks as nets
from mechtms.network.activity import SynapseActivity, synapse_activity
from mechtms.network.stimulation import RESPONSE_SPIKES_PER_CELL, evoked_spikes_per_cell


@pytest.fixture(scope="module")
def x_rmt():
    return mt.network.calibrate_rmt("cortex")  # cached on disk after the first call


def test_from_trains_packs_sorted_csr():
    a = SynapseActivity.from_trains([[0.3, 0.1], []], [[0.2], [0.5, 0.4]], [([0.0], [5.0]), None])
    assert a.n_synapses == 2
    np.testing.assert_array_equal(a.pre(0), [0.1, 0.3])
    np.testing.assert_array_equal(a.post(1), [0.4, 0.5])
    assert a.depol(1)[0].size == 0 and a.depol(0)[1][0] == 5.0
    assert a.pre_afferent.shape == (2,) and not a.post_afferent.any()


def test_bad_csr_is_refused():
    with pytest.raises(ValueError, match="post_ptr must have shape"):
        SynapseActivity(np.array([0, 0]), np.zeros(0), np.array([0]), np.zeros(0), np.array([0, 0]),
                        np.zeros(0), np.zeros(0), np.zeros(1), np.zeros(0), np.zeros(0), 0.0, 1.0)
    with pytest.raises(ValueError, match=r"post_afferent must have shape \(1,\)"):
        SynapseActivity(np.array([0, 0]), np.zeros(0), np.array([0, 0]), np.zeros(0), np.array([0, 0]),
                        np.zeros(0), np.zeros(0), np.zeros(1), np.zeros(0), np.zeros(0), 0.0, 1.0,
                        post_afferent=np.zeros(3, bool))


def test_presynaptic_recruitment_rises_with_intensity(x_rmt):
    """Aberra et al. 2020 / Weise et al. 2025: more cells are activated at higher field
    strength, so a larger fraction of the sampled presynaptic cells fires within 5 ms of
    each pulse (meta["pre_fire_frac"]); at 60 % RMT it stays near the spontaneous level
    (8 Hz x 5 ms = 0.04) and rises by more than 0.2 at 130 % RMT."""
    frac = [synapse_activity(protocols.rtms(1, 10, i), seed=1, n_synapses=80, x_rmt=x_rmt).meta["pre_fire_frac_mean"]
            for i in (60, 100, 130)]
    assert frac[0] < 0.12 and np.all(np.diff(frac) > 0) and frac[2] > frac[0] + 0.2, frac


def test_tracked_raster_equals_the_full_raster_of_those_cells():
    """Recording only the tracked cells inside the kernel changes no spike (same dynamics)."""
    kw = dict(n_neurons=200, dt_ms=0.1, n_steps=20000, seed=5, n_sample_syn=15, record_raster=True)
    full = _engine.run(nets.CORTEX, **kw)
    mine = _engine.run(nets.CORTEX, raster_tracked_only=True, **kw)
    keep = np.isin(full.spk_idx, full.track)
    np.testing.assert_array_equal(mine.spk_idx, full.spk_idx[keep])
    np.testing.assert_array_equal(mine.spk_step, full.spk_step[keep])
    np.testing.assert_array_equal(mine.counts, full.counts)
    assert 0 < mine.spk_idx.size < full.spk_idx.size


@pytest.mark.parametrize("isi_ms, lag_s", [(25, -0.005), (10, 0.010)])
def test_pas_volley_reaches_cortex_at_n20_and_is_ordered_with_the_pulse(isi_ms, lag_s, x_rmt):
    """PAS25 (Stefan 2000): the volley (N20 ~20 ms after the nerve stimulus) reaches the
    cortex 5 ms before the pulse; PAS10 (Wolters 2003): 10 ms after it. Cells that receive
    the volley show a compound depolarisation at its onset more than 1.5 times that of
    cells that do not (110 % RMT, seed 1: 5.7 vs 1.9 mV at ISI 25; 4.7 vs 2.6 mV at ISI 10,
    where the volley adds to the network's response to the pulse 10 ms earlier)."""
    a = synapse_activity(protocols.pas(isi_ms=isi_ms, pairs=10, frequency_hz=2.0, intensity=110),
                         seed=1, n_synapses=120, x_rmt=x_rmt)
    np.testing.assert_allclose(a.afferent_times_s - a.pulse_times_s, lag_s, atol=1e-9)
    np.testing.assert_allclose(a.afferent_times_s - a.meta["nerve_times_s"], 0.020, atol=1e-9)
    assert a.meta["n_afferent_cells"] == 240 and 0 < a.post_afferent.sum() < a.n_synapses
    got, other = [], []
    for s in range(a.n_synapses):
        t, v = a.depol(s)
        at_volley = np.isin(np.round(t, 6), np.round(a.afferent_times_s, 6))
        assert at_volley.sum() == a.afferent_times_s.size  # one event per volley and synapse
        (got if a.post_afferent[s] else other).append(v[at_volley].mean())
    assert np.mean(got) > 1.5 * np.mean(other), (np.mean(got), np.mean(other))


def test_afferent_volley_alone_is_subthreshold_for_the_population():
    """Check of the ASSUMED volley strength against its stated constraint (median-nerve
    stimulation alone evokes no MEP): 60 volleys alone on the cortex network; its targets
    fire more often in the 10 ms after the onset than 150 ms later, while fewer than 10 %
    of the volleys reach the population-response criterion of 100 % RMT."""
    on = 500.0 + np.arange(60) * 300.0
    r = _engine.run(nets.CORTEX, n_neurons=1000, dt_ms=0.1, n_steps=int((on[-1] + 300) * 10), seed=0,
                    afferent_onsets_ms=on, record_raster=True)
    t = r.spk_step * 0.1

    def targets_firing(starts):
        return np.mean([np.isin(np.unique(r.spk_idx[(t >= o) & (t < o + 10)]), r.afferent_cells).sum()
                        for o in starts]) / r.afferent_cells.size

    assert targets_firing(on) > 1.5 * targets_firing(on + 150)
    ev = evoked_spikes_per_cell(r.counts, np.round(on).astype(np.int64), r.built.n_exc)
    assert np.mean(ev >= RESPONSE_SPIKES_PER_CELL) < 0.10


def test_simulate_delivers_pas_volleys_and_keeps_the_volley_record(x_rmt):
    """simulate() on a PAS protocol lists the volley onsets; the "volley" record (the MEP
    probe's input) keeps its contract: spikes of the output cells per 1 ms bin and
    attrs["n_output_cells"]."""
    p = protocols.pas(isi_ms=25, pairs=3, frequency_hz=1.0, intensity=120)
    ds = mt.network.simulate(p, "cortex", seed=0, x_rmt=x_rmt, record=("volley",), baseline_s=0.5, post_s=0.3)
    np.testing.assert_allclose(ds["afferent_time_s"].values - ds["pulse_time_s"].values, -0.005, atol=1e-9)
    assert ds["volley"].attrs["units"] == "spikes per 1 ms bin" and ds.attrs["n_output_cells"] == 800
    assert ds["volley"].sum() > 0


def test_sham_pas_has_no_volleys_and_a_short_baseline_is_refused(x_rmt):
    p = protocols.pas(isi_ms=25, pairs=2, frequency_hz=1.0)
    a = synapse_activity(p.as_sham(), n_synapses=10, x_rmt=x_rmt)
    assert a.afferent_times_s.size == 0 and a.pulse_times_s.size == 0 and a.depol_times_s.size == 0
    with pytest.raises(ValueError, match=r"baseline_s=0.01 s is shorter than the PAS interval"):
        synapse_activity(p, baseline_s=0.01, x_rmt=x_rmt)
    with pytest.raises(ValueError, match=r"afferent must be a mechtms.network.afferent.AfferentVolley"):
        synapse_activity(p, afferent={"latency_ms": 20}, x_rmt=x_rmt)
    with pytest.raises(ValueError, match=r"latency_ms must be >= 0, got -1"):
        afferent.AfferentVolley(latency_ms=-1)
    with pytest.raises(ValueError, match=r"unknown volley field 'latency'.*Did you mean 'latency_ms'"):
        afferent.DEFAULT_VOLLEY.replace(latency=19)


def test_axonal_activation_rises_with_intensity_is_flagged_and_releases_onto_targets(x_rmt):
    """Axons activate at lower thresholds than somata (Aberra et al. 2020; I-waves at the MEP
    threshold, D-waves far above it: Kaneko et al. 1996): the fraction of sampled presynaptic
    axons activated per pulse rises with intensity (1 Hz x 10, 60/100/130 % RMT); releases
    without a somatic spike are flagged and fall one axonal delay after a pulse; and they
    reach the targets: with axon-only activation switched off (axon_x50_ratio = 1, same
    field) the postsynaptic compound depolarisation after the pulses is smaller."""
    acts = [synapse_activity(protocols.rtms(1, 10, i), seed=1, n_synapses=80, x_rmt=x_rmt) for i in (60, 100, 130)]
    frac = [a.meta["pre_axon_frac_mean"] for a in acts]
    assert np.all(np.diff(frac) > 0) and frac[-1] > 0.1, frac
    a = acts[1]
    delay = a.meta["axonal_delay_ms"] * 1e-3
    ax_t = a.pre_times_s[a.pre_axonal]
    assert ax_t.size > 0 and np.all(np.isclose(ax_t[:, None] - delay, a.pulse_times_s[None, :], atol=1e-9).any(1))
    assert np.all(np.diff(a.pre_ptr) >= 0) and all(np.all(np.diff(a.pre(s)) >= 0) for s in range(a.n_synapses))
    no_axon = synapse_activity(protocols.rtms(1, 10, 100), nets.CORTEX.replace(axon_x50_ratio=1.0), seed=1,
                               n_synapses=80, x_rmt=x_rmt)
    assert no_axon.pre_axonal.sum() == 0 and no_axon.meta["pre_axon_frac_mean"] < a.meta["pre_axon_frac_mean"]
    assert np.median(a.depol_mV) > np.median(no_axon.depol_mV)


def test_prebuilt_network_gives_the_same_run_and_masks_restrict_stimulation_and_readout(x_rmt):
    """Engine features for multi-region networks and fast MEP probes: a prebuilt instance
    (build_instance) gives bit-identical results to building from the seed; a stimulation
    mask lets only its cells be activated (none outside it), and with an all-True mask
    nothing changes; an output mask sets the cells the "volley" record counts."""
    p = protocols.rtms(5, 10, 120)
    kw = dict(seed=3, x_rmt=x_rmt, record=("raster", "volley"), n_neurons=300, baseline_s=0.5, post_s=0.3)
    a = mt.network.simulate(p, "cortex", **kw)
    built = mt.network.build_instance("cortex", n_neurons=300, seed=3)
    b = mt.network.simulate(p, "cortex", built=built, **{k: v for k, v in kw.items() if k != "n_neurons"})
    np.testing.assert_array_equal(a["spike_neuron"], b["spike_neuron"])
    np.testing.assert_array_equal(a["volley"], b["volley"])
    full = mt.network.simulate(p, "cortex", stim_mask=np.ones(300, bool), **kw)
    np.testing.assert_array_equal(a["spike_neuron"], full["spike_neuron"])
    half = np.arange(300) < 150
    r = _engine.run(nets.CORTEX, n_neurons=300, dt_ms=0.1, n_steps=3000, seed=3, pulse_steps=[1000, 2000],
                    p_direct=np.full((2, 2), 0.3), p_axon=np.full((2, 2), 0.6), stim_mask=half)
    assert np.all(r.rec_idx < 150) and np.all(r.ax_idx < 150) and r.rec_idx.size > 20
    out = mt.network.simulate(p, "cortex", output_mask=np.arange(300) < 40, **kw)
    assert out.attrs["n_output_cells"] == 40 and out.attrs["output_population"] == "output_mask"
    who = out["spike_neuron"].values
    assert out["volley"].sum() == np.count_nonzero(who < 40)
    with pytest.raises(ValueError, match=r"weight_scale_ee=1.1 differs from the prebuilt network's 1"):
        mt.network.simulate(p, "cortex", built=built, weight_scale_ee=1.1, x_rmt=x_rmt)
    with pytest.raises(ValueError, match=r"stim_mask must have shape \(300,\)"):
        mt.network.simulate(p, "cortex", built=built, stim_mask=np.ones(10, bool), x_rmt=x_rmt)


def test_m1_column_sample_covers_the_four_pyramidal_pathways_in_proportion():
    """synapse_activity on m1_column samples E->E synapses uniformly: the pathway shares
    follow the in-degree composition (45 % L2/3 and 35 % L5 inputs onto 450 L2/3 and 350 L5
    cells: L2/3->L2/3 31.6 %, L2/3->L5 and L5->L2/3 24.6 % each, L5->L5 19.1 %), within 4
    binomial standard errors on 400 synapses."""
    a = synapse_activity(protocols.rtms(1, 2, 100), "m1_column", n_synapses=400, seed=2, x_rmt=0.4)
    expected = {"L23_PC->L23_PC": 0.316, "L23_PC->L5_PC": 0.246, "L5_PC->L23_PC": 0.246, "L5_PC->L5_PC": 0.191}
    assert sum(a.meta["pathways"].values()) == 400 and set(a.meta["pathways"]) == set(expected)
    for k, q in expected.items():
        assert abs(a.meta["pathways"][k] / 400 - q) <= 4 * np.sqrt(q * (1 - q) / 400), (k, a.meta["pathways"])
    assert a.meta["pre_type"].shape == (400,) and set(a.meta["post_type"]) <= {"L23_PC", "L5_PC"}
