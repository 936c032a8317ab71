"""``mechtms fit``: write a PEtab problem from anchor tables and calibrate it with pyPESTO."""

from __future__ import annotations

import click


def _parse_bounds(items) -> dict:
    out = {}
    for item in items:
        name, _, rng = item.partition("=")
        lo, _, hi = rng.partition(":")
        if not name or not lo or not hi:
            raise ValueError(f"--param {item!r}: use name=lower:upper (e.g. kd_erk=1:100)")
        try:
            out[name.strip()] = (float(lo), float(hi))
        except ValueError:
            raise ValueError(f"--param {item!r}: bounds must be numbers") from None
    return out


@click.command()
@click.argument("model")
@click.option("--data", "paths", multiple=True, type=click.Path(exists=True), required=True,
              help="Anchor table(s) in the schema of data/README.md; repeatable.")
@click.option("--param", "params", multiple=True, required=True,
              help="Parameter to estimate with its bounds, name=lower:upper (log10 scale); repeatable.")
@click.option("--out", default="fit", show_default=True, help="Folder for the PEtab problem and the results.")
@click.option("--starts", default=20, show_default=True, help="Multi-start local optimisations.")
@click.option("--seed", default=0, show_default=True, help="Seed of the start points.")
@click.option("--no-profile", is_flag=True, help="Skip the profile likelihoods.")
def fit(model, paths, params, out, starts, seed, no_profile):
    """Fit MODEL (a model of models/) to anchor tables: PEtab export, lint, multi-start, profiles."""
    from pathlib import Path

    from ..fit import calibrate, lint, to_petab
    from ..fit.plots import plot_fit, plot_profiles

    yaml = to_petab(model, list(paths), _parse_bounds(params), Path(out) / "petab")
    problems = lint(yaml)
    if problems:
        raise ValueError(f"the PEtab problem {yaml} does not pass the linter: {'; '.join(problems)}")
    click.echo(f"PEtab problem: {yaml} (passes petab lint)")
    res = calibrate(yaml, n_starts=starts, seed=seed, profile=not no_profile)
    res.starts.to_csv(Path(out) / "starts.csv", index=False)
    res.identifiability.to_csv(Path(out) / "identifiability.csv")
    res.fit.to_csv(Path(out) / "fit.csv", index=False)
    plot_fit(res, Path(out) / "fit.png")
    if res.profiles:
        import pandas as pd

        plot_profiles(res, Path(out) / "profiles.png")
        pd.concat([p.assign(parameter=n) for n, p in res.profiles.items()]).to_csv(Path(out) / "profiles.csv",
                                                                                   index=False)
    n_best = int((res.starts.fval - res.fval < 1e-3).sum())
    click.echo(f"best -log posterior {res.fval:.4f}, reached by {n_best} of {starts} starts")
    click.echo(res.summary())
    click.echo(f"results: {out}/ (starts.csv, identifiability.csv, fit.csv, fit.png{', profiles.png, profiles.csv' if res.profiles else ''})")
