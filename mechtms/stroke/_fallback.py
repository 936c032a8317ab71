"""Per-PULSE stimulation masks, which the engine does not have (its ``stim_mask`` is one per run).

The paired-pulse IHI probe aims the conditioning and the test pulse of one run at
different hemispheres. :func:`masked_recruitment` makes the engine's TMS draws unreachable
for the neurons outside each pulse's mask: every pulse's uniform draw (which decides both
somatic and axonal activation) is replaced by 2.0 (never a hit) outside the mask. The draws
themselves are unchanged, so the result is bit-identical to the engine's own ``stim_mask``
when every pulse has the same mask (tested). To be removed if the engine accepts (P, N) masks.

It swaps :func:`mechtms.network._engine.streams` for the duration of one run: not
thread-safe (runs in separate processes are unaffected). :func:`mechtms.stroke.hemispheres.run`
uses it only for runs whose pulses target different sides.
"""

from __future__ import annotations

import contextlib

import numpy as np

from ..network import _engine


class _MaskedDraws:
    """A generator whose ``random(n)`` returns the wrapped draws with masked-out cells at 2.0."""

    def __init__(self, gen: np.random.Generator, masks: np.ndarray):
        self._gen = gen
        self._masks = masks
        self._k = 0

    def random(self, n):
        draw = self._gen.random(n)
        if self._k < self._masks.shape[0]:
            draw = np.where(self._masks[self._k], draw, 2.0)
        self._k += 1
        return draw


@contextlib.contextmanager
def masked_recruitment(masks: np.ndarray):
    """Within the block, pulse ``k`` of an engine run can recruit only neurons with ``masks[k]``.

    masks : (P, N) bool, one row per delivered pulse in time order.
    """
    original = _engine.streams

    def streams(seed, run_seed=None):
        gens = original(seed, run_seed)
        gens[2] = _MaskedDraws(gens[2], np.asarray(masks, dtype=bool))  # type: ignore[call-overload]
        return gens

    _engine.streams = streams  # type: ignore[assignment]
    try:
        yield
    finally:
        _engine.streams = original  # type: ignore[assignment]
