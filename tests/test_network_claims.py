"""The finer claims about Bey et al. 2012 on the m1_column network, in the window they refer to.

Claims (the project's brief on Bey, Leue & Wienbruch 2012, PLoS ONE 7:e49097): gamma band
power rises about linearly with intensity, alpha and beta fall in a dose-dependent way,
delta and theta change in intensity-specific ways, and intensity explains more of the
band-power variance than the stimulation pattern. Window and measure (docs/network.md,
"Which band power the claims refer to"): the first second after the train (from 0.1 s
after the last pulse), change of absolute power relative to the run's own
pre-stimulation baseline, log10 ratio (event-related (de)synchronisation, Pfurtscheller &
Lopes da Silva 1999), Welch 0.5 s Hann segments. Design: 5 intensities (60-140 % RMT) x
(1, 5, 10, 20 Hz, iTBS, cTBS) at a fixed pulse count; measured values in the docstrings
are those of the full run (60 pulses, seeds 0-2); MECHTMS_FAST uses 30 pulses and seeds 0-1.

Claims the model does not reproduce are xfail(strict=True): the test states the claim, the
reason says what was measured, and a model change that starts reproducing it is flagged.
"""

import os

import numpy as np
import pytest

import mechtms as mt

FAST = bool(os.environ.get("MECHTMS_FAST"))
net = mt.network
INTENSITIES = (60, 80, 100, 120, 140)


@pytest.fixture(scope="module")
def claims():
    x = net.calibrate_rmt("m1_column")
    scan = net.pattern_intensity_scan(INTENSITIES, patterns=tuple(net.PATTERNS), pulses=30 if FAST else 60,
                                      network="m1_column", x_rmt=x, baseline_s=1.5, post_s=1.1,
                                      seeds=(0, 1) if FAST else (0, 1, 2), nperseg_ms=500)
    return scan, net.finer_claims(scan, "post", "change")


@pytest.mark.parametrize("band", ["alpha", "beta"])
def test_alpha_and_beta_fall_with_intensity_after_the_train(claims, band):
    """Alpha and beta desynchronise dose-dependently after the train: the intensity main
    effect (mean over patterns and seeds) is below baseline, falls by more than 0.05 log10
    units from 60 to 140 % RMT, and falls with intensity up to seed noise (Spearman rank
    correlation with intensity <= -0.9 in the full run, i.e. at most one adjacent
    inversion; <= -0.7 with the shorter MECHTMS_FAST runs). Per pattern the fall is not
    robust: 4-6 of the 6 patterns have a negative slope depending on seeds and baseline
    length (alpha after 1 Hz trains stays near baseline: the column recovers within the
    second between pulses). Mechanism: L5 pyramidal cells (lowest thresholds) build up their
    slow afterhyperpolarisation during the train, which silences the L5 → GABA_B loop that
    paces the resting alpha rhythm for about a second (knock-out test below)."""
    from scipy.stats import spearmanr

    scan, fc = claims
    main = scan[f"{band}_change"].sel(window="post").mean("pattern").values
    rho = spearmanr(INTENSITIES, main).statistic
    assert np.all(main < 0) and main[0] - main[-1] > 0.05 and float(fc.sel(band=band)["slope"]) < 0, main
    assert rho <= (-0.7 if FAST else -0.9) + 1e-9, (rho, main)


@pytest.mark.xfail(strict=True, reason="not reproduced: after the train gamma falls slightly with intensity "
                                       "(-0.07 log10 per 100 % RMT, no pattern up); gamma rises with intensity "
                                       "only during stimulation, where every band rises (docs/network.md)")
def test_gamma_rises_linearly_with_intensity_after_the_train(claims):
    """Gamma rises with intensity in every pattern and its main effect is linear (R² >= 0.9)."""
    _, fc = claims
    c = fc.sel(band="gamma")
    assert float(c["patterns_up"]) == 1.0 and float(c["slope"]) > 0 and float(c["r2_linear"]) >= 0.9


@pytest.mark.xfail(strict=True, reason="not reproduced for theta, alpha and beta: after the train the pattern "
                                       "explains more (0.52-0.79 of the variance) than intensity (0.08-0.16), "
                                       "because high-frequency trains accumulate more adaptation than 1 Hz "
                                       "(docs/network.md)")
def test_intensity_explains_more_variance_than_pattern_in_every_band(claims):
    _, fc = claims
    assert np.all(fc["intensity_share"].values > fc["pattern_share"].values)


def test_gamma_rises_with_intensity_during_stimulation(claims):
    """Where gamma does rise (during stimulation, absolute power; every band rises there):
    every pattern's slope is positive and the main effect rises at every step; its linear
    fit is reported (measured R² 0.76: it saturates above ~120 % RMT)."""
    scan, _ = claims
    fc = net.finer_claims(scan, "during", "absolute").sel(band="gamma")
    assert float(fc["patterns_up"]) == 1.0 and bool(fc["monotone_up"])
    assert 0.5 <= float(fc["r2_linear"]) <= 1.0


def test_the_alpha_desynchronisation_needs_the_slow_adaptation():
    """Knock-out (the mechanism, not a fit): 20 Hz x 60 pulses at 60 and 140 % RMT, seeds
    0-1. With the slow afterhyperpolarisation of pyramidal cells the alpha ERD deepens by
    0.42 log10 units from 60 to 140 % RMT (to -0.50); without it (adapt_jump = 0) by 0.25
    (to -0.25). Asserted: the full model's alpha power after 140 % RMT is lower, and its
    intensity effect larger, than the knock-out's."""
    from mechtms import protocols as P

    full = net.networks.get("m1_column")
    x = net.calibrate_rmt(full)

    def alpha_after(spec, intensity):
        vals = [float(net.band_power_change(net.simulate(P.rtms(20, 60, intensity), spec, seed=sd, x_rmt=x,
                                                           record=("lfp",), baseline_s=1.5, post_s=1.1),
                                            "post")["alpha"]) for sd in (0, 1)]
        return float(np.mean(vals))

    ko = full.replace(adapt_jump=0.0)
    a_full = (alpha_after(full, 60), alpha_after(full, 140))
    a_ko = (alpha_after(ko, 60), alpha_after(ko, 140))
    assert a_full[1] < a_ko[1] - 0.1, (a_full, a_ko)
    assert a_full[0] - a_full[1] > a_ko[0] - a_ko[1], (a_full, a_ko)
