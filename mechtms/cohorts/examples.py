"""A toy outcome function for :func:`mechtms.cohort`'s ``outcome=`` hook (tests and docs).

NOT a clinical model: a score that falls with the cortical weight the chain reports, to show
the shape a condition's proxy takes (``mechtms.proxies`` holds the documented ones).
"""

from __future__ import annotations

import numpy as np

from ._variability import Dist

#: Subject quantities of the toy score (acts_on="proxy").
TOY_VARIABILITY = {
    "toy_baseline": Dist("normal", 20.0, 3.0, "proxy", "ASSUMED", "toy baseline score (points)"),
    "toy_gain": Dist("lognormal", 200.0, 0.5, "proxy", "ASSUMED", "toy: points of improvement per unit of W - 1"),
}


def toy_score(daily, course, params, rng) -> dict:
    """Score = baseline - gain (W_end - 1), rated with 1-point noise; responder: >= 50 % fall,
    remitter: score <= 7."""
    w_end = float(np.asarray(daily["W"].values)[-1])
    base = float(params["toy_baseline"])
    true = max(0.0, base - float(params["toy_gain"]) * (w_end - 1.0))
    measured = max(0.0, true + float(rng.normal(0.0, 1.0)))
    return {"outcome": true - base, "measured": measured - base, "responder": measured <= 0.5 * base,
            "remitter": measured <= 7.0}
