"""Two hemispheres coupled by transcallosal projections (mechtms.stroke.hemispheres, probes).

Structural tests run on small networks (200 neurons per side); the IHI calibration and the
lesion tests on the production network (``m1_column``, 1,000 per side), a few seconds each.
"""

import numpy as np
import pytest

from mechtms.network import _engine
from mechtms.stroke import hemispheres as H
from mechtms.stroke import probes as P

SMALL = H.Hemispheres(n_per_side=200)
CORTEX = H.Hemispheres(network="cortex", n_per_side=200)
FULL = H.Hemispheres(n_per_side=1000)


@pytest.fixture(scope="module")
def x_full():
    return FULL.x_rmt()


@pytest.fixture(scope="module")
def x_small():
    return SMALL.x_rmt()


# ---- structure -----------------------------------------------------------------------------
def test_cells_are_ordered_by_type_then_side_as_the_engine_needs():
    """E types first (output cells of both sides contiguous), then fast, then GABA_B cells."""
    net = H.build(SMALL, 0)
    b = net.built
    assert b.n == 400 and b.kind_names == ("L23_PC", "L5_PC", "BC", "NGF")
    assert np.all(np.diff(b.kind) >= 0)                                   # grouped by type
    for k in range(4):
        cells = np.flatnonzero(b.kind == k)
        sides = net.side[cells]
        assert np.all(np.diff(sides) >= 0) and np.count_nonzero(sides == 0) == np.count_nonzero(sides == 1)
    assert np.all(net.role[:b.n_exc] == 0) and np.all(net.role[b.n_exc:b.n_slow_start] == 1)
    assert np.all(net.role[b.n_slow_start:] == 2)
    lo, hi = b.output_range
    assert np.all(b.kind[lo:hi] == 1) and np.count_nonzero(b.kind == 1) == hi - lo
    assert net.output_cells("left").size == net.output_cells("right").size == (hi - lo) // 2
    pre = np.repeat(np.arange(b.n), np.diff(b.indptr))
    assert np.all(b.weights[pre < b.n_exc] >= 0) and np.all(b.weights[pre >= b.n_exc] <= 0)
    # the per-cell slow processes follow their cells
    single = H.nets.build(SMALL.spec, 200, 0.1, np.random.default_rng(0))
    assert sorted(b.use) == sorted(np.r_[single.use, single.use])


def test_callosal_projection_matches_its_definition():
    """Each cell receives k_in callosal synapses from the other side's E cells, after delay_ms,
    summing on average to strength x the reference's summed excitatory input (closed form)."""
    cc = H.Callosum(strength_to_e=0.05, strength_to_i=0.15, strength_to_b=0.3, k_in=50, delay_ms=6.0)
    net = H.build(SMALL.replace(callosum=cc), 1)
    b = net.built
    pre = np.repeat(np.arange(b.n), np.diff(b.indptr))
    post = b.indices
    callosal = net.side[pre] != net.side[post]
    assert np.all(net.role[pre[callosal]] == 0)                  # callosal axons are excitatory
    assert np.all(b.delays[callosal] == 60) and np.all(b.delays[~callosal] == 10)  # 0.1 ms steps
    per_target = np.bincount(post[callosal], minlength=b.n)
    assert np.all(per_target == 50)
    sum_cc = np.bincount(post[callosal], weights=b.weights[callosal], minlength=b.n)
    reference = 0.5 * SMALL.spec.w_e * 800.0 * b.scale_e
    for role, strength in ((0, 0.05), (1, 0.15), (2, 0.3)):
        assert sum_cc[net.role == role].mean() / reference == pytest.approx(strength, rel=0.05)


def test_build_is_reproducible_and_settings_touch_only_their_side():
    a = H.build(SMALL, 3)
    b = H.build(SMALL, 3)
    assert np.array_equal(a.built.weights, b.built.weights) and np.array_equal(a.built.indices, b.built.indices)
    c = H.build(SMALL, 3, weight_scale_ee={"right": 0.9}, thalamic_gain={"left": 1.2})
    pre = np.repeat(np.arange(a.built.n), np.diff(a.built.indptr))
    post = a.built.indices
    ee_right = (a.role[pre] == 0) & (a.role[post] == 0) & (a.side[pre] == 1) & (a.side[post] == 1)
    assert np.allclose(c.built.weights[ee_right], 0.9 * a.built.weights[ee_right])
    assert np.array_equal(c.built.weights[~ee_right], a.built.weights[~ee_right])
    assert np.allclose(c.built.noise_sd[a.side == 0], 1.2 * a.built.noise_sd[a.side == 0])
    assert np.array_equal(c.built.noise_sd[a.side == 1], a.built.noise_sd[a.side == 1])


def test_lesion_removes_cells_and_all_their_synapses():
    lesion = H.Lesion(side="left", cortical_loss=0.3, callosal_loss=0.5)
    net = H.build(SMALL, 0, lesion=lesion)
    b = net.built
    dead = ~net.alive
    assert np.count_nonzero(dead) == 60 and np.all(net.side[dead] == 0)
    pre = np.repeat(np.arange(b.n), np.diff(b.indptr))
    assert not np.any(dead[pre]) and not np.any(dead[b.indices])
    assert np.all(b.noise_sd[dead] == 0)
    # half of the surviving left E cells lost their callosal axons
    callosal = net.side[pre] != net.side[b.indices]
    senders = np.unique(pre[callosal & (net.side[pre] == 0)])
    survivors = np.count_nonzero(net.alive & (net.role == 0) & (net.side == 0))
    assert senders.size == survivors - int(round(0.5 * survivors))


def test_contralesional_disinhibition_weakens_only_that_sides_inhibition_of_pyramids():
    a = H.build(SMALL, 0, lesion=H.Lesion(side="left"))
    b = H.build(SMALL, 0, lesion=H.Lesion(side="left", contralesional_disinhibition=0.2))
    pre = np.repeat(np.arange(a.built.n), np.diff(a.built.indptr))
    post = a.built.indices
    hit = (a.side[pre] == 1) & (a.side[post] == 1) & (a.role[pre] > 0) & (a.role[post] == 0)
    assert hit.any()
    np.testing.assert_allclose(b.built.weights[hit], 0.8 * a.built.weights[hit])
    assert np.array_equal(b.built.weights[~hit], a.built.weights[~hit])


def test_bad_input_is_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="side.*'lefft'.*Did you mean 'left'"):
        H.Lesion(side="lefft")
    with pytest.raises(ValueError, match="cortical_loss must be <= 0.9"):
        H.Lesion(cortical_loss=0.95)
    with pytest.raises(ValueError, match="weight_scale_ee side 'middle'"):
        H.build(SMALL, 0, weight_scale_ee={"middle": 1.0})
    with pytest.raises(ValueError, match=r"thalamic_gain\[left\] must be <= 4"):
        H.build(SMALL, 0, thalamic_gain=(5.0, 1.0))
    with pytest.raises(ValueError, match="network.*'m1_colum'.*Did you mean 'm1_column'"):
        H.Hemispheres(network="m1_colum")
    net = H.build(SMALL, 0)
    with pytest.raises(ValueError, match="pulse_side has 1 entries for 2 pulses"):
        H.run(net, 1.0, pulse_times_s=[0.2, 0.4], pulse_side=["left"], intensity_rmt=100, x_rmt=1.0)
    with pytest.raises(ValueError, match="pulse_side.*'rigth'.*Did you mean 'right'"):
        H.run(net, 1.0, pulse_times_s=[0.2], pulse_side=["rigth"], intensity_rmt=100, x_rmt=1.0)
    with pytest.raises(ValueError, match="target.*'cerebelum'"):
        P.volleys(net, 1.0, target="cerebelum", intensity=100)


# ---- targeting and invariances --------------------------------------------------------------
def test_a_pulse_recruits_only_the_targeted_hemisphere(x_small):
    net = H.build(SMALL, 0)
    times = 0.3 + 0.2 * np.arange(6)
    r = H.run(net, 1.6, seed=2, pulse_times_s=times, pulse_side=["left", "right"] * 3,
              intensity_rmt=150, x_rmt=x_small)
    assert np.all(r.n_direct.sum(axis=1) > 0)
    steps = np.round(times * 1e4).astype(int)
    for k, s in enumerate(steps):
        fired_now = r.spike_idx[r.spike_step == s]
        # directly activated cells fire at the pulse step, all on the targeted side
        assert fired_now.size >= r.n_direct[k].sum()
        assert np.count_nonzero(net.side[fired_now] == k % 2) >= r.n_direct[k].sum()


def test_per_pulse_masks_equal_the_engines_mask():
    """The per-pulse masking of the paired-pulse probe gives, with the same mask on every pulse,
    the engine's own stim_mask run bit for bit (somatic and axonal activation)."""
    from mechtms.stroke._fallback import masked_recruitment

    net = H.build(SMALL, 0)
    original = _engine.streams
    left = net.side == 0
    kw = dict(n_neurons=net.built.n, dt_ms=0.1, n_steps=8000, seed=5, pulse_steps=[3000, 5000],
              p_direct=np.full((2, 4), 0.2), p_axon=np.full((2, 4), 0.4), record_raster=True,
              record_lfp=False, built=net.built)
    engine = _engine.run(net.built.spec, stim_mask=left, **kw)
    with masked_recruitment(np.stack([left, left])):
        masked = _engine.run(net.built.spec, **kw)
    assert np.array_equal(engine.spk_idx, masked.spk_idx) and np.array_equal(engine.spk_step, masked.spk_step)
    assert np.array_equal(engine.rec_idx, masked.rec_idx) and np.array_equal(engine.ax_idx, masked.ax_idx)
    assert _engine.streams is original  # restored after the run


def test_without_callosum_the_hemispheres_are_independent(x_small):
    """Invariance: with no callosal synapses, changing the right hemisphere (its weights, a
    pulse aimed at it) leaves the left hemisphere's spikes unchanged, bit for bit."""
    hemis = SMALL.replace(callosum=H.Callosum(strength_to_e=0.0, strength_to_i=0.0, strength_to_b=0.0))
    a = H.build(hemis, 0)
    b = H.build(hemis, 0, weight_scale_ee={"right": 0.8})
    ra = H.run(a, 1.5, seed=1, pulse_times_s=[0.5], pulse_side=["right"], intensity_rmt=150, x_rmt=x_small)
    rb = H.run(b, 1.5, seed=1, pulse_times_s=[0.5], pulse_side=["right"], intensity_rmt=150, x_rmt=x_small)
    assert np.array_equal(ra.counts[0], rb.counts[0])
    assert not np.array_equal(ra.counts[1], rb.counts[1])


# ---- interhemispheric inhibition (Ferbert et al. 1992) ---------------------------------------
@pytest.fixture(scope="module")
def healthy_full():
    return H.build(FULL, 0)


def test_ihi_calibration_and_validation(healthy_full, x_full):
    """CALIBRATION (the callosal strength onto fast interneurons was chosen for it): a 130 % RMT
    conditioning pulse over one M1 10 ms before a 120 % RMT test pulse over the other leaves
    30-70 % of the test response (Ferbert et al. 1992, J Physiol 453:525: 40-70 % inhibition at
    10 ms).

    VALIDATION (Ferbert et al. 1992): IHI deepens with the conditioning intensity (100 vs 150 %
    RMT, by more than 0.1 of the ratio), is absent at 4 ms, before the callosal volley arrives
    (ratio > 0.9), and has faded by 30 ms (ratio above the 10-ms one by more than 0.15).

    NOT REPRODUCED (documented, not asserted): IHI weaker at 20 than at 10 ms (the model's is as
    deep: 0.53 vs 0.52 here, seeds 5-7 and two network seeds 0.52-0.59 at 20 ms against
    0.50-0.64 at 10 ms; deepest at 15 ms, ~0.3; docs/stroke.md); long-latency IHI near 50 ms
    (Ni et al. 2009)."""
    r = P.ihi(healthy_full, x_full, conditioned_side="left", isi_ms=[10, 10, 10, 4, 30],
              cs_intensity=[130, 100, 150, 130, 130], n_trials=8, seed=5)
    calib, weak, strong, early, faded = r["ratio"]
    assert 0.3 <= calib <= 0.7, r
    assert strong < weak - 0.1, r
    assert early > 0.9, r
    assert faded > calib + 0.15, r


# ---- the lesion ------------------------------------------------------------------------------
def test_cortical_lesion_shrinks_the_ipsilesional_volley_only(x_full):
    """A cortical lesion lowers the ipsilesional evoked volley (affected-hemisphere MEPs are
    smaller: McDonnell & Stinear 2017, Brain Stimul 10:721; Neurorehabil Neural Repair 2024
    meta-analysis). The contralesional side is not made hyperexcitable by the lost callosal
    drive in this network (within 15 %), consistent with the meta-analyses that find no
    consistent contralesional hyperexcitability (McDonnell & Stinear 2017)."""
    healthy = H.build(FULL, 0)
    lesioned = H.build(FULL, 0, lesion=H.Lesion(side="left", cortical_loss=0.3))
    ex = {name: {s: P.excitability(n, x_full, side=s, n_trials=8, seed=3) for s in H.SIDES}
          for name, n in (("healthy", healthy), ("lesioned", lesioned))}
    assert ex["lesioned"]["left"] < 0.8 * ex["healthy"]["left"]
    assert ex["lesioned"]["right"] == pytest.approx(ex["healthy"]["right"], rel=0.15)


def test_asymmetry_index_rises_with_a_cortical_lesion_not_a_subcortical_one():
    """pdBSI is higher after stroke than in controls and higher in cortical than subcortical
    strokes (Agius Anastasi et al. 2017, Stroke Res Treat 2017:8276136; Sebastián-Romagosa et
    al. 2020). A subcortical lesion (cst only) leaves the cortex, and so the index, as it is."""
    healthy = P.asymmetry_index(H.build(FULL, 0), 10.0, seed=1)
    subcortical = P.asymmetry_index(H.build(FULL, 0, lesion=H.Lesion(cst_spared=0.3)), 10.0, seed=1)
    cortical = P.asymmetry_index(H.build(FULL, 0, lesion=H.Lesion(cortical_loss=0.3)), 10.0, seed=1)
    assert subcortical == healthy
    assert cortical > healthy + 0.05
