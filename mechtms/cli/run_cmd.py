"""``mechtms run``: the main job — protocols through the whole chain, a table and figures."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import click

DEFAULT_PROTOCOLS = ("sham", "sci_15hz_mouse", "rtms_1hz_900", "itbs_600")
TABLE = ("BMS", "MEP", "W", "Cx43", "LC3II", "p62", "pmTOR", "p4EBP1", "BDNF")
#: Columns of conditions without a lesion (their proxies are added after these).
TABLE_NO_LESION = ("MEP", "MEP_change_percent", "W", "w_late", "BDNF_cortex", "pERK_cortex")


def _check_output_dir(out: Path) -> None:
    """Fail early, in one line, when ``out`` cannot be written (tried for real, then undone)."""
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"output folder {str(out)!r} exists and is not a folder")
    created = [p for p in (out, *out.parents) if not p.exists()]
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise PermissionError(f"cannot write the output folder {str(out)!r}: {exc.strerror or exc}") from None
    finally:
        for p in created:  # leave no empty folder behind: results are written after the run
            try:
                p.rmdir()
            except OSError:
                pass


#: How each table column is expressed (the models' own units are in result.nc).
COLUMN_UNITS = {"BMS": "0-9", "MEP": "mV", "W": "W0", "Cx43": "rel", "LC3II": "rel", "p62": "rel", "pmTOR": "rel",
                "p4EBP1": "rel", "pERK": "frac", "BDNF": "nM", "MEP_change_percent": "%", "w_late": "W0",
                "BDNF_cortex": "nM", "pERK_cortex": "frac"}


def _table(result, protocols, condition, proxies=()) -> str:
    last = int(result.day.max())
    wanted = TABLE if "BMS" in result else (*TABLE_NO_LESION, *proxies)
    cols = [c for c in wanted if c in result and "day" in result[c].dims]
    width = max(9, *(len(c) + 2 for c in cols))
    header = f"{'protocol':<18}" + "".join(f"{c:>{width}}" for c in cols) + f"{'dW':>9}"
    units = (f"{'':<18}" + "".join(f"{'(' + COLUMN_UNITS.get(c, str(result[c].attrs.get('units', ''))[:width - 2]) + ')':>{width}}"
                                   for c in cols) + f"{'(%)':>9}")
    lines = [f"Day-{last} read-outs ({condition}, read out at {result.attrs.get('readout_clock_h', '?')} h). "
             f"rel: relative to the sham steady state; W0: baseline synaptic weight; MEP: probe at the "
             f"condition's test intensity, mV; frac: active fraction; dW: mean early change per session, "
             f"30 min after it",
             header, units, "-" * len(header)]
    for name in protocols:
        r = result.sel(protocol=name)
        row = "".join(f"{float(r[c].sel(day=last)):{width}.3f}" for c in cols)
        dw = r["dW_percent"].mean(skipna=True).item() if r["pulses_delivered"].sum() > 0 else 0.0
        lines.append(f"{name:<18}{row}{dw:9.2f}")
    return "\n".join(lines)


def _write(result, out: Path, figures: bool) -> list[str]:
    """Write the results into a temporary folder, then move them into ``out`` file by file."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import plots

    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".mechtms-run-", dir=out))
    try:
        result.to_netcdf(tmp / "result.nc", engine="h5netcdf")
        daily = [v for v in result.data_vars if result[v].dims == ("protocol", "day")]
        result[daily].to_dataframe().reset_index().to_csv(tmp / "daily.csv", index=False)
        per_session = [v for v in result.data_vars if result[v].dims == ("protocol", "session")]
        result[per_session].to_dataframe().reset_index().to_csv(tmp / "sessions.csv", index=False)
        if figures:
            makers: dict[str, Callable] = {"bms.png": plots.bms_over_days, "readouts.png": plots.readout_panel,
                      "timecourses.png": plots.timecourses, "weights.png": plots.weights_over_days,
                      "dW_by_session.png": plots.weight_by_session}
            for fname, make in makers.items():
                try:
                    fig = make(result)
                except ValueError:
                    continue  # e.g. no BMS in the healthy condition
                fig.savefig(tmp / fname, dpi=110, bbox_inches="tight")
                plt.close(fig)
        written = sorted(p.name for p in tmp.iterdir())
        for name in written:
            os.replace(tmp / name, out / name)
        return written
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@click.command()
@click.option("--protocol", "-p", "protocols", multiple=True, metavar="NAME",
              help=f"Preset to run (repeatable; default: {', '.join(DEFAULT_PROTOCOLS)}). "
                   "See 'mechtms protocols'.")
@click.option("--condition", "-c", default="sci", show_default=True,
              help="A condition of mechtms.conditions (sci, sci_incomplete, uninjured, healthy, ...).")
@click.option("--days", type=int, default=None, help="Course length in days (default: the condition's, 28 for sci).")
@click.option("--seed", type=int, default=0, show_default=True, help="Network seed.")
@click.option("--out", "-o", type=click.Path(path_type=Path), default=Path("results"), show_default=True,
              help="Output folder (result.nc, daily.csv, sessions.csv, figures).")
@click.option("--neurons", type=int, default=1000, show_default=True, help="Network size.")
@click.option("--no-figures", is_flag=True, help="Skip the figures.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
def run(protocols, condition, days, seed, out, neurons, no_figures, quiet):
    """Run protocols through network -> synapses -> consolidation -> lesion / MEP -> proxies.

    With no options: sham, the 15 Hz SCI course, iTBS and cTBS, each daily for 28 days
    after a complete spinal cord transection.
    """
    from .. import conditions, coupling
    from .. import protocols as P

    cond = conditions.get(condition)
    names = list(protocols) or list(DEFAULT_PROTOCOLS)
    targets = {name: P.preset(name) for name in names}  # validates every name first
    if days is not None and days <= 0:
        raise ValueError(f"--days must be >= 1, got {days}")
    if neurons < 10:
        raise ValueError(f"--neurons must be >= 10, got {neurons}")
    _check_output_dir(out)
    opts = coupling.NetworkOptions(n_neurons=neurons)
    results = {}
    for name, protocol in targets.items():
        results[name] = coupling.simulate(protocol, condition=cond, seed=seed, days=days, network=opts,
                                          progress=not quiet)
    import xarray as xr

    result = xr.concat(list(results.values()), dim=xr.DataArray(names, dims="protocol", name="protocol"),
                       join="outer", combine_attrs="drop_conflicts", coords="different", compat="equals")
    click.echo(_table(result, names, cond.name, [p.name for p in cond.proxies]))
    written = _write(result, out, figures=not no_figures)
    click.echo(f"\nwrote {', '.join(written)} to {out}/")
