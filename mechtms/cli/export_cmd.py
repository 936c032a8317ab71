"""``mechtms export sbml|omex|validate [NAME ...]``: generated files for other SBML tools."""

from __future__ import annotations

import click


def _names(names: tuple[str, ...]) -> list[str]:
    from ..models import list_models, model_info

    for n in names:
        model_info(n)  # unknown names: KeyError with close matches, before anything is written
    chosen = list(names) or list_models()
    if not chosen:
        raise ValueError("no models found (models/ is empty; MECHTMS_MODELS_DIR may point elsewhere)")
    return chosen


@click.group()
def export():
    """Export models to SBML and COMBINE archives, and validate them."""


@export.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Output folder (default: sbml/ in the repository).")
@click.argument("names", nargs=-1)
def sbml(out_dir, names):
    """Write SBML L3V2 for each model (all models if no NAME is given)."""
    from .. import export as ex

    for name in _names(names):
        path = ex.write_sbml(name, out_dir)
        report = ex.validate(sbml=path.read_text())
        click.echo(f"{path}  ({len(report.errors)} errors, {len(report.warnings)} warnings)")


@export.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Output folder (default: sbml/ in the repository).")
@click.argument("names", nargs=-1)
def omex(out_dir, names):
    """Write a COMBINE archive (SBML + SED-ML experiment) for each model."""
    from .. import export as ex

    for name in _names(names):
        path = ex.write_omex(name, out_dir)
        click.echo(str(path))


@export.command()
@click.argument("names", nargs=-1)
def validate(names):
    """Validate each model's export (libsbml, units on); say whether sbml/ is current.

    Exit status 1 when a model has validation errors or a file in sbml/ is stale."""
    from .. import export as ex

    bad = 0
    for name in _names(names):
        report = ex.validate(name)
        current = ex.is_current(name)
        omex_current = report.ok and ex.omex_is_current(name)
        click.echo(f"{report.summary()}; sbml/{name}.xml {'current' if current else 'STALE or missing'}; "
                   f"sbml/{name}.omex {'current' if omex_current else 'STALE or missing'}")
        for issue in report.errors:
            click.echo(f"  {issue}")
        bad += (not report.ok) or (not current) or (not omex_current)
    if bad:
        raise click.exceptions.Exit(1)
