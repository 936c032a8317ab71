"""The validation report: a Markdown table and one figure per anchor table."""

from __future__ import annotations

import datetime as _dt
import math
import re
import textwrap
from pathlib import Path

from .. import __version__


def _fmt(v, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return f"{v:.{digits}g}" if isinstance(v, float) else str(v)


def _cell(text) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _short_source(source: str) -> str:
    """'Ji Y, Lu Y, ... (2010) Nat Neurosci 13:302' -> 'Ji Y, Lu Y, ... (2010)'."""
    m = re.search(r"^(.*?\(\d{4}\))", source)
    return m.group(1) if m else source[:60]


def _data_text(r) -> str:
    v = _fmt(r["value"])
    if r["spread_kind"] in ("sem", "sd") and not math.isnan(r["spread"]):
        v += f" ± {_fmt(r['spread'])} ({r['spread_kind']})"
    elif not math.isnan(r["ci_low"]):
        v += f" ({_fmt(r['ci_low'])} to {_fmt(r['ci_high'])})"
    return v


def write_report(table, out_dir, *, title: str = "mechtms validation report", command: str = "mechtms validate",
                 figures: bool = True) -> Path:
    """Write ``report.md`` (and ``<table>.png`` figures) for a :func:`mechtms.validation.validate` result.

    Returns the path of ``report.md``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    counts = {role: table[table["role"] == role]["status"].value_counts().to_dict() for role in ("calibration", "validation")}
    lines = [f"# {title}", "",
             f"mechtms {__version__}, {_dt.date.today().isoformat()}; produced by `{command}`.", "",
             "Calibration anchors were used to set the models; validation anchors were held out. "
             "Only a failing validation anchor fails the run. `not modelled`: the anchor's condition "
             "has no model yet (kept so the report shows what is still missing).", "",
             "| role | pass | fail | error | not modelled |", "|---|---|---|---|---|"]
    for role, c in counts.items():
        lines.append(f"| {role} | {c.get('pass', 0)} | {c.get('fail', 0)} | {c.get('error', 0)} | {c.get('not modelled', 0)} |")
    for name, group in table.groupby("table", sort=False):
        lines += ["", f"## {name}", ""]
        if figures:
            fig = _figure(group, out / f"{Path(name).stem}.png")
            if fig:
                lines += [f"![{name}]({fig.name})", ""]
        lines += ["| anchor | role | read-out | time | data | model | criterion | status | source | where |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for anchor, r in group.iterrows():
            status = r["status"] if r["status"] != "pass" else "pass"
            status = {"fail": "**FAIL**", "error": "**ERROR**"}.get(status, status)
            rule = r["rule"] or (r["message"][:80] if r["message"] else "")
            lines.append(f"| {anchor} | {r['role']} | {r['readout']} | {r['time']} | {_cell(_data_text(r))} {r['units']} | "
                         f"{_fmt(r['model'])} | {_cell(rule)} | {status} | {_cell(_short_source(r['source']))} | "
                         f"{_cell(r['figure_table'])} |")
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n")
    columns = ["table", "role", "quantity", "protocol", "condition", "readout", "time", "value", "spread",
               "spread_kind", "units", "criterion", "band_low", "band_high", "tolerance", "model", "rule", "status",
               "message", "source"]
    table[[c for c in columns if c in table.columns]].to_csv(out / "results.csv")
    return path


def _figure(group, path: Path):
    """Data (error bars or CI) against model per anchor, with the pass band shaded; calibration
    (blue) and validation (orange) marked apart; a passing model value is a square, a failing one an X."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = group[group["status"].isin(["pass", "fail"])]
    if rows.empty:
        return None
    ncol = min(6, len(rows))
    nrow = math.ceil(len(rows) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(2.0 * ncol + 0.5, 2.6 * nrow), squeeze=False)
    for ax in axes.flat[len(rows):]:
        ax.axis("off")
    for ax, (anchor, r) in zip(axes.flat, rows.iterrows(), strict=False):
        colour = "tab:blue" if r["role"] == "calibration" else "tab:orange"
        vals = [r["model"]]
        if not math.isnan(r["value"]):
            err = r["spread"] if not math.isnan(r["spread"]) else None
            ax.errorbar([0], [r["value"]], yerr=err, fmt="o", color="black", capsize=4)
            vals += [r["value"]] + ([r["value"] - err, r["value"] + err] if err else [])
        if r["criterion"] == "within_spread":
            lo, hi = r["value"] - r["tolerance"] * r["spread"], r["value"] + r["tolerance"] * r["spread"]
        elif r["criterion"] == "band":
            lo, hi = r["band_low"], r["band_high"]
        else:
            lo, hi = (0.0, math.nan) if r["value"] > 0 else (math.nan, 0.0)
        vals += [v for v in (lo, hi) if math.isfinite(v)]
        span = (max(vals) - min(vals)) or abs(max(vals)) or 1.0
        y0, y1 = min(vals) - 0.25 * span, max(vals) + 0.25 * span
        ax.axhspan(y0 if math.isnan(lo) else lo, y1 if math.isnan(hi) else hi, color=colour, alpha=0.15)
        ax.plot([1], [r["model"]], marker="s" if r["status"] == "pass" else "X", color=colour, markersize=9,
                linestyle="")
        ax.set_ylim(y0, y1)
        ax.set_xlim(-0.7, 1.7)
        ax.set_xticks([0, 1], ["data", "model"], fontsize=7)
        ax.set_title("\n".join(textwrap.wrap(anchor, 26)) + f"\n{r['role']}: {r['status']}", fontsize=6.5)
        ax.set_ylabel(f"{r['readout']} ({r['units']})", fontsize=6.5)
        ax.tick_params(labelsize=6.5)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
