"""Scan spaces: a full grid of named axes, or a sampled design (SALib) with a fixed seed.

A space is normalised once into plain data (JSON-able, recorded in the store) and
expanded into points: ``points[i]`` is a dict axis -> value for point index ``i``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import _checks

DESIGNS = ("lhs", "sobol", "saltelli", "morris")


@dataclass(frozen=True)
class Space:
    """A normalised scan space.

    Attributes
    ----------
    kind : {"grid", "lhs", "sobol", "saltelli", "morris"}
    axes : tuple of str
        Axis names, in declaration order.
    definition : dict
        Plain-data form (what the store records and what a resume is compared with).
    values : dict
        Grid: axis -> 1-D array of its values. Design: axis -> 1-D array, one per sample.
    """

    kind: str
    axes: tuple[str, ...]
    definition: dict
    values: dict

    @property
    def shape(self) -> tuple[int, ...]:
        if self.kind == "grid":
            return tuple(len(self.values[a]) for a in self.axes)
        return (len(self.values[self.axes[0]]),)

    @property
    def dims(self) -> tuple[str, ...]:
        return self.axes if self.kind == "grid" else ("sample",)

    @property
    def n_points(self) -> int:
        return math.prod(self.shape)

    def point(self, index: int) -> dict:
        """Axis values of point ``index`` (C order over the grid axes)."""
        if self.kind == "grid":
            idx = np.unravel_index(index, self.shape)
            return {a: _plain(self.values[a][i]) for a, i in zip(self.axes, idx, strict=True)}
        return {a: _plain(self.values[a][index]) for a in self.axes}

    def problem(self) -> dict:
        """The SALib problem of a design space."""
        bounds = self.definition["bounds"]
        return {"num_vars": len(self.axes), "names": list(self.axes),
                "bounds": [list(bounds[a]) for a in self.axes]}


def _plain(value):
    """numpy scalar -> Python scalar (keeps JSON and keyword calls clean)."""
    return value.item() if isinstance(value, np.generic) else value


def make_space(space, seed: int = 0) -> Space:
    """Normalise ``space``: a dict axis -> values (grid) or a design declaration.

    Designs: ``{"method": "lhs"|"sobol"|"saltelli"|"morris", "n": N,
    "bounds": {axis: (lo, hi)}, "integers": [axis, ...] (optional)}``.

    - ``lhs``: Latin hypercube, ``n`` samples (SALib ``latin``).
    - ``sobol``: scrambled Sobol low-discrepancy sequence, ``n`` samples (scipy qmc).
    - ``saltelli``: Saltelli's scheme for Sobol indices, ``n * (D + 2)`` samples
      (SALib ``sobol.sample``, first and total order; ``n`` a power of 2).
    - ``morris``: Morris trajectories, ``n * (D + 1)`` samples (SALib ``morris``,
      ``levels`` default 4).

    Axes listed under ``integers`` are rounded to whole numbers after sampling.
    """
    if isinstance(space, Space):
        return space
    if not isinstance(space, dict) or not space:
        raise ValueError(f"space must be a non-empty dict (axis -> list of values, or a design with "
                         f"'method', 'n' and 'bounds'), got {space!r}")
    if "method" in space:
        return _design(space, seed)
    return _grid(space)


def _grid(space: dict) -> Space:
    values, definition = {}, {}
    for axis, vals in space.items():
        if not isinstance(axis, str) or not axis.isidentifier():
            raise ValueError(f"axis name must be an identifier, got {axis!r}")
        if isinstance(vals, str | bytes) or np.ndim(vals) == 0:
            vals = [vals]
        vals = list(vals)
        if not vals:
            raise ValueError(f"axis {axis!r} has no values")
        arr = np.asarray(vals)
        if arr.dtype.kind not in "iufbU":
            raise ValueError(f"axis {axis!r} values must be numbers or strings, got {vals!r}")
        if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
            raise ValueError(f"axis {axis!r} values must be finite, got {vals!r}")
        if len(set(arr.tolist())) != len(arr):
            raise ValueError(f"axis {axis!r} repeats a value: {vals!r}")
        values[axis] = arr
        definition[axis] = arr.tolist()
    return Space("grid", tuple(values), {"axes": list(values), "grid": definition}, values)


def _design(space: dict, seed: int) -> Space:
    allowed = {"method", "n", "bounds", "integers", "levels"}
    extra = set(space) - allowed
    if extra:
        raise _checks.unknown_name("design key", sorted(extra)[0], allowed, exc=ValueError)
    method = _checks.choice("space['method']", space["method"], DESIGNS)
    if "n" not in space or "bounds" not in space:
        raise ValueError(f"a {method!r} design needs 'n' and 'bounds', got keys {sorted(space)}")
    n = _checks.whole_number("space['n']", space["n"], low=1, high=10_000_000)
    bounds_in = space["bounds"]
    if not isinstance(bounds_in, dict) or not bounds_in:
        raise ValueError(f"space['bounds'] must be a dict axis -> (low, high), got {bounds_in!r}")
    bounds = {}
    for axis, b in bounds_in.items():
        if not isinstance(axis, str) or not axis.isidentifier():
            raise ValueError(f"axis name must be an identifier, got {axis!r}")
        if np.ndim(b) != 1 or len(b) != 2:
            raise ValueError(f"bounds of {axis!r} must be (low, high), got {b!r}")
        lo = _checks.finite_number(f"low bound of {axis!r}", b[0])
        hi = _checks.finite_number(f"high bound of {axis!r}", b[1])
        if not hi > lo:
            raise ValueError(f"bounds of {axis!r} must have low < high, got ({lo:g}, {hi:g})")
        bounds[axis] = [lo, hi]
    integers = list(space.get("integers", []))
    for axis in integers:
        if axis not in bounds:
            raise _checks.unknown_name("axis", axis, bounds, exc=ValueError)
    levels = _checks.whole_number("space['levels']", space.get("levels", 4), low=2)
    axes = tuple(bounds)
    problem = {"num_vars": len(axes), "names": list(axes), "bounds": [bounds[a] for a in axes]}
    if method == "lhs":
        from SALib.sample import latin

        x = latin.sample(problem, n, seed=seed)
    elif method == "sobol":
        from scipy.stats import qmc

        unit = qmc.Sobol(d=len(axes), scramble=True, seed=seed).random(n)
        lo, hi = np.array([bounds[a] for a in axes]).T
        x = qmc.scale(unit, lo, hi)
    elif method == "saltelli":
        if n & (n - 1):
            raise ValueError(f"a 'saltelli' design needs n a power of 2 (Sobol sequence balance), got {n}; "
                             f"try {1 << max(n - 1, 1).bit_length()}")
        from SALib.sample import sobol

        x = sobol.sample(problem, n, calc_second_order=False, seed=seed)
    else:
        from SALib.sample import morris

        x = morris.sample(problem, n, num_levels=levels, seed=seed)
    x = np.asarray(x, dtype=float)
    for j, axis in enumerate(axes):
        if axis in integers:
            x[:, j] = np.round(x[:, j])
    values = {a: (x[:, j].astype(np.int64) if a in integers else x[:, j].copy()) for j, a in enumerate(axes)}
    definition = {"method": method, "n": n, "axes": list(axes), "bounds": bounds, "integers": integers}
    if method == "morris":
        definition["levels"] = levels
    return Space(method, axes, definition, values)
