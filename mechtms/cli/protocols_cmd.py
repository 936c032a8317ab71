"""``mechtms protocols`` and ``mechtms protocol show NAME``."""

from __future__ import annotations

import click

from .. import protocols as P


def _table(rows: list[dict], columns: list[str]) -> str:
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
    head = "  ".join(c.ljust(widths[c]) for c in columns)
    rule = "  ".join("-" * widths[c] for c in columns)
    body = ["  ".join(str(r[c]).ljust(widths[c]) for c in columns) for r in rows]
    return "\n".join([head, rule, *body])


def _pattern(p: P.Protocol) -> str:
    if p.kind == "theta_burst":
        base = f"TBS {p.pulses_per_burst}x{p.burst_frequency_hz:g}Hz@{p.frequency_hz:g}Hz"
    else:
        base = f"{p.frequency_hz:g} Hz"
    if p.train_s is not None:
        base += f" {p.train_s:g}s/{p.iti_s:g}s"
    return base


@click.command()
def protocols():
    """List the preset protocols with their course and source."""
    rows = []
    for name in P.presets():
        info = P.preset_info(name)
        p, c = info.protocol(), info.course()
        rows.append({
            "name": name,
            "pattern": ("sham " if p.sham else "") + _pattern(p),
            "pulses": p.n_pulses,
            "intensity": f"{p.intensity:g}% {p.intensity_ref}",
            "session_s": f"{p.duration_s:.2f}",
            "course": f"{c.n_sessions} x ({c.days_per_week}/wk, {c.days} d)",
            "source": info.short,
        })
    click.echo(_table(rows, list(rows[0])))
    click.echo("\n'mechtms protocol show NAME' gives the schedule, source, assumptions and safety check.")


@click.group()
def protocol():
    """Inspect one protocol."""


@protocol.command("show")
@click.argument("name")
def show(name: str):
    """Schedule, counts, course, source, assumptions and safety verdict of preset NAME."""
    info = P.preset_info(name)
    p, c = info.protocol(), info.course()
    times = p.pulse_times_s()
    click.echo(f"{name}: {p.label()}")
    if info.purpose:
        click.echo(f"  purpose      {info.purpose}")
    click.echo(f"  pulses       {p.n_pulses} scheduled, {p.n_delivered} delivered"
               f" in {p.n_trains} train(s) of {p.bursts_per_train} burst(s) x {p.pulses_per_burst} pulse(s)")
    click.echo(f"  first pulses {', '.join(f'{t:.3f}' for t in times[:6])}{' …' if len(times) > 6 else ''} s")
    click.echo(f"  duration     {p.duration_s:.3f} s (first to last pulse)")
    starts = c.session_start_times_h()
    click.echo(f"  course       {c.n_sessions} session(s): days {c.start_day}-{c.end_day}, "
               f"{c.sessions_per_day}/day at {', '.join(f'{h:g} h' for h in c.clock_h)}, "
               f"{c.days_per_week} day(s)/week; first at t = {starts[0]:g} h")
    click.echo(f"  source       {info.citation}")
    for a in info.assumptions:
        click.echo(f"  assumption   {a}")
    report = p.safety()
    verdict = "within published limits" if report.ok else "EXCEEDS published limits"
    click.echo(f"  safety       {verdict}")
    for line in str(report).splitlines():
        click.echo(f"    {line}")
