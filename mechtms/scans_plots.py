"""Figures of scans and sensitivity indices (seaborn); the lead re-exports them in
:mod:`mechtms.plots`.

- :func:`heatmap`: one read-out over two grid axes (e.g. frequency × intensity), other
  axes fixed with ``sel`` or averaged;
- :func:`sobol_bars`: S1 and ST (with confidence) per parameter, or Morris mu* / sigma.
"""

from __future__ import annotations

import numpy as np

from . import _checks


def heatmap(ds, readout: str, x: str = "frequency_hz", y: str = "intensity_rmt", *, sel: dict | None = None,
            reduce: str | None = None, ax=None, annot: bool = True, fmt: str = ".3g", cmap: str = "viridis",
            **kwargs):
    """Heatmap of ``ds[readout]`` over grid axes ``x`` (columns) and ``y`` (rows).

    Parameters
    ----------
    ds : xarray.Dataset
        A grid scan (:func:`mechtms.scan`).
    sel : dict, optional
        Values of the other axes (``{"sessions": 28}``).
    reduce : {"mean", "max", "min"}, optional
        How to collapse axes left after ``sel`` (default: refuse, naming them).
    Failed points (``status == 2``) show as blank cells.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    if readout not in ds.data_vars:
        raise _checks.unknown_name("read-out", readout, [v for v in ds.data_vars if v not in ("status", "error", "seed")])
    for axis in (x, y):
        if axis not in ds[readout].dims:
            raise _checks.unknown_name("grid axis", axis, ds[readout].dims, exc=ValueError)
    da = ds[readout].where(ds.status == 1)
    if sel:
        da = da.sel(sel)
    rest = [d for d in da.dims if d not in (x, y)]
    if rest:
        if reduce is None:
            raise ValueError(f"{readout} also varies over {rest}: fix them with sel={{...}} or pass reduce='mean'")
        da = getattr(da, _checks.choice("reduce", reduce, ("mean", "max", "min")))(rest)
    table = da.transpose(y, x).to_pandas().sort_index(ascending=False)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.1 * len(table.columns) + 2, 0.7 * len(table.index) + 1.5))
    label = f"{readout} ({ds[readout].attrs['units']})" if ds[readout].attrs.get("units") else readout
    sns.heatmap(table, ax=ax, annot=annot, fmt=fmt, cmap=cmap, cbar_kws={"label": label}, **kwargs)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    fixed = ", ".join(f"{k}={v}" for k, v in (sel or {}).items())
    ax.set_title(readout + (f" ({fixed})" if fixed else "") + (f", {reduce} over {', '.join(rest)}" if rest else ""))
    return ax


def sobol_bars(indices, readout: str | None = None, *, ax=None, palette: str = "deep"):
    """Bar chart of sensitivity indices per parameter, with confidence half-widths.

    Sobol (:func:`mechtms.sensitivity`, ``method="sobol"``): S1 and ST side by side.
    Morris: mu* (with its confidence) and sigma. ``readout``: one read-out (default: one
    panel per read-out).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    import pandas as pd
    import seaborn as sns

    sobol = "S1" in indices
    pairs = [("S1", "S1_conf"), ("ST", "ST_conf")] if sobol else [("mu_star", "mu_star_conf"), ("sigma", None)]
    readouts = [readout] if readout is not None else [str(r) for r in indices.readout.values]
    for r in readouts:
        if r not in indices.readout.values:
            raise _checks.unknown_name("read-out", r, [str(v) for v in indices.readout.values])
    if ax is None:
        fig, grid = plt.subplots(1, len(readouts), figsize=(4.2 * len(readouts), 3.4), squeeze=False)
        axes = list(grid[0])
    else:
        fig, axes = ax.figure, [ax]
    for a, r in zip(axes, readouts, strict=True):
        rows = []
        for name, conf in pairs:
            for p in indices.parameter.values:
                rows.append({"parameter": str(p), "index": name,
                             "value": float(indices[name].sel(readout=r, parameter=p)),
                             "conf": float(indices[conf].sel(readout=r, parameter=p)) if conf else np.nan})
        frame = pd.DataFrame(rows)
        sns.barplot(frame, x="parameter", y="value", hue="index", ax=a, palette=palette, errorbar=None)
        for patch_group, (name, _) in zip(a.containers, pairs, strict=False):
            sub = frame[frame["index"] == name]
            centres = [bar.get_x() + bar.get_width() / 2 for bar in patch_group]
            a.errorbar(centres, sub["value"], yerr=sub["conf"], fmt="none", ecolor="black", capsize=3)
        a.axhline(0, color="grey", lw=0.8)
        a.set_title(r)
        a.set_ylabel("Sobol index" if sobol else "elementary effect")
        a.set_xlabel("")
    fig.tight_layout()
    return fig
