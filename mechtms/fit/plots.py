"""Figures of a calibration: profile likelihoods and the best fit against the data."""

from __future__ import annotations

import math

from ._calibrate import RATIO_95


def plot_profiles(result, path=None):
    """One panel per profiled parameter: likelihood ratio against value (log axis for log scales),
    the 95 % threshold dashed, the optimum marked. Returns the figure (saved to ``path`` if given)."""
    import matplotlib

    if path is not None:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in result.x_ids if n in result.profiles]
    ncol = min(4, max(1, len(names)))
    nrow = max(1, math.ceil(len(names) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.0 * ncol, 2.5 * nrow), squeeze=False)
    for ax in axes.flat[len(names):]:
        ax.axis("off")
    for ax, n in zip(axes.flat, names, strict=False):
        prof = result.profiles[n]
        ax.plot(prof["value"], prof["ratio"], "-", color="tab:blue")
        ax.axhline(RATIO_95, ls="--", color="grey", lw=0.8)
        ax.axvline(result.best[n], color="tab:red", lw=0.8)
        if result.x_scales[result.x_ids.index(n)] != "lin":
            from matplotlib.ticker import NullFormatter

            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())
        verdict = result.identifiability.loc[n, "verdict"] if result.identifiability is not None else ""
        ax.set_title(f"{n}: {verdict}", fontsize=8)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("likelihood ratio", fontsize=7)
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return fig


def plot_fit(result, path=None):
    """Measurements (error bars = sigma) and the best fit, one panel per observable and condition."""
    import matplotlib

    if path is not None:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = list(result.fit.groupby(["observableId", "simulationConditionId"]))
    fig, axes = plt.subplots(1, len(groups), figsize=(3.2 * len(groups), 2.6), squeeze=False)
    for ax, ((obs, cond), g) in zip(axes[0], groups, strict=True):
        g = g.sort_values("time")
        ax.errorbar(g["time"], g["measurement"], yerr=g["sigma"], fmt="o", color="black", capsize=3, label="data")
        ax.plot(g["time"], g["simulation"], "s-", color="tab:blue", label="best fit")
        ax.set_title(f"{obs}\n{cond}", fontsize=8)
        ax.set_xlabel("time (model units)", fontsize=7)
        ax.tick_params(labelsize=7)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return fig
