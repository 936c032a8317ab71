"""``mechtms validate``: run the literature anchors of ``data/``, print the table, write the report."""

from __future__ import annotations

import sys

import click


@click.command()
@click.option("--fast", is_flag=True, help="Only the fast anchors (cost = fast; what the tests run).")
@click.option("--anchor", "anchors", multiple=True, help="Anchor id or pattern (e.g. 'ji2010_*'); repeatable.")
@click.option("--data", "paths", multiple=True, type=click.Path(exists=True),
              help="Anchor tables or folders (default: the package's data/).")
@click.option("--out", default="validation_report", show_default=True, help="Folder for report.md and figures.")
@click.option("--no-figures", is_flag=True, help="Write the Markdown table only.")
def validate(fast, anchors, paths, out, no_figures):
    """Run every anchor of data/ through the package and report model against data.

    Exit status: 0 when every validation anchor passes, 1 when one fails (calibration
    anchors are reported but do not fail the run), 2 on bad input.
    """
    from ..validation import failed_validation, write_report
    from ..validation import validate as run

    table = run(list(paths) or None, fast_only=fast, anchors=list(anchors) or None, progress=False)
    width = max(len(a) for a in table.index) if len(table) else 10
    click.echo(f"{'anchor':<{width}}  {'role':<11} {'data':>10} {'model':>10}  status")
    for anchor, r in table.iterrows():
        data = "" if r["value"] != r["value"] else f"{r['value']:.4g}"
        model = "" if r["model"] != r["model"] else f"{r['model']:.4g}"
        click.echo(f"{anchor:<{width}}  {r['role']:<11} {data:>10} {model:>10}  {r['status']}")
    command = "mechtms validate" + (" --fast" if fast else "") + "".join(f" --anchor {a}" for a in anchors)
    path = write_report(table, out, command=command, figures=not no_figures)
    failed = failed_validation(table)
    click.echo(f"report: {path}")
    if failed:
        click.echo(f"validation failed: {len(failed)} anchor(s): {', '.join(failed)}", err=True)
        sys.exit(1)
