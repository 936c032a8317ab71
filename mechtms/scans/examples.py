"""Small scan targets with known answers, importable by worker processes.

Used by the tests and the documentation; each is a plain module-level function of its
axes returning a mapping read-out -> number.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np


def _declare(func: Callable, readouts: tuple[str, ...], units: dict | None = None) -> None:
    """Attach the default read-outs (and units) a scan reads from ``func``."""
    setattr(func, "readouts", readouts)  # noqa: B010 (function attributes; keeps mypy quiet)
    if units:
        setattr(func, "units", units)  # noqa: B010


def ishigami(x1: float, x2: float, x3: float, a: float = 7.0, b: float = 0.1) -> dict:
    """Ishigami & Homma (1990) test function on [-pi, pi]^3.

    Analytic Sobol indices for a = 7, b = 0.1 (Sobol & Levitan 1999; SALib's test suite):
    S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437).
    """
    return {"y": math.sin(x1) + a * math.sin(x2) ** 2 + b * x3 ** 4 * math.sin(x1)}


_declare(ishigami, ("y",), {"y": "1"})


def noisy_line(x: float, slope: float = 2.0, seed: int = 0) -> dict:
    """``slope * x`` plus standard normal noise drawn from ``seed`` (tests seed handling)."""
    rng = np.random.default_rng(seed)
    return {"y": slope * x + rng.standard_normal(), "noise": float(rng.standard_normal())}


_declare(noisy_line, ("y",))


def fails_at(x: float, bad: float = 3.0) -> dict:
    """``x**2``; raises ``FloatingPointError`` at ``x == bad`` (a point whose solver fails)."""
    if x == bad:
        raise FloatingPointError(f"solver diverged at x={x:g}")
    return {"y": x * x}


_declare(fails_at, ("y",))


def weighted_sum(x1: float, x2: float, x3: float, w1: float = 1.0, w2: float = -5.0, w3: float = 0.0) -> dict:
    """``w1 x1 + w2 x2 + w3 x3``: every Morris elementary effect of x_i equals w_i times its
    range (Morris 1991), so mu* = |w_i| (hi - lo) and sigma = 0 exactly."""
    return {"y": w1 * x1 + w2 * x2 + w3 * x3}


_declare(weighted_sum, ("y",))


def slow_square(x: float, delay_s: float = 0.05, log_path: str = "", seed: int = 0) -> dict:
    """``x**2`` (and a seeded draw) after sleeping ``delay_s``: a scan slow enough to kill
    midway. With ``log_path``, appends one line per call (to count evaluations)."""
    time.sleep(delay_s)
    if log_path:
        with open(log_path, "a") as f:
            f.write(f"{x}\n")
    return {"y": x * x, "draw": float(np.random.default_rng(seed).random())}


_declare(slow_square, ("y", "draw"))

