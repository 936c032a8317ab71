"""``mechtms cohort``: a virtual cohort under a preset (active and sham arms), responder rates with CIs."""

from __future__ import annotations

import click


@click.command()
@click.argument("preset")
@click.option("--condition", default="healthy", show_default=True, help="healthy (MEP change) or sci/uninjured (BMS).")
@click.option("--n", "n", default=40, show_default=True, help="Subjects.")
@click.option("--seed", default=0, show_default=True, help="Root of every subject's draws.")
@click.option("--engine", type=click.Choice(["serial", "local", "dask"]), default="serial", show_default=True)
@click.option("--workers", type=int, default=None, help="Processes (local, new dask cluster).")
@click.option("--store", default=None, help="zarr store (resumable).")
@click.option("--threshold", default=0.0, show_default=True, help="Responder: change beyond this in the expected direction.")
@click.option("--instances", default=None, type=int,
              help="Network instances the subjects of a session cohort share (default 4; each runs the network once).")
@click.option("--output", default=None, help="Also write the cohort as netCDF.")
def cohort(preset, condition, n, seed, engine, workers, store, threshold, instances, output):
    """Run a virtual cohort of N subjects under PRESET (a session or course preset) and its sham."""
    from ..cohorts import NETWORK_INSTANCES
    from ..cohorts import cohort as run

    ds = run(preset, condition=condition, n=n, seed=seed, engine=engine, workers=workers, store=store,
             threshold=threshold, network_instances=instances or NETWORK_INSTANCES, progress=True)
    unit = ds.measured.attrs.get("units", "")
    click.echo(f"cohort: {n} subjects, condition {condition}, read-out {ds.attrs['readout']} ({unit}); "
               f"responder: {ds.responder.attrs['rule']}; CI: {ds.attrs['ci_method']}")
    for arm in ds.arm.values:
        r = ds.sel(arm=arm)
        click.echo(f"  {arm:<8} responders {int(r.n_responders)}/{int(r.n_subjects)} = {float(r.responder_rate):.2f} "
                   f"({float(r.responder_ci_low):.2f}-{float(r.responder_ci_high):.2f}); "
                   f"measured {float(r.mean_measured):+.1f} +- {float(r.sd_measured):.1f} (SD)")
    if output:
        ds.to_netcdf(output, engine="h5netcdf")
        click.echo(f"wrote {output}")
