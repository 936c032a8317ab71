"""Seaborn figures of multiscale results (used by ``mechtms run`` and the notebooks).

Every function takes the Dataset returned by :func:`mechtms.simulate` (or several of
them concatenated along a ``protocol`` dim, as :func:`mechtms.coupling.compare` does)
and returns a ``matplotlib.figure.Figure``; nothing is shown or saved here.
"""

from __future__ import annotations

import numpy as np

from .scans_plots import heatmap, sobol_bars  # noqa: F401  (scan figures, re-exported)

DEFAULT_PANEL = ("BMS", "MEP", "Cx43", "LC3II", "p62", "flux", "pmTOR", "p4EBP1", "pERK", "BDNF")


def _tidy(ds, variables, dim):
    """Long-form DataFrame of ``variables`` over ``dim`` (and ``protocol`` if present)."""
    import pandas as pd

    frames = []
    for name in variables:
        if name not in ds:
            continue
        da = ds[name]
        if dim not in da.dims:
            continue
        df = da.to_dataframe(name=name).reset_index()
        keep = [c for c in (dim, "protocol", name) if c in df.columns]
        df = df[keep].rename(columns={name: "value"})
        df["readout"] = name
        df["units"] = da.attrs.get("units", "")
        frames.append(df)
    if not frames:
        raise ValueError(f"none of {list(variables)} is in the result over {dim!r}; "
                         f"available: {sorted(v for v in ds.data_vars if dim in ds[v].dims)}")
    out = pd.concat(frames, ignore_index=True)
    if "protocol" not in out.columns:
        out["protocol"] = ds.attrs.get("protocol_name", "protocol")
    return out


def _session_frame(ds, name: str, column: str):
    """Long-form frame of a per-session variable, with a ``protocol`` column."""
    df = ds[name].to_dataframe(name=column).reset_index()
    if "protocol" not in df.columns:
        df["protocol"] = ds.attrs.get("protocol_name", "protocol")
    return df


def _axes(ax, size=(6, 4)):
    import matplotlib.pyplot as plt

    if ax is None:
        return plt.subplots(figsize=size, layout="constrained")
    return ax.figure, ax


def bms_over_days(ds, *, ax=None):
    """Basso Mouse Scale (0-9) over days, one line per protocol (a proxy; see mechtms.readouts)."""
    import seaborn as sns

    df = _tidy(ds, ["BMS"], "day")
    fig, ax = _axes(ax)
    sns.lineplot(data=df, x="day", y="value", hue="protocol", marker="o", markersize=3, ax=ax)
    ax.set(ylim=(-0.2, 9.2), ylabel="BMS (0-9, proxy)", xlabel="day after injury",
           title="Locomotor recovery (Basso Mouse Scale proxy)")
    return fig


def readout_panel(ds, readouts=DEFAULT_PANEL, *, day=None):
    """Bar panel of read-outs on one day (default: the last), relative to the first protocol.

    Values are shown as fold change against the first entry of the ``protocol`` dim (the
    comparison baseline, e.g. sham), so read-outs with different units share one axis.
    """
    import seaborn as sns

    df = _tidy(ds, readouts, "day")
    day = int(df["day"].max()) if day is None else int(day)
    df = df[df["day"] == day].copy()
    protocols = list(dict.fromkeys(df["protocol"]))
    base = df[df["protocol"] == protocols[0]].set_index("readout")["value"]
    df["fold"] = df["value"] / df["readout"].map(base).replace(0, np.nan)
    fig, ax = _axes(None, size=(max(6, 0.8 * df["readout"].nunique() + 2), 4))
    sns.barplot(data=df, x="readout", y="fold", hue="protocol", ax=ax)
    ax.axhline(1.0, color="0.3", lw=0.8, ls="--")
    ax.set(ylabel=f"fold change vs {protocols[0]}", xlabel="", title=f"Read-outs on day {day}")
    ax.tick_params(axis="x", rotation=30)
    return fig


def timecourses(ds, readouts=DEFAULT_PANEL, *, col_wrap=4):
    """Small multiples: each read-out over days, one line per protocol."""
    import seaborn as sns

    df = _tidy(ds, readouts, "day")
    grid = sns.relplot(data=df, x="day", y="value", hue="protocol", col="readout", kind="line",
                       col_wrap=col_wrap, height=2.2, aspect=1.3, facet_kws={"sharey": False})
    grid.set_titles("{col_name}")
    for name, ax in grid.axes_dict.items():
        units = df.loc[df["readout"] == name, "units"].iloc[0]
        ax.set_ylabel(units or "")
    grid.figure.suptitle("Read-outs over the course", y=1.02)
    return grid.figure


def band_powers(ds, *, ax=None):
    """LFP band powers of each session's network run (mean ± sd over sessions), log scale."""
    import seaborn as sns

    if "band_power" not in ds:
        raise ValueError("the result has no 'band_power' variable (run with the network layer)")
    df = _session_frame(ds, "band_power", "power")
    fig, ax = _axes(ax)
    sns.barplot(data=df, x="band", y="power", hue="protocol", ax=ax, errorbar="sd")
    ax.set_yscale("log")
    ax.set(ylabel=f"LFP band power ({ds['band_power'].attrs.get('units', 'a.u.')})", xlabel="",
           title="LFP band powers during sessions (mean ± sd over sessions)")
    return fig


def weights_over_days(ds, *, ax=None):
    """The stimulated synaptic weight over the course: early + consolidated (``W``) and the
    consolidated part alone (``w_late``), one line per protocol."""
    import seaborn as sns

    df = _tidy(ds, ["W"], "day")
    fig, ax = _axes(ax)
    sns.lineplot(data=df, x="day", y="value", hue="protocol", marker="o", ax=ax)
    if "w_late" in ds:
        late = _tidy(ds, ["w_late"], "day")
        late["value"] = 1.0 + late["value"]
        sns.lineplot(data=late, x="day", y="value", hue="protocol", ax=ax, linestyle="--", legend=False)
    ax.axhline(1.0, color="0.3", lw=0.8)
    ax.set(ylabel="W (1 = baseline); dashed: consolidated part", xlabel="day",
           title="Stimulated E->E weight at the daily read-out")
    return fig


def weight_by_session(ds, *, ax=None):
    """Plasticity after-effect dW (%) of every session, one line per protocol."""
    import seaborn as sns

    df = _session_frame(ds, "dW_percent", "dW")
    fig, ax = _axes(ax)
    sns.lineplot(data=df, x="session", y="dW", hue="protocol", marker="o", ax=ax)
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set(ylabel="dW after session (%)", xlabel="session", title="Synaptic after-effect per session")
    return fig
